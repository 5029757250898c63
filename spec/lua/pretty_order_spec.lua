-- Text and Markdown reports list findings by impact, biggest first (issue 4: "summary, top
-- findings by impact, then details"): priced value from cost.run first, then wall time saved,
-- then core time, then severity; ties keep the graph's order.
local pretty = require "sic.pretty"

local function finding(id, key, severity, impact)
  return { id = id, title = id, severity = severity, entity = { key = key }, impact = impact or {} }
end

describe("findings by impact", function()
  it("orders priced findings by dollar value, then time, then core time, then severity", function()
    local fs = {
      finding("a.low_core", "stage 1", "high", { core_ms = 1000 }),
      finding("b.wall", "stage 2", "low", { saving_ms = 5000 }),
      finding("c.priced_small", "stage 3", "low", { saving_ms = 1 }),
      finding("d.none_high", "app", "high"),
      finding("e.none_info", "app", "info"),
      finding("f.priced_big", "stage 4", "low", { core_ms = 1 }),
      { id = "cost.run", title = "cost", severity = "info", entity = { key = "app" },
        evidence = { savings = { { id = "c.priced_small", entity = "stage 3", usd = 0.5 },
                                 { id = "f.priced_big", entity = "stage 4", usd = 9 } } } },
    }
    local ordered = pretty.by_impact(fs)
    local ids = {}
    for i, f in ipairs(ordered) do ids[i] = f.id end
    assert.same({ "f.priced_big", "c.priced_small", "b.wall", "a.low_core", "d.none_high", "e.none_info",
                  "cost.run" }, ids)
  end)

  it("shows the order and the value in text and Markdown", function()
    local fs = {
      finding("small", "stage 1", "high", { saving_ms = 1000 }),
      finding("big", "stage 2", "low", { saving_ms = 90000 }),
    }
    local text = pretty.report({ findings = fs })
    assert.truthy(text:find("big", 1, true) < text:find("small", 1, true))
    local md = pretty.report_md({ findings = fs })
    assert.truthy(md:find("| low | `big` |", 1, true) < md:find("| high | `small` |", 1, true))
    assert.truthy(md:find("90.0 s", 1, true))
  end)
end)

// sic HTML report: draws the charts from the embedded data (no network, no libraries).
// Data: #sic-data = { app, executors, stages, tasks, findings (sic.findings/1 with agent layers) }.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("sic-data").textContent);
  var root = document.getElementById("report");
  var F = data.findings || { findings: [], state: {} };
  var state = F.state || {};
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function secs(ms) {
    if (ms === null || ms === undefined || ms < 0) return "?";
    if (ms >= 3600000) return (ms / 3600000).toFixed(1) + " h";
    if (ms >= 60000) return (ms / 60000).toFixed(1) + " min";
    if (ms >= 1000) return (ms / 1000).toFixed(1) + " s";
    return Math.round(ms) + " ms";
  }
  function usd(v) { return v === undefined || v === null ? "?" : "$" + (v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(2) : v.toFixed(4)); }
  function hue(i) { return "hsl(" + ((i * 47) % 360) + ",60%,55%)"; }
  function section(title, id) {
    var h = el("h2", { id: id }, title);
    root.appendChild(h);
    return h;
  }
  function chartBox(id) {
    var box = el("div", { "class": "chart", id: id });
    root.appendChild(box);
    return box;
  }
  function axisX(g, x0, x1, y, tmax, width) {
    g.appendChild(svg("line", { x1: x0, y1: y, x2: x1, y2: y, stroke: "#888" }));
    for (var i = 0; i <= 5; i++) {
      var x = x0 + (x1 - x0) * i / 5;
      g.appendChild(svg("line", { x1: x, y1: y, x2: x, y2: y + 4, stroke: "#888" }));
      g.appendChild(svg("text", { x: x, y: y + 16, "text-anchor": "middle" }, secs(tmax * i / 5)));
    }
  }

  // ---------------------------------------------------------------- header and summary
  var app = data.app || {};
  root.appendChild(el("h1", {}, (app.name || "Spark application")));
  root.appendChild(el("div", { "class": "sub" }, (app.id || "") + "  ·  Spark " + (app.sparkVersion || "?") + "  ·  " + (app.source || "")));
  var cost = state.cost || {};
  var res = state.resources || {};
  var cards = el("div", { "class": "cards", id: "cards" });
  function card(label, value) {
    var c = el("div", { "class": "card" });
    c.appendChild(el("b", {}, value));
    c.appendChild(el("span", {}, label));
    cards.appendChild(c);
  }
  card("wall time", secs(app.duration));
  card("tasks", String(data.tasksTotal));
  card("executors (peak)", res.peak_executors !== undefined ? String(res.peak_executors) : String(data.executors.length));
  card("core utilisation", res.utilisation !== undefined && res.utilisation !== null ? Math.round(res.utilisation * 100) + "%" : "?");
  card("run cost", usd(cost.run_usd));
  card("estimated savings / run", usd(cost.savings_usd));
  root.appendChild(cards);
  if (cost.pricing) {
    root.appendChild(el("div", { "class": "legend" }, "Prices: catalogue entry " + cost.pricing.entry + " (" + cost.pricing.cloud + " " +
      cost.pricing.instance + ", " + cost.pricing.region + ", $" + cost.pricing.usd_per_hour + "/h for " + cost.pricing.vcpus +
      " vCPUs). Source: " + cost.pricing.source + "."));
  }

  // ---------------------------------------------------------------- findings
  var findings = (F.findings || []).slice();
  var value = {};
  (cost.savings || []).forEach(function (s) { value[s.id + "@" + s.entity] = s.usd; });
  function fval(f) { return value[f.id + "@" + ((f.entity && f.entity.key) || "app")] || 0; }
  var SEV = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  findings.sort(function (a, b) {
    var d = fval(b) - fval(a);
    if (d !== 0) return d;
    return (SEV[b.severity] || 0) - (SEV[a.severity] || 0);
  });
  // Top problems: the few findings carrying most of the estimated value (80% or 5 of them),
  // then up to 3 high-severity ones without an estimate (failures) - as the text report.
  (function () {
    var sum = 0, covered = 0, top = [], severe = 0;
    findings.forEach(function (f) { if (f.id !== "cost.run") sum += fval(f); });
    findings.forEach(function (f) {
      if (f.id !== "cost.run" && fval(f) > 0 && top.length < 5 && (covered < 0.8 * sum || !top.length)) { top.push(f); covered += fval(f); }
    });
    findings.forEach(function (f) {
      if (severe < 3 && top.indexOf(f) < 0 && !(fval(f) > 0) && (f.severity === "high" || f.severity === "critical")) { top.push(f); severe++; }
    });
    if (!top.length) return;
    section("Top problems", "top-problems-title");
    var box = el("ol", { id: "top-problems", "class": "top" });
    top.forEach(function (f) {
      var li = el("li");
      li.appendChild(el("b", {}, fval(f) > 0 ? usd(fval(f)) : f.severity));
      li.appendChild(document.createTextNode(" " + f.title + " "));
      li.appendChild(el("span", { "class": "sub" }, "(" + f.id + " on " + ((f.entity && f.entity.key) || "app") + ")"));
      box.appendChild(li);
    });
    root.appendChild(box);
    if (sum > 0) root.appendChild(el("div", { "class": "legend" }, Math.round(100 * covered / sum) + "% of the estimated value; " +
      "together the findings are worth " + usd(cost.savings_usd) + " of the " + usd(cost.run_usd) + " run (overlapping savings counted once)."));
  })();
  section("Top findings by impact", "findings");
  var tbl = el("table", { id: "findings-table" });
  var hr = el("tr");
  ["severity", "finding", "on", "impact", "$ / run"].forEach(function (h) { hr.appendChild(el("th", {}, h)); });
  tbl.appendChild(hr);
  findings.forEach(function (f) {
    var tr = el("tr", { "class": "finding" });
    var td = el("td");
    td.appendChild(el("span", { "class": "sev sev-" + f.severity }, f.severity));
    tr.appendChild(td);
    var t2 = el("td");
    t2.appendChild(el("div", {}, f.title));
    if (f.recommendation && f.recommendation.text) t2.appendChild(el("div", { "class": "sub" }, f.recommendation.text));
    var cfg = f.recommendation && f.recommendation.config;
    if (cfg) for (var k in cfg) { var c = el("div"); c.appendChild(el("code", {}, k + "=" + cfg[k])); t2.appendChild(c); }
    // a grouped finding lists its entities with their own evidence, top first
    if (f.members && f.members.length) {
      var det = el("details");
      det.appendChild(el("summary", {}, f.members.length + " " + (f.entity.kind || "entitie") + "s"));
      f.members.forEach(function (m) {
        var mi = m.impact || {}, bits = [];
        if (mi.saving_ms > 0) bits.push(secs(mi.saving_ms) + " saved");
        if (mi.core_ms > 0) bits.push((mi.core_ms / 3600000).toFixed(3) + " core-h");
        det.appendChild(el("div", { "class": "sub" }, (m.entity && m.entity.key) + (bits.length ? " - " + bits.join(", ") : "")));
      });
      t2.appendChild(det);
    }
    if (f.related && f.related.length) {
      var ids = [];
      f.related.forEach(function (r) { if (ids.indexOf(r.id) < 0) ids.push(r.id); });
      t2.appendChild(el("div", { "class": "sub" }, "also seen by " + ids.join(", ")));
    }
    tr.appendChild(t2);
    tr.appendChild(el("td", {}, (f.entity && f.entity.key) || "app"));
    var im = f.impact || {};
    var txt = [];
    if (im.saving_ms > 0) txt.push(secs(im.saving_ms) + " saved");
    if (im.core_ms > 0) txt.push((im.core_ms / 3600000).toFixed(2) + " core-h");
    tr.appendChild(el("td", { "class": "num", title: im.method || "" }, txt.join(", ")));
    tr.appendChild(el("td", { "class": "num" }, fval(f) > 0 ? usd(fval(f)) : ""));
    tbl.appendChild(tr);
  });
  root.appendChild(tbl);
  if (!findings.length) root.appendChild(el("p", { "class": "empty" }, data.findings ? "No findings." : "Rules did not run (--no-rules)."));

  // ---------------------------------------------------------------- Gantt over executors
  section("Stage timeline over executors", "gantt-title");
  var gbox = chartBox("gantt");
  (function () {
    var execs = data.executors, tasks = data.tasks;
    var used = {}, order = [];
    tasks.forEach(function (t) { if (!used[t[0]]) { used[t[0]] = true; order.push(t[0]); } });
    order.sort(function (a, b) { return a - b; });
    var rowOf = {};
    order.forEach(function (e, i) { rowOf[e] = i; });
    var tmax = Math.max(1, app.duration || 0);
    tasks.forEach(function (t) { if (t[1] + t[2] > tmax) tmax = t[1] + t[2]; });
    var rowH = Math.max(6, Math.min(18, Math.floor(420 / Math.max(order.length, 1)))), left = 90, width = 1040;
    var h = order.length * rowH + 40;
    var s = svg("svg", { width: left + width + 20, height: h, id: "gantt-svg" });
    order.forEach(function (e, i) {
      var label = execs[e] ? execs[e].id : String(e);
      if (rowH >= 9) s.appendChild(svg("text", { x: left - 6, y: i * rowH + rowH - 2, "text-anchor": "end" }, "exec " + label));
    });
    var scale = width / tmax;
    var n = 0;
    tasks.forEach(function (t) {
      var r = svg("rect", { x: left + t[1] * scale, y: rowOf[t[0]] * rowH + 1, width: Math.max(1, t[2] * scale), height: rowH - 2,
        fill: t[4] ? "#c0392b" : hue(t[3]), "class": "task" });
      var st = data.stages[t[3]];
      r.appendChild(svg("title", {}, (st ? "stage " + st.id + "." + st.attempt : "") + "  " + secs(t[2])));
      s.appendChild(r);
      n++;
    });
    axisX(s, left, left + width, order.length * rowH + 4, tmax, width);
    gbox.appendChild(s);
    gbox.appendChild(el("div", { "class": "legend" }, n + " of " + data.tasksTotal + " task attempts drawn (colour = stage, red = failed); " +
      "x: time since application start."));
  })();

  // ---------------------------------------------------------------- utilisation over time
  section("Executor utilisation over time", "util-title");
  var ubox = chartBox("utilisation");
  (function () {
    var tl = res.timeline;
    if (!tl) { ubox.appendChild(el("p", { "class": "empty" }, "No executor timeline (no executors with cores, or rules off).")); return; }
    var n = tl.bins, left = 50, width = 1060, height = 180, binMs = (tl.t1 - tl.t0) / n;
    var busy = tl.busy_core_ms.map(function (v) { return v / binMs; });
    var alive = tl.alive_core_ms.map(function (v) { return v / binMs; });
    var ymax = Math.max.apply(null, alive.concat(busy).concat([1]));
    var s = svg("svg", { width: left + width + 20, height: height + 40, id: "util-svg" });
    function path(vals, color, fill) {
      var d = "M" + left + "," + height;
      vals.forEach(function (v, i) {
        var x0 = left + width * i / n, x1 = left + width * (i + 1) / n, y = height - height * v / ymax;
        d += " L" + x0.toFixed(1) + "," + y.toFixed(1) + " L" + x1.toFixed(1) + "," + y.toFixed(1);
      });
      d += " L" + (left + width) + "," + height + " Z";
      s.appendChild(svg("path", { d: d, fill: fill, stroke: color, "stroke-width": 1.5 }));
    }
    path(alive, "#7f8c8d", "rgba(127,140,141,0.18)");
    path(busy, "#2e86c1", "rgba(46,134,193,0.45)");
    s.appendChild(svg("text", { x: 4, y: 12 }, ymax.toFixed(0) + " cores"));
    s.appendChild(svg("line", { x1: left, y1: 0, x2: left, y2: height, stroke: "#888" }));
    axisX(s, left, left + width, height, tl.t1 - tl.t0, width);
    ubox.appendChild(s);
    ubox.appendChild(el("div", { "class": "legend" }, "grey: executor cores alive; blue: cores busy with tasks. Idle " +
      ((res.idle_core_ms || 0) / 3600000).toFixed(2) + " core-hours; driver-only time " + secs(res.driver_ms) + "."));
  })();

  // ---------------------------------------------------------------- task-duration distributions
  section("Task durations of flagged stages", "dist-title");
  (function () {
    var flagged = {}, list = [];
    (F.findings || []).forEach(function (g) {
      (g.members && g.members.length ? g.members : [g]).forEach(function (m) { // grouped: each stage it lists
        var f = { id: g.id, entity: m.entity };
        if (f.entity && f.entity.kind === "stage" && !flagged[f.entity.key]) { flagged[f.entity.key] = f; list.push(f); }
      });
    });
    if (!list.length) { root.appendChild(el("p", { "class": "empty" }, "No stage was flagged.")); return; }
    list.slice(0, 12).forEach(function (f) {
      var st = null;
      data.stages.forEach(function (x) { if (x.id === f.entity.stage_id && x.attempt === f.entity.attempt_id) st = x; });
      if (!st || !st.durations.length) return;
      var box = chartBox("dist-" + st.id + "-" + st.attempt);
      box.setAttribute("class", "chart dist");
      box.appendChild(el("h3", {}, "stage " + st.id + "." + st.attempt + " — " + (st.name || "") + " (" + f.id + ")"));
      var d = st.durations, max = Math.max.apply(null, d), bins = 30, counts = [];
      for (var i = 0; i < bins; i++) counts.push(0);
      d.forEach(function (v) { counts[Math.min(bins - 1, Math.floor(v / Math.max(max, 1) * bins))]++; });
      var cmax = Math.max.apply(null, counts), left = 40, width = 600, height = 110;
      var s = svg("svg", { width: left + width + 20, height: height + 30 });
      counts.forEach(function (c, i) {
        var h = c ? Math.max(1, height * Math.log(1 + c) / Math.log(1 + cmax)) : 0;
        var r = svg("rect", { x: left + i * width / bins + 1, y: height - h, width: width / bins - 2, height: h, fill: "#2e86c1", "class": "bar" });
        r.appendChild(svg("title", {}, c + " tasks"));
        s.appendChild(r);
      });
      axisX(s, left, left + width, height, max, width);
      box.appendChild(s);
      box.appendChild(el("div", { "class": "legend" }, (d.length < st.tasks ? "an even sample of " + d.length + " of the " + st.tasks +
        " task attempts" : d.length + " successful tasks") + " (log-scaled counts)."));
    });
  })();

  // ---------------------------------------------------------------- SQL plans
  section("SQL plans: hot operators", "plans-title");
  (function () {
    var plans = (state.sql && state.sql.plans) || [];
    if (!plans.length) { root.appendChild(el("p", { "class": "empty" }, "No SQL executions with plans.")); return; }
    plans.slice(0, 5).forEach(function (p, pi) {
      var det = el("details", { id: "plan-" + p.execution_id });
      if (pi === 0) det.setAttribute("open", "");
      det.appendChild(el("summary", {}, "SQL " + p.execution_id + " — " + secs(p.duration_ms) + " — " + (p.description || "")));
      var times = p.nodes.map(function (n) { return n.time_ms || 0; }).slice().sort(function (a, b) { return b - a; });
      var box = el("div", { "class": "plan" });
      p.nodes.forEach(function (n) {
        var cls = "";
        if (n.time_ms > 0 && n.time_ms === times[0]) cls = "hot1";
        else if (n.time_ms > 0 && n.time_ms >= times[Math.min(2, times.length - 1)]) cls = "hot";
        // time and rows first: plan lines are long and the box scrolls sideways
        var line = new Array(n.depth + 1).join("  ") + (n.time_ms > 0 ? "[" + secs(n.time_ms) + "] " : "") +
          (n.rows !== undefined && n.rows !== null ? "[rows " + n.rows + "] " : "") + n.text;
        box.appendChild(el("div", { "class": cls }, line));
      });
      det.appendChild(box);
      root.appendChild(det);
    });
  })();

  // ---------------------------------------------------------------- what-if
  section("What if: executors → runtime and cost", "whatif-title");
  var wbox = chartBox("whatif");
  (function () {
    var w = state.runtime && state.runtime.whatif;
    if (!w) { wbox.appendChild(el("p", { "class": "empty" }, "No simulation (no stages).")); return; }
    var costs = cost.whatif_cost || [];
    var pts = w.points, left = 60, width = 700, height = 220;
    var xmax = Math.max.apply(null, pts.map(function (p) { return p.factor; }));
    var ymax = Math.max.apply(null, pts.map(function (p) { return p.wall_ms; }));
    var cmax = Math.max.apply(null, costs.map(function (c) { return c.usd; }).concat([0]));
    var s = svg("svg", { width: left + width + 90, height: height + 50, id: "whatif-svg" });
    function X(f) { return left + width * f / xmax; }
    function Y(v) { return height - height * v / ymax; }
    function YC(v) { return height - height * v / (cmax || 1); }
    var d = "", dc = "";
    pts.forEach(function (p, i) {
      d += (i ? " L" : "M") + X(p.factor).toFixed(1) + "," + Y(p.wall_ms).toFixed(1);
      var c = svg("circle", { cx: X(p.factor), cy: Y(p.wall_ms), r: p.factor === 1 ? 5 : 3, fill: p.factor === 1 ? "#c0392b" : "#2e86c1", "class": "point" });
      c.appendChild(svg("title", {}, p.factor + "x (" + (p.executors ? p.executors.toFixed(1) + " executors" : p.slots.toFixed(0) + " slots") + "): " + secs(p.wall_ms)));
      s.appendChild(c);
    });
    costs.forEach(function (c, i) { dc += (i ? " L" : "M") + X(c.factor).toFixed(1) + "," + YC(c.usd).toFixed(1); });
    s.appendChild(svg("path", { d: d, fill: "none", stroke: "#2e86c1", "stroke-width": 2, id: "whatif-runtime" }));
    if (dc) s.appendChild(svg("path", { d: dc, fill: "none", stroke: "#d68910", "stroke-width": 2, "stroke-dasharray": "5,4", id: "whatif-cost" }));
    s.appendChild(svg("line", { x1: left, y1: Y(w.critical_path_ms), x2: left + width, y2: Y(w.critical_path_ms), stroke: "#7f8c8d", "stroke-dasharray": "2,3" }));
    s.appendChild(svg("text", { x: left + width + 4, y: Y(w.critical_path_ms) + 4 }, "critical path"));
    s.appendChild(svg("line", { x1: left, y1: height, x2: left + width, y2: height, stroke: "#888" }));
    s.appendChild(svg("line", { x1: left, y1: 0, x2: left, y2: height, stroke: "#888" }));
    pts.forEach(function (p) {
      s.appendChild(svg("text", { x: X(p.factor), y: height + 16, "text-anchor": "middle" }, p.executors ? p.executors.toFixed(0) : p.factor + "x"));
    });
    s.appendChild(svg("text", { x: left + width / 2, y: height + 34, "text-anchor": "middle" }, "executors"));
    s.appendChild(svg("text", { x: 2, y: 12 }, secs(ymax)));
    if (cmax) s.appendChild(svg("text", { x: left + width + 4, y: 12 }, usd(cmax)));
    wbox.appendChild(s);
    wbox.appendChild(el("div", { "class": "legend" }, "blue: predicted wall time; dashed orange: predicted cost; red dot: the observed size. " +
      "Simulated " + secs(w.simulated_wall_ms) + " vs observed " + secs(w.observed_wall_ms) + " (" +
      ((w.relative_error || 0) * 100).toFixed(1) + "% error). Method: " + w.method + "."));
  })();
  document.body.setAttribute("data-rendered", "yes");
})();

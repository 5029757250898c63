// sic web UI: application list (search, status) and per-application pages with charts, fed by
// the server's own /api/v1 endpoints. No external resources: everything is embedded in sic.
"use strict";

const main = document.getElementById("main");

// Console errors and uncaught exceptions are counted on <body data-console-errors> (and listed
// in #console-errors), so a headless browser test can see them in the DOM.
const consoleErrors = [];
const originalConsoleError = console.error;
console.error = (...args) => { consoleErrors.push(args.join(" ")); originalConsoleError.apply(console, args); };
window.addEventListener("error", (e) => {
  // capture phase: also sees images/styles/scripts that failed to load (their events do not bubble)
  if (e.target && e.target !== window) consoleErrors.push("failed to load " + (e.target.src || e.target.href));
  else consoleErrors.push("uncaught: " + e.message);
}, true);
window.addEventListener("unhandledrejection", (e) => consoleErrors.push("unhandled rejection: " + e.reason));

function publishConsoleErrors() {
  document.body.setAttribute("data-console-errors", String(consoleErrors.length));
  let list = document.getElementById("console-errors");
  if (!list) { list = el("pre", { id: "console-errors", hidden: "" }); document.body.append(list); }
  list.textContent = consoleErrors.join("\n");
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, ...children) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function getJSON(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}

function fmtMs(ms) {
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  return Math.floor(ms / 60000) + "m " + Math.round((ms % 60000) / 1000) + "s";
}

function fmtBytes(b) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return (i ? b.toFixed(1) : b) + " " + u[i];
}

function showError(e) {
  main.replaceChildren(el("p", { class: "error" }, String(e.message || e)));
}

// ---- application list ----

async function renderList(initialQuery) {
  const apps = await getJSON("/api/v1/applications");
  const search = el("input", { type: "search", id: "search", placeholder: "Search by name, id or user" });
  search.value = initialQuery || ""; // #/?q=... links to a search
  const tbody = el("tbody", { id: "apps" });
  const fill = () => {
    const q = search.value.toLowerCase();
    tbody.replaceChildren();
    for (const a of apps) {
      const at = a.attempts[a.attempts.length - 1] || {};
      const text = (a.id + " " + a.name + " " + (at.sparkUser || "")).toLowerCase();
      if (q && !text.includes(q)) continue;
      const status = at.completed ? "completed" : "running";
      tbody.append(el("tr", { "data-app": a.id },
        el("td", {}, el("a", { href: "#/app/" + encodeURIComponent(a.id) }, a.id)),
        el("td", {}, a.name),
        el("td", {}, el("span", { class: "status " + status }, status)),
        el("td", {}, at.sparkUser || ""),
        el("td", {}, at.startTime || ""),
        el("td", { class: "num" }, fmtMs(at.duration || 0))));
    }
  };
  search.addEventListener("input", fill);
  fill();
  main.replaceChildren(el("h2", {}, apps.length + " applications"), search,
    el("table", {}, el("thead", {}, el("tr", {}, ...["Application", "Name", "Status", "User", "Started", "Duration"].map((h) => el("th", {}, h)))), tbody));
}

// ---- one application ----

function barChart(id, rows, label, value, fmt) {
  const w = 900, rowH = 18, left = 190, h = rows.length * rowH + 10;
  const max = Math.max(1, ...rows.map(value));
  const chart = svg("svg", { id, class: "chart", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img" });
  rows.forEach((r, i) => {
    const y = 5 + i * rowH;
    const bw = Math.max(1, (value(r) / max) * (w - left - 90));
    chart.append(svg("text", { x: 4, y: y + 12 }, label(r)));
    chart.append(svg("rect", { class: "bar" + (r.status === "FAILED" ? " failed" : ""), x: left, y, width: bw, height: rowH - 4 }));
    chart.append(svg("text", { x: left + bw + 4, y: y + 12 }, fmt(value(r))));
  });
  return chart;
}

// Findings of the rules and agents, filterable by severity.
const SEVERITIES = ["critical", "high", "medium", "low", "info"];

function findingsSection(doc) {
  const findings = (doc && doc.findings) || [];
  const select = el("select", { id: "severity" }, el("option", { value: "" }, "all severities"),
    ...SEVERITIES.map((s) => el("option", { value: s }, s)));
  const list = el("tbody", { id: "findings" });
  const fill = () => {
    list.replaceChildren();
    for (const f of findings) {
      if (select.value && f.severity !== select.value) continue;
      list.append(el("tr", { "data-severity": f.severity },
        el("td", {}, el("span", { class: "sev " + f.severity }, f.severity)),
        el("td", {}, f.title || f.id),
        el("td", {}, (f.entity && f.entity.key) || ""),
        el("td", {}, (f.recommendation && f.recommendation.text) || "")));
    }
  };
  select.addEventListener("change", fill);
  fill();
  return el("section", {}, el("h3", {}, findings.length + " findings"), select,
    el("table", {}, el("thead", {}, el("tr", {}, ...["Severity", "Finding", "Where", "Recommendation"].map((h) => el("th", {}, h)))), list));
}

// The what-if curve of the runtime agent: simulated wall time against executor capacity.
function whatIfChart(doc) {
  const w = doc && doc.state && doc.state.runtime && doc.state.runtime.whatif;
  const pts = (w && w.points) || [];
  if (!pts.length) return el("p", { class: "muted", id: "whatif-none" }, "No what-if curve for this application.");
  const W = 640, H = 240, L = 70, B = 40, T = 10, R = 20;
  const maxX = Math.max(...pts.map((p) => p.factor)), maxY = Math.max(...pts.map((p) => p.wall_ms));
  const x = (f) => L + (f / maxX) * (W - L - R), y = (ms) => T + (1 - ms / maxY) * (H - T - B);
  const chart = svg("svg", { id: "whatif-chart", class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img" });
  chart.append(svg("polyline", { points: pts.map((p) => `${x(p.factor)},${y(p.wall_ms)}`).join(" "), fill: "none", stroke: "#1d3557", "stroke-width": 2 }));
  for (const p of pts) {
    chart.append(svg("circle", { class: "point", cx: x(p.factor), cy: y(p.wall_ms), r: 3.5, fill: p.factor === 1 ? "#e63946" : "#457b9d" },
      svg("title", {}, `${p.factor}x capacity (${p.slots} slots): ${fmtMs(p.wall_ms)}`)));
    chart.append(svg("text", { x: x(p.factor) - 8, y: H - B + 16 }, p.factor + "x"));
  }
  chart.append(svg("text", { x: 4, y: T + 10 }, fmtMs(maxY)));
  chart.append(svg("text", { x: L, y: H - 6 }, "executor capacity relative to the run (red: as run)"));
  return chart;
}

async function renderApp(id) {
  const base = "/api/v1/applications/" + encodeURIComponent(id);
  const copilot = "/v1/apps/" + encodeURIComponent(id);
  const [app, stages, execs, findings] = await Promise.all([getJSON(base), getJSON(base + "/stages"),
    getJSON(base + "/allexecutors"), getJSON(copilot + "/findings")]);
  const at = app.attempts[app.attempts.length - 1] || {};
  const dur = (s) => (s.completionTime && s.submissionTime) ? Date.parse(s.completionTime.replace("GMT", "Z")) - Date.parse(s.submissionTime.replace("GMT", "Z")) : 0;
  const byStage = stages.slice().sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId);
  const failedTasks = stages.reduce((n, s) => n + (s.numFailedTasks || 0), 0);
  main.replaceChildren(
    el("p", {}, el("a", { href: "#/" }, "← all applications")),
    el("h2", { id: "app-title" }, app.name + " (" + app.id + ")"),
    el("p", {}, "Full report: ", el("a", { href: copilot + "/report.html", id: "report-html" }, "HTML with timeline and what-if curve"),
      " · ", el("a", { href: copilot + "/report.md" }, "Markdown"), " · ", el("a", { href: copilot + "/report.json" }, "JSON")),
    el("div", { class: "cards" },
      el("div", { class: "card" }, el("b", {}, at.completed ? "completed" : "running"), "status"),
      el("div", { class: "card" }, el("b", {}, fmtMs(at.duration || 0)), "duration"),
      el("div", { class: "card" }, el("b", {}, stages.length), "stage attempts"),
      el("div", { class: "card" }, el("b", {}, execs.length), "executors (incl. driver)"),
      el("div", { class: "card" }, el("b", {}, failedTasks), "failed tasks")),
    findingsSection(findings),
    el("h3", {}, "What if: runtime against executor capacity"),
    whatIfChart(findings),
    el("h3", {}, "Stage durations"),
    barChart("stage-chart", byStage, (s) => `stage ${s.stageId}.${s.attemptId} ${s.status.toLowerCase()}`, dur, fmtMs),
    el("h3", {}, "Shuffle read by stage"),
    barChart("shuffle-chart", byStage, (s) => `stage ${s.stageId}.${s.attemptId}`, (s) => s.shuffleReadBytes || 0, fmtBytes),
    el("h3", {}, "Executors"),
    el("table", { id: "executors" },
      el("thead", {}, el("tr", {}, ...["Executor", "Host", "Cores", "Tasks", "Failed", "Task time", "GC time"].map((h) => el("th", {}, h)))),
      el("tbody", {}, ...execs.map((e) => el("tr", {},
        el("td", {}, e.id), el("td", {}, e.hostPort), el("td", { class: "num" }, e.totalCores),
        el("td", { class: "num" }, e.totalTasks), el("td", { class: "num" }, e.failedTasks),
        el("td", { class: "num" }, fmtMs(e.totalDuration)), el("td", { class: "num" }, fmtMs(e.totalGCTime)))))));
}

async function route() {
  const m = location.hash.match(/^#\/app\/(.+)$/);
  try {
    if (m) await renderApp(decodeURIComponent(m[1]));
    else await renderList(new URLSearchParams(location.hash.replace(/^#\/?\??/, "")).get("q"));
    document.body.setAttribute("data-ready", "1");
  } catch (e) {
    console.error(String(e.message || e));
    showError(e);
    document.body.setAttribute("data-ready", "error");
  }
  publishConsoleErrors();
}

window.addEventListener("hashchange", () => { document.body.removeAttribute("data-ready"); route(); });
route();

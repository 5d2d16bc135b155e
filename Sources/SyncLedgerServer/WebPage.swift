/// The auditors' page: one self-contained HTML document (no build step, no
/// asset from the internet) that signs in with a token and reads the API.
/// Everything it shows is fetched a page at a time, so it stays responsive
/// on a large ledger: the grid 100 rows per request, the audit trail 100 rows
/// per request, an explanation or a diff on demand.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SyncLedger — audit</title>
<style>
  :root { --line: #d0d7de; --muted: #57606a; --accent: #0969da; --bad: #cf222e; --good: #1a7f37; }
  * { box-sizing: border-box; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1f2328; }
  header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: #f6f8fa; }
  header h1 { font-size: 1.1rem; margin: 0; }
  #badge { padding: .15rem .5rem; border-radius: 1rem; background: #ddf4ff; font-family: ui-monospace, monospace; font-size: 12px; }
  #who { margin-left: auto; color: var(--muted); }
  main { padding: 1rem; }
  nav button { border: 1px solid var(--line); background: white; padding: .3rem .8rem; cursor: pointer; }
  nav button[aria-selected=true] { background: var(--accent); color: white; }
  section[hidden] { display: none; }
  table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
  th, td { border-bottom: 1px solid var(--line); padding: .25rem .4rem; text-align: left; vertical-align: top; }
  th { background: #f6f8fa; font-weight: 600; }
  td.cell { cursor: pointer; }
  td.cell:hover { background: #fff8c5; }
  .controls { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: .5rem 0; }
  .controls label { display: flex; gap: .3rem; align-items: center; }
  #slider { width: 28rem; }
  .muted { color: var(--muted); }
  .error { color: var(--bad); }
  .good { color: var(--good); }
  #explain, #diffout, #eventout { margin-top: 1rem; }
  pre { background: #f6f8fa; padding: .5rem; overflow: auto; max-height: 20rem; }
  #signin { max-width: 32rem; margin: 4rem auto; }
  #signin input { width: 100%; padding: .4rem; font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<div id="signin">
  <h1>SyncLedger</h1>
  <p>Sign in with a token (<code>syncledger token issue --for UPN --scope auditor</code>).</p>
  <form id="signin-form"><input id="token" type="password" autocomplete="off" placeholder="slt_…"><p><button id="signin-button" type="submit">Sign in</button></p></form>
  <p id="signin-error" class="error"></p>
</div>
<div id="app" hidden>
<header>
  <h1>SyncLedger</h1>
  <span id="badge" title="head of the log">head …</span>
  <button id="verify" title="walk the hash chain">Verify chain</button>
  <span id="verified" class="muted"></span>
  <span id="who"></span>
  <button id="signout">Sign out</button>
</header>
<main>
  <nav>
    <button data-tab="grid" aria-selected="true">Mailboxes</button>
    <button data-tab="alerts">Alerts</button>
    <button data-tab="audit">Audit trail</button>
  </nav>
  <div class="controls">
    <label>As of position <input id="slider" type="range" min="0" max="0" value="0"></label>
    <output id="position">#0</output>
    <label>or instant <input id="instant" type="text" placeholder="2025-03-03T09:30:00Z" size="24"></label>
    <button id="instant-go">Go</button>
    <button id="latest">Latest</button>
    <span id="resolved" class="muted"></span>
  </div>
  <section id="tab-grid">
    <div class="controls">
      <label>Environment <input id="env" size="14"></label>
      <button id="prev">◀ Previous</button><button id="next">Next ▶</button>
      <span id="pageinfo" class="muted"></span>
      <button id="mark">Mark this point for a diff</button>
      <button id="diff" disabled>Diff marked → here</button>
      <button id="grid-csv">Download CSV</button>
      <button id="grid-jsonl">Download JSONL</button>
    </div>
    <table id="grid"><thead></thead><tbody></tbody></table>
    <div id="explain"></div>
    <div id="diffout"></div>
  </section>
  <section id="tab-alerts" hidden>
    <table id="alerts"><thead></thead><tbody></tbody></table>
  </section>
  <section id="tab-audit" hidden>
    <form id="audit-form" class="controls">
      <label>Actor <input name="actor" size="18"></label>
      <label>Mailbox <input name="mailbox" size="18"></label>
      <label>Event type <input name="eventType" size="20"></label>
      <label>Since <input name="since" size="22" placeholder="RFC 3339"></label>
      <label>Until <input name="until" size="22" placeholder="RFC 3339"></label>
      <label><input type="checkbox" name="deniedOnly"> Denied only</label>
      <button type="submit" id="audit-apply">Apply</button>
      <button type="button" id="audit-older">Older ▶</button>
      <button type="button" id="audit-csv">Download CSV</button>
    </form>
    <table id="audit"><thead></thead><tbody></tbody></table>
  </section>
  <div id="eventout"></div>
  <p id="error" class="error"></p>
</main>
</div>
<script>
"use strict";
const $ = (s) => document.querySelector(s);
const state = { token: sessionStorage.getItem("syncledger.token"), head: 0, position: null, cutoff: null,
                after: null, pages: [], nextAfter: null, shown: 0, rows: [], marked: null, auditBefore: null, auditRows: [], tab: "grid" };
const GRID = ["mailbox", "environment", "owner", "emailAddress", "serverProfile", "incomingStatus", "outgoingStatus", "actStatus", "emailStatus", "approvedBy"];
const AUDIT = ["position", "recordedAt", "actor", "action", "eventType", "object", "outcome", "refusalCode"];
const ALERTS = ["wall", "level", "code", "text", "count", "lastAt"];

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
  const body = await response.json().catch(() => null);
  if (!response.ok) { throw new Error((body && (body.code + ": " + body.detail)) || response.statusText); }
  return body;
}
function show(error) { $("#error").textContent = error ? String(error.message || error) : ""; }
function snake(name) { return name.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()); }
function cutoffParam() { return state.cutoff ? "asOf=" + encodeURIComponent(state.cutoff) : ""; }
function fill(table, columns, rows, cellClass) {
  table.querySelector("thead").innerHTML = "";
  const head = document.createElement("tr");
  for (const c of columns) { const th = document.createElement("th"); th.textContent = c; head.appendChild(th); }
  table.querySelector("thead").appendChild(head);
  const body = table.querySelector("tbody");
  body.innerHTML = "";
  for (const row of rows) {
    const tr = document.createElement("tr");
    for (const c of columns) {
      const td = document.createElement("td");
      const value = row[c];
      td.textContent = value === undefined || value === null ? "—" : String(value);
      td.dataset.field = c;
      if (cellClass) td.className = cellClass;
      tr.appendChild(td);
    }
    tr.dataset.mailbox = row.mailbox || "";
    body.appendChild(tr);
  }
}

async function refreshHead() {
  const head = await api("/api/head");
  state.head = head.position;
  $("#badge").textContent = "head #" + head.position + " " + head.hash.slice(0, 12) + (head.simulation ? " (simulation)" : "");
  $("#slider").max = String(head.position);
  if (state.position === null) { $("#slider").value = String(head.position); $("#position").textContent = "#" + head.position; }
}

async function loadGrid() {
  const env = $("#env").value.trim();
  const query = [cutoffParam(), state.after ? "after=" + encodeURIComponent(state.after) : "", "limit=100",
                 env ? "environment=" + encodeURIComponent(env) : ""].filter(Boolean).join("&");
  const page = await api("/api/grid?" + query);
  state.rows = page.rows;
  state.nextAfter = page.nextAfter === undefined ? null : page.nextAfter;
  state.position = state.cutoff ? page.position : null;
  $("#resolved").textContent = "showing the ledger as of #" + page.position;
  $("#slider").value = String(page.position);
  $("#position").textContent = "#" + page.position;
  state.shownPosition = page.position;
  const first = state.pages.length * 100;
  $("#pageinfo").textContent = "rows " + (page.rows.length ? (first + 1) + "–" + (first + page.rows.length) : "none");
  $("#prev").disabled = state.pages.length === 0;
  $("#next").disabled = state.nextAfter === null;
  fill($("#grid"), GRID, page.rows, "cell");
}

async function loadAlerts() {
  const alerts = await api("/api/alerts?" + cutoffParam());
  fill($("#alerts"), ALERTS, alerts);
}

function auditQuery() {
  const form = new FormData($("#audit-form"));
  const parts = [cutoffParam(), "limit=100"];
  for (const key of ["actor", "mailbox", "eventType", "since", "until"]) {
    const value = (form.get(key) || "").trim();
    if (value) parts.push(key + "=" + encodeURIComponent(value));
  }
  if (form.get("deniedOnly")) parts.push("deniedOnly=true");
  return parts.filter(Boolean).join("&");
}
async function loadAudit(older) {
  let query = auditQuery();
  if (older && state.auditBefore) query += "&before=" + state.auditBefore;
  const page = await api("/api/audit?" + query);
  state.auditRows = page.rows;
  state.auditBefore = page.nextBefore === undefined ? null : page.nextBefore;
  $("#audit-older").disabled = state.auditBefore === null;
  fill($("#audit"), AUDIT, page.rows.map((r) => Object.assign({}, r, { refusalCode: r.refusalCode || "" })), "auditrow");
}

async function reload() {
  show(null);
  try {
    if (state.tab === "grid") await loadGrid();
    if (state.tab === "alerts") await loadAlerts();
    if (state.tab === "audit") await loadAudit(false);
  } catch (error) { show(error); }
}

async function explain(mailbox, field) {
  const out = $("#explain");
  out.innerHTML = "";
  try {
    const at = state.shownPosition !== undefined ? "&asOf=%23" + state.shownPosition : "";
    const result = await api("/api/explain?mailbox=" + encodeURIComponent(mailbox) + "&field=" + snake(field) + at);
    const title = document.createElement("h3");
    title.textContent = "Why " + field + " of " + mailbox + " is " + (result.value === undefined ? "empty" : "“" + result.value + "”");
    out.appendChild(title);
    const list = document.createElement("ol");
    for (const step of result.steps) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#event-" + step.position;
      link.className = "event-link";
      link.dataset.position = step.position;
      link.textContent = "#" + step.position;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" " + step.eventType + " by " + step.actor + " (" + step.command + ") at " + step.recordedAt +
        ": " + (step.before === undefined ? "—" : step.before) + " → " + (step.after === undefined ? "—" : step.after)));
      list.appendChild(item);
    }
    out.appendChild(list);
  } catch (error) { out.textContent = String(error.message || error); }
}

async function showEvent(position) {
  const events = await api("/api/events?from=" + position + "&limit=1");
  const out = $("#eventout");
  out.innerHTML = "<h3>Event #" + Number(position) + "</h3>";
  const pre = document.createElement("pre");
  pre.id = "event-json";
  pre.textContent = JSON.stringify(events[0], null, 2);
  out.appendChild(pre);
}

async function diff() {
  const out = $("#diffout");
  const a = Math.min(state.marked, state.shownPosition), b = Math.max(state.marked, state.shownPosition);
  try {
    const rows = await api("/api/diff?from=%23" + a + "&to=%23" + b);
    out.innerHTML = "<h3>Changes from #" + a + " to #" + b + "</h3>";
    const table = document.createElement("table");
    table.id = "diff-table";
    table.innerHTML = "<thead></thead><tbody></tbody>";
    const flat = [];
    for (const row of rows) for (const change of row.changes) flat.push({ table: row.table, key: row.key, kind: row.kind, field: change.field, before: change.before, after: change.after });
    fill(table, ["table", "key", "kind", "field", "before", "after"], flat);
    out.appendChild(table);
  } catch (error) { out.textContent = String(error.message || error); }
}

function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url; link.download = name; document.body.appendChild(link); link.click(); link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
function csv(columns, rows) {
  const quote = (v) => { const s = v === undefined || v === null ? "" : String(v); return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; };
  return [columns.join(",")].concat(rows.map((r) => columns.map((c) => quote(r[c])).join(","))).join("\r\n") + "\r\n";
}

function selectTab(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll("nav button")) button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  for (const name of ["grid", "alerts", "audit"]) $("#tab-" + name).hidden = name !== tab;
  reload();
}

async function start() {
  try {
    const me = await api("/api/whoami");
    $("#who").textContent = me.user + " (" + me.scope + ")";
    $("#signin").hidden = true; $("#app").hidden = false;
    await refreshHead();
    await reload();
  } catch (error) {
    sessionStorage.removeItem("syncledger.token");
    $("#signin").hidden = false; $("#app").hidden = true;
    $("#signin-error").textContent = String(error.message || error);
  }
}

$("#signin-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = $("#token").value.trim();
  sessionStorage.setItem("syncledger.token", state.token);
  start();
});
$("#verify").addEventListener("click", async () => {
  $("#verified").textContent = "verifying…";
  try {
    const r = await api("/api/verify");
    $("#verified").textContent = r.intact ? "✓ chain intact: " + r.events + " events, head #" + r.headPosition : "✗ broken at #" + r.brokenAt + ": " + r.reason;
    $("#verified").className = r.intact ? "good" : "error";
  } catch (error) { $("#verified").textContent = String(error.message || error); }
});
$("#signout").addEventListener("click", () => { sessionStorage.removeItem("syncledger.token"); location.reload(); });
for (const button of document.querySelectorAll("nav button")) button.addEventListener("click", () => selectTab(button.dataset.tab));
let timer = null;
$("#slider").addEventListener("input", () => {
  $("#position").textContent = "#" + $("#slider").value;
  clearTimeout(timer);
  timer = setTimeout(() => { state.cutoff = "#" + $("#slider").value; state.after = null; state.pages = []; reload(); }, 150);
});
$("#instant-go").addEventListener("click", () => { const v = $("#instant").value.trim(); if (v) { state.cutoff = v; state.after = null; state.pages = []; reload(); } });
$("#latest").addEventListener("click", async () => { state.cutoff = null; state.position = null; state.after = null; state.pages = []; await refreshHead(); reload(); });
$("#prev").addEventListener("click", () => { if (state.pages.length) { state.after = state.pages.pop(); reload(); } });
$("#next").addEventListener("click", () => { if (state.nextAfter !== null) { state.pages.push(state.after); state.after = state.nextAfter; reload(); } });
$("#env").addEventListener("change", () => { state.after = null; state.pages = []; reload(); });
$("#grid").addEventListener("click", (event) => {
  const td = event.target.closest("td.cell");
  if (!td || td.dataset.field === "mailbox") return;
  explain(td.parentElement.dataset.mailbox, td.dataset.field);
});
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.event-link");
  if (link) { event.preventDefault(); showEvent(link.dataset.position).catch(show); }
});
$("#mark").addEventListener("click", () => { state.marked = state.shownPosition; $("#diff").disabled = false; $("#diff").textContent = "Diff #" + state.marked + " → here"; });
$("#diff").addEventListener("click", diff);
$("#grid-csv").addEventListener("click", () => download("grid-" + state.shownPosition + ".csv", "text/csv", csv(GRID, state.rows)));
$("#grid-jsonl").addEventListener("click", () => download("grid-" + state.shownPosition + ".jsonl", "application/x-ndjson", state.rows.map((r) => JSON.stringify(r)).join("\n") + "\n"));
$("#audit-form").addEventListener("submit", (event) => { event.preventDefault(); loadAudit(false).catch(show); });
$("#audit-older").addEventListener("click", () => loadAudit(true).catch(show));
$("#audit-csv").addEventListener("click", () => download("audit.csv", "text/csv", csv(AUDIT, state.auditRows)));
if (state.token) start();
</script>
</body>
</html>
"""#
}

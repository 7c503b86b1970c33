"""The administrator-task matrix of an inventory as one self-contained HTML page.

``matrix_html(matrix)`` takes what ``qiam.queries.task_matrix`` returns (the
JSON of ``qiam tasks --inventory --json``) and writes a page with no network
and no external assets: the data sits in the page as JSON (``<`` escaped, so
no string can end the script element), and the script builds the table with
DOM calls and ``textContent`` only, so no name in the data becomes markup.
The page shows a count per task, the matrix (sortable by any column,
filterable by account, task and a text), and, for the cell clicked, the
missing permissions, what blocks each and the statement that grants them.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping

import orjson

__all__ = ["matrix_html", "write_matrix_html"]

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1d2330; }
h1 { font-size: 1.3em; margin: 0 0 .3em; }
.meta { color: #5a6272; margin-bottom: 1em; }
#summary { display: flex; flex-wrap: wrap; gap: .6em; margin-bottom: 1em; }
.count { border: 1px solid #d5d9e2; border-radius: 6px; padding: .4em .7em; min-width: 11em; }
.count b { display: block; }
.controls { display: flex; gap: 1em; align-items: center; margin-bottom: .8em; flex-wrap: wrap; }
.layout { display: flex; gap: 1.2em; align-items: flex-start; }
.scroll { max-height: 75vh; overflow: auto; border: 1px solid #d5d9e2; }
table { border-collapse: collapse; }
th, td { padding: .25em .5em; border-bottom: 1px solid #eceef3; text-align: left; white-space: nowrap; }
th { position: sticky; top: 0; background: #f4f5f8; cursor: pointer; user-select: none; }
th[data-dir="asc"]::after { content: " \\25B2"; } th[data-dir="desc"]::after { content: " \\25BC"; }
td.cell { text-align: center; cursor: pointer; font-weight: 600; min-width: 3.5em; }
td.cell[data-status="allowed"] { background: #dff3e4; color: #1e6b34; }
td.cell[data-status="denied"] { background: #fbe3e1; color: #9b2c22; }
td.cell[data-status="broken"] { background: #ececec; color: #555; }
td.cell.chosen { outline: 2px solid #2b5fd9; outline-offset: -2px; }
#detail { border: 1px solid #d5d9e2; border-radius: 6px; padding: .8em 1em; width: 34em; max-height: 75vh;
          overflow: auto; }
#detail h2 { font-size: 1.05em; margin: 0 0 .4em; }
#detail pre { background: #f6f7f9; padding: .6em; overflow: auto; font-size: 12px; }
.hint { color: #5a6272; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("matrix-data").textContent);
  const tasks = data.tasks, principals = data.principals, cells = data.cells;
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  };
  const mark = (cell) => cell.status === "denied" ?
    (cell.missing_actions.length ? "-" + cell.missing_actions.length : "blocked") : cell.status;
  const blockerText = (b) => {
    if (typeof b === "string") return b;
    const where = b.line ? " (line " + b.line + ", column " + b.column + ")" : "";
    return [b.policy, b.name, "statement " + b.statement + (b.sid ? " " + b.sid : "")]
      .filter(Boolean).join(" ") + " [" + b.effect + "]" + where;
  };

  // The summary: one count per task.
  const summary = document.getElementById("summary");
  for (const task of tasks) {
    const counts = data.summary[task.name];
    const box = el("div", null, {"class": "count", "data-task": task.name});
    box.appendChild(el("b", task.title));
    box.appendChild(el("span", counts.allowed + " allowed, " + counts.denied + " denied, " +
                                counts.broken + " broken", {"class": "numbers"}));
    summary.appendChild(box);
  }

  // The filters.
  const accountFilter = document.getElementById("account-filter");
  for (const account of [...new Set(principals.map((p) => p.account))].sort())
    accountFilter.appendChild(el("option", account, {"value": account}));
  const taskFilter = document.getElementById("task-filter");
  for (const task of tasks) taskFilter.appendChild(el("option", task.title, {"value": task.name}));
  const textFilter = document.getElementById("text-filter");

  // The table: built once; sorting moves rows, filtering hides them.
  const head = document.getElementById("matrix-head"), body = document.getElementById("matrix-body");
  const columns = [["name", "principal"], ["kind", "kind"], ["account", "account"]];
  const headRow = el("tr");
  columns.forEach(([key, label]) => headRow.appendChild(el("th", label, {"data-sort": key})));
  tasks.forEach((task, i) => headRow.appendChild(el("th", task.title, {"data-sort": "task:" + i,
                                                                         "data-task": task.name})));
  head.appendChild(headRow);
  const rows = principals.map((p, i) => {
    const row = el("tr", null, {"data-index": String(i), "data-account": p.account});
    row.appendChild(el("td", p.name, {"title": p.arn, "class": "name"}));
    row.appendChild(el("td", p.kind));
    row.appendChild(el("td", p.account));
    cells[i].forEach((cell) => row.appendChild(el("td", mark(cell), {"class": "cell", "data-principal": String(i),
      "data-task": cell.task, "data-status": cell.status})));
    body.appendChild(row);
    return row;
  });
  const order = {allowed: 0, denied: 1, broken: 2};
  head.addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th) return;
    const key = th.getAttribute("data-sort");
    const dir = th.getAttribute("data-dir") === "asc" ? "desc" : "asc";
    head.querySelectorAll("th").forEach((h) => h.removeAttribute("data-dir"));
    th.setAttribute("data-dir", dir);
    const value = (i) => key.startsWith("task:") ?
      [order[cells[i][Number(key.slice(5))].status], cells[i][Number(key.slice(5))].missing_actions.length]
      : [principals[i][key], 0];
    const sorted = rows.slice().sort((a, b) => {
      const x = value(Number(a.dataset.index)), y = value(Number(b.dataset.index));
      const c = x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1];
      return dir === "asc" ? c : -c;
    });
    sorted.forEach((row) => body.appendChild(row));
  });
  const applyFilters = () => {
    const account = accountFilter.value, task = taskFilter.value, text = textFilter.value.toLowerCase();
    rows.forEach((row, i) => {
      const p = principals[i];
      const shown = (!account || p.account === account) &&
        (!text || p.arn.toLowerCase().includes(text) || p.name.toLowerCase().includes(text));
      row.hidden = !shown;
    });
    head.querySelectorAll("th[data-task]").forEach((th) => { th.hidden = !!task && th.dataset.task !== task; });
    body.querySelectorAll("td.cell").forEach((td) => { td.hidden = !!task && td.dataset.task !== task; });
    document.getElementById("shown").textContent = rows.filter((r) => !r.hidden).length + " of " +
      rows.length + " principals shown";
  };
  [accountFilter, taskFilter].forEach((s) => s.addEventListener("change", applyFilters));
  textFilter.addEventListener("input", applyFilters);
  applyFilters();

  // The detail of the cell clicked.
  const detail = document.getElementById("detail");
  body.addEventListener("click", (event) => {
    const td = event.target.closest("td.cell");
    if (!td) return;
    body.querySelectorAll("td.chosen").forEach((c) => c.classList.remove("chosen"));
    td.classList.add("chosen");
    const principal = principals[Number(td.dataset.principal)];
    const taskIndex = tasks.findIndex((t) => t.name === td.dataset.task);
    const cell = cells[Number(td.dataset.principal)][taskIndex];
    document.getElementById("detail-title").textContent = tasks[taskIndex].title;
    document.getElementById("detail-principal").textContent = principal.arn;
    document.getElementById("detail-status").textContent = cell.status;
    const missing = document.getElementById("detail-missing");
    missing.replaceChildren(...cell.missing_actions.map((a) => el("li", a)));
    if (!cell.missing_actions.length) missing.appendChild(el("li", "nothing", {"class": "hint"}));
    const blockers = document.getElementById("detail-blockers");
    const items = cell.blocked.map((b) => el("li", b.action + " on " + b.resource + " (" + b.decision + "): " +
                                               b.blocked_by.map(blockerText).join("; ")));
    blockers.replaceChildren(...items);
    if (!items.length) blockers.appendChild(el("li", cell.status === "denied" ?
      "nothing an Allow cannot fix" : "nothing", {"class": "hint"}));
    document.getElementById("detail-suggestion").textContent = cell.suggestion ?
      JSON.stringify(cell.suggestion, null, 2) : "(none needed)";
    const problems = document.getElementById("detail-diagnostics");
    problems.replaceChildren(...(cell.diagnostics || []).map((d) => el("li", d)));
    detail.hidden = false;
  });
})();
"""

_BODY = """
<h1>Administrator tasks by principal</h1>
<div class="meta">{principals} principals in {accounts} accounts, {tasks} tasks; generated {generated}.
Click a cell for what is missing, what blocks it and the statement that grants it.</div>
<div id="summary"></div>
<div class="controls">
  <label>account <select id="account-filter"><option value="">all</option></select></label>
  <label>task <select id="task-filter"><option value="">all</option></select></label>
  <label>principal <input id="text-filter" type="search" placeholder="name or ARN"></label>
  <span id="shown" class="hint"></span>
</div>
<div class="layout">
  <div class="scroll"><table id="matrix"><thead id="matrix-head"></thead><tbody id="matrix-body"></tbody></table></div>
  <div id="detail" hidden>
    <h2 id="detail-title"></h2>
    <div><span class="hint">principal</span> <span id="detail-principal"></span></div>
    <div><span class="hint">status</span> <span id="detail-status"></span></div>
    <h3>Missing permissions</h3><ul id="detail-missing"></ul>
    <h3>What blocks them</h3><ul id="detail-blockers"></ul>
    <h3>The statement that grants them</h3><pre id="detail-suggestion"></pre>
    <ul id="detail-diagnostics"></ul>
  </div>
</div>
"""


def matrix_html(matrix: Mapping[str, object]) -> str:
    """The page for a task matrix (``qiam-task-matrix/1``)."""
    data = orjson.dumps(dict(matrix)).decode().replace("<", "\\u003c")  # (no `</script>` can end the data)
    principals = matrix.get("principals")
    tasks = matrix.get("tasks")
    body = _BODY.format(principals=len(principals) if isinstance(principals, list) else 0,
                        accounts=html.escape(str(matrix.get("account_count", ""))),
                        tasks=len(tasks) if isinstance(tasks, list) else 0,
                        generated=html.escape(str(matrix.get("generated", ""))))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width\">"
            "<title>qiam: administrator tasks</title>"
            f"<style>{_STYLE}</style></head><body>{body}"
            f"<script type=\"application/json\" id=\"matrix-data\">{data}</script>"
            f"<script>{_SCRIPT}</script></body></html>\n")


def write_matrix_html(matrix: Mapping[str, object], path: str | os.PathLike[str]) -> None:
    """Write the page for a task matrix to ``path``."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(matrix_html(matrix))

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
tr.spacer td { padding: 0; border: 0; }
th, td { padding: .25em .5em; border-bottom: 1px solid #eceef3; text-align: left; white-space: nowrap; }
th { position: sticky; top: 0; background: #f4f5f8; cursor: pointer; user-select: none; }
th.task { white-space: normal; min-width: 6em; max-width: 10em; vertical-align: bottom; }
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
#detail h3 { font-size: .95em; margin: .9em 0 .3em; }
#detail ul { margin: 0; padding-left: 1.3em; }
.legend { margin-bottom: .8em; }
.key { padding: .1em .5em; border-radius: 4px; margin-right: .4em; font-weight: 600; }
.key.allowed { background: #dff3e4; color: #1e6b34; } .key.denied { background: #fbe3e1; color: #9b2c22; }
.key.broken { background: #ececec; color: #555; }
.hint { color: #5a6272; }
"""

_SCRIPT = r"""
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("matrix-data").textContent);
  const tasks = data.tasks || [], principals = data.principals || [], cells = data.cells || [];
  const el = (tag, text, attrs) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  };
  const list = (value) => Array.isArray(value) ? value : [];
  const cellOf = (i, t) => (cells[i] || [])[t] || {task: tasks[t].name, status: "broken"};
  const mark = (cell) => cell.status === "allowed" ? "\u2713" : cell.status === "denied" ?
    "\u2717" + (list(cell.missing_actions).length ? " " + list(cell.missing_actions).length : "") : "\u26a0";
  const blockerText = (b) => {
    if (typeof b === "string") return b;
    if (!b || typeof b !== "object") return String(b);
    const notes = [];
    if (b.sid && b.sid !== b.name) notes.push("Sid " + b.sid);
    if (b.effect && b.effect !== "Deny") notes.push(b.effect);
    if (b.line !== null && b.line !== undefined) notes.push("line " + b.line + ", column " + b.column);
    const text = [b.policy, b.name, b.statement !== null && b.statement !== undefined ? "statement " + b.statement : ""]
      .filter((part) => part !== null && part !== undefined && part !== "").join(" ");
    return notes.length ? text + " (" + notes.join("; ") + ")" : text;
  };

  // The summary: one count per task.
  const summary = document.getElementById("summary");
  for (const task of tasks) {
    const counts = (data.summary || {})[task.name] || {};
    const box = el("div", null, {"class": "count", "data-task": task.name});
    box.appendChild(el("b", task.title));
    box.appendChild(el("span", (counts.allowed || 0) + " allowed, " + (counts.denied || 0) + " denied, " +
                                (counts.broken || 0) + " broken", {"class": "numbers"}));
    summary.appendChild(box);
  }

  // The filters.
  const accountFilter = document.getElementById("account-filter");
  for (const account of [...new Set(principals.map((p) => p.account))].sort())
    accountFilter.appendChild(el("option", account, {"value": account}));
  const taskFilter = document.getElementById("task-filter");
  for (const task of tasks) taskFilter.appendChild(el("option", task.title, {"value": task.name}));
  const textFilter = document.getElementById("text-filter");

  // The head, with the principal columns as wide as their widest entry in the whole matrix, so that
  // columns do not move as rows scroll in and out.
  const head = document.getElementById("matrix-head"), body = document.getElementById("matrix-body");
  const scroller = document.getElementById("matrix-scroll");
  const columns = [["name", "principal"], ["kind", "kind"], ["account", "account"]];
  const headRow = el("tr");
  const pen = document.createElement("canvas").getContext("2d");
  pen.font = getComputedStyle(document.body).font;
  columns.forEach(([key, label]) => {
    const th = el("th", label, {"data-sort": key});
    let widest = 0;
    for (const p of principals) widest = Math.max(widest, pen.measureText(String(p[key] ?? "")).width);
    th.style.minWidth = th.style.width = Math.ceil(widest + 2) + "px";
    headRow.appendChild(th);
  });
  tasks.forEach((task, i) => headRow.appendChild(el("th", task.title, {"data-sort": "task:" + i,
                                                                         "data-task": task.name, "class": "task"})));
  head.appendChild(headRow);

  // The body holds only the rows in view (and a margin): at thousands of principals, laying out every row
  // is what makes a page slow. `shown` is the principals sorted and filtered; two spacer rows stand for
  // the rest, so the scroll bar is true.
  let sorted = principals.map((_, i) => i), shown = sorted, chosen = null, drawn = null, rowHeight = 0;
  const spacer = () => { const row = el("tr", null, {"class": "spacer"}), td = el("td");
                         td.colSpan = columns.length + tasks.length; row.appendChild(td); return row; };
  const above = spacer(), below = spacer();
  const rowOf = (i) => {
    const p = principals[i];
    const row = el("tr", null, {"data-index": String(i), "data-account": p.account});
    row.appendChild(el("td", p.name, {"title": p.arn, "class": "name"}));
    row.appendChild(el("td", p.kind));
    row.appendChild(el("td", p.account));
    tasks.forEach((task, t) => {
      const cell = cellOf(i, t);
      const td = el("td", mark(cell), {"class": "cell", "data-principal": String(i), "data-task": task.name,
                                       "data-status": cell.status});
      if (taskFilter.value && task.name !== taskFilter.value) td.hidden = true;
      if (chosen && chosen[0] === i && chosen[1] === task.name) td.classList.add("chosen");
      row.appendChild(td);
    });
    return row;
  };
  const MARGIN = 30;
  const draw = (force) => {
    const height = rowHeight || 24;
    const count = Math.ceil(scroller.clientHeight / height) + 2 * MARGIN;
    // (clamped: right after the rows shrink, scrollTop can still point past their end)
    const first = Math.max(0, Math.min(Math.floor(scroller.scrollTop / height) - MARGIN, shown.length - count));
    const last = Math.min(shown.length, first + count);
    if (!force && drawn && drawn[0] === first && drawn[1] === last) return;
    drawn = [first, last];
    const rows = document.createDocumentFragment();
    rows.appendChild(above);
    for (let k = first; k < last; k++) rows.appendChild(rowOf(shown[k]));
    rows.appendChild(below);
    above.firstChild.style.height = first * height + "px";
    below.firstChild.style.height = (shown.length - last) * height + "px";
    above.hidden = first === 0;
    below.hidden = last === shown.length;
    body.replaceChildren(rows);
    if (!rowHeight && last > first) {
      rowHeight = body.children[1].getBoundingClientRect().height || 24;
      draw(true);
    }
  };
  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(false); });
  }, {passive: true});
  window.addEventListener("resize", () => draw(false));

  // Filtering: by account and text over the rows, and the task chosen over the columns.
  const applyFilters = () => {
    const account = accountFilter.value, task = taskFilter.value, text = textFilter.value.toLowerCase();
    shown = sorted.filter((i) => {
      const p = principals[i];
      return (!account || p.account === account) &&
        (!text || String(p.arn).toLowerCase().includes(text) || String(p.name).toLowerCase().includes(text));
    });
    head.querySelectorAll("th[data-task]").forEach((th) => { th.hidden = !!task && th.dataset.task !== task; });
    document.getElementById("shown").textContent = shown.length + " of " + principals.length + " principals shown";
    scroller.scrollTop = 0;  // a new list is read from its start
    draw(true);
  };
  [accountFilter, taskFilter].forEach((s) => s.addEventListener("change", applyFilters));
  textFilter.addEventListener("input", applyFilters);

  // Sorting: names and accounts as people read them (case-blind, digits as numbers), a task by its status and
  // then by how much is missing; ties keep the inventory's order.
  const collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  const order = {allowed: 0, denied: 1, broken: 2};
  head.addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th) return;
    const key = th.getAttribute("data-sort");
    const dir = th.getAttribute("data-dir") === "asc" ? "desc" : "asc";
    head.querySelectorAll("th").forEach((h) => h.removeAttribute("data-dir"));
    th.setAttribute("data-dir", dir);
    let compare;
    if (key.startsWith("task:")) {
      const t = Number(key.slice(5));
      const ranks = principals.map((_, i) => {
        const c = cellOf(i, t);
        return [order[c.status] ?? 3, list(c.missing_actions).length];
      });
      compare = (a, b) => ranks[a][0] - ranks[b][0] || ranks[a][1] - ranks[b][1];
    } else {
      const keys = principals.map((p) => String(p[key] ?? ""));
      compare = (a, b) => collator.compare(keys[a], keys[b]);
    }
    const sign = dir === "asc" ? 1 : -1;
    sorted = principals.map((_, i) => i).sort((a, b) => sign * compare(a, b) || a - b);
    applyFilters();
  });
  applyFilters();

  // The detail of the cell clicked: one listener for the whole table.
  const detail = document.getElementById("detail");
  const fill = (id, items, empty) => {
    const node = document.getElementById(id);
    node.replaceChildren(...items.map((text) => el("li", text)));
    if (!items.length && empty) node.appendChild(el("li", empty, {"class": "hint"}));
    return node;
  };
  body.addEventListener("click", (event) => {
    const td = event.target.closest("td.cell");
    if (!td) return;
    body.querySelectorAll("td.chosen").forEach((c) => c.classList.remove("chosen"));
    td.classList.add("chosen");
    const index = Number(td.dataset.principal), principal = principals[index];
    chosen = [index, td.dataset.task];
    const taskIndex = tasks.findIndex((t) => t.name === td.dataset.task);
    const cell = cellOf(index, taskIndex);
    document.getElementById("detail-title").textContent = tasks[taskIndex].title;
    document.getElementById("detail-principal").textContent = principal.arn;
    document.getElementById("detail-where").textContent = principal.kind + " in account " + principal.account;
    document.getElementById("detail-status").textContent = cell.status;
    detail.setAttribute("data-status", cell.status);
    fill("detail-missing", list(cell.missing_actions), "nothing");
    const blocked = list(cell.blocked).map((b) => b.action + " on " + b.resource + " (" + b.decision + "): " +
      (list(b.blocked_by).length ? list(b.blocked_by).map(blockerText).join("; ") : "no statement allows it"));
    const others = list(cell.blockers).map(blockerText).filter((text) => !blocked.some((b) => b.includes(text)));
    fill("detail-blockers", blocked.concat(others),
         cell.status === "denied" ? "no Deny: an Allow is all it needs" : "nothing");
    document.getElementById("detail-suggestion").textContent = cell.suggestion ?
      JSON.stringify(cell.suggestion, null, 2) : "(none needed)";
    const problems = list(cell.diagnostics).concat(list(principal.diagnostics).filter(
      (d) => !list(cell.diagnostics).includes(d)));
    fill("detail-diagnostics", problems, null);
    document.getElementById("detail-problems").hidden = !problems.length;
    detail.hidden = false;
  });
})();
"""

_BODY = """
<h1>Administrator tasks by principal</h1>
<div class="meta">{principals} principals in {accounts} accounts, {tasks} tasks; generated {generated}.
Click a cell for what is missing, what blocks it and the statement that grants it.</div>
<div class="legend"><span class="key allowed">&#10003; allowed</span>
<span class="key denied">&#10007; N denied: N actions missing</span>
<span class="key broken">&#9888; broken: the inventory cannot answer</span></div>
<div id="summary"></div>
<div class="controls">
  <label>account <select id="account-filter"><option value="">all</option></select></label>
  <label>task <select id="task-filter"><option value="">all</option></select></label>
  <label>principal <input id="text-filter" type="search" placeholder="name or ARN"></label>
  <span id="shown" class="hint"></span>
</div>
<div class="layout">
  <div class="scroll" id="matrix-scroll">
    <table id="matrix"><thead id="matrix-head"></thead><tbody id="matrix-body"></tbody></table>
  </div>
  <div id="detail" hidden>
    <h2 id="detail-title"></h2>
    <div><span class="hint">principal</span> <span id="detail-principal"></span></div>
    <div class="hint" id="detail-where"></div>
    <div><span class="hint">status</span> <b id="detail-status"></b></div>
    <h3>Missing permissions</h3><ul id="detail-missing"></ul>
    <h3>What blocks them</h3><ul id="detail-blockers"></ul>
    <h3>The statement that grants them</h3><pre id="detail-suggestion"></pre>
    <div id="detail-problems" hidden><h3>Diagnostics</h3><ul id="detail-diagnostics"></ul></div>
  </div>
</div>
"""


def _plain(value: object) -> object:
    # Read-only mappings and sets (as frozen model objects hold) are written as JSON objects and arrays.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"not JSON: {type(value).__name__}")


def matrix_html(matrix: Mapping[str, object]) -> str:
    """The page for a task matrix (``qiam-task-matrix/1``)."""
    # "<" escaped: no string in the data can end the script element or open a comment.
    data = orjson.dumps(dict(matrix), default=_plain).decode().replace("<", "\\u003c")
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

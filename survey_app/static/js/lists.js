/*
 * Lists of interviews: search and sort in the browser (online pages and the offline app alike),
 * and tables that keep their column names on narrow screens.
 *
 * A list is any element with an id whose items carry data-list-item and the sort keys
 * data-household, data-village, data-name, data-status and data-changed (ISO time). Its tools are
 * <div class="list-tools" data-list="ID"> holding input.list-search and select.list-sort
 * (values: changed, household, village, name, status). Search matches any text of an item,
 * ignoring case and Vietnamese accents. Offline pages that draw their lists call
 * GESurveyLists.apply(list) after each drawing.
 * Every table.table gets each cell's column name as data-label, which the narrow layout shows
 * (app.css) instead of the header row.
 */
(function (root) {
  "use strict";

  const doc = root.document;

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();
  }

  const COMPARE = {
    changed: (a, b) => String(b.dataset.changed || "").localeCompare(String(a.dataset.changed || "")),
    household: (a, b) => (Number(a.dataset.household) || Infinity) -
      (Number(b.dataset.household) || Infinity),
    village: (a, b) => fold(a.dataset.village).localeCompare(fold(b.dataset.village), "vi"),
    name: (a, b) => fold(a.dataset.name).localeCompare(fold(b.dataset.name), "vi"),
    status: (a, b) => fold(a.dataset.status).localeCompare(fold(b.dataset.status), "vi"),
  };

  function toolsFor(list) {
    return doc.querySelector(".list-tools[data-list='" + list.id + "']");
  }

  function apply(list) {
    if (!list) return;
    const tools = toolsFor(list);
    if (!tools) return;
    const search = tools.querySelector(".list-search");
    const sort = tools.querySelector(".list-sort");
    const wanted = fold(search ? search.value : "");
    const items = Array.from(list.querySelectorAll("[data-list-item]"));
    const compare = COMPARE[sort ? sort.value : "changed"] || COMPARE.changed;
    items.sort((a, b) => compare(a, b) || COMPARE.changed(a, b));
    let shown = 0;
    for (const item of items) {
      item.parentNode.appendChild(item);
      const match = !wanted || fold(item.textContent).includes(wanted);
      item.hidden = !match;
      if (match) shown += 1;
    }
    const count = tools.querySelector(".list-count");
    if (count) {
      count.textContent = (count.dataset.template || "{n}").replace("{n}", String(shown));
    }
  }

  function wire(tools) {
    const list = doc.getElementById(tools.dataset.list);
    const again = () => apply(doc.getElementById(tools.dataset.list));
    for (const control of tools.querySelectorAll(".list-search, .list-sort")) {
      control.addEventListener("input", again);
      control.addEventListener("change", again);
    }
    if (list) apply(list);
  }

  function labelTables() {
    for (const table of doc.querySelectorAll("table.table")) {
      const names = Array.from(table.querySelectorAll("thead th")).map((th) =>
        th.textContent.trim());
      for (const row of table.querySelectorAll("tbody tr")) {
        Array.from(row.children).forEach((cell, i) => {
          if (names[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", names[i]);
        });
      }
    }
  }

  function start() {
    labelTables();
    doc.querySelectorAll(".list-tools[data-list]").forEach(wire);
  }

  root.GESurveyLists = { apply, fold, labelTables };
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
})(globalThis);

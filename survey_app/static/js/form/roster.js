/*
 * Rosters (repeat groups): rows drawn from the answers or sized by a count question, named after
 * their first text answer, added and removed (two taps, so a stray touch loses nothing).
 */
import { MAX_ROWS } from "./model.js";
import { AFTER, BEFORE } from "./navigation.js";
import { getIn, h, isNull, pathKey, setIn, text } from "./util.js";

/* FormApp methods for repeat groups. */
export class Roster {
  /* The name of a roster row: its first text answer ("" while none). */
  rowName(group, rowKey) {
    const first = (group.items || []).find((item) => item.type === "text");
    const state = first ? this.analysis.states.get(rowKey + "/" + first.id) : null;
    return state && state.relevant && !isNull(state.value) ? String(state.value) : "";
  }

  /* The name of the member a question at path is about, for "[TÊN]" in its text. */
  memberNameFor(path) {
    if (!Array.isArray(path) || path.length < 3 || typeof path[1] !== "number") return "";
    const entry = this.model.index.get(path[0]);
    const group = entry ? entry.item : null;
    if (!group || group.type !== "repeat" || group.unit !== "member") return "";
    return this.rowName(group, pathKey(path.slice(0, 2)));
  }

  /* The list of members of a roster shown one per screen: a button per member (and the
     screens before and after it) to jump straight there. */
  memberList(roster) {
    const nav = h("nav", { class: "gs-members", "aria-label": text(roster.group.label, this.lang) });
    const list = h("ol", { class: "gs-member-list" });
    nav.appendChild(list);
    this.memberNav = { roster, list, buttons: [] };
    const add = (row, label) => {
      const button = h("button", { type: "button", class: "gs-btn gs-member",
        "data-row": String(row), onclick: () => this.goTo(this.page, row) });
      button.textContent = label;
      list.appendChild(h("li", {}, [button]));
      this.memberNav.buttons.push({ row, button });
    };
    if (roster.before.length) add(BEFORE, this.t("rosterStart"));
    for (let r = 0; r < roster.rows; r += 1) add(r, String(r + 1));
    if (roster.after.length) add(AFTER, this.t("rosterEnd"));
    return nav;
  }

  /* Keep the member buttons' names and the current one up to date. */
  updateMemberList() {
    const nav = this.memberNav;
    if (!nav || !this.pageEl.contains(nav.list)) return;
    for (const { row, button } of nav.buttons) {
      if (row !== BEFORE && row !== AFTER) {
        const name = this.rowName(nav.roster.group, nav.roster.group.id + "/" + row);
        const wanted = String(row + 1) + (name ? " · " + name : "");
        if (button.textContent !== wanted) button.textContent = wanted;
        const bad = this.pageErrors(this.page).some((e) =>
          e.key.startsWith(nav.roster.group.id + "/" + row + "/")) && this.attempted.has(this.page);
        button.classList.toggle("gs-member-error", bad);
      }
      if (row === this.row) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    }
    if (this.memberTitle) {
      const name = this.rowName(nav.roster.group, nav.roster.group.id + "/" + this.row);
      const wanted = this.t("member", { n: this.row + 1, total: nav.roster.rows }) +
        (name ? " · " + name : "");
      if (this.memberTitle.textContent !== wanted) this.memberTitle.textContent = wanted;
    }
  }

  /* One member's questions on their own screen. */
  renderMember(roster, row, container) {
    this.memberTitle = h("h3", { class: "gs-member-title" });
    container.appendChild(this.memberTitle);
    const items = h("div", { class: "gs-row gs-member-row", "data-row": String(row),
      "data-group": roster.group.id });
    container.appendChild(items);
    this.renderItems(roster.group.items || [], [roster.group.id, row], items);
  }

  repeatView(group, path) {
    const key = pathKey(path);
    const rowsEl = h("div", { class: "gs-rows" });
    const note = h("p", { class: "gs-repeat-note" });
    const message = h("p", { class: "gs-message", hidden: true });
    const addButton = h("button", { type: "button", class: "gs-btn gs-add-row",
      text: this.t("addRow"), onclick: () => this.addRow(path) });
    const el = h("section", { class: "gs-repeat", "data-group": group.id, "data-path": key }, [
      h("h3", { class: "gs-repeat-label", text: text(group.label, this.lang) }),
      group.hint ? h("p", { class: "gs-hint", text: text(group.hint, this.lang) }) : null,
      note, rowsEl, addButton, message,
    ]);
    const view = { key, el, rendered: -1 };
    view.update = (state) => {
      const relevant = Boolean(state && state.relevant);
      el.hidden = !relevant;
      const rows = relevant ? state.rows : 0;
      const counted = Boolean(state && state.counted);
      addButton.hidden = counted || rows >= MAX_ROWS;
      note.textContent = counted ? this.t("countRows", { n: rows }) :
        rows === 0 ? this.t("noRows") : "";
      note.hidden = !note.textContent;
      const error = this.serverErrors.get(key);
      message.textContent = error || "";
      message.hidden = !error;
      el.classList.toggle("gs-has-error", Boolean(error));
      if (rows !== view.rendered || counted !== view.counted) {
        view.rendered = rows;
        view.counted = counted;
        this.renderRows(group, path, rowsEl, rows, counted);
      }
      this.titleRows(group, key, rowsEl);
    };
    return view;
  }

  renderRows(group, path, rowsEl, count, counted) {
    const prefix = pathKey(path) + "/";
    for (const key of Array.from(this.views.keys())) {
      if (key.startsWith(prefix)) this.views.delete(key);
    }
    rowsEl.innerHTML = "";
    for (let i = 0; i < count; i += 1) {
      const rowPath = path.concat(i);
      const items = h("div", { class: "gs-row-items" });
      const title = h("h4", { class: "gs-row-title", text: this.t("row", { n: i + 1 }) });
      const header = h("div", { class: "gs-row-header" }, [title]);
      if (!counted) header.appendChild(this.removeButton(rowPath));
      rowsEl.appendChild(h("div", { class: "gs-row", "data-row": String(i) }, [header, items]));
      this.renderItems(group.items || [], rowPath, items);
      for (const [key, view] of this.views) {
        if (key.startsWith(pathKey(rowPath) + "/")) view.update(this.analysis.states.get(key));
      }
    }
  }

  /* Name each row after its first text answer ("Dòng 2 · Hoa") so long rosters stay legible. */
  titleRows(group, key, rowsEl) {
    const first = (group.items || []).find((item) => item.type === "text");
    rowsEl.querySelectorAll(":scope > .gs-row").forEach((rowEl) => {
      const i = Number(rowEl.dataset.row);
      const state = first ? this.analysis.states.get(key + "/" + i + "/" + first.id) : null;
      const name = state && state.relevant && !isNull(state.value) ? String(state.value) : "";
      const title = rowEl.querySelector(".gs-row-title");
      const wanted = this.t("row", { n: i + 1 }) + (name ? " · " + name : "");
      if (title.textContent !== wanted) title.textContent = wanted;
    });
  }

  /* Two taps to remove a row, so a stray touch loses nothing. */
  removeButton(rowPath) {
    const button = h("button", { type: "button", class: "gs-btn gs-remove-row",
      text: this.t("removeRow") });
    const cancel = h("button", { type: "button", class: "gs-btn gs-keep-row", hidden: true,
      text: this.t("cancel") });
    let armed = false;
    button.addEventListener("click", () => {
      if (!armed) {
        armed = true;
        button.textContent = this.t("confirmRemove");
        button.classList.add("gs-danger");
        cancel.hidden = false;
        return;
      }
      this.removeRow(rowPath);
    });
    cancel.addEventListener("click", () => {
      armed = false;
      button.textContent = this.t("removeRow");
      button.classList.remove("gs-danger");
      cancel.hidden = true;
    });
    return h("span", { class: "gs-row-actions" }, [cancel, button]);
  }

  addRow(path) {
    const rows = getIn(this.raw, path);
    const list = Array.isArray(rows) ? rows : [];
    const state = this.analysis.states.get(pathKey(path));
    list.length = Math.min(list.length, state ? state.rows : list.length);
    list.push({});
    setIn(this.raw, path, list);
    this.serverErrors.delete(pathKey(path));
    this.changed();
  }

  removeRow(rowPath) {
    const groupPath = rowPath.slice(0, -1);
    const rows = getIn(this.raw, groupPath);
    if (Array.isArray(rows)) rows.splice(rowPath[rowPath.length - 1], 1);
    const prefix = pathKey(groupPath) + "/";
    this.serverErrors.delete(pathKey(groupPath));
    for (const key of Array.from(this.serverErrors.keys())) {
      if (key.startsWith(prefix)) this.serverErrors.delete(key);
    }
    for (const key of Array.from(this.formatErrors.keys())) {
      if (key.startsWith(prefix)) this.formatErrors.delete(key);
    }
    const view = this.views.get(pathKey(groupPath));
    if (view) view.rendered = -1; /* rows shifted: redraw them all */
    this.changed();
  }
}

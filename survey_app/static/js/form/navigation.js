/* Navigation: which sections apply, the screens they make, moving between them, and showing
   where the errors are.

   A section is one screen, except a section holding a roster of members whose rows are counted
   by an earlier answer (unit "member" with "count"): it is shown one member per screen, with
   the questions before the roster on a screen of their own (row BEFORE) and those after it on
   another (row AFTER). A screen is {page, row}: page the section's index, row null for a whole
   section, else BEFORE, a member's row index or AFTER. */

export const BEFORE = -1;
export const AFTER = 1000000;

/* FormApp methods for moving between screens. */
export class Navigation {
  relevantPage(start, step) {
    const n = this.model.sections.length;
    let i = Math.max(0, Math.min(n - 1, start));
    while (i >= 0 && i < n && !this.pageApplies(i)) i += step;
    if (i < 0 || i >= n) {
      i = Math.max(0, Math.min(n - 1, start));
      while (i >= 0 && i < n && !this.pageApplies(i)) i -= step;
    }
    return Math.max(0, Math.min(n - 1, i));
  }

  relevantPages() {
    return this.model.sections.map((s, i) => i).filter((i) => this.pageApplies(i));
  }

  /* The roster of a section shown one member per screen, with its position among the items. */
  memberRoster(page) {
    const section = this.model.sections[page];
    const items = (section && section.items) || [];
    const index = items.findIndex((item) => item.type === "repeat" && item.unit === "member" &&
      item.count !== undefined && item.count !== null);
    if (index < 0) return null;
    const state = this.analysis.states.get(items[index].id);
    if (!state || !state.relevant) return null;
    return { group: items[index], index, rows: state.rows || 0,
      before: items.slice(0, index), after: items.slice(index + 1) };
  }

  /* Every screen of the interview, in order. */
  screens() {
    const out = [];
    for (const page of this.relevantPages()) {
      const roster = this.memberRoster(page);
      if (!roster) {
        out.push({ page, row: null });
        continue;
      }
      const mine = [];
      if (roster.before.length) mine.push({ page, row: BEFORE });
      for (let r = 0; r < roster.rows; r += 1) mine.push({ page, row: r });
      if (roster.after.length) mine.push({ page, row: AFTER });
      if (!mine.length) mine.push({ page, row: BEFORE });
      out.push(...mine);
    }
    return out;
  }

  /* The index of the current screen (the nearest one of its section if it no longer exists). */
  screenIndex(screens) {
    const list = screens || this.screens();
    let i = list.findIndex((s) => s.page === this.page && s.row === this.row);
    if (i < 0) i = list.findIndex((s) => s.page === this.page &&
      (this.row === null || this.row === undefined || s.row === null ||
       (s.row !== BEFORE && s.row !== AFTER && s.row >= this.row) || s.row === AFTER));
    if (i < 0) i = list.findIndex((s) => s.page === this.page);
    return Math.max(0, i);
  }

  /* Make (page, row) name an existing screen. */
  settleScreen() {
    const list = this.screens();
    if (!list.length) return;
    const s = list[this.screenIndex(list)];
    this.page = s.page;
    this.row = s.row;
  }

  /* Sections after the current one that do not apply yet only because a question their
     relevance reads is still unanswered (the household's sections wait for consent): they are
     counted in the progress, and the interview cannot end before they are decided. */
  pendingPages() {
    const out = [];
    this.model.sections.forEach((section, page) => {
      if (page <= this.page || this.pageApplies(page)) return;
      const ast = section.ast && section.ast.relevant;
      if (!ast) return;
      const names = new Set();
      const walk = (node) => {
        if (!node || typeof node !== "object") return;
        if (node.node === "ref" && !node.repeat) names.add(node.name);
        for (const value of Object.values(node)) {
          if (Array.isArray(value)) value.forEach(walk);
          else if (value && typeof value === "object") walk(value);
        }
      };
      walk(ast);
      const undecided = Array.from(names).some((name) => {
        const state = this.analysis.states.get(name);
        return state && state.relevant && (state.value === null || state.value === undefined ||
          state.value === "");
      });
      if (undecided) out.push(page);
    });
    return out;
  }

  isLastPage() {
    const list = this.screens();
    return (list.length === 0 || this.screenIndex(list) >= list.length - 1) &&
      this.pendingPages().length === 0;
  }

  /* Errors on one page as [{key, message}] in page order. */
  pageErrors(page) {
    const errors = [];
    const section = this.model.sections[page];
    if (!section || !this.pageApplies(page)) return errors;
    const collect = (items, prefix) => {
      for (const item of items) {
        const key = prefix + item.id;
        const state = this.analysis.states.get(key);
        if (!state || !state.relevant) continue;
        if (item.type === "repeat") {
          for (let r = 0; r < state.rows; r += 1) collect(item.items || [], key + "/" + r + "/");
          continue;
        }
        const message = this.formatErrors.get(key) ||
          (state.error ? state.error.message : null);
        if (message) errors.push({ key, message });
      }
    };
    collect(section.items || [], "");
    return errors;
  }

  /* Errors on the screen shown (the questions drawn on it). */
  screenErrors() {
    return this.pageErrors(this.page).filter((e) => this.views.has(e.key));
  }

  /* The screen of a page on which the question at key is asked. */
  screenOf(page, key) {
    const roster = this.memberRoster(page);
    if (!roster || !key) return { page, row: roster ? BEFORE : null };
    const parts = String(key).split("/");
    if (parts[0] === roster.group.id) {
      const row = Number(parts[1]);
      return { page, row: Number.isInteger(row) ? row : BEFORE };
    }
    const after = roster.after.some((item) => item.id === parts[0]);
    return { page, row: after ? AFTER : BEFORE };
  }

  goTo(page, row) {
    this.page = page;
    this.row = row === undefined ? null : row;
    this.settleScreen();
    this.renderPage();
    globalThis.scrollTo(0, 0);
    this.saveDraft();
  }

  next() {
    if (this.screenErrors().length) {
      this.attempted.add(this.page);
      this.showBanner("error", this.t("pageErrors"));
      this.refresh();
      this.focusFirstError();
      return;
    }
    const list = this.screens();
    const i = this.screenIndex(list);
    if (i + 1 < list.length) {
      this.goTo(list[i + 1].page, list[i + 1].row);
      return;
    }
    /* Later sections wait for an answer on this screen: ask for it. */
    this.attempted.add(this.page);
    this.showBanner("error", this.t("pageErrors"));
    this.refresh();
    this.focusFirstError();
  }

  previous() {
    const list = this.screens();
    const i = this.screenIndex(list);
    if (i > 0) this.goTo(list[i - 1].page, list[i - 1].row);
  }

  focusFirstError() {
    const first = this.el.querySelector(".gs-has-error");
    if (!first) return;
    if (first.scrollIntoView) first.scrollIntoView({ block: "center" });
    /* Scroll only: focusing a text box would pop the tablet's keyboard over the message. */
  }

  jumpTo(page, message) {
    const keys = this.pageErrors(page).map((e) => e.key).concat(Array.from(this.serverErrors.keys()));
    const section = this.model.sections[page];
    const ids = new Set(((section && section.items) || []).map((item) => item.id));
    const key = keys.find((k) => ids.has(String(k).split("/")[0]));
    const target = this.screenOf(page, key);
    if (page !== this.page || target.row !== this.row) {
      this.page = page;
      this.row = target.row;
      this.settleScreen();
      this.renderPage();
    } else {
      this.refresh();
    }
    this.showBanner("error", message);
    this.focusFirstError();
  }
}

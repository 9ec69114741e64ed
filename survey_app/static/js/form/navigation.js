/* Navigation: which sections apply, moving between pages, and showing where the errors are. */

/* FormApp methods for moving between pages. */
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

  isLastPage() {
    const pages = this.relevantPages();
    return pages.length === 0 || this.page >= pages[pages.length - 1];
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

  goTo(page) {
    this.page = page;
    this.renderPage();
    globalThis.scrollTo(0, 0);
    this.saveDraft();
  }

  next() {
    if (this.pageErrors(this.page).length) {
      this.attempted.add(this.page);
      this.showBanner("error", this.t("pageErrors"));
      this.refresh();
      this.focusFirstError();
      return;
    }
    const pages = this.relevantPages().filter((i) => i > this.page);
    if (pages.length) this.goTo(pages[0]);
  }

  previous() {
    const pages = this.relevantPages().filter((i) => i < this.page);
    if (pages.length) this.goTo(pages[pages.length - 1]);
  }

  focusFirstError() {
    const first = this.el.querySelector(".gs-has-error");
    if (!first) return;
    if (first.scrollIntoView) first.scrollIntoView({ block: "center" });
    /* Scroll only: focusing a text box would pop the tablet's keyboard over the message. */
  }

  jumpTo(page, message) {
    if (page !== this.page) {
      this.page = page;
      this.renderPage();
    } else {
      this.refresh();
    }
    this.showBanner("error", message);
    this.focusFirstError();
  }
}

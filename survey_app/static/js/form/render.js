/* Rendering: the page shell (title, progress, banner, buttons), one section, and its messages. */
import { AFTER, BEFORE } from "./navigation.js";
import { h, pathKey, text } from "./util.js";
import { analyse } from "./validation.js";

/* FormApp methods that draw the page and keep it up to date. */
export class Rendering {
  renderShell() {
    this.el.innerHTML = "";
    this.el.classList.add("gs-app");
    this.el.setAttribute("lang", this.lang);
    this.titleEl = h("h1", { class: "gs-title" });
    this.langButton = h("button", { type: "button", class: "gs-lang",
      onclick: () => this.switchLanguage() });
    this.progressText = h("span", { class: "gs-progress-text" });
    this.progressBar = h("span", { class: "gs-progress-bar" });
    this.progressEl = h("div", { class: "gs-progress", role: "progressbar",
      "aria-valuemin": "1" }, [this.progressText,
      h("span", { class: "gs-progress-track", "aria-hidden": "true" }, [this.progressBar])]);
    const progress = this.progressEl;
    /* The form's one live region: errors, restored drafts, what the server said. Field
       messages are tied to their inputs (aria-describedby) instead of each being announced. */
    this.bannerEl = h("div", { class: "gs-banner", role: "alert", hidden: true });
    /* The page's <main> is the layout's: the questions are a region inside it. */
    this.pageEl = h("section", { class: "gs-page", "aria-labelledby": "gs-section-title" });
    this.prevButton = h("button", { type: "button", class: "gs-btn gs-prev",
      onclick: () => this.previous() });
    this.nextButton = h("button", { type: "button", class: "gs-btn gs-primary gs-next",
      onclick: () => this.next() });
    this.submitButton = h("button", { type: "button", class: "gs-btn gs-primary gs-submit",
      onclick: () => this.submit() });
    this.statusEl = h("span", { class: "gs-status" });
    this.el.appendChild(h("header", { class: "gs-header" },
      [h("div", { class: "gs-header-top" }, [this.titleEl, this.langButton]), progress]));
    this.el.appendChild(this.bannerEl);
    this.el.appendChild(this.pageEl);
    this.el.appendChild(h("nav", { class: "gs-nav" },
      [this.prevButton, this.statusEl, this.nextButton, this.submitButton]));
    this.renderInterruptControl();
    if (this.banner) this.showBanner(this.banner.kind, this.banner.text);
    this.renderChrome();
  }

  renderChrome() {
    this.titleEl.textContent = text(this.model.def.title, this.lang);
    this.langButton.textContent = this.t("language");
    this.prevButton.textContent = this.t("previous");
    this.nextButton.textContent = this.t("next");
    this.submitButton.textContent = this.t("submit");
  }

  switchLanguage() {
    this.lang = this.lang === "vi" ? "en" : "vi";
    this.el.dataset.lang = this.lang;
    this.el.setAttribute("lang", this.lang);
    this.analysis = analyse(this.model, this.raw, this.lang);
    this.hideBanner();
    this.renderChrome();
    this.renderPage();
  }

  showBanner(kind, message, button) {
    this.bannerEl.hidden = false;
    this.bannerEl.className = "gs-banner gs-banner-" + kind;
    this.bannerEl.innerHTML = "";
    this.bannerEl.appendChild(h("span", { text: message }));
    if (button) {
      this.bannerEl.appendChild(h("button", { type: "button", class: "gs-btn",
        onclick: button.action, text: button.label }));
    }
  }

  hideBanner() {
    this.bannerEl.hidden = true;
    this.bannerEl.innerHTML = "";
  }

  setStatus(message, kind) {
    if (!this.statusEl) return;
    this.statusEl.textContent = message;
    this.statusEl.className = "gs-status" + (kind ? " gs-status-" + kind : "");
  }

  renderPage() {
    if (this.interrupted) {
      this.renderAlternate(); /* nothing of the protected page may come back while interrupted */
      return;
    }
    this.views = new Map();
    this.memberNav = null;
    this.memberTitle = null;
    this.formatErrors.clear(); /* the boxes are drawn anew, so the bad text is gone too */
    this.pageEl.innerHTML = "";
    const section = this.model.sections[this.page];
    this.pageEl.dataset.section = section.id;
    this.pageEl.appendChild(h("h2", { class: "gs-section-title", id: "gs-section-title",
      text: text(section.title, this.lang) }));
    this.generalEl = h("ul", { class: "gs-general-errors" });
    this.pageEl.appendChild(this.generalEl);
    const list = h("div", { class: "gs-items" });
    const roster = this.memberRoster(this.page);
    if (!roster) {
      this.row = null;
      this.renderItems(section.items || [], [], list);
    } else {
      this.settleScreen();
      this.pageEl.appendChild(this.memberList(roster));
      if (this.row === BEFORE) this.renderItems(roster.before, [], list);
      else if (this.row === AFTER) this.renderItems(roster.after, [], list);
      else this.renderMember(roster, this.row, list);
    }
    this.pageEl.dataset.row = this.row === null ? "" : String(this.row);
    this.pageEl.appendChild(list);
    this.endEl = h("p", { class: "gs-end", text: this.t("end") });
    this.pageEl.appendChild(this.endEl);
    this.problemsEl = h("p", { class: "gs-problems", hidden: true });
    this.pageEl.appendChild(this.problemsEl);
    this.refresh();
  }

  renderItems(items, prefix, container) {
    for (const item of items) {
      const path = prefix.concat(item.id);
      const view = item.type === "repeat" ? this.repeatView(item, path) : this.fieldView(item, path);
      this.views.set(pathKey(path), view);
      container.appendChild(view.el);
    }
  }

  /* Recompute everything and bring the visible page up to date. */
  refresh() {
    this.analysis = analyse(this.model, this.raw, this.lang);
    for (const view of Array.from(this.views.values())) {
      view.update(this.analysis.states.get(view.key));
    }
    const screens = this.screens();
    const index = this.screenIndex(screens);
    const position = index + 1;
    const total = Math.max(1, screens.length + this.pendingPages().length);
    this.progressText.textContent = this.t("progress", { n: position, total });
    this.progressEl.setAttribute("aria-label", this.t("progressName"));
    this.progressEl.setAttribute("aria-valuemax", String(total));
    this.progressEl.setAttribute("aria-valuenow", String(position));
    this.progressEl.setAttribute("aria-valuetext", this.progressText.textContent);
    this.progressBar.style.width = (100 * position / total) + "%";
    const last = this.isLastPage();
    this.prevButton.disabled = index <= 0;
    this.updateMemberList();
    this.nextButton.hidden = last;
    this.submitButton.hidden = !last;
    this.endEl.hidden = !last;
    this.el.dataset.page = String(this.page);
    this.el.dataset.expressionErrors = String(this.analysis.problems.length);
    this.reportProblems();
    this.showGeneralErrors();
    if (this.attempted.has(this.page) && this.pageErrors(this.page).length === 0 &&
        this.bannerEl && this.bannerEl.classList.contains("gs-banner-error") && !this.stale) {
      this.hideBanner();
    }
    this.updateInterruptControl();
    if (!this.filling) {
      this.filling = true;
      try {
        this.fillGenerated();
        this.fillSelection();
      } finally {
        this.filling = false;
      }
    }
  }

  /* Server errors that belong to no question (e.g. the whole interview) sit above the page. */
  showGeneralErrors() {
    const wanted = this.generalErrors.join("\n");
    if (this.generalEl.dataset.shown === wanted) return;
    this.generalEl.dataset.shown = wanted;
    this.generalEl.innerHTML = "";
    for (const message of this.generalErrors) {
      this.generalEl.appendChild(h("li", { text: message }));
    }
    this.generalEl.hidden = this.generalErrors.length === 0;
  }

  /* Expressions that failed (an author mistake): said once in the console, and on the page. */
  reportProblems() {
    const ids = Array.from(new Set(this.analysis.problems.map((p) => p.id)));
    this.warned = this.warned || new Set();
    for (const p of this.analysis.problems) {
      if (this.warned.has(p.id)) continue;
      this.warned.add(p.id);
      if (globalThis.console) globalThis.console.warn("gesurvey: expression error in " + p.id + ": " +
        p.message);
    }
    this.problemsEl.textContent = ids.map((id) => this.t("expressionProblem", { id }))
      .join(" ");
    this.problemsEl.hidden = ids.length === 0;
  }

  /* The message shown under a field: format, then server, then live errors. */
  messageFor(key, state) {
    if (this.formatErrors.has(key)) return this.formatErrors.get(key);
    if (this.serverErrors.has(key)) return this.serverErrors.get(key);
    if (!state || !state.error) return null;
    if (state.error.kind === "required" && !this.attempted.has(this.page) &&
        !this.touched.has(key)) return null;
    return state.error.message;
  }
}

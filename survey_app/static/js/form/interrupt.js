/*
 * The interrupt control a questionnaire declares ("interrupt" in its JSON, see FORMAT.md): on
 * the protected pages a fixed button («Gián đoạn / Interrupted») that, when someone comes near,
 * takes the page's questions out of the document at once and shows the substitute page (notes
 * only, nothing recorded); "privacy is back" brings the same page back at the same question,
 * "continue another day" saves the draft and leaves. Each press is counted in the paradata
 * (its "interruptions", see paradata.js), sent beside the answers, never inside them.
 * Also the generated values (text questions with "generate": "random_id").
 */
import { h, pathKey, text } from "./util.js";

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/* 16 random lowercase letters and digits from the browser's cryptographic generator. */
export function randomId() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("");
}

/* FormApp methods for the interrupt control and generated values. */
export class Interruption {
  interruptSpec() {
    return this.model.def.interrupt || null;
  }

  /* A page is in the normal order when it applies and is not the substitute page (which only
     the interrupt control opens). */
  pageApplies(page) {
    const spec = this.interruptSpec();
    const section = this.model.sections[page];
    if (spec && section && section.id === spec.alternate) return false;
    return Boolean(this.analysis.sections[page]);
  }

  isProtectedPage(page) {
    const spec = this.interruptSpec();
    const section = this.model.sections[page];
    return Boolean(spec && section && spec.sections.includes(section.id));
  }

  renderInterruptControl() {
    if (!this.interruptSpec()) return;
    this.interruptButton = h("button", { type: "button", class: "gs-btn gs-interrupt",
      onclick: () => this.interrupt() });
    this.el.appendChild(this.interruptButton);
  }

  /* Called after every refresh: the control shows on protected pages; while interrupted the
     navigation buttons are gone too, so nothing on screen leads back to the module. */
  updateInterruptControl() {
    const spec = this.interruptSpec();
    if (!spec || !this.interruptButton) return;
    this.interruptButton.textContent = text(spec.label, this.lang);
    this.interruptButton.hidden = Boolean(this.interrupted) || !this.isProtectedPage(this.page);
    if (this.interrupted) {
      this.prevButton.hidden = true;
      this.nextButton.hidden = true;
      this.submitButton.hidden = true;
    }
  }

  /* The question being worked on: the focused field, else the last answered one on this page,
     else the first one on screen. */
  currentFieldPath() {
    const active = document.activeElement;
    const focused = active && active.closest ? active.closest(".gs-field") : null;
    if (focused && this.pageEl.contains(focused)) return focused.dataset.path;
    if (this.lastPath && this.pageEl.querySelector(
      '.gs-field[data-path="' + this.lastPath + '"]')) return this.lastPath;
    for (const field of this.pageEl.querySelectorAll(".gs-field")) {
      if (!field.hidden && field.getBoundingClientRect().bottom > 0) return field.dataset.path;
    }
    return null;
  }

  interrupt() {
    if (this.interrupted || !this.isProtectedPage(this.page)) return;
    this.interruptedAt = { page: this.page, path: this.currentFieldPath() };
    this.paradata.interrupted(); /* counted in the paradata, beside the answers */
    this.interrupted = true;
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
    this.renderAlternate();
    this.dirty = true;
    this.changeCount += 1;
    this.storeLocalNow();
    this.saveDraft();
  }

  /* The substitute page: the protected questions are removed from the document, not hidden. */
  renderAlternate() {
    const spec = this.interruptSpec();
    const alternate = this.model.sections.find((s) => s.id === spec.alternate);
    this.views = new Map();
    this.pageEl.innerHTML = "";
    this.hideBanner();
    this.el.classList.add("gs-interrupted");
    this.titleEl.textContent = "";
    this.pageEl.dataset.section = alternate.id;
    const list = h("div", { class: "gs-items gs-alternate" });
    for (const item of alternate.items || []) {
      list.appendChild(h("p", { class: "gs-note gs-alternate-item", "data-qid": item.id,
        text: text(item.label, this.lang) }));
    }
    this.pageEl.appendChild(list);
    this.pageEl.appendChild(h("div", { class: "gs-alternate-actions" }, [
      h("button", { type: "button", class: "gs-btn gs-primary gs-resume",
        text: text(spec.resume_label, this.lang) || this.t("resume"),
        onclick: () => this.resume() }),
      h("button", { type: "button", class: "gs-btn gs-later",
        text: text(spec.later_label, this.lang) || this.t("later"),
        onclick: () => this.later() }),
    ]));
    this.refresh();
  }

  /* Privacy is back: the same page, scrolled to the question that was open. */
  resume() {
    const at = this.interruptedAt || { page: this.page, path: null };
    this.interrupted = false;
    this.el.classList.remove("gs-interrupted");
    this.page = at.page;
    this.renderChrome();
    this.renderPage();
    const field = at.path ?
      this.pageEl.querySelector('.gs-field[data-path="' + at.path + '"]') : null;
    if (field) {
      field.classList.add("gs-resume-here");
      if (field.scrollIntoView) field.scrollIntoView({ block: "center" });
      this.el.dataset.resumedAt = at.path;
    }
  }

  /* Continue another day: the draft (answers, page, count) is saved; the interview is left. */
  async later() {
    this.storeLocalNow();
    await this.saveDraft();
    this.navigate(this.el.dataset.exitUrl || "/");
  }

  /* Fill generated values (a random link id) once, when their question first applies. */
  fillGenerated() {
    let filled = true;
    while (filled) filled = this.fillOneGenerated();
  }

  fillOneGenerated() {
    for (const [key, state] of this.analysis.states) {
      const entry = this.model.index.get(key.split("/").pop());
      const q = entry ? entry.item : null;
      if (!q || q.generate !== "random_id" || !state.relevant) continue;
      if (state.value !== null && state.value !== undefined && state.value !== "") continue;
      const path = key.split("/").map((part) => (/^\d+$/.test(part) ? Number(part) : part));
      this.setAnswer(path, randomId());
      return true;
    }
    return false;
  }

  rememberPath(path) {
    this.lastPath = pathKey(path);
  }
}

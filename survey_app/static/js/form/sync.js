/*
 * Sync with the server: draft saves (on page change, every 30 s while there are unsent changes,
 * and when the network comes back), submission, and server errors mapped onto fields. The
 * transport is any object with async send(kind, body) -> {status, body}; fetch() by default,
 * the offline outbox on the offline pages.
 */
import { isNull, pathKey } from "./util.js";

/* Sends draft and submit bodies with fetch(); returns {status, body} or throws when offline. */
export class FetchTransport {
  constructor(urls, csrfToken) {
    this.urls = urls;
    this.csrfToken = csrfToken;
  }

  async send(kind, body) {
    const response = await globalThis.fetch(this.urls[kind], {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": this.csrfToken || "",
      },
      body: JSON.stringify(body),
    });
    let parsed = null;
    try {
      parsed = await response.json();
    } catch (err) {
      parsed = null;
    }
    return { status: response.status, body: parsed };
  }
}

/* FormApp methods that talk to the server. */
export class Sync {
  async saveDraft() {
    if (this.stale || this.submitting || this.finished) return;
    if (this.saving) {
      this.saveAgain = true;
      return;
    }
    const changeAtStart = this.changeCount;
    this.storeLocalNow();
    this.setStatus(this.t("saving"));
    this.saving = this.sendDraft(changeAtStart);
    try {
      await this.saving;
    } finally {
      this.saving = null;
    }
    if (this.saveAgain) {
      this.saveAgain = false;
      await this.saveDraft();
    }
  }

  async sendDraft(changeAtStart) {
    let response;
    try {
      response = await this.transport.send("draft", this.body());
    } catch (err) {
      this.setStatus(this.t("savedLocal"), "warn");
      return;
    }
    const body = response.body || {};
    if (response.status === 200) {
      if (!isNull(body.row_version)) this.rowVersion = body.row_version;
      if (this.changeCount === changeAtStart) this.dirty = false;
      this.storeLocalNow();
      const time = new Date().toLocaleTimeString(this.lang === "vi" ? "vi-VN" : "en-GB",
        { hour: "2-digit", minute: "2-digit" });
      this.setStatus(this.t("saved", { time }), "ok");
    } else if (response.status === 409) {
      this.markStale();
    } else if (response.status === 422) {
      this.setServerErrors(body.errors || []);
      this.setStatus(this.t("savedLocal"), "warn");
      this.refresh();
    } else {
      this.setStatus(this.t("serverError", { status: response.status }), "warn");
    }
  }

  markStale() {
    this.stale = true;
    this.storeLocalNow();
    this.showBanner("error", this.t("stale"), { label: this.t("reload"),
      action: () => globalThis.location.reload() });
    this.setStatus(this.t("savedLocal"), "warn");
  }

  async submit() {
    const firstBad = this.relevantPages().find((p) => this.pageErrors(p).length);
    if (firstBad !== undefined) {
      this.relevantPages().forEach((p) => this.attempted.add(p));
      this.jumpTo(firstBad, this.t("submitErrors"));
      return;
    }
    this.paradata.finish();
    this.storeLocalNow();
    const button = this.el.querySelector(".gs-submit");
    if (button) button.disabled = true;
    this.setStatus(this.t("submitting"));
    this.submitting = true;
    /* A draft save still on its way would make this submit look stale: let it land first. */
    while (this.saving) {
      try {
        await this.saving;
      } catch (err) {
        break;
      }
    }
    let response;
    try {
      response = await this.transport.send("submit", this.body());
    } catch (err) {
      this.submitting = false;
      if (button) button.disabled = false;
      this.showBanner("error", this.t("offline"));
      this.setStatus(this.t("savedLocal"), "warn");
      return;
    }
    this.submitting = false;
    if (button) button.disabled = false;
    const body = response.body || {};
    if (response.status === 200) {
      if (!isNull(body.row_version)) this.rowVersion = body.row_version;
      this.dirty = false;
      this.finished = true;
      await this.store.remove(this.uuid);
      if (globalThis.clearInterval) globalThis.clearInterval(this.timer);
      if (body.redirect) this.navigate(body.redirect);
      return;
    }
    if (response.status === 409) {
      this.markStale();
      return;
    }
    if (response.status === 422) {
      this.setServerErrors(body.errors || []);
      const page = this.firstServerErrorPage();
      this.jumpTo(page === null ? this.page : page, this.t("submitErrors"));
      return;
    }
    this.showBanner("error", this.t("serverError", { status: response.status }));
    this.setStatus(this.t("savedLocal"), "warn");
  }

  /* Map server errors {question_id, row, parent_row, message} onto fields. */
  setServerErrors(errors) {
    this.serverErrors = new Map();
    this.generalErrors = [];
    this.serverErrorPages = [];
    for (const error of errors) {
      const key = this.errorKey(error);
      if (key === null) {
        this.generalErrors.push(error.message);
        continue;
      }
      this.serverErrors.set(key.key, error.message);
      this.serverErrorPages.push(key.page);
    }
  }

  errorKey(error) {
    let id = error.question_id;
    let entry = id ? this.model.index.get(id) : null;
    if (!entry && id) {
      /* grid rows are addressed as <grid id>_<row id> */
      for (const [qid, candidate] of this.model.index) {
        if (candidate.item.type === "grid" && id.startsWith(qid + "_")) {
          entry = candidate;
          id = qid;
          break;
        }
      }
    }
    if (!entry) return null;
    const path = [];
    const groups = entry.groups;
    if (groups.length === 2) {
      path.push(groups[0], isNull(error.parent_row) ? 0 : error.parent_row,
        groups[1], isNull(error.row) ? 0 : error.row);
    } else if (groups.length === 1) {
      path.push(groups[0], isNull(error.row) ? 0 : error.row);
    }
    path.push(id);
    return { key: pathKey(path), page: entry.section };
  }

  firstServerErrorPage() {
    return this.serverErrorPages.length ? Math.min(...this.serverErrorPages) : null;
  }
}

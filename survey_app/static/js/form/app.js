/*
 * FormApp: one interview on the page. Its methods live in one module per job and are gathered
 * here: state.js (answers, device storage), navigation.js (pages), sync.js (server), render.js
 * (page shell and section), roster.js (repeat groups), fields.js (questions), paradata.js
 * (time per question, corrections). The pure logic
 * (skip rules, calculations, checks) is validation.js and has no DOM.
 */
import { Fields } from "./fields.js";
import { Interruption } from "./interrupt.js";
import { Model } from "./model.js";
import { Navigation } from "./navigation.js";
import { Paradata, ParadataRecorder } from "./paradata.js";
import { Rendering } from "./render.js";
import { Roster } from "./roster.js";
import { Selection } from "./selection.js";
import { DraftState, LocalDraftStore } from "./state.js";
import { STRINGS } from "./strings.js";
import { FetchTransport, Sync } from "./sync.js";
import { clone, format } from "./util.js";
import { analyse } from "./validation.js";

const AUTOSAVE_MS = 30000;

export class FormApp {
  constructor(element, data, options) {
    const opts = options || {};
    this.el = element;
    this.lang = (element.dataset.lang === "en" ? "en" : "vi");
    this.model = new Model(data.questionnaire);
    this.submission = data.submission || {};
    this.uuid = this.submission.uuid || "local";
    this.rowVersion = this.submission.row_version === undefined ? null : this.submission.row_version;
    this.raw = clone(data.answers || {}) || {};
    this.page = Number.isInteger(data.page) ? data.page : 0;
    this.row = Number.isInteger(data.row) ? data.row : null; /* the member shown (navigation.js) */
    this.placeholders = data.placeholders || {}; /* values for "{name}" in question texts */
    this.store = opts.store || new LocalDraftStore();
    this.transport = opts.transport || new FetchTransport(
      { draft: element.dataset.draftUrl, submit: element.dataset.submitUrl },
      element.dataset.csrfToken);
    this.navigate = opts.navigate || ((url) => globalThis.location.assign(url));
    this.autosaveMs = opts.autosaveMs || AUTOSAVE_MS;
    this.views = new Map();
    this.serverErrors = new Map(); /* path key -> message */
    this.generalErrors = [];
    this.formatErrors = new Map(); /* path key -> message (text that is not a number/date) */
    this.attempted = new Set(); /* pages where Next or Submit was tried */
    this.touched = new Set(); /* fields answered then cleared: say at once they are required */
    this.dirty = false;
    this.changeCount = 0;
    this.saving = null;
    this.saveAgain = false;
    this.stale = false;
    this.banner = null;
    this.analysis = analyse(this.model, this.raw, this.lang);
    this.paradata = new ParadataRecorder({
      perQuestion: !this.model.def.sensitive, appVersion: element.dataset.appVersion });
    this.paradata.restore(data.paradata);
    this.setServerErrors(data.errors || []);
  }

  t(key, values) {
    return format(STRINGS[this.lang][key], values || {});
  }

  /* Load the local draft when it is newer than the server's copy, then draw the page. */
  async start() {
    const local = await this.store.get(this.uuid);
    const sameForm = !local || !local.questionnaire ||
      (local.questionnaire.id === this.model.def.id &&
       local.questionnaire.version === this.model.def.version);
    if (local && sameForm && !local.synced && local.answers &&
        (this.rowVersion === null || local.row_version === this.rowVersion)) {
      this.raw = clone(local.answers);
      this.paradata.restore(local.paradata);
      if (Number.isInteger(local.page)) this.page = local.page;
      if (Number.isInteger(local.row)) this.row = local.row;
      this.dirty = true;
      this.banner = { kind: "info", text: this.t("restored") };
    }
    this.analysis = analyse(this.model, this.raw, this.lang);
    this.page = this.relevantPage(this.page, 1);
    this.settleScreen();
    this.paradata.start();
    this.watchParadata();
    this.paradata.locate(globalThis.navigator && globalThis.navigator.geolocation);
    this.renderShell();
    this.renderPage();
    this.timer = globalThis.setInterval(() => {
      if (this.dirty && !this.stale) this.saveDraft();
    }, this.autosaveMs);
    globalThis.addEventListener("online", () => {
      if (this.dirty) this.saveDraft(); /* back in coverage: send what waited */
    });
    const flush = () => this.storeLocalNow();
    this.el.addEventListener("focusout", flush); /* blur of any field */
    globalThis.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") flush();
    });
    this.el.dataset.ready = "true";
    if (this.dirty) this.saveDraft(); /* a restored draft goes to the server straight away */
    return this;
  }
}

/* Copy the methods of each part onto FormApp, so `this` is the one interview throughout. */
for (const part of [DraftState, Navigation, Sync, Rendering, Roster, Fields, Paradata,
  Interruption, Selection]) {
  for (const name of Object.getOwnPropertyNames(part.prototype)) {
    if (name === "constructor") continue;
    if (Object.prototype.hasOwnProperty.call(FormApp.prototype, name)) {
      throw new Error("FormApp method defined twice: " + name);
    }
    Object.defineProperty(FormApp.prototype, name,
      Object.getOwnPropertyDescriptor(part.prototype, name));
  }
}

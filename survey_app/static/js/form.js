/*
 * gesurvey form engine: renders a questionnaire (Questionnaire.to_client_dict() JSON) one section
 * per page on a tablet, evaluates skip logic, calculations, choice filters and constraints live
 * with expr.js, and keeps the draft safe (browser storage on every change, server on every page
 * change and every 30 s while there are unsent changes).
 *
 * Mount contract with the server (survey_app/templates/collect/interview.html):
 *   <div id="gesurvey-form" data-lang data-draft-url data-submit-url data-csrf-token></div>
 *   <script type="application/json" id="gesurvey-form-data">
 *     {"questionnaire": {...}, "answers": {...}, "page": 0,
 *      "submission": {"uuid", "status", "row_version"}, "errors": [...]}</script>
 * The page mounts itself on DOMContentLoaded unless the div has data-manual-mount.
 *
 * Layers (so drafts can later live in IndexedDB and be sent by a service worker):
 *   - analyse(model, rawAnswers): pure logic, no DOM: relevance, calculations, filters, errors
 *     and the cleaned answers (irrelevant answers removed) that are saved and submitted.
 *   - DraftStore: async get/put/remove of {uuid, answers, page, row_version, saved_at, synced};
 *     localStorage by default, any object with the same three methods can replace it.
 *   - Transport: async send(kind, body) -> {status, body}; fetch() by default, replaceable by an
 *     outbox that a service worker drains.
 *   - FormApp: the DOM.
 * Exposed as globalThis.GESurveyForm.
 *
 * Stable hooks for tests and other scripts (keep them when changing the markup):
 *   #gesurvey-form[data-ready="true"] once mounted; data-page, data-expression-errors on it;
 *   .gs-page[data-section] the section shown; .gs-field[data-qid][data-path] one question, where
 *   data-path is "Q", "roster/0/M04" or "roster/0/births/1/B01" (rows from 0); inside it
 *   input, .gs-choice[data-code], .gs-missing-btn[data-code], [data-grid-row], .gs-message,
 *   output (calculations); .gs-repeat[data-group][data-path] with .gs-row[data-row], .gs-add-row,
 *   .gs-remove-row (tap twice); .gs-prev, .gs-next, .gs-submit, .gs-lang, .gs-banner,
 *   .gs-status (.gs-status-ok once the server has the draft); the element's gesurveyForm property
 *   is the FormApp (body() gives what would be saved).
 */
(function (root) {
  "use strict";

  const Expr = root.GESurveyExpr;
  const AUTOSAVE_MS = 30000;
  const LOCAL_SAVE_DELAY_MS = 250;
  const MAX_ROWS = 100; /* a roster longer than this is a typo in its count question */

  /* ------------------------------------------------------------------ UI strings (vi, en) */

  const STRINGS = {
    vi: {
      previous: "‹ Trước",
      next: "Tiếp ›",
      submit: "Nộp phiếu",
      progress: "Phần {n}/{total}",
      required: "Câu này bắt buộc trả lời",
      constraint: "Câu trả lời không hợp lệ",
      integer: "Nhập một số nguyên",
      decimal: "Nhập một số (dùng dấu phẩy hoặc dấu chấm cho phần thập phân)",
      date: "Nhập ngày dạng năm-tháng-ngày",
      addRow: "+ Thêm dòng",
      removeRow: "Xóa dòng",
      confirmRemove: "Bấm lần nữa để xóa",
      cancel: "Giữ lại",
      row: "Dòng {n}",
      noRows: "Chưa có dòng nào.",
      countRows: "Số dòng theo câu trả lời trước: {n}",
      saving: "Đang lưu…",
      saved: "Đã lưu lúc {time}",
      savedLocal: "Đã lưu trên máy, chưa gửi được lên máy chủ",
      restored: "Đã khôi phục bản nháp lưu trên máy này (mới hơn bản trên máy chủ).",
      stale: "Phiếu này vừa được lưu từ trang hoặc thiết bị khác. Tải lại trang để làm tiếp.",
      reload: "Tải lại trang",
      pageErrors: "Trang này còn câu chưa hợp lệ, xem thông báo màu đỏ.",
      submitErrors: "Phiếu còn lỗi; đã chuyển đến câu đầu tiên cần sửa.",
      submitting: "Đang nộp phiếu…",
      offline: "Không gửi được (mất mạng?). Phiếu vẫn được lưu trên máy; hãy thử lại.",
      serverError: "Máy chủ báo lỗi ({status}). Phiếu vẫn được lưu trên máy; hãy thử lại.",
      language: "English",
      clear: "Xóa trả lời",
      noChoices: "Chưa có lựa chọn nào (tùy câu trả lời trước).",
      end: "Hết phiếu. Kiểm tra lại rồi bấm “Nộp phiếu”.",
      badForm: "Không mở được phiếu: dữ liệu phiếu bị thiếu hoặc hỏng.",
      expressionProblem: "Lỗi biểu thức ở {id}; báo cho quản trị viên.",
    },
    en: {
      previous: "‹ Previous",
      next: "Next ›",
      submit: "Submit",
      progress: "Section {n} of {total}",
      required: "This question must be answered",
      constraint: "This answer is not valid",
      integer: "Enter a whole number",
      decimal: "Enter a number (use a comma or a point for decimals)",
      date: "Enter a date as year-month-day",
      addRow: "+ Add row",
      removeRow: "Remove row",
      confirmRemove: "Tap again to remove",
      cancel: "Keep",
      row: "Row {n}",
      noRows: "No rows yet.",
      countRows: "Rows from an earlier answer: {n}",
      saving: "Saving…",
      saved: "Saved at {time}",
      savedLocal: "Saved on this device, not yet sent to the server",
      restored: "Restored the draft kept on this device (newer than the server's).",
      stale: "This interview was just saved from another page or device. Reload to continue.",
      reload: "Reload",
      pageErrors: "Some answers on this page are not valid yet: see the red messages.",
      submitErrors: "The interview has errors; showing the first question to fix.",
      submitting: "Submitting…",
      offline: "Could not send (no network?). The interview is kept on this device; try again.",
      serverError: "The server reported an error ({status}). The interview is kept on this " +
        "device; try again.",
      language: "Tiếng Việt",
      clear: "Clear answer",
      noChoices: "No choices yet (they depend on an earlier answer).",
      end: "End of the questionnaire. Check, then tap “Submit”.",
      badForm: "Cannot open the form: its data is missing or damaged.",
      expressionProblem: "Expression error in {id}; tell the administrator.",
    },
  };

  const DEFAULT_MISSING = {
    98: { vi: "Không biết", en: "Don't know" },
    99: { vi: "Từ chối", en: "Refused" },
  };

  const BUILTIN_LISTS = {
    yesno: [
      { code: 1, name: "yes", label: { vi: "Có", en: "Yes" } },
      { code: 0, name: "no", label: { vi: "Không", en: "No" } },
    ],
    likert5: [
      { code: 1, name: "strongly_disagree", label: { vi: "Rất không đồng ý", en: "Strongly disagree" } },
      { code: 2, name: "disagree", label: { vi: "Không đồng ý", en: "Disagree" } },
      { code: 3, name: "neutral", label: { vi: "Bình thường", en: "Neither" } },
      { code: 4, name: "agree", label: { vi: "Đồng ý", en: "Agree" } },
      { code: 5, name: "strongly_agree", label: { vi: "Rất đồng ý", en: "Strongly agree" } },
    ],
  };

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));
  }

  function text(label, lang) {
    if (label === null || label === undefined) return "";
    if (typeof label === "string") return label;
    return label[lang] || label.vi || label.en || "";
  }

  function isNull(value) {
    return value === null || value === undefined;
  }

  function unanswered(value) {
    if (isNull(value) || value === "") return true;
    if (Array.isArray(value)) return value.length === 0;
    if (typeof value === "object") return Object.keys(value).length === 0;
    return false;
  }

  function clone(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  /* ------------------------------------------------------------------ the questionnaire model */

  /* The compiled AST of an item's expression: to_client_dict() puts them under item.ast. */
  function astOf(item, field) {
    if (item && item.ast && item.ast[field] && typeof item.ast[field] === "object") {
      return item.ast[field];
    }
    const direct = item ? item[field] : null;
    return direct && typeof direct === "object" && direct.node ? direct : null;
  }

  class Model {
    constructor(definition) {
      if (!definition || !Array.isArray(definition.sections)) {
        throw new Error("questionnaire definition has no sections");
      }
      this.def = definition;
      this.sections = definition.sections;
      this.lists = Object.assign({}, BUILTIN_LISTS, definition.choice_lists || {});
      this.missing = Object.assign({}, DEFAULT_MISSING, definition.missing_codes || {});
      /* id -> {item, section (index), groups: [group ids from outer to inner]} */
      this.index = new Map();
      this.sections.forEach((section, i) => this.indexItems(section.items || [], i, []));
    }

    indexItems(items, section, groups) {
      for (const item of items) {
        this.index.set(item.id, { item, section, groups });
        if (item.type === "repeat") this.indexItems(item.items || [], section, groups.concat(item.id));
      }
    }

    choices(question) {
      if (Array.isArray(question.choices)) return question.choices;
      if (question.type === "yesno") return this.lists[question.choices || "yesno"] || [];
      if (question.type === "likert5") return this.lists[question.choices || "likert5"] || [];
      return this.lists[question.choices] || [];
    }

    missingLabel(code, lang) {
      return text(this.missing[code] || this.missing[String(code)], lang);
    }
  }

  /* ------------------------------------------------------------------ pure analysis */

  function choiceContext(choice) {
    const context = {};
    for (const key of Object.keys(choice)) {
      if (key !== "label" && key !== "exclusive") context[key] = choice[key];
    }
    return context;
  }

  /*
   * Walk the questionnaire over the raw answers and return
   *   {answers, states, sections, problems}
   * answers: the answers to save (irrelevant, note and filtered-out answers removed, calculations
   * filled in, count-driven rosters sized); states: Map path key -> {relevant, value, offered,
   * error, rows}; sections: relevance per section; problems: expressions that failed.
   * Relevance is decided on the cleaned answers and the walk repeats until nothing changes, so
   * a question that depends on an answer that itself stopped applying is cleared too.
   */
  function analyse(model, raw, lang) {
    let answers = clone(raw || {}) || {};
    let result = null;
    for (let pass = 0; pass < 4; pass += 1) {
      const before = JSON.stringify(answers);
      result = walkAll(model, answers, lang);
      answers = result.answers;
      if (JSON.stringify(answers) === before) break;
    }
    return result;
  }

  function walkAll(model, input, lang) {
    const answers = clone(input);
    const out = { answers, states: new Map(), sections: [], problems: [] };
    const safe = (ast, ctx, what, fallback) => {
      try {
        return Expr.evaluate(ast, ctx);
      } catch (err) {
        out.problems.push({ id: what, message: String(err && err.message) });
        return fallback;
      }
    };
    const holds = (ast, ctx, what) => (ast ? Expr.truthy(safe(ast, ctx, what, false)) : true);

    const walkItems = (items, target, row, prefix, applies) => {
      for (const item of items) {
        const key = prefix + item.id;
        const ctx = { answers, row };
        if (item.type === "repeat") {
          const relevant = applies && holds(astOf(item, "relevant"), ctx, item.id);
          if (!relevant) {
            delete target[item.id];
            out.states.set(key, { relevant: false, rows: 0 });
            continue;
          }
          let rows = Array.isArray(target[item.id]) ? target[item.id] : [];
          rows = rows.map((r) => (r && typeof r === "object" && !Array.isArray(r) ? r : {}));
          let count = null;
          const countAst = astOf(item, "count");
          if (countAst) {
            const value = safe(countAst, ctx, item.id, null);
            count = typeof value === "number" && isFinite(value) ?
              Math.min(MAX_ROWS, Math.max(0, Math.trunc(value))) : 0;
            rows = rows.slice(0, count);
            while (rows.length < count) rows.push({});
          }
          if (rows.length) target[item.id] = rows;
          else delete target[item.id];
          out.states.set(key, { relevant: true, rows: rows.length, counted: countAst !== null });
          rows.forEach((r, i) => walkItems(item.items || [], r, r, key + "/" + i + "/", true));
          continue;
        }
        question(item, target, row, key, applies);
      }
    };

    const question = (q, target, row, key, applies) => {
      const ctx = { answers, row };
      const relevant = applies && holds(astOf(q, "relevant"), ctx, q.id);
      if (!relevant || q.type === "note") {
        delete target[q.id];
        out.states.set(key, { relevant });
        return;
      }
      if (q.type === "calculate") {
        const ast = astOf(q, "calculation");
        const value = ast ? safe(ast, ctx, q.id, null) : null;
        if (isNull(value)) delete target[q.id];
        else target[q.id] = value;
        out.states.set(key, { relevant: true, value: isNull(value) ? null : value });
        return;
      }
      const missingCodes = q.missing_codes || [];
      let value = target[q.id];
      let offered = null;
      if (["single", "multi", "yesno", "likert5", "grid"].includes(q.type)) {
        const filter = astOf(q, "choice_filter");
        offered = model.choices(q).filter((c) => !filter ||
          Expr.truthy(safe(filter, { answers, row, choice: choiceContext(c) }, q.id, false)));
        value = keepOffered(q, value, offered, missingCodes);
      }
      if (unanswered(value)) {
        delete target[q.id];
        value = null;
      } else {
        target[q.id] = value;
      }
      const state = { relevant: true, value, offered, error: null };
      const isMissing = typeof value === "number" && missingCodes.includes(value);
      if (value === null) {
        if (q.required) state.error = { kind: "required", message: STRINGS[lang].required };
      } else if (q.type === "grid" && !isMissing && q.required &&
        (q.rows || []).some((r) => isNull(value[r.id]))) {
        state.error = { kind: "required", message: STRINGS[lang].required };
      } else if (!isMissing && astOf(q, "constraint")) {
        const ok = holdsStrict(astOf(q, "constraint"), { answers, row, current: value }, q.id);
        if (!ok) {
          state.error = {
            kind: "constraint",
            message: text(q.constraint_message, lang) || STRINGS[lang].constraint,
          };
        }
      }
      out.states.set(key, state);
    };

    /* A constraint that cannot be evaluated is reported, not held against the enumerator. */
    const holdsStrict = (ast, ctx, what) => {
      try {
        return Expr.truthy(Expr.evaluate(ast, ctx));
      } catch (err) {
        out.problems.push({ id: what, message: String(err && err.message) });
        return true;
      }
    };

    model.sections.forEach((section, i) => {
      const relevant = holds(astOf(section, "relevant"), { answers, row: null }, section.id);
      out.sections[i] = relevant;
      walkItems(section.items || [], answers, null, "", relevant);
    });
    return out;
  }

  /* Drop codes the choice filter no longer offers (missing codes always stay). */
  function keepOffered(q, value, offered, missingCodes) {
    if (isNull(value)) return value;
    const codes = new Set(offered.map((c) => c.code));
    const ok = (code) => codes.has(code) || missingCodes.includes(code);
    if (q.type === "multi") {
      if (typeof value === "number") return ok(value) ? value : null;
      if (!Array.isArray(value)) return value;
      return value.filter((code) => codes.has(code));
    }
    if (q.type === "grid") {
      if (typeof value === "number" && missingCodes.includes(value)) return value;
      if (typeof value !== "object" || Array.isArray(value)) return value;
      const kept = {};
      for (const rowId of Object.keys(value)) {
        if (!isNull(value[rowId]) && ok(value[rowId])) kept[rowId] = value[rowId];
      }
      return kept;
    }
    return typeof value === "number" && !ok(value) ? null : value;
  }

  /* ------------------------------------------------------------------ storage and transport */

  const STORAGE_PREFIX = "gesurvey:draft:";

  /* Drafts in localStorage; every method is async so an IndexedDB store can take its place. */
  class LocalDraftStore {
    async get(uuid) {
      try {
        const raw = root.localStorage.getItem(STORAGE_PREFIX + uuid);
        return raw ? JSON.parse(raw) : null;
      } catch (err) {
        return null;
      }
    }

    async put(uuid, record) {
      this.putNow(uuid, record);
    }

    /* Synchronous write, used when the page is being hidden or closed. */
    putNow(uuid, record) {
      try {
        root.localStorage.setItem(STORAGE_PREFIX + uuid, JSON.stringify(record));
      } catch (err) {
        /* Storage full or disabled: the server copy is still made on page change. */
      }
    }

    async remove(uuid) {
      try {
        root.localStorage.removeItem(STORAGE_PREFIX + uuid);
      } catch (err) {
        /* nothing to remove */
      }
    }
  }

  /* Sends draft and submit bodies with fetch(); returns {status, body} or throws when offline. */
  class FetchTransport {
    constructor(urls, csrfToken) {
      this.urls = urls;
      this.csrfToken = csrfToken;
    }

    async send(kind, body) {
      const response = await root.fetch(this.urls[kind], {
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

  /* ------------------------------------------------------------------ DOM helpers */

  function h(tag, attrs, children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (isNull(value) || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of [].concat(children || [])) {
      if (isNull(child) || child === false) continue;
      el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  function pathKey(path) {
    return path.join("/");
  }

  function getIn(obj, path) {
    let cur = obj;
    for (const part of path) {
      if (isNull(cur)) return null;
      cur = cur[part];
    }
    return isNull(cur) ? null : cur;
  }

  function setIn(obj, path, value) {
    let cur = obj;
    for (let i = 0; i < path.length - 1; i += 1) {
      const part = path[i];
      const nextIsIndex = typeof path[i + 1] === "number";
      if (isNull(cur[part]) || typeof cur[part] !== "object") cur[part] = nextIsIndex ? [] : {};
      if (nextIsIndex) {
        while (cur[part].length <= path[i + 1]) cur[part].push({});
      }
      cur = cur[part];
    }
    const last = path[path.length - 1];
    if (isNull(value)) delete cur[last];
    else cur[last] = value;
  }

  /* ------------------------------------------------------------------ the form */

  class FormApp {
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
      this.store = opts.store || new LocalDraftStore();
      this.transport = opts.transport || new FetchTransport(
        { draft: element.dataset.draftUrl, submit: element.dataset.submitUrl },
        element.dataset.csrfToken);
      this.navigate = opts.navigate || ((url) => root.location.assign(url));
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
        if (Number.isInteger(local.page)) this.page = local.page;
        this.dirty = true;
        this.banner = { kind: "info", text: this.t("restored") };
      }
      this.analysis = analyse(this.model, this.raw, this.lang);
      this.page = this.relevantPage(this.page, 1);
      this.renderShell();
      this.renderPage();
      this.timer = root.setInterval(() => {
        if (this.dirty && !this.stale) this.saveDraft();
      }, this.autosaveMs);
      root.addEventListener("online", () => {
        if (this.dirty) this.saveDraft(); /* back in coverage: send what waited */
      });
      const flush = () => this.storeLocalNow();
      root.addEventListener("pagehide", flush);
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "hidden") flush();
      });
      this.el.dataset.ready = "true";
      if (this.dirty) this.saveDraft(); /* a restored draft goes to the server straight away */
      return this;
    }

    /* ---------------------------------------------------------------- answers */

    body() {
      return { answers: this.analysis.answers, page: this.page, row_version: this.rowVersion };
    }

    record(synced) {
      return {
        uuid: this.uuid,
        questionnaire: { id: this.model.def.id, version: this.model.def.version },
        answers: this.analysis.answers,
        page: this.page,
        row_version: this.rowVersion,
        saved_at: new Date().toISOString(),
        synced,
      };
    }

    storeLocalNow() {
      if (this.localTimer) root.clearTimeout(this.localTimer);
      this.localTimer = null;
      if (this.finished) return; /* submitted: nothing left to keep on the device */
      const record = this.record(!this.dirty);
      if (typeof this.store.putNow === "function") this.store.putNow(this.uuid, record);
      else this.store.put(this.uuid, record);
    }

    storeLocalSoon() {
      if (this.localTimer) root.clearTimeout(this.localTimer);
      this.localTimer = root.setTimeout(() => this.storeLocalNow(), LOCAL_SAVE_DELAY_MS);
    }

    setAnswer(path, value) {
      setIn(this.raw, path, value);
      if (isNull(value)) this.touched.add(pathKey(path));
      this.serverErrors.delete(pathKey(path));
      this.changed();
    }

    changed() {
      this.dirty = true;
      this.changeCount += 1;
      this.refresh();
      this.storeLocalSoon();
    }

    /* ---------------------------------------------------------------- pages */

    relevantPage(start, step) {
      const n = this.model.sections.length;
      let i = Math.max(0, Math.min(n - 1, start));
      while (i >= 0 && i < n && !this.analysis.sections[i]) i += step;
      if (i < 0 || i >= n) {
        i = Math.max(0, Math.min(n - 1, start));
        while (i >= 0 && i < n && !this.analysis.sections[i]) i -= step;
      }
      return Math.max(0, Math.min(n - 1, i));
    }

    relevantPages() {
      return this.model.sections.map((s, i) => i).filter((i) => this.analysis.sections[i]);
    }

    isLastPage() {
      const pages = this.relevantPages();
      return pages.length === 0 || this.page >= pages[pages.length - 1];
    }

    /* Errors on one page as [{key, message}] in page order. */
    pageErrors(page) {
      const errors = [];
      const section = this.model.sections[page];
      if (!section || !this.analysis.sections[page]) return errors;
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
      root.scrollTo(0, 0);
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

    /* ---------------------------------------------------------------- server communication */

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
        action: () => root.location.reload() });
      this.setStatus(this.t("savedLocal"), "warn");
    }

    async submit() {
      const firstBad = this.relevantPages().find((p) => this.pageErrors(p).length);
      if (firstBad !== undefined) {
        this.relevantPages().forEach((p) => this.attempted.add(p));
        this.jumpTo(firstBad, this.t("submitErrors"));
        return;
      }
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
        if (this.localTimer) root.clearTimeout(this.localTimer);
        await this.store.remove(this.uuid);
        if (root.clearInterval) root.clearInterval(this.timer);
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

    /* ---------------------------------------------------------------- rendering */

    renderShell() {
      this.el.innerHTML = "";
      this.el.classList.add("gs-app");
      this.el.setAttribute("lang", this.lang);
      this.titleEl = h("h1", { class: "gs-title" });
      this.langButton = h("button", { type: "button", class: "gs-lang",
        onclick: () => this.switchLanguage() });
      this.progressText = h("span", { class: "gs-progress-text" });
      this.progressBar = h("span", { class: "gs-progress-bar" });
      const progress = h("div", { class: "gs-progress", role: "progressbar" },
        [this.progressText, h("span", { class: "gs-progress-track" }, [this.progressBar])]);
      this.bannerEl = h("div", { class: "gs-banner", role: "alert", hidden: true });
      this.pageEl = h("main", { class: "gs-page" });
      this.prevButton = h("button", { type: "button", class: "gs-btn gs-prev",
        onclick: () => this.previous() });
      this.nextButton = h("button", { type: "button", class: "gs-btn gs-primary gs-next",
        onclick: () => this.next() });
      this.submitButton = h("button", { type: "button", class: "gs-btn gs-primary gs-submit",
        onclick: () => this.submit() });
      this.statusEl = h("span", { class: "gs-status", "aria-live": "polite" });
      this.el.appendChild(h("header", { class: "gs-header" },
        [h("div", { class: "gs-header-top" }, [this.titleEl, this.langButton]), progress]));
      this.el.appendChild(this.bannerEl);
      this.el.appendChild(this.pageEl);
      this.el.appendChild(h("nav", { class: "gs-nav" },
        [this.prevButton, this.statusEl, this.nextButton, this.submitButton]));
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
      this.views = new Map();
      this.formatErrors.clear(); /* the boxes are drawn anew, so the bad text is gone too */
      this.pageEl.innerHTML = "";
      const section = this.model.sections[this.page];
      this.pageEl.dataset.section = section.id;
      this.pageEl.appendChild(h("h2", { class: "gs-section-title",
        text: text(section.title, this.lang) }));
      this.generalEl = h("ul", { class: "gs-general-errors", role: "alert" });
      this.pageEl.appendChild(this.generalEl);
      const list = h("div", { class: "gs-items" });
      this.renderItems(section.items || [], [], list);
      this.pageEl.appendChild(list);
      this.endEl = h("p", { class: "gs-end", text: this.t("end") });
      this.pageEl.appendChild(this.endEl);
      this.problemsEl = h("p", { class: "gs-problems", role: "status", hidden: true });
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
      const pages = this.relevantPages();
      const position = Math.max(0, pages.indexOf(this.page)) + 1;
      this.progressText.textContent = this.t("progress", { n: position, total: pages.length });
      this.progressBar.style.width = (100 * position / Math.max(1, pages.length)) + "%";
      const last = this.isLastPage();
      this.prevButton.disabled = !pages.some((i) => i < this.page);
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
        if (root.console) root.console.warn("gesurvey: expression error in " + p.id + ": " +
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

    /* ------------------------------------------------------------ repeat groups */

    repeatView(group, path) {
      const key = pathKey(path);
      const rowsEl = h("div", { class: "gs-rows" });
      const note = h("p", { class: "gs-repeat-note" });
      const message = h("p", { class: "gs-message", role: "alert", hidden: true });
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

    /* ------------------------------------------------------------ questions */

    fieldView(q, path) {
      const key = pathKey(path);
      const id = "gs-" + key.replace(/[^A-Za-z0-9_-]/g, "-");
      const label = h("div", { class: "gs-label", id: id + "-label" }, [
        h("span", { class: "gs-qid", text: q.id }), " ",
        h("span", { text: text(q.label, this.lang) }),
        q.required ? h("span", { class: "gs-required", "aria-hidden": "true", text: " *" }) : null,
      ]);
      const message = h("p", { class: "gs-message", id: id + "-message", role: "alert" });
      const el = h("div", { class: "gs-field gs-type-" + q.type, "data-qid": q.id,
        "data-path": key, role: "group", "aria-labelledby": id + "-label" }, [label]);
      if (q.hint) el.appendChild(h("p", { class: "gs-hint", text: text(q.hint, this.lang) }));
      const view = { key, el, q, path, offeredKey: null, invalid: null };
      const input = this.inputFor(q, path, key, id, view);
      if (input) el.appendChild(input);
      const missing = (q.missing_codes || []).length && q.type !== "grid" &&
        q.type !== "calculate" && q.type !== "note" ? this.missingButtons(q, path, view) : null;
      if (missing) el.appendChild(missing);
      el.appendChild(message);
      view.update = (state) => {
        const relevant = Boolean(state && state.relevant);
        el.hidden = !relevant;
        if (!relevant) {
          el.classList.remove("gs-has-error");
          return;
        }
        if (view.sync) view.sync(state);
        const text_ = this.messageFor(key, state);
        message.textContent = text_ || "";
        message.hidden = !text_;
        el.classList.toggle("gs-has-error", Boolean(text_));
        if (Boolean(text_) !== view.invalid) {
          view.invalid = Boolean(text_);
          for (const input of el.querySelectorAll("input")) {
            input.setAttribute("aria-invalid", view.invalid ? "true" : "false");
            input.setAttribute("aria-describedby", id + "-message");
          }
        }
      };
      return view;
    }

    inputFor(q, path, key, id, view) {
      switch (q.type) {
        case "note":
          return null;
        case "calculate":
          return this.calculateInput(view);
        case "text":
        case "integer":
        case "decimal":
        case "date":
          return this.textInput(q, path, key, id, view);
        case "single":
        case "yesno":
        case "likert5":
        case "multi":
          return this.choiceInput(q, path, key, view);
        case "grid":
          return this.gridInput(q, path, key, view);
        default:
          return h("p", { class: "gs-message", text: "?" + q.type });
      }
    }

    calculateInput(view) {
      const output = h("output", { class: "gs-calculated" });
      view.sync = (state) => {
        output.textContent = isNull(state.value) ? "—" : Expr.toText(state.value);
      };
      return output;
    }

    textInput(q, path, key, id, view) {
      const attrs = { id: id + "-input", class: "gs-input", "aria-labelledby": id + "-label",
        autocomplete: "off" };
      if (q.type === "integer") Object.assign(attrs, { type: "text", inputmode: "numeric" });
      else if (q.type === "decimal") Object.assign(attrs, { type: "text", inputmode: "decimal" });
      else if (q.type === "date") Object.assign(attrs, { type: "date" });
      else Object.assign(attrs, { type: "text" });
      const input = h("input", attrs);
      const missingCodes = q.missing_codes || [];
      const onInput = () => {
        const parsed = this.parse(q.type, input.value);
        if (parsed.error) {
          this.formatErrors.set(key, parsed.error);
          this.serverErrors.delete(key);
          setIn(this.raw, path, null);
          this.changed();
          return;
        }
        this.formatErrors.delete(key);
        this.setAnswer(path, parsed.value);
      };
      input.addEventListener("input", onInput);
      input.addEventListener("change", onInput);
      view.sync = (state) => {
        const value = state.value;
        const codeMissing = typeof value === "number" && missingCodes.includes(value);
        const typing = document.activeElement === input;
        if (codeMissing && !typing) {
          input.disabled = true;
          input.value = "";
          return;
        }
        input.disabled = false;
        if (typing || this.formatErrors.has(key)) return;
        const shown = isNull(value) ? "" : q.type === "decimal" && this.lang === "vi" ?
          String(value).replace(".", ",") : String(value);
        if (input.value !== shown) input.value = shown;
      };
      return input;
    }

    parse(type, raw) {
      const value = raw.trim();
      if (value === "") return { value: null };
      if (type === "integer") {
        if (!/^[-+]?\d+$/.test(value)) return { error: this.t("integer") };
        return { value: parseInt(value, 10) };
      }
      if (type === "decimal") {
        const normal = value.replace(",", ".");
        if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(normal)) return { error: this.t("decimal") };
        return { value: parseFloat(normal) };
      }
      if (type === "date") {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return { error: this.t("date") };
        return { value };
      }
      return { value: raw };
    }

    choiceInput(q, path, key, view) {
      const box = h("div", { class: "gs-choices" + (q.type === "likert5" ? " gs-likert" : "") });
      const multi = q.type === "multi";
      const all = this.model.choices(q);
      const drawOptions = (offered) => {
        box.innerHTML = "";
        for (const choice of offered) {
          const input = h("input", { type: multi ? "checkbox" : "radio", name: key,
            value: String(choice.code), class: "gs-choice-input" });
          input.addEventListener("change", () => this.choose(q, path, choice, input.checked));
          box.appendChild(h("label", { class: "gs-choice", "data-code": String(choice.code) },
            [input, h("span", { class: "gs-choice-label", text: text(choice.label, this.lang) })]));
        }
      };
      const empty = h("p", { class: "gs-hint gs-no-choices", text: this.t("noChoices") });
      const clear = multi ? null : h("button", { type: "button", class: "gs-btn gs-clear",
        text: this.t("clear"), onclick: () => this.setAnswer(path, null) });
      const wrap = h("div", { class: "gs-choice-wrap" }, [box, empty, clear]);
      view.sync = (state) => {
        const offered = state.offered || all;
        empty.hidden = offered.length > 0;
        if (clear) clear.hidden = q.required || isNull(state.value) ||
          (q.missing_codes || []).includes(state.value);
        const offeredKey = offered.map((c) => c.code).join(",");
        if (offeredKey !== view.offeredKey) {
          view.offeredKey = offeredKey;
          drawOptions(offered);
        }
        const value = state.value;
        const isMissing = typeof value === "number" && (q.missing_codes || []).includes(value);
        for (const input of box.querySelectorAll("input")) {
          const code = Number(input.value);
          input.checked = !isMissing && (multi ? Array.isArray(value) && value.includes(code) :
            value === code);
          input.closest(".gs-choice").classList.toggle("gs-checked", input.checked);
        }
        box.classList.toggle("gs-muted", isMissing);
      };
      return wrap;
    }

    choose(q, path, choice, checked) {
      if (q.type !== "multi") {
        this.setAnswer(path, checked ? choice.code : null);
        return;
      }
      const current = getIn(this.raw, path);
      let list = Array.isArray(current) ? current.slice() : [];
      const all = this.model.choices(q);
      const exclusive = new Set(all.filter((c) => c.exclusive).map((c) => c.code));
      if (checked) {
        list = choice.exclusive ? [choice.code] :
          list.filter((code) => !exclusive.has(code)).concat(choice.code);
      } else {
        list = list.filter((code) => code !== choice.code);
      }
      const order = all.map((c) => c.code);
      list = Array.from(new Set(list)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
      this.setAnswer(path, list.length ? list : null);
    }

    missingButtons(q, path, view) {
      const box = h("div", { class: "gs-missing" });
      const buttons = q.missing_codes.map((code) => {
        const button = h("button", { type: "button", class: "gs-btn gs-missing-btn",
          "data-code": String(code), "aria-pressed": "false",
          text: code + " · " + this.model.missingLabel(code, this.lang) });
        button.addEventListener("click", () => {
          const pressed = getIn(this.raw, path) === code;
          this.formatErrors.delete(pathKey(path));
          this.setAnswer(path, pressed ? null : code);
        });
        box.appendChild(button);
        return button;
      });
      const inner = view.sync;
      const syncMissing = (state) => {
        for (const button of buttons) {
          const on = state.value === Number(button.dataset.code);
          button.setAttribute("aria-pressed", on ? "true" : "false");
          button.classList.toggle("gs-pressed", on);
        }
      };
      view.sync = (state) => {
        if (inner) inner(state);
        syncMissing(state);
      };
      return box;
    }

    gridInput(q, path, key, view) {
      const box = h("div", { class: "gs-grid" });
      const missingCodes = q.missing_codes || [];
      const all = this.model.choices(q);
      const cells = [];
      for (const gridRow of q.rows || []) {
        const options = h("div", { class: "gs-choices" });
        const name = key + "/" + gridRow.id;
        const entries = all.map((c) => ({ code: c.code, label: text(c.label, this.lang) }))
          .concat(missingCodes.map((code) => ({ code, missing: true,
            label: code + " · " + this.model.missingLabel(code, this.lang) })));
        for (const entry of entries) {
          const input = h("input", { type: "radio", name, value: String(entry.code),
            class: "gs-choice-input" });
          input.addEventListener("change", () => {
            const current = getIn(this.raw, path);
            const value = current && typeof current === "object" && !Array.isArray(current) ?
              Object.assign({}, current) : {};
            value[gridRow.id] = entry.code;
            this.setAnswer(path, value);
          });
          const label = h("label", { class: "gs-choice" + (entry.missing ? " gs-choice-missing" :
            ""), "data-code": String(entry.code) },
          [input, h("span", { class: "gs-choice-label", text: entry.label })]);
          options.appendChild(label);
          cells.push({ rowId: gridRow.id, input, label, code: entry.code });
        }
        box.appendChild(h("div", { class: "gs-grid-row", "data-grid-row": gridRow.id }, [
          h("div", { class: "gs-grid-row-label", text: text(gridRow.label, this.lang) }),
          options,
        ]));
      }
      view.sync = (state) => {
        const value = state.value && typeof state.value === "object" ? state.value : {};
        const offered = new Set((state.offered || all).map((c) => c.code));
        for (const cell of cells) {
          cell.input.checked = value[cell.rowId] === cell.code;
          cell.label.classList.toggle("gs-checked", cell.input.checked);
          cell.label.hidden = !offered.has(cell.code) && !missingCodes.includes(cell.code);
        }
      };
      return box;
    }
  }

  /* ------------------------------------------------------------------ mounting */

  function readData() {
    const script = document.getElementById("gesurvey-form-data");
    if (!script) return null;
    try {
      return JSON.parse(script.textContent);
    } catch (err) {
      return null;
    }
  }

  /* Mount the form in element with data (the gesurvey-form-data JSON); returns the FormApp. */
  async function mount(element, data, options) {
    let app;
    try {
      app = new FormApp(element, data, options);
    } catch (err) {
      const lang = element.dataset.lang === "en" ? "en" : "vi";
      element.textContent = STRINGS[lang].badForm;
      element.classList.add("gs-broken");
      if (root.console) root.console.error("gesurvey:", err);
      return null;
    }
    await app.start();
    element.gesurveyForm = app;
    return app;
  }

  function autoMount() {
    const element = document.getElementById("gesurvey-form");
    if (!element || element.dataset.manualMount !== undefined) return;
    const data = readData();
    if (!data || !data.questionnaire) {
      const lang = element.dataset.lang === "en" ? "en" : "vi";
      element.textContent = STRINGS[lang].badForm;
      return;
    }
    /* A script loaded before this one may set globalThis.GESurveyFormOptions = {store, transport}
       (e.g. an IndexedDB store and a service-worker outbox) without changing the page. */
    mount(element, data, root.GESurveyFormOptions || {});
  }

  const api = { mount, analyse, Model, FormApp, LocalDraftStore, FetchTransport, STRINGS,
    STORAGE_PREFIX };
  root.GESurveyForm = api;

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoMount);
    else autoMount();
  }
})(typeof globalThis !== "undefined" ? globalThis : this);

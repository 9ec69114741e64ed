/*
 * The offline pages: the start page (assignments, interviews in progress, new interview), the
 * interview shell (the form engine, js/form/, on a questionnaire version kept in IndexedDB) and the outbox page.
 * Translated strings come from the page (#offline-strings, made by the server's catalogue).
 * Stable hooks for tests: .offline-assignment[data-assignment] .offline-start,
 * .offline-draft[data-uuid] .offline-continue, #outbox-list .outbox-item[data-uuid][data-state]
 * with .outbox-resend and .outbox-edit, #outbox-send, #outbox-export, #outbox-summary.
 */
(function (root) {
  "use strict";

  const Outbox = root.GESurveyOutbox;
  const doc = root.document;

  function strings() {
    const script = doc.getElementById("offline-strings");
    try {
      return script ? JSON.parse(script.textContent) : {};
    } catch (err) {
      return {};
    }
  }
  const S = strings();

  function t(key, values) {
    let text = S[key] || key;
    for (const [name, value] of Object.entries(values || {})) {
      text = text.split("{" + name + "}").join(String(value));
    }
    return text;
  }

  function el(tag, attrs, children) {
    const node = doc.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of [].concat(children || [])) {
      if (child) node.appendChild(typeof child === "string" ? doc.createTextNode(child) : child);
    }
    return node;
  }

  /* Replace a list's items in one synchronous step, from cards built off the page. Building
     awaits IndexedDB between cards; drawing into the live list as they come would show it empty
     or half drawn meanwhile, and two drawings running at once (the outbox redraws on every
     change) would interleave into duplicated cards. `begin()` numbers each drawing; one that
     finishes after a newer one has been shown is dropped, so the list never goes back in time. */
  function drawer(list) {
    let started = 0;
    let shown = 0;
    return {
      begin: () => ++started,
      show(drawing, cards, before) {
        if (drawing < shown) return false;
        shown = drawing;
        if (before) before();
        const fragment = doc.createDocumentFragment();
        for (const card of cards) fragment.appendChild(card);
        list.textContent = "";
        list.appendChild(fragment);
        if (root.GESurveyLists) root.GESurveyLists.apply(list);
        return true;
      },
    };
  }

  function lang() {
    return doc.documentElement.lang === "en" ? "en" : "vi";
  }

  function when(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(lang() === "vi" ? "vi-VN" : "en-GB",
      { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  async function getJson(url) {
    const response = await root.fetch(url, { credentials: "same-origin",
      headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    return response.json();
  }

  /* A questionnaire version, from the tablet first (versions never change once published). */
  async function formFor(id, version, url) {
    const key = id + "@" + version;
    const kept = await Outbox.get("forms", key);
    if (kept) return kept;
    const definition = await getJson(url ||
      "/api/v1/questionnaires/" + encodeURIComponent(id) + "/versions/" +
      encodeURIComponent(version));
    await Outbox.put("forms", key, definition);
    return definition;
  }

  function showNetwork() {
    const box = doc.getElementById("net-status");
    if (!box) return;
    box.hidden = root.navigator.onLine;
    box.textContent = t("offline");
  }

  /* ---------------------------------------------------------------- start page */

  async function home() {
    const list = doc.getElementById("offline-assignments");
    let data = null;
    try {
      data = await getJson("/api/v1/assignments");
      await Outbox.put("forms", "assignments", data);
    } catch (err) {
      data = await Outbox.get("forms", "assignments");
    }
    list.textContent = "";
    const assignments = (data && data.assignments) || [];
    if (!assignments.length) list.appendChild(el("li", { text: t("noAssignments") }));
    for (const a of assignments) {
      const version = a.current_version;
      if (version) formFor(version.id, version.version, version.url).catch(() => {});
      list.appendChild(el("li", { class: "card offline-assignment",
        "data-assignment": a.id }, [
        el("h2", { text: version ? version.title : a.questionnaire_id }),
        el("p", { text: a.area.code + " " + a.area.name }),
        el("button", { class: "button primary offline-start", type: "button",
          disabled: !version, text: t("start"),
          onclick: () => startInterview(a) }),
      ]));
    }
    await fetchReturned();
    await drafts();
    showNetwork();
    /* Sent here by "start a new interview" on the online page while offline. */
    const wanted = new URLSearchParams(root.location.search).get("start");
    const chosen = wanted && assignments.find((a) => String(a.id) === wanted);
    if (chosen && chosen.current_version) {
      root.history.replaceState(null, "", root.location.pathname);
      await startInterview(chosen, { replace: true });
    }
  }

  /* Interviews a supervisor returned: kept on the tablet as drafts under their own UUID, with
     the comment, to be corrected offline and sent again (the server applies it as a new
     revision). A draft already being corrected keeps its answers; one waiting in the outbox is
     left alone. Offline, what was fetched before stays. */
  async function fetchReturned() {
    let data;
    try {
      data = await getJson("/api/v1/returned");
    } catch (err) {
      return;
    }
    for (const r of (data && data.returned) || []) {
      const waiting = await Outbox.get("outbox", r.uuid);
      if (waiting && waiting.state === "pending") continue;
      const kept = await Outbox.get("drafts", r.uuid);
      if (kept && kept.returned && kept.reviewed_at === r.reviewed_at) continue;
      try {
        await formFor(r.questionnaire_id, r.questionnaire_version, r.url);
      } catch (err) {
        continue;
      }
      await Outbox.put("drafts", r.uuid, {
        uuid: r.uuid,
        username: Outbox.currentUser(),
        assignment_id: r.assignment_id,
        area: r.area,
        area_name: r.area_name,
        title: r.title,
        questionnaire: { id: r.questionnaire_id, version: r.questionnaire_version },
        answers: kept ? kept.answers : r.answers,
        page: kept ? kept.page : 0,
        started_at: r.started_at || r.created_at,
        saved_at: new Date().toISOString(),
        returned: true,
        review_comment: r.review_comment,
        reviewed_at: r.reviewed_at,
        open_at_comment: !kept,
      });
    }
  }

  /* The values that answer a top-level question of the form and are valid choices: the same
     rule as usable_prefill in survey_app/collect/services.py. */
  function usablePrefill(definition, values) {
    const top = new Map();
    for (const section of definition.sections || []) {
      for (const item of section.items || []) if (item.type !== "repeat") top.set(item.id, item);
    }
    const out = {};
    for (const [id, value] of Object.entries(values || {})) {
      const q = top.get(id);
      if (!q || q.type === "calculate" || q.type === "note") continue;
      if (value === null || value === undefined || value === "") continue;
      const list = Array.isArray(q.choices) ? q.choices :
        typeof q.choices === "string" ? (definition.choice_lists || {})[q.choices] : null;
      if (list && !list.some((c) => c.code === value)) continue;
      out[id] = value;
    }
    return out;
  }

  /* The first household of the assignment's list (the sample's household numbers) this tablet
     has not used yet for the form in the area, else the smallest number not used: the same
     rule as next_household_no in survey_app/collect/services.py. */
  async function nextHouseholdNo(questionnaireId, area, listed) {
    const used = new Set();
    for (const d of await Outbox.all("drafts")) {
      if (d.questionnaire && d.questionnaire.id === questionnaireId && d.area === area &&
          d.answers && Number.isInteger(d.answers.household_no)) used.add(d.answers.household_no);
    }
    for (const i of await Outbox.all("outbox")) {
      const e = i.envelope || {};
      if (e.questionnaire_id === questionnaireId && e.area === area && e.answers &&
          Number.isInteger(e.answers.household_no)) used.add(e.answers.household_no);
    }
    for (const n of listed || []) if (!used.has(n)) return n;
    let n = 1;
    while (used.has(n)) n += 1;
    return n;
  }

  async function startInterview(assignment, how, given) {
    const version = assignment.current_version;
    const definition = await formFor(version.id, version.version, version.url);
    const uuid = root.crypto.randomUUID();
    const values = given || Object.assign({}, assignment.prefill || {},
      { household_no: await nextHouseholdNo(version.id, assignment.area.code,
        assignment.households) });
    await Outbox.put("drafts", uuid, {
      uuid,
      username: Outbox.currentUser(),
      assignment_id: assignment.id,
      area: assignment.area.code,
      area_name: assignment.area.name,
      title: version.title,
      questionnaire: { id: version.id, version: version.version },
      answers: usablePrefill(definition, values),
      page: 0,
      started_at: new Date().toISOString(),
      saved_at: new Date().toISOString(),
    });
    const url = "/collect/offline/interview?uuid=" + uuid;
    if (how && how.replace) root.location.replace(url);
    else root.location.assign(url);
  }

  /* The first top-level identifying text question names an interview in lists (never in a
     sensitive form): the same rule as survey_app/collect/services.py. */
  function nameQuestion(definition) {
    if (!definition || definition.sensitive || definition.unit === "women") return null;
    for (const section of definition.sections || []) {
      for (const item of section.items || []) {
        if (item.type === "text" && item.identifying && !item.sensitive) return item.id;
      }
    }
    return null;
  }

  function givenName(full) {
    const words = String(full || "").trim().split(/\s+/).filter(Boolean);
    return words.length ? words[words.length - 1] : "";
  }

  /* What tells an interview apart: household number, village, given name (never anything from
     the answers of a sensitive form). */
  function summary(answers, definition, villageName) {
    const line = { household: "", village: villageName || "", name: "" };
    if (!definition || definition.sensitive || definition.unit === "women") return line;
    const values = answers || {};
    if (values.household_no !== undefined && values.household_no !== null) {
      line.household = String(values.household_no);
    }
    const question = nameQuestion(definition);
    if (question) line.name = givenName(values[question]);
    return line;
  }

  async function definitionOf(id, version) {
    try {
      return await Outbox.get("forms", id + "@" + version);
    } catch (err) {
      return null;
    }
  }

  /* One card of a list, with the keys js/lists.js searches and sorts by. */
  function listCard(attrs, line, status, changed, children) {
    const facts = [
      line.household ? t("householdNo", { n: line.household }) : null,
      line.village || null,
      line.name || null,
    ].filter(Boolean).join(" · ");
    return el("li", Object.assign({ class: "card", "data-list-item": true,
      "data-household": line.household, "data-village": line.village, "data-name": line.name,
      "data-status": status, "data-changed": changed || "" }, attrs), [
      children[0],
      facts ? el("p", { class: "list-facts", text: facts }) : null,
      el("p", { class: "list-status", text: status + (changed ? " · " +
        t("changed", { time: when(changed) }) : "") }),
    ].concat(children.slice(1)));
  }

  /* Hand-off from a household interview to the person selected in it, by the rule its form
     declares (the "selection" block, questionnaires/FORMAT.md "Selection and hand-off"): the
     selected member's line answers the rule's question; each unit it hands off to says which
     of its questions are filled from which household or member question. The app names no
     question itself. */
  function selectedPerson(definition, answers) {
    const rule = definition && definition.selection;
    if (!rule || !answers) return null;
    const line = answers[rule.question];
    const rows = answers[rule.roster];
    if (!Number.isInteger(line) || !Array.isArray(rows) || !rows[line - 1]) return null;
    return { rule, line, member: rows[line - 1] };
  }

  /* Top-level question ids of a form and whether each is a generated link code. */
  function topLevel(definition) {
    const out = new Map();
    for (const section of (definition && definition.sections) || []) {
      for (const item of section.items || []) if (item.type !== "repeat") out.set(item.id, item);
    }
    return out;
  }

  /* What the interview of the selected person starts with, for one hand-off: each prefilled
     question from the household's answer, or the selected member's (for a roster question),
     and the member's line where the hand-off asks for it. */
  function handoffValues(definition, answers, person, handoff) {
    const top = topLevel(definition);
    const values = {};
    for (const [target, source] of Object.entries(handoff.prefill || {})) {
      values[target] = top.has(source) ? answers[source] : person.member[source];
    }
    if (handoff.line) values[handoff.line] = person.line;
    return values;
  }

  /* A hand-off is ready when every link code it carries (a generated question) is answered. */
  function handoffReady(definition, answers, handoff) {
    const top = topLevel(definition);
    return Object.values(handoff.prefill || {}).every((source) => {
      const q = top.get(source);
      return !q || !q.generate || Boolean(answers[source]);
    });
  }

  /* Buttons that start the interviews of the person a household selected, with the
     questionnaires the enumerator is assigned in that area and the household's form hands off
     to (by their unit). */
  async function handoffButtons(definition, answers, area) {
    const person = selectedPerson(definition, answers);
    if (!person) return [];
    const data = await Outbox.get("forms", "assignments");
    const buttons = [];
    for (const a of (data && data.assignments) || []) {
      const version = a.current_version;
      if (!version || a.area.code !== area) continue;
      const handoff = (person.rule.handoff || {})[version.unit];
      if (!handoff || !handoffReady(definition, answers, handoff)) continue;
      const name = person.rule.name ? givenName(person.member[person.rule.name]) : "";
      buttons.push(el("button", { class: "button offline-handoff", type: "button",
        "data-questionnaire": version.id,
        text: t("handoff", { title: version.title, name, line: person.line }),
        onclick: async () => {
          await startInterview(a, null, handoffValues(definition, answers, person, handoff));
        } }));
    }
    return buttons;
  }

  let draftsDrawer = null;
  async function drafts() {
    const list = doc.getElementById("offline-drafts");
    if (!list) return;
    draftsDrawer = draftsDrawer || drawer(list);
    const drawing = draftsDrawer.begin();
    const items = (await Outbox.all("drafts")).filter(Outbox.mine).sort((a, b) =>
      String(b.saved_at).localeCompare(String(a.saved_at)));
    const cards = [];
    if (!items.length) cards.push(el("li", { text: t("noDrafts") }));
    for (const d of items) {
      const definition = await definitionOf(d.questionnaire.id, d.questionnaire.version);
      const line = summary(d.answers, definition, d.area_name);
      const card = listCard({ "data-uuid": d.uuid }, line,
        d.returned ? t("returnedStatus") : t("inProgress"), d.saved_at, [
          el("h2", { text: d.title || d.questionnaire.id }),
          d.review_comment ? el("p", { class: "comment offline-comment",
            text: t("supervisor", { comment: d.review_comment }) }) : null,
          el("p", { class: "muted", text: t("started", { time: when(d.started_at) }) }),
          el("div", { class: "buttons" }, [el("a", { class: "button offline-continue",
            href: "/collect/offline/interview?uuid=" + d.uuid, text: t("continue") })]
            .concat(await handoffButtons(definition, d.answers, d.area))),
        ]);
      card.classList.add("offline-draft");
      cards.push(card);
    }
    draftsDrawer.show(drawing, cards);
  }

  /* ---------------------------------------------------------------- interview */

  /* The last change of each open interview, kept synchronously in the tab's sessionStorage until
     IndexedDB has committed it: an IndexedDB write is asynchronous, and a reload right after a
     keystroke can abort it, so without this the last answer could be lost. One key per
     interview, removed as soon as its write is committed (and by the logout wipe). */
  const JOURNAL_PREFIX = "gesurvey:journal:";

  function journalWrite(uuid, entry) {
    try {
      root.sessionStorage.setItem(JOURNAL_PREFIX + uuid, JSON.stringify(entry));
    } catch (err) {
      /* storage full or disabled: IndexedDB alone */
    }
  }

  function journalRead(uuid) {
    try {
      return JSON.parse(root.sessionStorage.getItem(JOURNAL_PREFIX + uuid) || "null");
    } catch (err) {
      return null;
    }
  }

  function journalDrop(uuid, seq) {
    const entry = journalRead(uuid);
    if (entry && (seq === undefined || entry.seq === seq)) {
      try {
        root.sessionStorage.removeItem(JOURNAL_PREFIX + uuid);
      } catch (err) {
        /* nothing kept */
      }
    }
  }

  /* A change the journal holds that IndexedDB did not get before the page went away. */
  async function recoverJournal(draft) {
    const entry = journalRead(draft.uuid);
    if (!entry) return;
    if (!draft.saved_at || !entry.saved_at || entry.saved_at >= draft.saved_at) {
      for (const name of ["answers", "page", "row", "paradata", "saved_at"]) draft[name] = entry[name];
      await Outbox.put("drafts", draft.uuid, draft);
    }
    journalDrop(draft.uuid);
  }

  /* The interview's draft in IndexedDB. Each change is written at once from the draft held in
     memory (no read first), with the journal above covering the moment until it commits. */
  class IdbDraftStore {
    constructor(draft) {
      this.draft = draft;
      this.pending = Promise.resolve();
      this.seq = 0;
    }

    async get() {
      return null; /* the page mounts with the IndexedDB draft already */
    }

    putNow(uuid, record) {
      const current = this.draft;
      if (!current) return;
      current.answers = record.answers;
      current.page = record.page;
      current.row = record.row;
      current.paradata = record.paradata;
      current.saved_at = record.saved_at;
      this.seq += 1;
      const seq = this.seq;
      journalWrite(uuid, { seq, answers: current.answers, page: current.page, row: current.row,
        paradata: current.paradata, saved_at: current.saved_at });
      this.pending = Outbox.put("drafts", uuid, current)
        .then(() => journalDrop(uuid, seq))
        .catch(() => {});
    }

    async put(uuid, record) {
      this.putNow(uuid, record);
      await this.pending;
    }

    async remove() {
      /* finalise() already moved the interview from drafts to the outbox */
    }
  }

  class OutboxTransport {
    constructor(draft, store, sensitive) {
      this.draft = draft;
      this.store = store;
      this.sensitive = Boolean(sensitive);
    }

    async send(kind, body) {
      await this.store.put(this.draft.uuid, { answers: body.answers, page: body.page,
        paradata: body.paradata, saved_at: new Date().toISOString() });
      if (kind === "draft") return { status: 200, body: { row_version: 0 } };
      await Outbox.finalise({
        uuid: this.draft.uuid,
        questionnaire_id: this.draft.questionnaire.id,
        questionnaire_version: this.draft.questionnaire.version,
        area: this.draft.area,
        answers: body.answers,
        started_at: this.draft.started_at,
        ended_at: new Date().toISOString(),
        paradata: body.paradata,
      }, { title: this.draft.title, area_name: this.draft.area_name,
        sensitive: this.sensitive });
      Outbox.sync(true).catch(() => {});
      return { status: 200, body: { row_version: 0, redirect: "/collect/outbox" } };
    }
  }

  function problem(message) {
    const box = doc.getElementById("offline-problem");
    box.textContent = message;
    box.hidden = false;
  }

  async function interview() {
    const uuid = new URLSearchParams(root.location.search).get("uuid");
    const draft = uuid ? await Outbox.get("drafts", uuid) : null;
    if (!draft || !Outbox.mine(draft)) {
      problem(t("missingDraft"));
      return;
    }
    let definition;
    try {
      definition = await formFor(draft.questionnaire.id, draft.questionnaire.version);
    } catch (err) {
      problem(t("missingForm"));
      return;
    }
    await recoverJournal(draft);
    const element = doc.getElementById("gesurvey-form");
    const store = new IdbDraftStore(draft);
    if (draft.review_comment) {
      const note = doc.getElementById("review-comment");
      note.textContent = t("supervisor", { comment: draft.review_comment });
      note.hidden = false;
    }
    /* The round's words that question texts quote ("{round.party_term}"), kept on the tablet
       with the assignments (api/v1/assignments). */
    const kept = await Outbox.get("forms", "assignments");
    const app = await root.GESurveyForm.mount(element, {
      questionnaire: definition,
      placeholders: (kept && kept.round && kept.round.placeholders) || {},
      answers: draft.answers || {},
      page: draft.page || 0,
      row: draft.row,
      paradata: draft.paradata,
      submission: { uuid: draft.uuid, status: "draft", row_version: 0 },
      errors: [],
    }, { store, transport: new OutboxTransport(draft, store, definition.sensitive) });
    if (app && draft.open_at_comment) {
      openAtComment(app, definition, draft);
      draft.open_at_comment = false;
      const current = await Outbox.get("drafts", draft.uuid);
      if (current) {
        current.open_at_comment = false;
        await Outbox.put("drafts", draft.uuid, current);
      }
    }
  }

  /* A returned interview opens on the answer the supervisor's comment names: the first
     question id in it (and, in a roster, the member whose name it mentions). */
  function openAtComment(app, definition, draft) {
    const comment = String(draft.review_comment || "");
    const tokens = comment.match(/[A-Za-z][A-Za-z0-9_]*/g) || [];
    const id = tokens.find((token) => app.model.index.has(token));
    if (!id) return;
    const entry = app.model.index.get(id);
    let key = id;
    if (entry.groups.length === 1) {
      const rows = (draft.answers || {})[entry.groups[0]] || [];
      const folded = comment.toLowerCase();
      let row = rows.findIndex((r) => Object.values(r || {}).some((v) =>
        typeof v === "string" && v.trim() && folded.includes(v.trim().toLowerCase().split(/\s+/).pop())));
      if (row < 0) row = 0;
      key = entry.groups[0] + "/" + row + "/" + id;
    }
    const screen = app.screenOf(entry.section, key);
    app.goTo(screen.page, screen.row);
  }

  /* ---------------------------------------------------------------- outbox page */

  async function outboxPage() {
    const list = doc.getElementById("outbox-list");
    const counts = doc.getElementById("outbox-summary");
    const outboxDrawer = drawer(list);
    /* Every change of the outbox (each attempt of a sync) redraws it: the summary and the cards
       always show the same snapshot, swapped in together. */
    const render = async () => {
      const drawing = outboxDrawer.begin();
      const items = (await Outbox.all("outbox")).filter(Outbox.mine).sort((a, b) =>
        String(b.finalised_at).localeCompare(String(a.finalised_at)));
      const waiting = items.filter((i) => i.state === "pending").length;
      const cards = [];
      if (!items.length) cards.push(el("li", { text: t("empty") }));
      for (const item of items) {
        const e = item.envelope;
        const meta = item.meta || {};
        const definition = await definitionOf(e.questionnaire_id, e.questionnaire_version);
        const line = summary(e.answers, definition, meta.area_name);
        const lines = [
          el("h2", { text: meta.title || e.questionnaire_id }),
          el("p", { class: "outbox-state", text: t(item.state) +
            (item.state === "sent" ? " " + when(item.sent_at) : "") }),
          el("p", { class: "outbox-meta", text: t("finalised", { time: when(item.finalised_at) }) +
            " · " + t("attempts", { n: item.attempts }) +
            (item.state === "pending" && item.next_attempt > Date.now() ?
              " · " + t("nextTry", { time: when(new Date(item.next_attempt).toISOString()) }) :
              "") }),
        ];
        if (item.message) lines.push(el("p", { class: "outbox-message", text: item.message }));
        for (const error of item.errors || []) {
          lines.push(el("p", { class: "outbox-message", text: [error.field, error.question_id]
            .filter(Boolean).join(" ") + ": " + error.message }));
        }
        const buttons = el("div", { class: "buttons" }, [
          el("button", { class: "button outbox-resend", type: "button", text: t("resend"),
            onclick: () => Outbox.resend(item.uuid) }),
          item.state === "pending" || item.wiped ? null : el("button", {
            class: "button outbox-edit", type: "button", text: t("edit"),
            onclick: () => editAgain(item) }),
        ]);
        for (const b of await handoffButtons(definition, e.answers, e.area)) buttons.appendChild(b);
        lines.push(buttons);
        const card = listCard({ "data-uuid": item.uuid, "data-state": item.state }, line,
          t(item.state + "Short"), item.last_attempt || item.finalised_at, lines);
        card.classList.add("outbox-item", "outbox-" + item.state);
        cards.push(card);
      }
      outboxDrawer.show(drawing, cards, () => {
        counts.textContent = t("summary", { n: waiting });
        counts.dataset.pending = String(waiting);
      });
    };
    Outbox.onChange(() => render().catch(() => {}));
    doc.getElementById("outbox-send").addEventListener("click",
      () => Outbox.sync(true).catch(() => {}));
    doc.getElementById("outbox-export").addEventListener("click", exportFile);
    await render();
  }

  /* Reopen a finalised interview under the same UUID (what the server then decides: 409). */
  async function editAgain(item) {
    const e = item.envelope;
    const meta = item.meta || {};
    await Outbox.put("drafts", e.uuid, {
      uuid: e.uuid, username: item.username, area: e.area, area_name: meta.area_name, title: meta.title,
      questionnaire: { id: e.questionnaire_id, version: e.questionnaire_version },
      answers: e.answers, page: 0, started_at: e.started_at,
      saved_at: new Date().toISOString(),
    });
    root.location.assign("/collect/offline/interview?uuid=" + e.uuid);
  }

  async function exportFile() {
    const button = doc.getElementById("outbox-export");
    const document = await Outbox.exportDocument(button.dataset.username, false);
    const blob = new Blob([JSON.stringify(document, null, 1)], { type: "application/json" });
    const link = el("a", { href: URL.createObjectURL(blob),
      download: "gesurvey-outbox-" + button.dataset.username + "-" +
        new Date().toISOString().slice(0, 19).replace(/[:T]/g, "") + ".json" });
    doc.body.appendChild(link);
    link.click();
    link.remove();
  }

  function start() {
    const app = doc.getElementById("offline-app");
    const page = app ? app.dataset.page : null;
    root.addEventListener("online", showNetwork);
    root.addEventListener("offline", showNetwork);
    const run = { home, interview, outbox: outboxPage }[page];
    if (run) run().catch((err) => problem(String(err)));
  }

  root.GESurveyOffline = { formFor, IdbDraftStore, OutboxTransport };
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start);
  else start();
})(globalThis);

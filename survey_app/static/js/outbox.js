/*
 * gesurvey outbox: interviews kept on the tablet (IndexedDB) until the server has them.
 *
 * Stores (database "gesurvey", see openDb): "drafts" (interviews in progress, by uuid),
 * "outbox" (finalised interviews: the envelope POSTed to /api/v1/submissions, its state and
 * attempts, by uuid) and "forms" (questionnaire definitions by "id@version", so an interview
 * started on version N is finished on version N even after N+1 is published).
 *
 * Exactly-once: the envelope carries the interview's UUID and the SHA-256 of the canonical JSON
 * of its content (sorted keys, no spaces, JSON.stringify numbers: RFC 8785, the same text as
 * survey_app/submissions/canonical.py). Resending is always safe: the server answers 200 for content it
 * holds, 201 for new content, 409 when it holds different content under the UUID.
 *
 * States of an outbox item: pending (waiting, retried with exponential backoff), sent,
 * conflict (409, shown; a supervisor decides), rejected (422/403: the server refuses it).
 * The backoff grows with the item's consecutive failures, which resume() clears: when the
 * network comes back or the app opens, everything waiting is sent at once instead of after the
 * long wait built up while the tablet was offline.
 * Exposed as globalThis.GESurveyOutbox.
 */
(function (root) {
  "use strict";

  if (root.GESurveyOutbox) return;

  const DB_NAME = "gesurvey";
  const DB_VERSION = 1;
  const API = "/api/v1/submissions";
  const BACKOFF_BASE_MS = 2000;
  const BACKOFF_MAX_MS = 5 * 60 * 1000;
  const KEEP_SENT_MS = 30 * 24 * 3600 * 1000;
  const listeners = new Set();
  let dbPromise = null;
  let running = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise((resolve, reject) => {
      const request = root.indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const name of ["drafts", "outbox", "forms"]) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return dbPromise;
  }

  async function tx(store, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(store, mode);
      const objectStore = transaction.objectStore(store);
      let result;
      const request = work(objectStore);
      if (request) request.onsuccess = () => { result = request.result; };
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }

  const get = (store, key) => tx(store, "readonly", (s) => s.get(key));
  const put = (store, key, value) => tx(store, "readwrite", (s) => s.put(value, key));
  const remove = (store, key) => tx(store, "readwrite", (s) => s.delete(key));
  const all = (store) => tx(store, "readonly", (s) => s.getAll());

  /* ---------------------------------------------------------------- hashing */

  function canonicalJson(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") +
      "}";
  }

  async function sha256Hex(text) {
    const bytes = new TextEncoder().encode(text);
    const digest = await root.crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0"))
      .join("");
  }

  const CONTENT_FIELDS = ["uuid", "questionnaire_id", "questionnaire_version", "area",
    "answers", "started_at", "ended_at"];

  /* The hash covers the interview's content; paradata (how it was done) travels beside it. */
  async function seal(content) {
    const picked = {};
    for (const name of CONTENT_FIELDS) picked[name] = content[name];
    const envelope = Object.assign(picked, { sha256: await sha256Hex(canonicalJson(picked)) });
    if (content.paradata) envelope.paradata = content.paradata;
    return envelope;
  }

  /* ---------------------------------------------------------------- the outbox */

  function notify() {
    for (const listener of listeners) {
      try {
        listener();
      } catch (err) {
        /* a broken listener must not stop sending */
      }
    }
  }

  /* The logged-in enumerator: a shared tablet keeps each person's interviews apart, and only
     the person who made an interview sends it (the server records them as its author). */
  function currentUser() {
    const meta = root.document && root.document.querySelector("meta[name=gesurvey-user]");
    return meta ? meta.content : "";
  }

  function mine(item) {
    return !item.username || item.username === currentUser();
  }

  /* Finalise an interview: seal its envelope, put it in the outbox, drop the draft. */
  async function finalise(content, meta) {
    const envelope = await seal(content);
    await put("outbox", envelope.uuid, {
      uuid: envelope.uuid,
      username: currentUser(),
      envelope,
      meta: meta || {},
      state: "pending",
      attempts: 0,
      failures: 0,
      next_attempt: 0,
      finalised_at: new Date().toISOString(),
      message: "",
    });
    await remove("drafts", envelope.uuid);
    notify();
    return envelope;
  }

  function csrfToken() {
    const input = root.document && root.document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function backoff(attempts) {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
    return base * (0.75 + Math.random() * 0.5);
  }

  async function sendOne(item) {
    let response;
    let body = null;
    try {
      response = await root.fetch(API, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
          "X-CSRFToken": csrfToken() },
        body: JSON.stringify(item.envelope),
      });
      try {
        body = await response.json();
      } catch (err) {
        body = null;
      }
    } catch (err) {
      response = null;
    }
    const now = Date.now();
    item.last_attempt = new Date(now).toISOString();
    item.attempts += 1;
    const status = response ? response.status : 0;
    item.last_status = status;
    if (status === 200 || status === 201) {
      item.state = "sent";
      item.sent_at = item.last_attempt;
      item.message = "";
      if (item.meta && item.meta.sensitive) wipeContent(item);
    } else if (status === 409) {
      item.state = "conflict";
      item.message = (body && body.error) || "";
    } else if (status === 422 || status === 403) {
      item.state = "rejected";
      item.message = (body && body.error) || "";
      item.errors = (body && body.errors) || [];
    } else {
      item.state = "pending";
      item.failures = (item.failures || 0) + 1;
      item.next_attempt = now + backoff(item.failures);
      item.message = (body && body.error) || "";
    }
    if (item.state !== "pending") item.failures = 0;
    await put("outbox", item.uuid, item);
    notify();
    return status;
  }

  /* A sensitive interview (the women's module) the server has confirmed: keep only what proves
     it was sent (uuid, form, hash), never its answers. */
  function wipeContent(item) {
    const envelope = item.envelope || {};
    item.envelope = { uuid: envelope.uuid, questionnaire_id: envelope.questionnaire_id,
      questionnaire_version: envelope.questionnaire_version, sha256: envelope.sha256 };
    item.wiped = true;
  }

  /* Drafts and unsent outbox items of sensitive questionnaires (kept by meta.sensitive, or by
     the form definition stored with the draft). */
  async function unsentSensitive() {
    const forms = await all("forms");
    const sensitiveForm = (q) => forms.some((f) => f && f.id === (q && q.id) &&
      f.version === (q && q.version) && f.sensitive);
    const drafts = (await all("drafts")).filter((d) => mine(d) && sensitiveForm(d.questionnaire));
    const outbox = (await all("outbox")).filter((i) => mine(i) && i.state !== "sent" &&
      i.meta && i.meta.sensitive);
    return { drafts, outbox };
  }

  /* Remove them from the tablet (at logout, after the enumerator confirmed the warning). */
  async function wipeUnsentSensitive() {
    const found = await unsentSensitive();
    for (const d of found.drafts) await remove("drafts", d.uuid);
    for (const i of found.outbox) await remove("outbox", i.uuid);
    notify();
    return found.drafts.length + found.outbox.length;
  }

  /* Forget interviews the server confirmed long ago (the outbox would grow for ever). */
  async function prune(items) {
    const limit = Date.now() - KEEP_SENT_MS;
    for (const item of items) {
      if (item.state === "sent" && Date.parse(item.sent_at) < limit) {
        await remove("outbox", item.uuid);
      }
    }
  }

  /* Send every pending item that is due (or all pending ones when force is true). A forced
     sync asked for while another runs is run after it, never dropped: the running one may be
     an unforced pass that skips items still inside their backoff. */
  let forcedNext = null;
  async function sync(force) {
    if (running) {
      if (!force) return running;
      if (!forcedNext) {
        forcedNext = running.catch(() => {}).then(() => {
          forcedNext = null;
          return sync(true);
        });
      }
      return forcedNext;
    }
    const work = async () => {
      const items = await all("outbox");
      let sent = 0;
      for (const item of items) {
        if (item.state !== "pending" || !mine(item)) continue;
        if (!force && item.next_attempt > Date.now()) continue;
        const status = await sendOne(item);
        if (status === 0) break; /* no network: the others would fail the same way */
        if (status === 200 || status === 201) sent += 1;
      }
      await prune(items);
      return sent;
    };
    running = (root.navigator.locks ?
      root.navigator.locks.request("gesurvey-outbox", work) : work())
      .finally(() => { running = null; });
    return running;
  }

  /* The network is back or the app has just opened: forget the backoff of every pending item
     of this user and send them all now (then keep the timer for the ones that still fail). */
  async function resume() {
    const items = await all("outbox");
    for (const item of items) {
      if (item.state !== "pending" || !mine(item)) continue;
      if (!item.failures && !(item.next_attempt > Date.now())) continue;
      item.failures = 0;
      item.next_attempt = 0;
      await put("outbox", item.uuid, item);
    }
    try {
      return await sync(true);
    } finally {
      schedule();
    }
  }

  /* Send one item again, whatever its state (a forced resend is safe: same UUID, same hash). */
  async function resend(uuid) {
    const item = await get("outbox", uuid);
    if (!item) return null;
    return sendOne(item);
  }

  let timer = null;
  function schedule() {
    if (timer) root.clearTimeout(timer);
    all("outbox").then((items) => {
      const due = items.filter((i) => i.state === "pending" && mine(i))
        .map((i) => i.next_attempt || 0);
      if (!due.length) return;
      const wait = Math.max(1000, Math.min(...due) - Date.now());
      timer = root.setTimeout(() => sync(false).finally(schedule), wait);
    }).catch(() => {});
  }

  /* Export the outbox (everything not yet sent, or everything) as a file for an admin import. */
  async function exportDocument(username, includeSent) {
    const items = await all("outbox");
    return {
      format: "gesurvey-outbox",
      version: 1,
      username,
      exported_at: new Date().toISOString(),
      submissions: items.filter((i) => mine(i) && (includeSent || i.state !== "sent"))
        .map((i) => i.envelope),
    };
  }

  function onChange(listener) {
    listeners.add(listener);
  }

  root.GESurveyOutbox = {
    openDb, get, put, remove, all, canonicalJson, currentUser, mine, sha256Hex, seal, finalise, sync, resend,
    unsentSensitive, wipeUnsentSensitive,
    resume, schedule, exportDocument, onChange, backoff,
  };
})(typeof globalThis !== "undefined" ? globalThis : this);

/*
 * Paradata: how the interview was done, kept beside the answers and never inside them.
 * Per interview: start and end time, time on each question (focus to leave, summed over
 * visits), visits, answer changes (an answer replaced by another), interruptions, position
 * where the tablet gives it and the enumerator allows, and the app version. Sensitive
 * questionnaires (the women's module) keep no per-question record and no position: which
 * questions were shown there would tell what a woman answered.
 */

export const PARADATA_VERSION = 1;

function nowMs() {
  return Date.now();
}

export class ParadataRecorder {
  constructor(options) {
    const opts = options || {};
    this.perQuestion = opts.perQuestion !== false;
    this.clock = opts.clock || nowMs;
    this.data = {
      version: PARADATA_VERSION,
      started_at: null,
      ended_at: null,
      app_version: opts.appVersion || null,
      interruptions: 0,
      gps: null,
      questions: {},
    };
    this.current = null; /* {qid, since} while a question has focus */
    this.pending = new Set(); /* questions whose answer was replaced during this visit */
  }

  /* Continue from what the device or the server kept for this interview. */
  restore(saved) {
    if (!saved || typeof saved !== "object" || saved.version !== PARADATA_VERSION) return;
    const questions = this.perQuestion && saved.questions && typeof saved.questions === "object"
      ? saved.questions : {};
    this.data = { ...this.data, ...saved, questions: { ...questions } };
    if (!this.perQuestion) this.data.gps = null;
  }

  start() {
    if (!this.data.started_at) this.data.started_at = new Date(this.clock()).toISOString();
  }

  entry(qid) {
    if (!this.data.questions[qid]) this.data.questions[qid] = { seconds: 0, visits: 0, changes: 0 };
    return this.data.questions[qid];
  }

  focus(qid) {
    if (!this.perQuestion || !qid) return;
    if (this.current && this.current.qid === qid) return;
    this.leave();
    this.entry(qid).visits += 1;
    this.current = { qid, since: this.clock() };
  }

  leave() {
    if (!this.current) return;
    const spent = Math.max(0, this.clock() - this.current.since) / 1000;
    const entry = this.entry(this.current.qid);
    entry.seconds = Math.round((entry.seconds + spent) * 10) / 10;
    if (this.pending.has(this.current.qid)) entry.changes += 1;
    this.pending.delete(this.current.qid);
    this.current = null;
  }

  /* An answer replaced a previous, different answer (a correction, not the first entry). */
  changed(qid) {
    if (!this.perQuestion || !qid) return;
    if (this.current && this.current.qid === qid) this.pending.add(qid);
    else this.entry(qid).changes += 1;
  }

  interrupted() {
    this.data.interruptions += 1;
  }

  locate(geolocation) {
    if (!this.perQuestion || this.data.gps || !geolocation) return;
    try {
      geolocation.getCurrentPosition((position) => {
        const c = position.coords;
        this.data.gps = {
          lat: Math.round(c.latitude * 1e6) / 1e6,
          lon: Math.round(c.longitude * 1e6) / 1e6,
          accuracy: Math.round(c.accuracy),
        };
      }, () => { /* refused or unavailable: no position */ },
      { maximumAge: 600000, timeout: 20000 });
    } catch (err) {
      /* no geolocation in this browser */
    }
  }

  finish() {
    this.leave();
    this.data.ended_at = new Date(this.clock()).toISOString();
  }

  /* What is saved and sent: the visit in progress counted up to now, still open. */
  snapshot() {
    const copy = JSON.parse(JSON.stringify(this.data));
    if (this.current) {
      const spent = Math.max(0, this.clock() - this.current.since) / 1000;
      const entry = copy.questions[this.current.qid];
      entry.seconds = Math.round((entry.seconds + spent) * 10) / 10;
    }
    return copy;
  }
}

/* The question id a field path ends in: ["roster", 0, "M04"] -> "M04". */
export function questionOf(path) {
  for (let i = path.length - 1; i >= 0; i -= 1) {
    if (typeof path[i] === "string") return path[i];
  }
  return null;
}

/* FormApp methods that feed the recorder from the page. */
export class Paradata {
  watchParadata() {
    this.el.addEventListener("focusin", (event) => {
      const field = event.target.closest && event.target.closest(".gs-field[data-qid]");
      if (field) this.paradata.focus(field.dataset.qid);
    });
    this.el.addEventListener("focusout", (event) => {
      const next = event.relatedTarget && event.relatedTarget.closest &&
        event.relatedTarget.closest(".gs-field[data-qid]");
      const field = event.target.closest && event.target.closest(".gs-field[data-qid]");
      if (!next || !field || next.dataset.qid !== field.dataset.qid) this.paradata.leave();
    });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.paradata.leave();
    });
  }
}

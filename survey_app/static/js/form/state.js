/*
 * State and storage: the answers being edited, what is saved, and the draft kept on the device.
 * The device store is any object with async get/put/remove of
 * {uuid, questionnaire, answers, page, row_version, paradata, saved_at, synced} (putNow, if present, writes
 * synchronously while the page is being hidden); localStorage by default, IndexedDB offline.
 */
import { questionOf } from "./paradata.js";
import { getIn, isNull, pathKey, setIn } from "./util.js";

export const STORAGE_PREFIX = "gesurvey:draft:";

/* Drafts in localStorage; every method is async so an IndexedDB store can take its place. */
export class LocalDraftStore {
  async get(uuid) {
    try {
      const raw = globalThis.localStorage.getItem(STORAGE_PREFIX + uuid);
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
      globalThis.localStorage.setItem(STORAGE_PREFIX + uuid, JSON.stringify(record));
    } catch (err) {
      /* Storage full or disabled: the server copy is still made on page change. */
    }
  }

  async remove(uuid) {
    try {
      globalThis.localStorage.removeItem(STORAGE_PREFIX + uuid);
    } catch (err) {
      /* nothing to remove */
    }
  }
}

/* FormApp methods that change the answers and keep them on the device. */
export class DraftState {
  body() {
    return { answers: this.analysis.answers, page: this.page, row_version: this.rowVersion,
      paradata: this.paradata.snapshot() };
  }

  record(synced) {
    return {
      uuid: this.uuid,
      questionnaire: { id: this.model.def.id, version: this.model.def.version },
      sensitive: Boolean(this.model.def.sensitive), /* wiped at logout after a warning */
      answers: this.analysis.answers,
      page: this.page,
      row: this.row,
      row_version: this.rowVersion,
      paradata: this.paradata.snapshot(),
      saved_at: new Date().toISOString(),
      synced,
    };
  }

  /* Write the draft to the device now. Called on every change (each keystroke), and when a field
     loses focus or the page is hidden: a reload right after typing finds the answer, because
     the device store's putNow writes before the next event can unload the page. */
  storeLocalNow() {
    if (this.finished) return; /* submitted: nothing left to keep on the device */
    const record = this.record(!this.dirty);
    if (typeof this.store.putNow === "function") this.store.putNow(this.uuid, record);
    else this.store.put(this.uuid, record);
  }

  setAnswer(path, value) {
    const before = getIn(this.raw, path);
    if (!isNull(before) && JSON.stringify(before) !== JSON.stringify(value)) {
      this.paradata.changed(questionOf(path));
    }
    setIn(this.raw, path, value);
    this.rememberPath(path);
    if (isNull(value)) this.touched.add(pathKey(path));
    this.serverErrors.delete(pathKey(path));
    this.changed();
  }

  changed() {
    this.dirty = true;
    this.changeCount += 1;
    this.refresh();
    this.storeLocalNow();
  }
}

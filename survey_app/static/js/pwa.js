/*
 * Make the enumerator's app work offline: register the service worker, ask for persistent
 * storage (the outbox lives in IndexedDB), and send the outbox when the app opens, when the
 * network comes back, and on a timer with backoff. Loaded on every enumerator page.
 */
(function (root) {
  "use strict";

  const Outbox = root.GESurveyOutbox;

  async function askPersistence() {
    const storage = root.navigator.storage;
    if (!storage || !storage.persist) return false;
    let granted = storage.persisted ? await storage.persisted() : false;
    if (!granted) granted = await storage.persist();
    root.document.documentElement.dataset.persistentStorage = granted ? "granted" : "refused";
    const warning = root.document.getElementById("persist-warning");
    if (warning) warning.hidden = granted;
    return granted;
  }

  function start() {
    if ("serviceWorker" in root.navigator) {
      root.navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
    }
    askPersistence().catch(() => {});
    if (!Outbox) return;
    /* Opening the app and the network coming back both send at once, backoff forgotten. */
    const resume = () => Outbox.resume().catch(() => {});
    root.addEventListener("online", resume);
    root.addEventListener("pageshow", (event) => {
      if (event.persisted) resume();
    });
    resume();
    /* Leaving the account: forget cached pages (the outbox itself stays on the tablet), and
       every unsent draft of a sensitive module, after an explicit warning. Offline, nothing is
       wiped and nobody is logged out: the page says why, and that nothing is lost. */
    const logout = root.document.getElementById("logout");
    if (logout) {
      let confirmed = false;
      logout.form.addEventListener("submit", async (event) => {
        if (confirmed) return;
        event.preventDefault();
        if (!(await reachable())) {
          say("logoutOffline");
          return;
        }
        const unsent = await sensitiveUnsent();
        if (unsent > 0) {
          const lang = root.document.documentElement.lang === "en" ? "en" : "vi";
          if (!root.confirm(WARNING[lang].replace("{n}", String(unsent)))) return;
        }
        await wipeSensitive();
        if (root.caches) {
          for (const key of await root.caches.keys()) await root.caches.delete(key);
        }
        confirmed = true;
        logout.form.submit();
      });
    }
    /* The language of the pages is the server's choice: offline, say so instead of failing. */
    const language = root.document.getElementById("language-form");
    if (language) {
      let checked = false;
      language.addEventListener("submit", async (event) => {
        if (checked) return;
        event.preventDefault();
        const button = event.submitter;
        if (!(await reachable())) {
          say("languageOffline");
          return;
        }
        checked = true;
        if (language.requestSubmit) language.requestSubmit(button || undefined);
        else language.submit();
      });
    }
  }

  const PROBE_TIMEOUT_MS = 4000;

  /* Is the server reachable now? The browser's own flag first, then one small request (a
     tablet may say "online" on a network that leads nowhere). */
  async function reachable() {
    if (!root.navigator.onLine) return false;
    const controller = root.AbortController ? new root.AbortController() : null;
    const timer = root.setTimeout(() => controller && controller.abort(), PROBE_TIMEOUT_MS);
    try {
      const response = await root.fetch("/sw.js", { method: "HEAD", cache: "no-store",
        credentials: "same-origin", signal: controller ? controller.signal : undefined });
      return response.status < 500;
    } catch (err) {
      return false;
    } finally {
      root.clearTimeout(timer);
    }
  }

  /* Show one message (its text is on #app-message, translated by the server) in the page's
     one live region, and bring it into view. */
  function say(key) {
    const box = root.document.getElementById("app-message");
    if (!box) return;
    box.textContent = box.dataset[key] || "";
    box.dataset.shown = key;
    if (box.scrollIntoView) box.scrollIntoView({ block: "center" });
  }

  const WARNING = {
    vi: "Trên máy còn {n} phiếu của mô-đun an toàn phụ nữ chưa gửi. Nếu đăng xuất, các phiếu " +
      "này sẽ bị xóa vĩnh viễn khỏi máy và không gửi được nữa. Vẫn đăng xuất?",
    en: "This tablet holds {n} unsent interview(s) of the women's safety module. Logging out " +
      "deletes them from the tablet for good; they can no longer be sent. Log out anyway?",
  };

  const DRAFT_PREFIX = "gesurvey:draft:";

  /* Local drafts (online interviews) of sensitive questionnaires: [key, record] pairs. */
  function localSensitiveDrafts() {
    const found = [];
    try {
      for (let i = 0; i < root.localStorage.length; i += 1) {
        const key = root.localStorage.key(i);
        if (!key || !key.startsWith(DRAFT_PREFIX)) continue;
        const record = JSON.parse(root.localStorage.getItem(key) || "null");
        if (record && record.sensitive) found.push([key, record]);
      }
    } catch (err) {
      /* storage disabled: nothing kept */
    }
    return found;
  }

  async function sensitiveUnsent() {
    let count = localSensitiveDrafts().filter(([, record]) => !record.synced).length;
    if (Outbox) {
      const found = await Outbox.unsentSensitive();
      count += found.drafts.length + found.outbox.length;
    }
    return count;
  }

  /* The offline interview page's journal of not yet committed changes (offline.js). */
  function dropJournals() {
    try {
      const keys = [];
      for (let i = 0; i < root.sessionStorage.length; i += 1) {
        const key = root.sessionStorage.key(i);
        if (key && key.startsWith("gesurvey:journal:")) keys.push(key);
      }
      for (const key of keys) root.sessionStorage.removeItem(key);
    } catch (err) {
      /* storage disabled: nothing kept */
    }
  }

  async function wipeSensitive() {
    dropJournals();
    for (const [key] of localSensitiveDrafts()) root.localStorage.removeItem(key);
    if (Outbox) await Outbox.wipeUnsentSensitive();
  }

  root.GESurveyPwa = { askPersistence, sensitiveUnsent, wipeSensitive, reachable, say };
  if (root.document.readyState === "loading") {
    root.document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(globalThis);

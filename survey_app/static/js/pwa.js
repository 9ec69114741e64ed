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
    /* Leaving the account: forget cached pages (the outbox itself stays on the tablet). */
    const logout = root.document.getElementById("logout");
    if (logout && root.caches) {
      logout.form.addEventListener("submit", () => {
        root.caches.keys().then((keys) => keys.forEach((k) => root.caches.delete(k)));
      });
    }
  }

  root.GESurveyPwa = { askPersistence };
  if (root.document.readyState === "loading") {
    root.document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})(globalThis);

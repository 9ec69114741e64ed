/*
 * gesurvey service worker: after one online visit the enumerator's pages, questionnaires,
 * assignments and static files open with no network.
 *
 * Pages and API reads: network first (fresh when online), the cached copy when not.
 * Static files: the cached copy at once, refreshed in the background. Writes (POST) go to the
 * network unchanged and are never cached: the outbox (outbox.js) sends interviews and keeps them
 * until the server has them.
 */
"use strict";

const CACHE = "gesurvey-v10";
const UNAVAILABLE = "/collect/offline/unavailable";
const PRECACHE = [
  "/collect/offline/",
  "/collect/offline/interview",
  "/collect/outbox",
  UNAVAILABLE,
  "/api/v1/assignments",
  "/api/v1/questionnaires",
  "/manifest.webmanifest",
  "/static/css/app.css",
  "/static/css/form.css",
  "/static/js/expr.js",
  "/static/js/form/index.js",
  "/static/js/form/app.js",
  "/static/js/form/expr.js",
  "/static/js/form/fields.js",
  "/static/js/form/interrupt.js",
  "/static/js/form/model.js",
  "/static/js/form/navigation.js",
  "/static/js/form/paradata.js",
  "/static/js/form/render.js",
  "/static/js/form/roster.js",
  "/static/js/form/selection.js",
  "/static/js/form/state.js",
  "/static/js/form/strings.js",
  "/static/js/form/sync.js",
  "/static/js/form/util.js",
  "/static/js/form/validation.js",
  "/static/js/outbox.js",
  "/static/js/lists.js",
  "/static/js/offline.js",
  "/static/js/pwa.js",
  "/static/img/icon.svg",
];

function cacheable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(PRECACHE.map(async (url) => {
    try {
      const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
      if (cacheable(response)) await cache.put(url, response);
    } catch (err) {
      /* offline during install: the page caches itself on the next visit */
    }
  }));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

const NETWORK_TIMEOUT_MS = 6000;

async function cachedCopy(cache, request) {
  return (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (cacheable(response)) await cache.put(request, response.clone());
    return response;
  });
  try {
    /* A weak signal can hang a request for minutes: after a while, the kept copy will do. */
    const slow = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS, null));
    const first = await Promise.race([network, slow]);
    if (first) return first;
    const cached = await cachedCopy(cache, request);
    if (cached) return cached;
    return await network;
  } catch (err) {
    const cached = await cachedCopy(cache, request);
    if (cached) return cached;
    if (request.mode === "navigate") return unavailable();
    return new Response(JSON.stringify({ error: "offline" }), {
      status: 503, headers: { "Content-Type": "application/json" },
    });
  }
}

/* What a page that needs the network shows offline: the kept "no network" page (in the
   enumerator's language), or, if even that is gone, the same words in both languages. Never
   the browser's own error page, never raw JSON. */
const NO_NETWORK_HTML = "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">" +
  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
  "<title>Không có mạng · No network</title></head><body><main>" +
  "<h1>Không có mạng</h1><p>Trang này cần kết nối mạng. Không mất dữ liệu gì: các phiếu vẫn " +
  "lưu trên máy tính bảng.</p><p><a href=\"/collect/offline/\">Thu thập ngoại tuyến</a> · " +
  "<a href=\"/collect/outbox\">Hộp thư đi</a></p>" +
  "<h2 lang=\"en\">No network</h2><p lang=\"en\">This page needs the network. Nothing is " +
  "lost: interviews stay on the tablet.</p></main></body></html>";

async function unavailable() {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(UNAVAILABLE);
  if (kept) return kept;
  return new Response(NO_NETWORK_HTML, {
    status: 503, headers: { "Content-Type": "text/html; charset=utf-8" },
  });
}

/* A page the network must answer (a form post, an online interview): offline, the "no
   network" page instead of the browser's error; other requests fail as they would anyway. */
async function networkOnly(request) {
  try {
    return await fetch(request);
  } catch (err) {
    if (request.mode === "navigate") return unavailable();
    throw err;
  }
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request, { ignoreSearch: true });
  const refresh = fetch(event.request).then(async (response) => {
    if (cacheable(response)) await cache.put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => null));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    /* Writes go straight to the network, from here rather than by fallback, so that every
       request of a controlled page takes one path (and one network state). */
    event.respondWith(networkOnly(request));
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
    return;
  }
  if (url.pathname === "/sw.js") return;
  /* Returned interviews carry answers (the women's module among them): never kept in the
     cache; the offline app keeps what it needs in IndexedDB. */
  if (url.pathname === "/api/v1/returned") {
    event.respondWith(networkOnly(request));
    return;
  }
  /* An online interview page embeds its answers (the women's module among them): never
     keep a copy of it on the tablet. */
  if (url.pathname.startsWith("/collect/interview/")) {
    event.respondWith(networkOnly(request));
    return;
  }
  event.respondWith(networkFirst(request));
});

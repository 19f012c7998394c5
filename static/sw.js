// Lockstep's service worker. Two jobs:
//
// 1. Cross-origin isolation where the host cannot send headers (GitHub Pages and most static
//    hosts). Real threads share wasm memory through SharedArrayBuffer, which browsers only
//    hand to a cross-origin isolated page: one served with COOP same-origin and COEP
//    require-corp. Every same-origin response this worker serves gets those headers (and
//    CORP same-origin), so once it controls the page, a reload makes the page isolated. The
//    page decides when to reload (the inline script in index.html); this file never does.
// 2. Offline use. The whole app is a handful of static files; they are cached when the worker
//    installs, so every lesson opens, steps and runs on real threads with no network.
//
// What is cached: the list below is written at build time by scripts/sw_precache.py (a Trunk
// post_build hook): every file Trunk put in dist/ — index.html, the content-hashed .js/.wasm/.css,
// the favicon, the manifest and wasm-bindgen-rayon's worker helpers under snippets/ — and a
// version that is a hash of all of them. Trunk's hashed file names change with every build, so
// a list written by hand would be stale at once; reading dist/ after the build is exact, and a
// changed file changes this file's bytes, which is how the browser notices an update.
// Anything same-origin that is not on the list is cached the first time it is fetched. Served
// unbuilt (no list, no version) this worker only adds the headers and caches nothing.
//
// Strategy: pages network-first (a new deploy is seen at once; offline, or after 4 s without an
// answer, the cached index.html), everything else cache-first (hashed names never change
// content, and the few unhashed files are cached afresh with every build). One cache per build
// and scope; activating a build deletes the older ones of the same scope, so two copies of
// Lockstep on one origin (user.github.io/a/ and /b/) leave each other alone.
'use strict';

// Filled in by scripts/sw_precache.py; keep it on one line.
const BUILD = { "version": "unbuilt", "files": [] };

const SCOPE = self.registration.scope;
const PREFIX = 'lockstep:' + SCOPE + ':';
const CACHE = PREFIX + BUILD.version;
const CACHING = BUILD.version !== 'unbuilt';

const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  // Same-origin loads need no CORP under COEP; set anyway, so these files also keep other
  // origins' pages from embedding them.
  'Cross-Origin-Resource-Policy': 'same-origin',
};

self.addEventListener('install', event => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `no-cache` revalidates with the server (a 304 is cheap), so a copy of index.html left in
    // the HTTP cache by an older deploy is never precached with this build's files.
    // addAll is all or nothing: a build whose files are not all reachable does not install.
    await cache.addAll(BUILD.files.map(f => new Request(new URL(f, self.location), { cache: 'no-cache' })));
    // A new build takes over at once: its files are all cached, and a page that is already
    // running has loaded everything it needs.
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', event => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
    }
    // Control the page that registered this worker, so it can reload into isolation.
    await self.clients.claim();
  })());
});

// A page that loaded without a controller next to an already active worker (a hard reload,
// another tab installed it) asks to be claimed; see index.html.
self.addEventListener('message', event => {
  if (event.data === 'claim') event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', event => {
  const request = event.request;
  if (request.method !== 'GET' || request.headers.has('range')) return;
  if (new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(request.mode === 'navigate' ? page(request) : asset(event));
});

/** A navigation waits this long for the network before a cached copy is served instead. */
const PAGE_TIMEOUT_MS = 4000;

/** Network first; offline, or when the network has not answered within PAGE_TIMEOUT_MS (a
 * network that hangs rather than fails), the cached document for that path (a directory means
 * index.html). With nothing cached it goes on waiting for the network. */
async function page(request) {
  const network = fetch(request).then(isolated);
  network.catch(() => {}); // Answered from the cache, a later failure is nobody's business.
  let timer;
  const slow = new Promise(resolve => { timer = setTimeout(resolve, PAGE_TIMEOUT_MS, null); });
  try {
    const first = await Promise.race([network, slow]);
    if (first) return first;
    return (await cachedPage(request)) ?? (await network);
  } catch (offline) {
    const cached = await cachedPage(request);
    if (cached) return cached;
    throw offline;
  } finally {
    clearTimeout(timer);
  }
}

/** The cached document for a navigation, isolated, or null. */
async function cachedPage(request) {
  const url = new URL(request.url);
  url.search = '';
  if (url.pathname.endsWith('/')) url.pathname += 'index.html';
  const cached = await (await caches.open(CACHE)).match(url.href);
  return cached ? isolated(cached) : null;
}

/** Cache first; a miss is fetched, and kept when it is a complete same-origin 200. */
async function asset(event) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(event.request);
  if (cached) return isolated(cached);
  const response = await fetch(event.request);
  if (CACHING && response.status === 200 && response.type === 'basic') {
    event.waitUntil(cache.put(event.request, response.clone()));
  }
  return isolated(response);
}

/** The response with the isolation headers added. Opaque and redirect responses cannot be
 * rewritten and pass through (the browser follows a redirect with a new request). */
function isolated(response) {
  if (response.status === 0 || response.type === 'opaque' || response.type === 'opaqueredirect') {
    return response;
  }
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(ISOLATION)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

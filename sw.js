// Offline support: the app shell and the wasm core in a versioned cache. A new version
// (a changed VERSION, set by the Pages workflow to the commit) installs beside the old one
// and waits until the page's "Reload" button asks it to take over.
const VERSION = 'dev';
const CACHE = `to3mf-${VERSION}`;
// The app shell. `make site` replaces this line with every file it copied into _site/. Served
// from a checkout (`make serve`) the list is empty: each file is then fetched from the
// network first and kept for offline use, so edits show on reload.
const SHELL = [];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('to3mf-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'skipWaiting') self.skipWaiting();
});

// Cache first for the shell (it is versioned as a whole); anything else from the network.
// Without a shell (a checkout), the network first and the cache when offline.
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(SHELL.length ? cacheFirst(event.request) : networkFirst(event.request));
});

function cacheFirst(request) {
  return caches.match(request, { ignoreSearch: true }).then((hit) => hit ?? fetch(request));
}

function networkFirst(request) {
  return fetch(request).then(
    (response) => {
      if (response.status === 200) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(request, copy));
      }
      return response;
    },
    (error) => caches.match(request, { ignoreSearch: true }).then((hit) => hit ?? Promise.reject(error)),
  );
}

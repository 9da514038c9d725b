// Offline support: the app shell and the wasm core in a versioned cache. A new version
// (a changed VERSION, set by the Pages workflow to the commit) installs beside the old one
// and waits until the page's "Reload" button asks it to take over.
const VERSION = 'dev';
const CACHE = `to3mf-${VERSION}`;
const SHELL = [
  './',
  './index.html',
  './manifest.webmanifest',
  './www/app.js',
  './www/style.css',
  './www/to3mf.js',
  './www/worker.js',
  './www/icon.svg',
  './www/icon-192.png',
  './www/icon-512.png',
  './www/pkg/to3mf_wasm.js',
  './www/pkg/to3mf_wasm_bg.wasm',
  './www/pkgfull/to3mf_wasm.js',
  './www/pkgfull/to3mf_wasm_bg.wasm',
];

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
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(caches.match(event.request, { ignoreSearch: true }).then((hit) => hit ?? fetch(event.request)));
});

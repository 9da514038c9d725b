// An Uppy app as a host would build it, for uppy.test.mjs and bench/uppy.mjs: to3mf installed
// from the tarball `npm pack` makes of packages/to3mf (run `make package` first), Uppy's
// Dashboard and Tus uploader at Manyfold's versions, and a real Tus server (@tus/server with its
// file store) on the page's origin. The page is served with Manyfold's Content-Security-Policy,
// the assets without it, as Rails serves them.
//
// The app uses plain ES modules and an import map, no bundler. Only the host's Uppy is turned
// into browser modules first (esbuild, with one shared copy of Preact): its packages import
// CommonJS ones (lodash, namespace-emitter, url-parse) that no browser loads as they are.
// to3mf is served as the tarball installed it.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Server, EVENTS } from '@tus/server';
import { FileStore } from '@tus/file-store';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NONCE = 'to3mf-test-nonce';
export const CSP = `default-src 'self'; connect-src 'self'; worker-src 'self' blob:; script-src 'self' 'nonce-${NONCE}'; object-src 'none'`;

// The files of packages/to3mf that `make package` copies from www/.
export const PACKAGED = ['to3mf.js', 'to3mf.d.ts', 'pool.js', 'worker.js', 'helper.js', 'io.js', 'manyfold.js', 'uppy.js', 'uppy.d.ts'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Upload</title>
<link rel="stylesheet" href="vendor/core.css">
<link rel="stylesheet" href="vendor/dashboard.css">
<script type="importmap" nonce="${NONCE}">
{ "imports": {
  "@uppy/core": "./vendor/core.js",
  "@uppy/dashboard": "./vendor/dashboard.js",
  "@uppy/tus": "./vendor/tus.js",
  "to3mf": "./node_modules/to3mf/to3mf.js",
  "to3mf/uppy": "./node_modules/to3mf/uppy.js"
} }
</script>
<script type="module" src="app.js"></script>
</head>
<body><div id="uppy"></div></body>
</html>
`;

// Manyfold's Uppy setup (upload_controller.ts) plus the plugin; ?plugin=off leaves it out,
// the other parameters are its options (workerUrl: e.g. /static/to3mf/worker.js). Events go to window.events for the test to read.
const APP = `import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import Tus from '@uppy/tus';
import To3mf from 'to3mf/uppy';

// Whether this page may run wasm itself: under the policy it may not.
try {
  await WebAssembly.instantiate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  window.wasmOnPage = 'instantiated';
} catch (e) {
  window.wasmOnPage = e.name + ': ' + e.message;
}

const q = new URLSearchParams(location.search);
const events = (window.events = []);
const uppy = (window.uppy = new Uppy({ autoProceed: true })
  .use(Dashboard, { inline: true, target: '#uppy', width: '100%', height: '25rem', showRemoveButtonAfterComplete: true, hideProgressAfterFinish: true })
  .use(Tus, { endpoint: '/upload', chunkSize: 1 * 1024 * 1024 }));
if (q.get('plugin') !== 'off') {
  uppy.use(To3mf, { onError: q.get('onError') ?? 'upload', keepOriginal: q.has('keepOriginal'), preview: q.has('preview'), workerUrl: q.get('workerUrl') });
}
const at = () => performance.now();
uppy.on('files-added', (files) => events.push({ type: 'files-added', names: files.map((f) => f.name), at: at() }));
uppy.on('preprocess-progress', (file, p) => events.push({ type: 'preprocess-progress', name: file.name, mode: p.mode, value: p.value ?? null }));
uppy.on('preprocess-complete', (file) => events.push({ type: 'preprocess-complete', name: file.name }));
uppy.on('to3mf:failed', (file, message, what) => events.push({ type: 'to3mf:failed', name: file.name, message, what }));
uppy.on('upload-success', (file) => events.push({ type: 'upload-success', name: file.name, size: file.size }));
uppy.on('complete', (r) => events.push({ type: 'complete', successful: r.successful.map((f) => f.name), failed: r.failed.map((f) => f.name), at: at() }));
window.appReady = true;
`;

/** Builds the app in a new temporary folder; returns its path. */
export async function makeApp() {
  const pkg = join(root, 'packages/to3mf');
  for (const f of [...PACKAGED, 'pkg/to3mf_wasm_bg.wasm', 'pkgfull/to3mf_wasm_bg.wasm']) {
    if (!existsSync(join(pkg, f))) throw new Error(`packages/to3mf/${f} is missing: run \`make package\` first`);
  }
  for (const f of PACKAGED) {
    if (!readFileSync(join(pkg, f)).equals(readFileSync(join(root, 'www', f)))) {
      throw new Error(`packages/to3mf/${f} differs from www/${f}: run \`make package\` again`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'to3mf-uppy-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: pkg, encoding: 'utf8' }));
  const tarball = join(dir, packed[0].filename);
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'uppy-host', private: true, type: 'module' }));
  // The peer (@uppy/core) is the host's own copy, below; nothing else is fetched.
  execFileSync('npm', ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', tarball], { cwd: app, stdio: 'pipe' });
  await build({
    entryPoints: { core: '@uppy/core', dashboard: '@uppy/dashboard', tus: '@uppy/tus' },
    absWorkingDir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    outdir: join(app, 'vendor'),
    logLevel: 'error',
  });
  cpSync(join(root, 'node_modules/@uppy/core/dist/style.min.css'), join(app, 'vendor/core.css'));
  cpSync(join(root, 'node_modules/@uppy/dashboard/dist/style.min.css'), join(app, 'vendor/dashboard.css'));
  writeFileSync(join(app, 'index.html'), PAGE);
  writeFileSync(join(app, 'app.js'), APP);
  return { dir, app, tarball, files: packed[0].files.map((f) => f.path) };
}

// The same setup in an app that Vite bundles (as Manyfold's frontend is): the plugin goes into
// the bundle, the workers stay files the host serves (/static/to3mf/, named by workerUrl).
const VITE_PAGE = '<!doctype html><html><head><meta charset="utf-8"><script type="module" src="/main.js"></script></head><body><div id="uppy"></div></body></html>\n';
const VITE_MAIN = `import Uppy from '@uppy/core';
import Dashboard from '@uppy/dashboard';
import Tus from '@uppy/tus';
import To3mf from 'to3mf/uppy';

const events = (window.events = []);
const uppy = (window.uppy = new Uppy({ autoProceed: true })
  .use(Dashboard, { inline: true, target: '#uppy' })
  .use(Tus, { endpoint: '/upload', chunkSize: 1 * 1024 * 1024 })
  .use(To3mf, { workerUrl: '/static/to3mf/worker.js' }));
uppy.on('complete', (r) => events.push({ type: 'complete', successful: r.successful.map((f) => f.name) }));
window.appReady = true;
`;

/** Builds the Vite app of `made` (from makeApp) with `vite build`; returns the folder to serve. */
export async function makeViteApp(made) {
  const { build: viteBuild } = await import('vite');
  // In the app folder, so its node_modules is the host's: to3mf as the tarball installed it,
  // beside Uppy (the repo's copy, whose own dependencies resolve from where it really is).
  const dir = join(made.app, 'vite');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), VITE_PAGE);
  writeFileSync(join(dir, 'main.js'), VITE_MAIN);
  if (!existsSync(join(made.app, 'node_modules/@uppy'))) symlinkSync(join(root, 'node_modules/@uppy'), join(made.app, 'node_modules/@uppy'));
  await viteBuild({ root: dir, logLevel: 'silent', configFile: false });
  // Served beside the bundle, where workerUrl points (serveApp maps /static/to3mf/ there).
  symlinkSync(join(made.app, 'node_modules'), join(dir, 'dist/node_modules'));
  return join(dir, 'dist');
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };

/**
 * Serves `app` on loopback with a Tus server at /upload (files stored in `store`). Resolves
 * with `{server, url, uploads, bytesReceived()}`: `uploads` lists each finished upload as
 * `{name, type, size, path}`.
 */
export function serveApp(app, store) {
  mkdirSync(store, { recursive: true });
  const uploads = [];
  let received = 0;
  const tus = new Server({ path: '/upload', datastore: new FileStore({ directory: store }) });
  tus.on(EVENTS.POST_FINISH, (_req, _res, upload) => {
    uploads.push({ name: upload.metadata?.filename, type: upload.metadata?.filetype, size: upload.size, path: join(store, upload.id) });
  });
  return new Promise((ok) => {
    const server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path === '/upload' || path.startsWith('/upload/')) {
        // Counted from the header: reading the body here would take it from the Tus server.
        if (req.method === 'PATCH') received += Number(req.headers['content-length'] ?? 0);
        return tus.handle(req, res);
      }
      // The package's files also under /static/to3mf/, as a host serves them for `workerUrl`.
      const rel = path === '/' ? 'index.html' : path.replace(/^\/static\/to3mf\//, '/node_modules/to3mf/').slice(1);
      const file = resolve(join(app, rel));
      if (!file.startsWith(resolve(app)) || !existsSync(file) || statSync(file).isDirectory()) return res.writeHead(404).end();
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' };
      // Only the HTML carries the policy, as Rails sends it; scripts, workers and wasm do not.
      if (extname(file) === '.html') headers['content-security-policy'] = CSP;
      res.writeHead(200, headers).end(readFileSync(file));
    });
    server.listen(0, '127.0.0.1', () => ok({ server, url: `http://127.0.0.1:${server.address().port}/`, uploads, bytesReceived: () => received }));
  });
}

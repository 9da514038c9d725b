// The Uppy plugin in a host app, in Debian's Chromium: to3mf installed from its `npm pack`
// tarball, Uppy's Dashboard and Tus uploader at Manyfold's versions, a real Tus server on the
// page's origin, the page under Manyfold's Content-Security-Policy (see uppy-app.mjs). Files go
// in through the Dashboard's own file input; what the Tus server stored is checked against the
// inputs, the CLI's packages and the 3MF validator.
//
// Needs `make package` and ../shared beside the repo. A screenshot of the Dashboard converting goes
// to test-output/e2e-uppy/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, corpus, fixture, root, validate as validateAll, validator } from './common.mjs';
import { PACKAGED, makeApp, makeViteApp, serveApp } from './uppy-app.mjs';
const cli = join(resolve(root, process.env.CARGO_TARGET_DIR ?? 'target'), 'debug/to3mf');
const skip = existsSync(corpus('')) && existsSync(validator) ? false : 'needs ../shared (corpus and validate3mf) beside the repo';

const INPUT = 'input.uppy-Dashboard-input[name="files[]"]:not([webkitdirectory])';
let made, work, profile, context;

// Counts calls of the WebAssembly API on the page's own thread, with where they came from.
const SPY = `(() => {
  window.wasmCalls = [];
  for (const name of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate']) {
    const real = WebAssembly[name];
    if (real) WebAssembly[name] = function (...args) { window.wasmCalls.push({ name, stack: new Error().stack }); return real.apply(this, args); };
  }
})();`;

before(async () => {
  if (skip) return;
  execFileSync('cargo', ['build', '-q', '-p', 'to3mf-cli'], { cwd: root });
  made = await makeApp();
  work = mkdtempSync(join(tmpdir(), 'to3mf-uppy-test-'));
  profile = join(work, 'profile');
  context = await chromium.launchPersistentContext(profile, CHROMIUM);
  await context.addInitScript(SPY);
});

after(async () => {
  await context?.close();
  if (made) rmSync(made.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A new page of the app on a new server (and Tus store); `requests` sees every URL asked for. */
async function open(query = '') {
  const served = await serveApp(made.app, mkdtempSync(join(work, 'store-')));
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(served.url + query);
  await page.waitForFunction(() => window.appReady);
  return { ...served, page, requests, origin: new URL(served.url).origin };
}

/** Resolves once every file in Uppy has uploaded and no upload is running. */
function uploaded(page, timeout = 120_000) {
  return page.waitForFunction(() => {
    const files = window.uppy.getFiles();
    const running = Object.keys(window.uppy.getState().currentUploads).length;
    return running === 0 && files.length > 0 && files.every((f) => f.progress.uploadComplete);
  }, null, { timeout, polling: 100 });
}

const validate = (path) => validateAll([path])[0];

/** The package the CLI writes for `input` with default options. */
function cliPackage(input) {
  const out = join(work, 'cli.3mf');
  rmSync(out, { force: true });
  execFileSync(cli, ['convert', input, '-o', out, '-q']);
  return readFileSync(out);
}

test("the npm tarball holds the API, the plugin, their types, the workers and both wasm builds, at Cargo's version", { skip }, () => {
  const want = ['package.json', 'README.md', ...PACKAGED, 'pkg/to3mf_wasm.js', 'pkg/to3mf_wasm_bg.wasm', 'pkgfull/to3mf_wasm.js', 'pkgfull/to3mf_wasm_bg.wasm'];
  assert.deepEqual([...made.files].sort(), want.sort());
  const installed = JSON.parse(readFileSync(join(made.app, 'node_modules/to3mf/package.json'), 'utf8'));
  const cargo = /^version = "(.*)"$/m.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))[1];
  assert.equal(installed.version, cargo);
  assert.deepEqual(Object.keys(installed.exports), ['.', './uppy', './worker.js', './package.json']);
  assert.deepEqual(installed.peerDependencies, { '@uppy/core': '^5' });
});

const byName = (uploads) => Object.fromEntries(uploads.map((u) => [u.name, u]));

test('dropped meshes arrive at the Tus server as the CLI\'s 3MFs; a 3MF, a picture and a broken file arrive unchanged', { skip, timeout: 180_000 }, async () => {
  const { page, server, uploads, requests, origin } = await open();
  const meshes = {
    'unit_sphere.STL': corpus('trimesh/unit_sphere.STL'), // binary
    '20mm-xyz-cube.stl': corpus('trimesh/20mm-xyz-cube.stl'), // binary
    '1002_tray_bottom.STL': corpus('trimesh/1002_tray_bottom.STL'), // ASCII, CRLF
    'capsule.obj': corpus('trimesh/capsule.obj'),
  };
  const unchanged = {
    'cube_and_sphere_same_name.3mf': corpus('trimesh/cube_and_sphere_same_name.3mf'),
    'picture_uploaded_unchanged.jpg': fixture('picture_uploaded_unchanged.jpg'),
    'ascii_bad_vertex.stl': fixture('ascii_bad_vertex.stl'),
  };
  const warning = page.locator('.uppy-Informer p[role="alert"]', { hasText: 'ascii_bad_vertex.stl' }).first().waitFor({ timeout: 120_000 });
  await page.setInputFiles(INPUT, [...Object.values(meshes), ...Object.values(unchanged)]);
  await warning;
  assert.match(await page.locator('.uppy-Informer').first().textContent(), /ascii_bad_vertex\.stl is uploaded unchanged: line 5: malformed vertex line/);
  await uploaded(page);

  const got = byName(uploads);
  const stems = Object.keys(meshes).map((n) => n.replace(/\.[^.]+$/, '.3mf'));
  assert.deepEqual(Object.keys(got).sort(), [...stems, ...Object.keys(unchanged)].sort());
  for (const [name, input] of Object.entries(meshes)) {
    const upload = got[name.replace(/\.[^.]+$/, '.3mf')];
    assert.equal(upload.type, 'model/3mf', name);
    assert.ok(readFileSync(upload.path).equals(cliPackage(input)), `${name}: the server has the CLI's package`);
    assert.equal(validate(upload.path).ok, true, `${name}: a valid 3MF`);
  }
  for (const [name, input] of Object.entries(unchanged)) {
    assert.ok(readFileSync(got[name].path).equals(readFileSync(input)), `${name}: uploaded byte for byte`);
  }

  const events = await page.evaluate(() => window.events);
  for (const name of [...Object.keys(meshes), 'ascii_bad_vertex.stl']) {
    assert.ok(events.some((e) => e.type === 'preprocess-progress' && e.name === name), `${name}: preprocess-progress`);
  }
  assert.ok(events.some((e) => e.type === 'preprocess-progress' && e.mode === 'determinate' && e.value > 0), 'a determinate progress value');
  const completed = events.filter((e) => e.type === 'preprocess-complete').map((e) => e.name).sort();
  assert.deepEqual(completed, [...stems, 'ascii_bad_vertex.stl'].sort());
  assert.deepEqual(events.filter((e) => e.type === 'to3mf:failed').map((e) => [e.name, e.what]), [['ascii_bad_vertex.stl', 'uploaded']]);

  // The policy refuses wasm on the page's thread; the plugin never tried, its workers did the work.
  const { wasmOnPage, wasmCalls, serviceWorkers } = await page.evaluate(async () => ({
    wasmOnPage: window.wasmOnPage,
    wasmCalls: window.wasmCalls.map((c) => c.stack),
    serviceWorkers: (await navigator.serviceWorker.getRegistrations()).length,
  }));
  assert.match(wasmOnPage, /^CompileError: .*(Content Security Policy|unsafe-eval)/);
  assert.equal(wasmCalls.length, 1, 'only the app\'s own probe');
  assert.match(wasmCalls[0], /\/app\.js/);
  assert.equal(serviceWorkers, 0, 'no service worker registered');
  const workerUrls = page.workers().map((w) => w.url());
  assert.ok(workerUrls.length > 0 && workerUrls.every((u) => u === `${origin}/node_modules/to3mf/worker.js`), workerUrls.join(' '));
  // blob: URLs of the origin are the page's own memory (Dashboard's file previews), not requests out.
  const foreign = requests.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith(`blob:${origin}/`));
  assert.deepEqual(foreign, [], 'no request leaves the origin');
  assert.ok(requests.some((u) => u.startsWith(`${origin}/upload`)), 'uploads went to the Tus server');
  assert.ok(requests.some((u) => u.endsWith('/node_modules/to3mf/pkg/to3mf_wasm_bg.wasm')), 'the wasm came from the installed package');
  await page.close();
  server.close();
});

test('with onError: remove, a broken file is removed with its message; keepOriginal and preview add the original and a picture; workerUrl places the workers', { skip, timeout: 120_000 }, async () => {
  const { page, server, uploads, origin } = await open('?onError=remove&keepOriginal&preview&workerUrl=/static/to3mf/worker.js');
  const sphere = corpus('trimesh/unit_sphere.STL');
  const message = page.locator('.uppy-Informer p[role="alert"]', { hasText: 'ascii_bad_vertex.stl' }).first().waitFor({ timeout: 60_000 });
  await page.setInputFiles(INPUT, [sphere, fixture('ascii_bad_vertex.stl')]);
  await message;
  assert.match(await page.locator('.uppy-Informer').first().textContent(), /ascii_bad_vertex\.stl was removed: line 5: malformed vertex line/);
  await uploaded(page);
  const got = byName(uploads);
  assert.deepEqual(Object.keys(got).sort(), ['unit_sphere-preview.png', 'unit_sphere.3mf', 'unit_sphere.STL']);
  assert.ok(readFileSync(got['unit_sphere.STL'].path).equals(readFileSync(sphere)), 'the original, unchanged');
  assert.ok(readFileSync(got['unit_sphere.3mf'].path).equals(cliPackage(sphere)), "the CLI's package beside it");
  const png = readFileSync(got['unit_sphere-preview.png'].path);
  assert.ok(png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), 'a PNG');
  assert.equal(got['unit_sphere-preview.png'].type, 'image/png');
  const left = await page.evaluate(() => window.uppy.getFiles().map((f) => f.name).sort());
  assert.deepEqual(left, ['unit_sphere-preview.png', 'unit_sphere.3mf', 'unit_sphere.STL'], 'the broken file is gone from Uppy');
  const events = await page.evaluate(() => window.events);
  assert.deepEqual(events.filter((e) => e.type === 'to3mf:failed').map((e) => [e.name, e.what]), [['ascii_bad_vertex.stl', 'removed']]);
  const completes = events.filter((e) => e.type === 'complete').map((e) => e.successful.sort());
  assert.deepEqual(completes, [['unit_sphere-preview.png', 'unit_sphere.3mf', 'unit_sphere.STL']], 'one upload round, with the added files');
  const workerUrls = page.workers().map((w) => w.url());
  assert.ok(workerUrls.length > 0 && workerUrls.every((u) => u === `${origin}/static/to3mf/worker.js`), workerUrls.join(' '));
  await page.close();
  server.close();
});

test('bundled by Vite (no plugin for it), with the workers served at workerUrl, the plugin uploads the CLI\'s package', { skip, timeout: 120_000 }, async () => {
  const dist = await makeViteApp(made);
  const served = await serveApp(dist, mkdtempSync(join(work, 'store-')));
  const page = await context.newPage();
  await page.goto(served.url);
  await page.waitForFunction(() => window.appReady);
  const sphere = corpus('trimesh/unit_sphere.STL');
  await page.setInputFiles(INPUT, [sphere]);
  await uploaded(page);
  assert.deepEqual(served.uploads.map((u) => u.name), ['unit_sphere.3mf']);
  assert.ok(readFileSync(served.uploads[0].path).equals(cliPackage(sphere)), "the CLI's package");
  const origin = new URL(served.url).origin;
  assert.deepEqual(page.workers().map((w) => w.url()).filter((u) => u !== `${origin}/static/to3mf/worker.js`), []);
  await page.close();
  served.server.close();
});

test('workers that cannot start (not served at workerUrl): the file is uploaded unchanged, saying why, without waiting', { skip, timeout: 60_000 }, async () => {
  const { page, server, uploads } = await open('?workerUrl=/nowhere/worker.js');
  const sphere = corpus('trimesh/unit_sphere.STL');
  const warning = page.locator('.uppy-Informer p[role="alert"]', { hasText: 'unit_sphere.STL' }).first().waitFor({ timeout: 30_000 });
  await page.setInputFiles(INPUT, [sphere]);
  await warning;
  assert.match(await page.locator('.uppy-Informer').first().textContent(), /unit_sphere\.STL is uploaded unchanged: .*the converter could not start \(http:\/\/127\.0\.0\.1:\d+\/nowhere\/worker\.js.*check that to3mf's worker files are served there/);
  await uploaded(page);
  assert.deepEqual(uploads.map((u) => u.name), ['unit_sphere.STL']);
  assert.ok(readFileSync(uploads[0].path).equals(readFileSync(sphere)));
  await page.close();
  server.close();
});

/** A binary STL of a bumpy n × n grid (2n² triangles), its corners shared as a real mesh's are. */
function gridStl(path, n) {
  const buf = Buffer.alloc(84 + 100 * n * n);
  buf.write('to3mf uppy test grid', 0);
  buf.writeUInt32LE(2 * n * n, 80);
  const corner = (i, j) => [i * 0.1, j * 0.1, ((i * 7 + j * 13) % 17) * 0.05];
  let o = 84;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (const tri of [[corner(i, j), corner(i + 1, j), corner(i + 1, j + 1)], [corner(i, j), corner(i + 1, j + 1), corner(i, j + 1)]]) {
        tri.flat().forEach((v, k) => buf.writeFloatLE(v, o + 12 + 4 * k));
        o += 50;
      }
    }
  }
  writeFileSync(path, buf);
}

/** Resident memory of this browser's renderer processes (the tab and its workers), in bytes. */
function rendererRss() {
  const procs = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      return { pid: Number(pid), ppid, cmd, rss };
    } catch {
      return null; // the process ended
    }
  }).filter(Boolean);
  const ours = new Set(procs.filter((p) => p.cmd.includes(`--user-data-dir=${profile}`) && !p.cmd.includes('--type=')).map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) grew = ours.add(p.pid);
  }
  return procs.filter((p) => ours.has(p.pid) && p.cmd.includes('--type=renderer')).reduce((n, p) => n + p.rss, 0);
}

test('a 100 MB STL: Cancel stops its conversion; dropped again, it converts and uploads from one tab, its memory bounded as the page\'s', { skip, timeout: 180_000 }, async () => {
  const { page, server, uploads, bytesReceived } = await open();
  const big = join(work, 'big.stl');
  gridStl(big, 1000); // 100 MB, 2 million triangles
  const size = readFileSync(big).length;
  const converting = () => page.locator('.uppy-StatusBar-content', { hasText: /\d+% . Converting to 3MF/ }).first().waitFor({ timeout: 60_000 });

  // Cancel while it converts: Uppy removes the file, and its conversion stops at once (the
  // pool drops the job, in the same task as the click), so nothing is uploaded.
  await page.setInputFiles(INPUT, [big]);
  await converting();
  const stopped = await page.evaluate(async () => {
    const pool = (await import('to3mf')).pool();
    const busy = pool.slots.some((s) => s.job);
    document.querySelector('.uppy-DashboardContent-back').click();
    return { busy, idle: pool.slots.every((s) => !s.job) && pool.queue.length === 0, files: window.uppy.getFiles().length };
  });
  assert.deepEqual(stopped, { busy: true, idle: true, files: 0 });

  // Idle, as the page's figure is taken: the plugin's workers started, their wasm ready.
  await page.evaluate(async () => {
    const pool = (await import('to3mf')).pool();
    await pool.whenReady();
    while (!pool.slots.every((s) => s.ready)) await new Promise((r) => setTimeout(r, 50));
  });
  const baseline = rendererRss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rendererRss())), 100);
  try {
    await page.setInputFiles(INPUT, [big]);
    // What the user sees meanwhile: Dashboard's status bar with the plugin's progress.
    await converting();
    await page.screenshot({ path: join(root, 'test-output/e2e-uppy/uppy-converting.png') });
    await uploaded(page, 150_000);
  } finally {
    clearInterval(sampler);
  }
  assert.deepEqual(uploads.map((u) => u.name), ['big.3mf'], 'the cancelled first drop sent nothing');
  assert.equal(validate(uploads[0].path).objects[0].triangles, 2_000_000);
  const added = peak - baseline;
  console.log(`# 100 MB STL: ${(size / 1e6).toFixed(0)} MB in, ${(uploads[0].size / 1e6).toFixed(1)} MB uploaded (${(bytesReceived() / 1e6).toFixed(1)} MB received), tab memory added ${(added / 1e6).toFixed(0)} MB = ${(added / size).toFixed(2)} x STL`);
  // The page's bound (docs/performance.md): the tab adds at most twice the STL's size.
  assert.ok(added <= 2 * size, `tab memory added ${(added / 1e6).toFixed(0)} MB, over 2 x the STL`);
  await page.close();
  server.close();
});

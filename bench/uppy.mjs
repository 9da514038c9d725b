// Uppy benchmark: the host app of tests/e2e/uppy-app.mjs (to3mf from its npm tarball, Uppy's
// Dashboard and Tus at Manyfold's versions, a Tus server on loopback) in Debian's Chromium.
// For the benchmark STL and for a pack of small corpus STLs, with the plugin and without it in
// the same run: bytes the Tus server received and wall time from the drop (the Dashboard's
// file input) to Uppy's "complete", on loopback and over a 20 Mbit/s uplink. Numbers, not
// assertions.
//
// Needs `make package` and bench/out/inputs from `python3 bench/bench.py`.

import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../tests/e2e/common.mjs';
import { makeApp, serveApp } from '../tests/e2e/uppy-app.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const big = join(root, 'bench/out/inputs/counter_x25.stl');
if (!existsSync(big)) {
  console.error(`missing ${big}: run \`python3 bench/bench.py\` first`);
  process.exit(1);
}
// The small pack: every STL of the corpus's trimesh folder under 2 MB that is a mesh (the
// empty and broken ones left out), as a user's folder of parts would be.
const trimesh = join(root, '../shared/corpus/trimesh');
const pack = readdirSync(trimesh)
  .filter((f) => /\.stl$/i.test(f) && !/^(empty|busted)/i.test(f))
  .map((f) => join(trimesh, f))
  .filter((f) => statSync(f).size > 1000 && statSync(f).size < 2e6);
const MB = 1e6;

const made = await makeApp();
const work = mkdtempSync(join(tmpdir(), 'to3mf-uppy-bench-'));
const browser = await launch();

/** One upload of `files` in a fresh page, its uplink limited to `mbits` (Chromium's network
 * throttling) when given: {ms, received, inBytes, files}. */
async function run(files, plugin, mbits = 0) {
  const served = await serveApp(made.app, mkdtempSync(join(work, 'store-')));
  const page = await browser.newPage();
  await page.goto(served.url + (plugin ? '' : '?plugin=off'));
  await page.waitForFunction(() => window.appReady);
  if (mbits) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: (mbits * 1e6) / 8 });
  }
  // As a user finds it: the plugin starts its workers (and compiles the wasm) on the first upload.
  const t0 = await page.evaluate(() => performance.now());
  await page.setInputFiles('input.uppy-Dashboard-input[name="files[]"]:not([webkitdirectory])', files);
  await page.waitForFunction((n) => window.events.some((e) => e.type === 'complete' && e.successful.length >= n), files.length, { timeout: 600_000, polling: 50 });
  const done = await page.evaluate(() => window.events.findLast((e) => e.type === 'complete').at);
  const result = { ms: done - t0, received: served.bytesReceived(), inBytes: files.reduce((n, f) => n + statSync(f).size, 0), files: served.uploads.length };
  await page.close();
  served.server.close();
  return result;
}

const UPLINK = 20; // Mbit/s: a common home uplink
const rows = [];
for (const [label, files] of [['benchmark STL (counter_x25.stl)', [big]], [`pack of ${pack.length} small STLs`, pack]]) {
  for (const mbits of [0, UPLINK]) {
    for (const plugin of [false, true]) {
      const r = await run(files, plugin, mbits);
      const link = mbits ? `${mbits} Mbit/s` : 'loopback';
      rows.push([label, link, plugin ? 'with to3mf' : 'without', (r.inBytes / MB).toFixed(1), (r.received / MB).toFixed(1), (r.ms / 1000).toFixed(1), r.files]);
    }
  }
}
await browser.close();
rmSync(work, { recursive: true, force: true });
rmSync(made.dir, { recursive: true, force: true });

const head = ['input', 'uplink', 'plugin', 'dropped MB', 'sent MB', 'drop to complete s', 'uploads'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
for (const r of [head, ...rows]) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  '));

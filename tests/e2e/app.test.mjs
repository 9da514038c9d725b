// The page as a person uses it, in Debian's Chromium driven by playwright-core: pick files and
// folders, drop files, download and validate results, see errors, cancel, work offline, and
// never talk to another origin. Screenshots go to test-output/screenshots/.
//
// Serves the built site (`make site`, in _site/) under /to3mf/ as GitHub Pages would, and
// needs ../shared beside the repo.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { corpus, dropFiles as drop, fixture, launch, root, validate } from './common.mjs';
import { serve } from './serve.mjs';

// The CLI `cargo build` makes, wherever Cargo puts it.
const cli = join(resolve(root, process.env.CARGO_TARGET_DIR ?? 'target'), 'debug/to3mf');
const out = join(root, 'test-output', 'e2e');

let server, origin, site, browser, context, page;
const requests = [];
const overrides = new Map();

/** A binary STL of `n` triangles (a strip), big enough to take a while to convert. */
function bigStl(path, n) {
  const buf = Buffer.alloc(84 + 50 * n);
  buf.write('big test strip', 0);
  buf.writeUInt32LE(n, 80);
  for (let i = 0; i < n; i++) {
    const o = 84 + 50 * i + 12;
    const x = i * 0.01;
    const c = [x, 0, 0, x + 0.01, (i % 2) * 0.5, 0, x, 1, 0.25 * (i % 3)];
    c.forEach((v, k) => buf.writeFloatLE(v, o + 4 * k));
  }
  writeFileSync(path, buf);
}

async function pick(selector, files) {
  await page.setInputFiles(selector, files);
}

const dropFiles = (paths) => drop(page, paths);

async function waitFinished() {
  await page.waitForFunction(() => /^Finished/.test(document.getElementById('status').textContent), null, { timeout: 120_000 });
}

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'screenshots'), { recursive: true });
  assert.ok(existsSync(join(root, '_site/www/pkg/to3mf_wasm_bg.wasm')), 'run `make site` first');
  ({ server, url: site } = await serve(join(root, '_site'), '/to3mf/', overrides));
  origin = new URL(site).origin;
  browser = await launch();
  context = await browser.newContext({ acceptDownloads: true });
  context.on('request', (r) => requests.push(r.url()));
  page = await context.newPage();
  await page.goto(site);
});

after(async () => {
  await browser?.close();
  server?.close();
});

test('two dropped STLs and a broken file: the good ones download as valid 3MF, the bad one says why', { timeout: 180_000 }, async () => {
  const started = Date.now();
  await dropFiles([fixture('ascii_multi_solid.stl'), corpus('trimesh/unit_sphere.STL'), fixture('ascii_bad_vertex.stl')]);
  await waitFinished();
  const rows = page.locator('#rows > li');
  assert.equal(await rows.count(), 3);
  assert.equal(await page.locator('#rows > li.state-done').count(), 2);
  const failed = page.locator('#rows > li.state-failed');
  // Plain words first; the core's message, without the row's own file name, in the details.
  assert.equal(await failed.locator('.error .headline').textContent(), 'This file is damaged or is not a 3D model.');
  assert.match(await failed.locator('.error details').textContent(), /^Detailsline 5: malformed vertex line/);
  assert.match(await rows.nth(1).locator('.facts').textContent(), /1 object · 1,280 triangles/);

  const saved = [];
  for (const button of await page.locator('#rows button.download').all()) {
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const path = join(out, download.suggestedFilename());
    await download.saveAs(path);
    saved.push(path);
  }
  assert.deepEqual(saved.map((p) => p.split('/').pop()), ['ascii_multi_solid.3mf', 'unit_sphere.3mf']);
  const verdicts = validate(saved);
  assert.deepEqual(verdicts.map((v) => v.ok), [true, true], JSON.stringify(verdicts));
  assert.equal(verdicts[0].objects.length, 2);
  assert.equal(verdicts[1].objects[0].triangles, 1280);

  const [zipDownload] = await Promise.all([page.waitForEvent('download'), page.click('#download-all')]);
  const zipPath = join(out, 'all.zip');
  await zipDownload.saveAs(zipPath);
  const names = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', zipPath], { encoding: 'utf8' });
  assert.deepEqual(names.trim().split('\n'), ['ascii_multi_solid.3mf', 'unit_sphere.3mf']);
  console.log(`# first batch converted and checked in ${Date.now() - started} ms`);

  await page.emulateMedia({ colorScheme: 'light' });
  await page.screenshot({ path: join(out, 'screenshots/light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(out, 'screenshots/dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
});

// A folder drop cannot be synthesised (no FileSystemEntry from script), so the folder goes
// through the folder picker; a dropped folder is walked with webkitGetAsEntry and filtered alike.
test('a folder converts the meshes in it and leaves the rest out with a note', { timeout: 120_000 }, async () => {
  const folder = join(out, 'release');
  mkdirSync(join(folder, 'stl'), { recursive: true });
  writeFileSync(join(folder, 'stl', 'quad.stl'), readFileSync(fixture('ascii_quad_facet.stl')));
  writeFileSync(join(folder, 'groups.obj'), readFileSync(fixture('obj_groups.obj')));
  writeFileSync(join(folder, 'README.txt'), 'print at 0.2 mm');
  await page.click('#clear');
  await pick('#pick-folder', folder);
  await waitFinished();
  assert.equal(await page.locator('#rows > li.state-done').count(), 2);
  assert.match(await page.locator('#status').textContent(), /1 files that are not STL, OBJ or 3MF left out/);
});

test('dropped files merge into one package when asked, with the title', { timeout: 120_000 }, async () => {
  await page.click('#clear');
  await page.check('#merge');
  await page.fill('#title', 'Two parts');
  await dropFiles([fixture('ascii_quad_facet.stl'), fixture('obj_ngon.obj')]);
  await waitFinished();
  assert.equal(await page.locator('#rows > li.state-done').count(), 1);
  assert.match(await page.locator('#rows > li .facts').textContent(), /2 objects/);
  assert.equal(await page.locator('#rows button.download').textContent(), 'Download 3MF Two parts.3mf');
  await page.uncheck('#merge');
  await page.fill('#title', '');
});

test('cancel stops a large conversion, and the next one works', { timeout: 180_000 }, async () => {
  await page.click('#clear');
  const big = join(out, 'big.stl');
  bigStl(big, 3_000_000); // 150 MB
  await pick('#pick-files', [big]);
  await page.waitForFunction(() => document.querySelector('#rows progress')?.value > 0, null, { timeout: 60_000 });
  await page.click('#cancel');
  await waitFinished();
  assert.equal(await page.locator('#rows > li .status').textContent(), 'Cancelled');
  await page.click('#clear');
  await pick('#pick-files', [fixture('obj_ngon.obj')]);
  await waitFinished();
  assert.equal(await page.locator('#rows > li.state-done').count(), 1);
});

test('a worker that dies fails only its file; it is replaced and the queue goes on', { timeout: 180_000 }, async () => {
  await page.click('#clear');
  const big = join(out, 'big.stl');
  if (!existsSync(big)) bigStl(big, 3_000_000);
  await pick('#pick-files', [big, fixture('obj_ngon.obj'), fixture('ascii_quad_facet.stl')]);
  await page.waitForFunction(() => document.querySelector('#rows progress')?.value > 0, null, { timeout: 60_000 });
  // Crash the worker busy with the big file, as an out-of-memory abort would.
  await page.evaluate(async () => {
    const { pool } = await import('./www/to3mf.js');
    const slot = pool().slots.find((s) => s.job && s.job.request.files[0].name === 'big.stl');
    slot.worker.dispatchEvent(new ErrorEvent('error', { message: 'simulated crash' }));
  });
  await waitFinished();
  const rows = page.locator('#rows > li');
  assert.equal(await rows.nth(0).locator('.status').textContent(), 'Failed');
  assert.match(await rows.nth(0).locator('.error').textContent(), /converter stopped on this file: simulated crash/);
  assert.equal(await page.locator('#rows > li.state-done').count(), 2);
  const workers = await page.evaluate(async () => (await import('./www/to3mf.js')).pool().slots.length);
  assert.equal(workers, await page.evaluate(async () => (await import('./www/to3mf.js')).pool().size));
});

test('after one visit the page works offline', { timeout: 120_000 }, async () => {
  await page.evaluate(() => navigator.serviceWorker.ready);
  if (!(await page.evaluate(() => !!navigator.serviceWorker.controller))) await page.reload();
  await page.waitForFunction(() => !!navigator.serviceWorker.controller);
  // Every file of the site but the service worker is in its cache: a module left out would
  // break the page offline, or only the requests that need it.
  const prefix = new URL(site).pathname;
  const shell = readdirSync(join(root, '_site'), { recursive: true })
    .filter((f) => f !== 'sw.js' && statSync(join(root, '_site', f)).isFile())
    .map((f) => `${prefix}${f}`);
  const cached = await page.evaluate(async () => {
    const names = (await caches.keys()).filter((k) => k.startsWith('to3mf-'));
    const requests = (await Promise.all(names.map(async (n) => (await caches.open(n)).keys()))).flat();
    return requests.map((r) => new URL(r.url).pathname);
  });
  assert.ok(shell.some((f) => f.endsWith('/www/helper.js')) && cached.includes(prefix), cached.join());
  assert.deepEqual(shell.filter((f) => !cached.includes(f)), [], 'files the offline cache lacks');
  await context.setOffline(true);
  try {
    await page.reload();
    await pick('#pick-files', [fixture('ascii_crlf.stl')]);
    await waitFinished();
    assert.equal(await page.locator('#rows > li.state-done').count(), 1);
  } finally {
    await context.setOffline(false);
  }
});

test('a new deployment is offered as a reload, and the reload brings it', { timeout: 60_000 }, async () => {
  const sw = readFileSync(join(root, '_site/sw.js'), 'utf8');
  overrides.set('sw.js', sw.replace(/^const VERSION = .*$/m, "const VERSION = 'next';"));
  try {
    await page.reload();
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r.update()));
    await page.locator('#update').waitFor({ state: 'visible', timeout: 30_000 });
    await Promise.all([page.waitForEvent('load'), page.click('#reload')]);
    const caches = await page.evaluate(() => window.caches.keys());
    assert.ok(caches.includes('to3mf-next'), caches.join());
    assert.ok(!caches.includes('to3mf-dev'), "the old version's cache is gone");
  } finally {
    overrides.clear();
  }
});


test('Manyfold: a dropped pile is reviewed, a title edited, and exported as model folders with WebP pictures', { timeout: 120_000 }, async () => {
  await page.reload();
  await page.check('input[name="mode"][value="manyfold"]');
  // A real picture to re-encode: a screenshot of the page itself, named after the gear.
  writeFileSync(join(out, 'gear_preview.png'), await page.screenshot());
  await dropFiles([fixture('ascii_quad_facet.stl'), join(out, 'gear_preview.png'), fixture('obj_ngon.obj')].map((p, i) => p));
  await page.waitForSelector('#review:not([hidden]) .model', { timeout: 30_000 }).catch(async (e) => {
    throw new Error(`${e.message}; status: ${await page.locator('#status').textContent()}`);
  });
  const titles = await page.locator('.model input.title').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(titles, ['Ascii Quad Facet', 'Obj Ngon'], 'loose files title-cased as Manyfold does');
  await page.locator('.model input.title').first().fill('Quad Gear');
  // Move the picture to the first model (it matched neither by name, so it is in both),
  // then leave out its copy in the second.
  const second = page.locator('.model').nth(1);
  await second.locator('li', { hasText: 'gear_preview.png' }).getByRole('button', { name: /Leave out/ }).click();
  await page.fill('#creator', 'Ann Maker');
  await page.fill('#license', 'CC-BY-4.0');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]);
  const zipPath = join(out, 'manyfold.zip');
  await download.saveAs(zipPath);
  const listing = JSON.parse(execFileSync('python3', ['-c', `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = {n: None for n in z.namelist()}
for n in z.namelist():
    if n.endswith('datapackage.json'): out[n] = json.loads(z.read(n))
    if n.endswith('.webp'): out[n] = z.read(n)[:12].decode('latin1')
print(json.dumps(out))`, zipPath], { encoding: 'utf8' }));
  const names = Object.keys(listing).sort();
  assert.deepEqual(names, [
    'obj-ngon/datapackage.json', 'obj-ngon/obj-ngon-preview.png', 'obj-ngon/obj-ngon.3mf',
    'quad-gear/datapackage.json', 'quad-gear/gear_preview.webp', 'quad-gear/quad-gear.3mf',
  ]);
  assert.match(listing['quad-gear/gear_preview.webp'], /^RIFF....WEBP/s, 'a real WebP file');
  const dp = listing['quad-gear/datapackage.json'];
  assert.equal(dp.title, 'Quad Gear');
  assert.equal(dp.name, 'quad-gear');
  assert.equal(dp.image, 'gear_preview.webp');
  assert.deepEqual(dp.contributors, [{ title: 'Ann Maker', roles: ['creator'] }]);
  assert.equal(dp.licenses[0].name, 'CC-BY-4.0');
  assert.ok(dp.resources.some((r) => r.path === 'gear_preview.webp' && r.mediatype === 'image/webp'));
  // The 3MF inside passes the validator.
  execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); open(sys.argv[2], "wb").write(z.read("quad-gear/quad-gear.3mf"))', zipPath, join(out, 'quad-gear.3mf')]);
  assert.deepEqual(validate([join(out, 'quad-gear.3mf')]).map((v) => v.ok), [true]);
  await page.screenshot({ path: join(out, 'screenshots/manyfold.png'), fullPage: true });
});

test('Manyfold: saving into a folder never overwrites, a second save gets -2 folders', { timeout: 120_000 }, async () => {
  // The native folder picker cannot be driven headless: hand out a folder of the page's
  // private file system instead, which has the same FileSystemDirectoryHandle API.
  await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry('library', { recursive: true }).catch(() => {});
    window.showDirectoryPicker = async () => root.getDirectoryHandle('library', { create: true });
  });
  await page.click('#export-folder');
  await page.waitForFunction(() => /^Saved 2 models into library/.test(document.getElementById('status').textContent));
  await page.click('#export-folder');
  await page.waitForFunction(() => /^Saved 2 models/.test(document.getElementById('status').textContent) && /went into/.test(document.getElementById('status').textContent));
  const tree = await page.evaluate(async () => {
    const lib = await (await navigator.storage.getDirectory()).getDirectoryHandle('library');
    const out = {};
    for await (const [name, handle] of lib.entries()) {
      out[name] = [];
      for await (const file of handle.keys()) out[name].push(file);
      out[name].sort();
    }
    const dp = await (await (await lib.getDirectoryHandle('quad-gear-2')).getFileHandle('datapackage.json')).getFile();
    return { out, title: JSON.parse(await dp.text()).title };
  });
  assert.deepEqual(Object.keys(tree.out).sort(), ['obj-ngon', 'obj-ngon-2', 'quad-gear', 'quad-gear-2']);
  assert.deepEqual(tree.out['quad-gear'], ['datapackage.json', 'gear_preview.webp', 'quad-gear.3mf']);
  assert.equal(tree.title, 'Quad Gear');
  assert.match(await page.locator('#status').textContent(), /“Quad Gear” went into quad-gear-2\/ because quad-gear\/ exists/);
});

test('hostile files: each gets its own error, the page stays responsive, a good file converts after', { timeout: 180_000 }, async () => {
  await page.reload();
  await page.check('input[name="mode"][value="convert"]');
  const longLine = join(out, 'long_line.stl');
  writeFileSync(longLine, Buffer.concat([Buffer.from('solid long\nfacet normal 0 0 1\nouter loop\nvertex '), Buffer.alloc(100 << 20, 0x31)]));
  const started = Date.now();
  await pick('#pick-files', [longLine, fixture('binary_huge_count.stl'), fixture('binary_nan.stl'), fixture('zip_archive.stl')]);
  // The main thread answers while the workers chew.
  const t = Date.now();
  await page.evaluate(() => 1 + 1);
  assert.ok(Date.now() - t < 1000, 'the page answered within a second');
  await waitFinished();
  // The core's message is under Details, without the row's own file name.
  const errors = await page.locator('#rows > li .error').allTextContents();
  assert.equal(errors.length, 4);
  assert.match(errors[0], /Detailsline 4: line is longer than 1048576 bytes/);
  assert.match(errors[1], /Detailstriangle 1: not a complete binary STL: the header declares 4000000000 triangles/);
  assert.match(errors[2], /Detailstriangle 2: coordinate is NaN or infinite/);
  assert.match(errors[3], /Detailsa ZIP archive that is not a readable 3MF package .*extract it first/);
  console.log(`# hostile batch settled in ${Date.now() - started} ms`);
  await page.click('#clear');
  await pick('#pick-files', [fixture('ascii_crlf.stl')]);
  await waitFinished();
  assert.equal(await page.locator('#rows > li.state-done').count(), 1);
});

/** Hostile packages and archives, made here: 3MFs (billion laughs, no model part, a model
 * part that is not XML) and zips (declared as 20 GiB, `../` paths, nested 20 levels). */
function hostileFiles() {
  const dir = join(out, 'hostile');
  mkdirSync(dir, { recursive: true });
  execFileSync('python3', ['-c', `
import sys, zipfile
out, quad = sys.argv[1], open(sys.argv[2], 'rb').read()
RELS = '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>'
TETRA = '<mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/><vertex x="0" y="10" z="0"/><vertex x="0" y="0" z="10"/></vertices><triangles><triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/></triangles></mesh>'
def pkg(name, model):
    with zipfile.ZipFile(f'{out}/{name}', 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('_rels/.rels', RELS)
        if model is not None:
            z.writestr('3D/3dmodel.model', model)
ents = '<!ENTITY a "aaaaaaaaaa">' + ''.join('<!ENTITY %s "%s">' % (chr(98 + i), ('&%s;' % chr(97 + i)) * 10) for i in range(9))
pkg('laughs.3mf', '<?xml version="1.0"?><!DOCTYPE m [' + ents + ']><model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><metadata name="Title">&j;</metadata><resources><object id="1" name="&j;">' + TETRA + '</object></resources><build><item objectid="1"/></build></model>')
pkg('no_model.3mf', None)
pkg('not_xml.3mf', '\\x01\\x02 this is not XML <<<')
# A bomb by its declared sizes: five entries each declaring almost 4 GiB.
with zipfile.ZipFile(f'{out}/bomb.zip', 'w') as z:
    for i in range(5):
        z.writestr(f'part{i}.stl', quad)
data = bytearray(open(f'{out}/bomb.zip', 'rb').read())
at = data.find(b'PK\\x01\\x02')
while at >= 0:
    data[at + 24:at + 28] = (0xFFFFFFF0).to_bytes(4, 'little')
    at = data.find(b'PK\\x01\\x02', at + 4)
open(f'{out}/bomb.zip', 'wb').write(data)
with zipfile.ZipFile(f'{out}/evil.zip', 'w') as z:
    z.writestr('clip.stl', quad)
    z.writestr('../../evil.stl', quad)
    z.writestr('../../evil.txt', 'escaped?')
    z.writestr('C:\\\\Windows\\\\win.txt', 'drive?')
inner = None
for k in range(20, -1, -1):
    name = f'{out}/nested.zip' if k == 0 else f'{out}/level{k}.zip'
    with zipfile.ZipFile(name, 'w') as z:
        z.writestr(f'part{k}.stl', quad)
        if inner:
            z.writestr(f'level{k + 1}.zip', inner)
    inner = open(name, 'rb').read()
`, dir, fixture('ascii_quad_facet.stl')]);
  return (name) => join(dir, name);
}

test('hostile 3MFs in the converter: never expanded, each refused with its reason', { timeout: 120_000 }, async () => {
  const h = hostileFiles();
  await page.reload();
  await page.check('input[name="mode"][value="convert"]');
  await pick('#pick-files', [h('laughs.3mf'), h('no_model.3mf'), h('not_xml.3mf')]);
  await waitFinished();
  const rows = page.locator('#rows > li');
  assert.equal(await rows.count(), 3);
  // The entities are never expanded: the object converts under a name of its own.
  assert.match(await rows.nth(0).textContent(), /Done.*1 object · 4 triangles/s);
  assert.match(await rows.nth(1).locator('.error').textContent(), /Detailsthe model part \/3D\/3dmodel\.model is missing from the package/);
  assert.match(await rows.nth(2).locator('.error').textContent(), /Details3D\/3dmodel\.model, byte \d+: /);
});

test('hostile archives in the Manyfold mode: a bomb refused, paths kept inside, nesting capped', { timeout: 120_000 }, async () => {
  const h = hostileFiles();
  await page.reload();
  await page.check('input[name="mode"][value="manyfold"]');
  await pick('#pick-files', [h('bomb.zip'), h('evil.zip'), h('nested.zip')]);
  await page.waitForFunction(() => /proposed/.test(document.getElementById("status").textContent), null, { timeout: 60_000 }).catch(async (e) => {
    throw new Error(`${e.message}; status: ${await page.locator("#status").textContent()}`);
  });
  const status = (await page.locator('#review-errors li').allTextContents()).join('\n');
  assert.match(status, /bomb\.zip: unpacks to more than 16 GiB \(a zip bomb\?\)/);
  assert.match(status, /level5\.zip is kept as a file, not opened: archives nested more than 4 deep/);
  const titles = await page.locator('.model input.title').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(titles, ['evil', 'nested']);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]).catch(async (e) => {
    throw new Error(`${e.message}; status: ${await page.locator('#status').textContent()}`);
  });
  const zipPath = join(out, 'hostile-models.zip');
  await download.saveAs(zipPath);
  const names = JSON.parse(execFileSync('python3', ['-c', 'import json, sys, zipfile; print(json.dumps(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))', zipPath], { encoding: 'utf8' }));
  assert.ok(names.every((n) => !n.split('/').includes('..') && !n.startsWith('/') && !n.includes(':')), names.join());
  // Files in folders Manyfold does not fold in are kept at the model's root.
  assert.ok(names.includes('evil/evil.txt') && names.includes('evil/win.txt') && names.includes('evil/evil.3mf'), names.join());
  // Four levels opened: their five meshes are one model; the fifth nested zip is kept as a file.
  assert.ok(names.includes('nested/nested.3mf') && names.includes('nested/level5.zip'), names.join());
});

test('Manyfold: a 7z release becomes a model folder like a zip', { timeout: 120_000 }, async () => {
  await page.reload();
  await page.check('input[name="mode"][value="manyfold"]');
  await pick('#pick-files', [fixture('release.7z')]);
  await page.waitForFunction(() => /proposed/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  const titles = await page.locator('.model input.title').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(titles, ['Cable Clip']);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]);
  const zipPath = join(out, 'release7z.zip');
  await download.saveAs(zipPath);
  const listing = JSON.parse(execFileSync('python3', ['-c', `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"names": sorted(z.namelist()), "dp": json.loads(z.read("cable-clip/datapackage.json"))}))`, zipPath], { encoding: 'utf8' }));
  // Manyfold would show the whole README as notes over the datapackage's description: kept under another name.
  assert.deepEqual(listing.names, ['cable-clip/README-original.md', 'cable-clip/cable-clip-preview.png', 'cable-clip/cable-clip.3mf', 'cable-clip/datapackage.json']);
  assert.equal(listing.dp.description, 'Holds a 5 mm cable.');
});

/** An ASCII STL of `n` facets, numbered as `bigStl` numbers them. */
function bigAsciiStl(path, n) {
  const lines = ['solid big ascii strip'];
  for (let i = 0; i < n; i++) {
    const x = i * 0.01;
    lines.push('facet normal 0 0 1', 'outer loop', `vertex ${x} 0 0`, `vertex ${x + 0.01} ${(i % 2) * 0.5} 0`, `vertex ${x} 1 ${0.25 * (i % 3)}`, 'endloop', 'endfacet');
  }
  lines.push('endsolid big ascii strip', '');
  writeFileSync(path, lines.join('\n'));
}

// A binary STL is read from a stream, any other big file from FileReaderSync slices.
for (const [kind, make] of [['binary', (p) => bigStl(p, 800_000)], ['ASCII', (p) => bigAsciiStl(p, 330_000)]]) {
  test(`a big ${kind} file: an idle worker compresses its XML while it is read, and the package is byte for byte the CLI one`, { timeout: 240_000 }, async () => {
    await page.reload();
    await page.check('input[name="mode"][value="convert"]');
    const big = join(out, `split-${kind}.stl`);
    make(big); // 40 MB binary, 37 MB ASCII: over the 32 MiB from which helpers compress
    await page.evaluate(async () => (await import('./www/to3mf.js')).pool().whenReady());
    await page.waitForFunction(async () => (await import('./www/to3mf.js')).pool().slots.every((s) => s.ready));
    const helped = () => page.evaluate(async () => (await import('./www/to3mf.js')).pool().helped);
    const before = await helped();
    await pick('#pick-files', [big]);
    await waitFinished();
    assert.equal(await helped(), before + 1, 'an idle worker helped');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#rows > li button.download').first().click()]);
    const got = join(out, `split-${kind}-page.3mf`);
    await download.saveAs(got);
    const want = join(out, `split-${kind}-cli.3mf`);
    // The page titles a package with its file's name and embeds its picture by default.
    execFileSync('cargo', ['run', '-q', '-p', 'to3mf-cli', '--', 'convert', big, '-o', want, '-q', '--thumbnail', '--title', `split-${kind}`], { cwd: root });
    assert.ok(readFileSync(got).equals(readFileSync(want)), 'the same bytes as the native CLI');
    assert.deepEqual(validate([got]).map((v) => v.ok), [true]);
  });
}

test("a worker left idle by a batch's quick file helps the slow one, and its package is still the CLI's", { timeout: 240_000 }, async () => {
  await page.reload();
  await page.check('input[name="mode"][value="convert"]');
  // 25 MB: under the 32 MiB from which a file gets a helper at once, so the idle worker can
  // only join once the quick file is done.
  const slow = join(out, 'late-slow.stl');
  bigStl(slow, 500_000);
  await page.waitForFunction(async () => (await import('./www/to3mf.js')).pool().slots.every((s) => s.ready));
  const helped = () => page.evaluate(async () => (await import('./www/to3mf.js')).pool().helped);
  const before = await helped();
  await pick('#pick-files', [slow, fixture('ascii_quad_facet.stl')]);
  await waitFinished();
  assert.equal(await helped(), before + 1, "the quick file's worker joined the slow one");
  assert.equal(await page.locator('#rows > li button.download').count(), 2, 'both converted');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#rows > li button.download').first().click()]);
  const got = join(out, 'late-slow-page.3mf');
  await download.saveAs(got);
  const want = join(out, 'late-slow-cli.3mf');
  execFileSync('cargo', ['run', '-q', '-p', 'to3mf-cli', '--', 'convert', slow, '-o', want, '-q', '--thumbnail', '--title', 'late-slow'], { cwd: root });
  assert.ok(readFileSync(got).equals(readFileSync(want)), 'the same bytes as the native CLI');
});

// With no helper, a binary STL comes from its stream and anything else from slices; the
// first bytes of the stream choose which (and the full core for a 3MF). Each route must
// give the CLI's bytes, or the CLI's error.
test('without a helper, each kind of file takes its route and gives the CLI package or error', { timeout: 240_000 }, async () => {
  await page.reload();
  execFileSync('cargo', ['build', '-q', '-p', 'to3mf-cli'], { cwd: root });
  const stream = join(out, 'route-stream.stl');
  bigStl(stream, 150_000); // 7.5 MB: two pieces of the 4 MiB stream buffer
  const files = [
    stream,
    corpus('slicer-test-models/broken/missing_triangle_hi.stl'),
    fixture('binary_header_solid.stl'), // binary, though its header starts with "solid"
    fixture('binary_trailing_bytes.stl'),
    fixture('ascii_crlf.stl'),
    corpus('amrust-3mf/third-party/blender-suzanne.3mf'),
    fixture('binary_truncated.stl'),
    fixture('empty_file.stl'),
  ];
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'route-input', hidden: true });
    document.body.append(input);
  });
  await page.setInputFiles('#route-input', files);
  // Twice through one worker: the second time the stream buffer is the one the first kept.
  const results = await page.evaluate(async () => {
    const { Pool } = await import('./www/pool.js');
    const pool = new Pool(1);
    const out = [];
    for (let round = 0; round < 2; round++) {
      for (const file of document.getElementById('route-input').files) {
        const a = await pool.run({ type: 'convert', files: [file], options: {} });
        // As the page says it: the input's own error first.
        const error = a.report?.inputs?.find((i) => i.error)?.error ?? a.report?.error;
        out.push({ bytes: a.blob ? [...new Uint8Array(await a.blob.arrayBuffer())] : null, error: error?.message ?? a.failed ?? null });
      }
    }
    pool.terminate();
    return out;
  });
  assert.equal(results.length, 2 * files.length);
  results.forEach((got, i) => {
    const file = files[i % files.length];
    const want = join(out, 'route-cli.3mf');
    rmSync(want, { force: true });
    let cliError = null;
    try {
      execFileSync(cli, ['convert', file, '-o', want, '-q'], { stdio: 'pipe' });
    } catch (e) {
      cliError = String(e.stderr).split('\n')[0];
    }
    if (cliError) {
      assert.equal(got.bytes, null, `${file}: no package, as the CLI`);
      assert.ok(got.error && cliError.endsWith(got.error), `${file}: the CLI's error "${cliError}", got "${got.error}"`);
    } else {
      assert.equal(got.error, null, `${file}: converts`);
      assert.ok(Buffer.from(got.bytes).equals(readFileSync(want)), `${file}: the same bytes as the native CLI`);
    }
  });
});

// A picked file removed from the disk before it is read (the page knows its size, as it
// shows it): Chromium then fails its reads with "network error". The file gets an error
// that says what happened, alone or merged with another, and the worker goes on.
test('a file deleted after it was picked gets its own error; the next ones convert', { timeout: 120_000 }, async () => {
  await page.reload();
  const gone = join(out, 'vanishing.stl');
  bigStl(gone, 200_000);
  const good = fixture('binary_trailing_bytes.stl');
  await page.evaluate(() => {
    const input = Object.assign(document.createElement('input'), { type: 'file', multiple: true, id: 'vanish-input', hidden: true });
    document.body.append(input);
  });
  await page.setInputFiles('#vanish-input', [gone, good]);
  assert.equal(await page.evaluate(() => document.getElementById('vanish-input').files[0].size), 84 + 50 * 200_000);
  rmSync(gone);
  const results = await page.evaluate(async () => {
    const { Pool } = await import('./www/pool.js');
    const pool = new Pool(1);
    const [vanished, next] = document.getElementById('vanish-input').files;
    const out = [];
    for (const files of [[vanished], [next], [vanished, next], [next]]) {
      const r = await pool.run({ type: 'convert', files, options: {} });
      out.push({ ok: Boolean(r.blob), failed: r.failed ?? null, errors: (r.report?.inputs ?? []).map((i) => i.error?.message ?? null) });
    }
    pool.terminate();
    return out;
  });
  const why = /^the browser could not read it \(.+\): it may have been moved, changed or deleted since it was picked$/;
  assert.equal(results[0].ok, false, 'the deleted file has no package');
  assert.equal(results[0].failed, null, 'a read error, not a crash');
  assert.match(results[0].errors[0] ?? '', why);
  assert.deepEqual([results[1].ok, results[1].errors], [true, [null]], 'the next file converts in the same worker');
  assert.equal(results[2].ok, true, 'merged with a good file, the good one is written');
  assert.match(results[2].errors[0] ?? '', why);
  assert.equal(results[2].errors[1], null);
  assert.equal(results[3].ok, true);
});

test('a file over its time limit fails alone; the next one converts', { timeout: 120_000 }, async () => {
  await page.reload();
  const results = await page.evaluate(async () => {
    const m = await import('./www/to3mf.js');
    const n = 2_000_000;
    const buf = new ArrayBuffer(84 + 50 * n);
    const view = new DataView(buf);
    view.setUint32(80, n, true);
    for (let i = 0; i < n; i++) {
      const o = 84 + 50 * i + 12;
      for (let k = 0; k < 9; k++) view.setFloat32(o + 4 * k, i * 0.001 + k * (k % 4), true);
    }
    const slow = new File([buf], 'slow.stl');
    const quick = new File(['solid q\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid q\n'], 'quick.stl');
    const [late] = await m.convert([slow], {}, { timeLimit: () => 200 });
    const [ok] = await m.convert([quick], {}, { timeLimit: () => 200 });
    return { late: late.error, ok: Boolean(ok.blob) };
  });
  assert.equal(results.late.code, 'time_limit');
  assert.match(results.late.message, /took longer than 0\.2 s, the time limit for this file, and was stopped/);
  assert.ok(results.ok, 'the next file converts in a fresh worker');
});

// Last, so it covers every test above.
test('no request ever left the page origin', () => {
  assert.ok(requests.length > 5);
  const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  assert.deepEqual(foreign, []);
});

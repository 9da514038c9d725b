// The page's Manyfold exports checked by Manyfold's own importer (../shared/tools/manyfold-import):
// "One zip per model" uploaded makes one model per zip with its files at the model's root, and
// "Export one zip" unpacked into a library and scanned makes the same models with their
// metadata — no nested models, every file on disk, the presupported flags right.
//
// Serves the built site (`make site`, in _site/) and needs ../shared beside the repo.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropFiles as drop, fixture, launch, root, validate } from './common.mjs';
import { serve } from './serve.mjs';

const out = join(root, 'test-output', 'e2e-manyfold-layout');
const importer = join(root, '../shared/tools/manyfold-import/manyfold-import');

let server, browser, page;

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  assert.ok(existsSync(join(root, '_site/www/pkg/to3mf_wasm_bg.wasm')), 'run `make site` first');
  let site;
  ({ server, url: site } = await serve(join(root, '_site'), '/to3mf/'));
  browser = await launch();
  page = await (await browser.newContext({ acceptDownloads: true })).newPage();
  await page.goto(site);
});

after(async () => {
  await browser?.close();
  server?.close();
});

/** What Manyfold's importer makes of `args`, as JSON. */
function manyfold(args) {
  return JSON.parse(execFileSync(importer, args, { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

/** A release zip: meshes (one presupported), a picture and a PDF in sub-folders Manyfold does not fold in. */
function releaseZip(path, picture) {
  execFileSync('python3', ['-c', `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1], 'w')
z.write(sys.argv[2], 'Cable Sup Holder/holder.stl')
z.write(sys.argv[3], 'Cable Sup Holder/holder_sup.stl')
z.writestr('Cable Sup Holder/docs/guide.pdf', b'%PDF-1.4 guide')
z.write(sys.argv[4], 'Cable Sup Holder/photos/holder.png')
z.close()`, path, fixture('ascii_multi_solid.stl'), fixture('ascii_crlf.stl'), picture]);
}

const dropFiles = (paths) => drop(page, paths);

const intended = {
  'cable-holder': [['cable-holder-presupported.3mf', true], ['cable-holder.3mf', false], ['guide.pdf', false], ['holder.webp', false]],
  'ascii-quad-facet': [['ascii-quad-facet-preview.png', false], ['ascii-quad-facet.3mf', false]],
};

/** The validator's verdict on each 3MF under `dir`, and the width of its thumbnail (0: none). */
function thumbnails(dir) {
  const found = execFileSync('python3', ['-c', `
import glob, struct, sys, zipfile
for p in sorted(glob.glob(sys.argv[1] + '/**/*.3mf', recursive=True)):
    z = zipfile.ZipFile(p)
    png = z.read('Metadata/thumbnail.png') if 'Metadata/thumbnail.png' in z.namelist() else b''
    print(p, struct.unpack('>I', png[16:20])[0] if png else 0)`, dir], { encoding: 'utf8' }).trim().split('\n');
  const verdicts = validate(found.map((l) => l.split(' ')[0]));
  return found.map((l, i) => ({ file: l.split(' ')[0].slice(dir.length + 1), width: Number(l.split(' ')[1]), ok: verdicts[i].ok }));
}

/** Checks a model Manyfold made: its files on disk with their flags, and no problem but the silent ones and the path-template note. */
function check(model, files) {
  assert.equal(model.created, true, JSON.stringify(model));
  assert.deepEqual(model.errors, []);
  const got = model.files.filter((f) => f.filename !== 'datapackage.json');
  assert.ok(got.every((f) => f.on_disk), JSON.stringify(got));
  assert.deepEqual(got.map((f) => [f.filename, f.presupported]), files);
  const problems = model.problems.filter((p) => p.severity !== 'silent' && p.category !== 'file_naming');
  assert.deepEqual(problems, [], `${model.path}: no nesting, missing or duplicate files`);
}

test('Manyfold: the zips per model upload as one model each, the one zip scans as a library', { timeout: 180_000 }, async () => {
  if (!existsSync(importer)) {
    console.log('# skipped: ../shared/tools/manyfold-import is absent');
    return;
  }
  await page.check('input[name="mode"][value="manyfold"]');
  const picture = join(out, 'holder.png');
  writeFileSync(picture, await page.screenshot());
  const zip = join(out, 'Cable Sup Holder.zip');
  releaseZip(zip, picture);
  await dropFiles([zip, fixture('ascii_quad_facet.stl')]);
  await page.waitForSelector('#review:not([hidden]) .model', { timeout: 60_000 });

  // One zip per model: each download a model's files at the zip's root.
  const zips = [];
  page.on('download', (d) => zips.push(d));
  await page.click('#export-each');
  for (const deadline = Date.now() + 120_000; zips.length < 2 && Date.now() < deadline;) {
    await new Promise((ok) => setTimeout(ok, 100));
  }
  page.removeAllListeners('download');
  const paths = [];
  for (const d of zips) {
    const path = join(out, d.suggestedFilename());
    await d.saveAs(path);
    paths.push(path);
  }
  assert.deepEqual(paths.map((p) => p.split('/').pop()).sort(), ['ascii-quad-facet.zip', 'cable-holder.zip']);
  const upload = manyfold(['--upload', ...paths]);
  assert.equal(upload.models.length, 2);
  for (const model of upload.models) {
    const folder = model.archive.archive.replace(/\.zip$/, '');
    assert.equal(model.archive.strip_components, 0, 'the files are at the root already');
    check(model, intended[folder]);
  }

  // One zip of model folders, unpacked into a library and scanned.
  const [one] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]);
  const onePath = join(out, 'manyfold-models.zip');
  await one.saveAs(onePath);
  const library = join(out, 'library');
  execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', onePath, library]);
  const scan = manyfold([library]);
  assert.deepEqual(scan.models.map((m) => m.path).sort(), ['ascii-quad-facet', 'cable-holder']);
  assert.deepEqual(scan.files_not_indexed, []);
  for (const model of scan.models) {
    check(model, intended[model.path]);
    assert.ok(model.files.some((f) => f.filename === model.preview_file), `${model.path}: the preview resolves`);
  }
  assert.deepEqual(scan.models.map((m) => m.name).sort(), ['Ascii Quad Facet', 'Cable Sup Holder']);

  // Every 3MF has its thumbnail, validator-clean: the preview rendered beside a model without
  // pictures (512 pixels), a 256-pixel render for one whose picture (WebP here) cannot be one.
  // With the setting off, none has.
  assert.deepEqual(thumbnails(library), [
    { file: 'ascii-quad-facet/ascii-quad-facet.3mf', width: 512, ok: true },
    { file: 'cable-holder/cable-holder-presupported.3mf', width: 256, ok: true },
    { file: 'cable-holder/cable-holder.3mf', width: 256, ok: true },
  ]);
  await page.uncheck('#thumbnail');
  const [bare] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]);
  const barePath = join(out, 'manyfold-models-bare.zip');
  await bare.saveAs(barePath);
  const bareLibrary = join(out, 'library-bare');
  execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', barePath, bareLibrary]);
  assert.deepEqual(thumbnails(bareLibrary).map((t) => [t.width, t.ok]), [[0, true], [0, true], [0, true]]);
  await page.check('#thumbnail');
});

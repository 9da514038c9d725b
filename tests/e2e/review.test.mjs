// Manyfold mode's review, as a person uses it on a phone (390×844) and a desktop (1280×800),
// light and dark, in Debian's Chromium driven by playwright-core: every model card shows its
// picture and size, nothing overflows, edits survive adding files, moves and leave-outs act
// only on a deliberate choice, the keyboard reaches everything with a visible focus, axe-core
// finds no violation, and the metadata set per model reaches Manyfold's own importer.
// Screenshots go to target/e2e-screenshots/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axe, fixture, launch, root } from './common.mjs';
import { serve } from './serve.mjs';

const out = join(root, 'test-output', 'e2e-review');
const shots = join(root, 'target', 'e2e-screenshots');
const importer = join(root, '../shared/tools/manyfold-import/manyfold-import');

let server, site, browser;
const requests = [];
// A name long enough to push a card wider than a phone if anything refused to wrap.
const LONG = 'a_very_long_file_name_of_a_model_someone_downloaded_with_every_word_kept_v2_final.stl';

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  mkdirSync(shots, { recursive: true });
  assert.ok(existsSync(join(root, '_site/www/pkgfull/to3mf_wasm_bg.wasm')), 'run `make site` first');
  copyFileSync(fixture('ascii_quad_facet.stl'), join(out, LONG));
  copyFileSync(join(root, 'www/icon-192.png'), join(out, 'obj_ngon_photo.png'));
  // Two archives that cannot be opened: each must be its own error.
  writeFileSync(join(out, 'broken.zip'), Buffer.from('PK\x03\x04 this is not really a zip'));
  writeFileSync(join(out, 'release.rar'), Buffer.from('Rar!\x1a\x07\x00 not extracted'));
  ({ server, url: site } = await serve(join(root, '_site'), '/to3mf/'));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function openPage({ width, height, scheme }) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width, height }, colorScheme: scheme });
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  await page.goto(site);
  return page;
}

async function proposed(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('#review:not([hidden]) .model').length === n
    && /proposed/.test(document.getElementById('status').textContent), n, { timeout: 60_000 }).catch(async (e) => {
    throw new Error(`${e.message}; status: ${await page.locator('#status').textContent()}`);
  });
}

/** Waits until every card shows a decoded picture and a size in mm; returns the sizes. */
async function previews(page) {
  await page.waitForFunction(() => [...document.querySelectorAll('.model')].every((c) => {
    const img = c.querySelector('.picture img');
    return img?.complete && img.naturalWidth > 0 && /mm$/.test(c.querySelector('.dims').textContent);
  }), null, { timeout: 60_000 }).catch(async (e) => {
    throw new Error(`${e.message}; dims: ${(await page.locator('.dims').allTextContents()).join(' | ')}`);
  });
  return page.locator('.dims').allTextContents();
}

/** Horizontal overflow of the page and of any card. */
const overflow = (page) => page.evaluate(() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  cards: Math.max(0, ...[...document.querySelectorAll('.model, .model li, .model select')].map((e) => e.getBoundingClientRect().right - document.documentElement.clientWidth)),
}));

const titles = (page) => page.locator('.model input.title').evaluateAll((els) => els.map((e) => e.value));
const fileRow = (page, name) => page.locator('.model li', { hasText: name });

for (const [label, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
  for (const scheme of ['light', 'dark']) {
    test(`review on a ${label}, ${scheme}: pictures and sizes, no overflow, edits kept when files are added, no axe violation`, { timeout: 180_000 }, async () => {
      const page = await openPage({ ...viewport, scheme });
      await page.check('input[name="mode"][value="manyfold"]');
      assert.equal(await page.locator('#pick-files').getAttribute('accept'), '', 'the picker takes archives (and everything else a download holds)');
      assert.match(await page.locator('#drop-help').innerText(), /\.zip and \.7z archives/);
      await page.setInputFiles('#pick-files', [fixture('ascii_quad_facet.stl'), fixture('obj_ngon.obj'), join(out, 'obj_ngon_photo.png'), join(out, LONG)]);
      await proposed(page, 3);
      const sizes = await previews(page);
      const sizeOf = Object.fromEntries((await titles(page)).map((t, i) => [t, sizes[i]]));
      // The quad facet is a 1 mm square at z = 0; the OBJ a pentagon 4 × 2 mm and a quad 1 mm up.
      assert.equal(sizeOf['Ascii Quad Facet'], '1 × 1 × 0 mm');
      assert.equal(sizeOf['Obj Ngon'], '4 × 2 × 1 mm');
      assert.deepEqual(await overflow(page), { page: 0, cards: 0 }, 'nothing wider than the screen');
      await page.screenshot({ path: join(shots, `review-${label}-${scheme}.png`), fullPage: true });

      // A rename, a left-out file and a move, then more files (and two archives that cannot
      // be opened).
      await page.locator('.model input.title').first().fill('Quad Plate');
      await fileRow(page, 'obj_ngon_photo.png').getByRole('button', { name: /Leave out/ }).click();
      const long = fileRow(page, LONG);
      await long.locator('select').selectOption({ label: 'Move to “Quad Plate”' });
      await long.getByRole('button', { name: /^Move / }).click();
      await page.waitForFunction(() => document.querySelectorAll('.model').length === 2);
      await page.setInputFiles('#pick-files', [fixture('obj_groups.obj'), join(out, 'broken.zip'), join(out, 'release.rar')]);
      await proposed(page, 3);
      const after = await titles(page);
      assert.deepEqual([...after].sort(), ['Obj Groups', 'Obj Ngon', 'Quad Plate'], 'the rename is kept, the new file joined');
      const quad = page.locator('.model', { has: page.locator('input.title') }).nth(after.indexOf('Quad Plate'));
      assert.deepEqual(await quad.locator('.file-name').allTextContents(), ['ascii_quad_facet.stl', LONG], 'the move is kept');
      const photo = fileRow(page, 'obj_ngon_photo.png');
      assert.equal(await photo.count(), 1);
      assert.match(await photo.getAttribute('class'), /\bout\b/, 'still listed, as left out');
      assert.match(await photo.textContent(), /left out/);
      const errors = await page.locator('#review-errors li').allTextContents();
      assert.equal(errors.length, 2, errors.join(' | '));
      assert.match(errors.find((e) => /release\.rar/.test(e)), /RAR archive: extract it first/);
      assert.match(errors.find((e) => /broken\.zip/.test(e)), /broken\.zip/);
      await previews(page);
      await page.locator('details.meta').first().evaluate((d) => (d.open = true));
      assert.deepEqual(await overflow(page), { page: 0, cards: 0 }, 'nothing wider than the screen, metadata open');
      await axe(page, `the review (${label}, ${scheme})`);
      await page.screenshot({ path: join(shots, `review-edited-${label}-${scheme}.png`), fullPage: true });
      await page.context().close();
    });
  }
}

/** What the focused element looks like: a visible ring (outline or box-shadow) on a visible box. */
const focusRing = (page) => page.evaluate(() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const r = e.getBoundingClientRect();
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || (s.boxShadow && s.boxShadow !== 'none');
  const label = e.getAttribute('aria-label') || e.id || e.textContent.trim().slice(0, 40) || e.tagName;
  return { label, tag: e.tagName, type: e.type ?? '', visible: Boolean(ring) && r.width >= 4 && r.height >= 4 && s.opacity !== '0' };
});

test('a keyboard-only run through Manyfold mode: every stop shows its focus, a move or leave-out needs a deliberate choice', { timeout: 180_000 }, async () => {
  const page = await openPage({ width: 1280, height: 800, scheme: 'light' });
  const stops = [];
  const tab = async (shift = false) => {
    await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
    const f = await focusRing(page);
    stops.push(f);
    return f;
  };
  // To the mode switch, and Manyfold mode by arrow key.
  while ((await tab()).type !== 'radio') assert.ok(stops.length < 10, 'the mode switch is reached');
  await page.keyboard.press('ArrowRight');
  assert.ok(await page.isChecked('input[value="manyfold"]'));
  // The native file dialog cannot be driven: the files are handed to the picker.
  await page.setInputFiles('#pick-files', [fixture('ascii_quad_facet.stl'), fixture('obj_ngon.obj'), join(out, 'obj_ngon_photo.png')]);
  await proposed(page, 2);
  await previews(page);
  // Tab on to the photo's "where it goes" list.
  const where = 'Where obj_ngon_photo.png goes';
  for (;;) {
    const f = await tab();
    if (f.label === where) break;
    assert.ok(stops.length < 60, `the review is reached by Tab: ${stops.map((s) => s.label).join(' | ')}`);
  }
  const modelOf = () => page.evaluate(() => [...document.querySelectorAll('.model')].findIndex((c) => c.textContent.includes('obj_ngon_photo.png')));
  const before = await modelOf();
  // An arrow key moves through the choices; nothing moves and focus stays.
  await page.keyboard.press('ArrowDown');
  assert.equal(await modelOf(), before, 'an arrow key alone moves nothing');
  assert.equal((await focusRing(page)).label, where, 'focus stays on the list');
  // Move by the button: the file goes, focus follows it.
  assert.match((await tab()).label, /^Move obj_ngon_photo\.png/);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^Moved obj_ngon_photo\.png/.test(document.getElementById('status').textContent));
  assert.notEqual(await modelOf(), before, 'the Move button moved it');
  assert.equal((await focusRing(page)).label, where, 'focus stays with the file');
  // Leave it out with Space, then put it back: it stays listed, focus stays on the button.
  // (The Move button, with nothing chosen, is disabled and skipped.)
  const leave = await tab();
  assert.match(leave.label, /^Leave out obj_ngon_photo\.png/);
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /left out\.$/.test(document.getElementById('status').textContent));
  assert.equal(await fileRow(page, 'obj_ngon_photo.png').getAttribute('class'), 'out');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Put back');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /put back\.$/.test(document.getElementById('status').textContent));
  assert.equal(await fileRow(page, 'obj_ngon_photo.png').getAttribute('class'), null);
  // Open a model's metadata with Enter and type into it; then on to the export buttons.
  for (;;) {
    const f = await tab();
    if (f.tag === 'SUMMARY') break;
    assert.ok(stops.length < 120, 'the metadata is reached');
  }
  await page.keyboard.press('Enter');
  const creator = await tab();
  assert.equal(creator.tag, 'INPUT');
  await page.keyboard.type('Kay Board');
  for (;;) {
    const f = await tab();
    if (f.label === 'export-zip') break;
    assert.ok(stops.length < 200, `the export is reached: ${stops.slice(-5).map((s) => s.label).join(' | ')}`);
  }
  await page.screenshot({ path: join(shots, 'review-keyboard.png'), fullPage: true });
  // Every stop has a visible focus ring. The hidden file inputs behind "Choose files" and
  // "Choose a folder" are the page shell's (and its own test's) business.
  const hidden = stops.filter((s) => !s.visible && s.type !== 'file');
  assert.deepEqual(hidden, [], 'every focus stop is visible');
  await page.context().close();
});

test('"One zip per model" downloads one zip per model and says how many', { timeout: 120_000 }, async () => {
  const page = await openPage({ width: 1280, height: 800, scheme: 'light' });
  await page.check('input[name="mode"][value="manyfold"]');
  await page.setInputFiles('#pick-files', [fixture('ascii_quad_facet.stl'), fixture('obj_ngon.obj'), fixture('obj_groups.obj')]);
  await proposed(page, 3);
  const downloads = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  await page.click('#export-each');
  await page.waitForFunction(() => /^Exported \d+ models?, one zip each/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });
  assert.match(await page.locator('#status').textContent(), /^Exported 3 models, one zip each\./);
  assert.deepEqual(downloads.sort(), ['ascii-quad-facet.zip', 'obj-groups.zip', 'obj-ngon.zip']);
  // The buttons say which route into Manyfold each is for.
  assert.match(await page.locator('#export-zip').textContent(), /for unpacking into a library/);
  assert.match(await page.locator('#export-each').textContent(), /for uploading/);
  assert.match(await page.locator('.exports').textContent(), /does\s+not read the metadata file on upload/);
  await page.context().close();
});

test('per-model metadata set in the page is what Manyfold imports from the exported library', { timeout: 240_000 }, async (t) => {
  if (!existsSync(importer)) return t.skip(`${importer} is missing: ../shared/tools/manyfold-import not provided`);
  const page = await openPage({ width: 1280, height: 800, scheme: 'dark' });
  await page.check('input[name="mode"][value="manyfold"]');
  await page.setInputFiles('#pick-files', [fixture('ascii_quad_facet.stl'), fixture('obj_ngon.obj'), fixture('release.7z')]);
  await proposed(page, 3);
  // What a download's README says is shown with its source.
  const clip = page.locator('.model', { has: page.locator('input.title') }).nth((await titles(page)).indexOf('Cable Clip'));
  await clip.locator('summary').click();
  const description = clip.locator('textarea');
  assert.equal(await description.inputValue(), 'Holds a 5 mm cable.');
  assert.match(await clip.locator(`#${await description.getAttribute('aria-describedby')}`).textContent(), /from the README/);
  const first = page.locator('.model').nth((await titles(page)).indexOf('Ascii Quad Facet'));
  await first.locator('input.title').fill('Quad Plate');
  await first.locator('summary').click();
  const field = (name) => first.locator(`[id$="-${name}"]:is(input, textarea, select)`);
  await field('creator').fill('Ada Maker');
  await field('creator').dispatchEvent('change');
  await field('license').fill('CC-BY-SA-4.0');
  await field('license').dispatchEvent('change');
  await field('tags').fill('plate, quad');
  await field('tags').dispatchEvent('change');
  await field('collections').fill('Test Prints');
  await field('collections').dispatchEvent('change');
  await field('sensitive').check();
  assert.match(await first.locator(`#${await field('creator').getAttribute('aria-describedby')}`).textContent(), /set by you/);
  // "For all": fills the second model, which has no creator, but not the first.
  await page.fill('#creator', 'Everyone Else');
  await page.fill('#license', 'CC0-1.0');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]);
  const zipPath = join(out, 'library.zip');
  await download.saveAs(zipPath);
  const lib = join(out, 'library');
  execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', zipPath, lib]);
  const report = JSON.parse(execFileSync(importer, [lib], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const byPath = Object.fromEntries(report.models.map((m) => [m.path, m]));
  const quad = byPath['quad-plate'];
  assert.ok(quad?.created, JSON.stringify(report.models.map((m) => [m.path, m.errors])));
  assert.equal(quad.name, 'Quad Plate');
  assert.equal(quad.creator, 'Ada Maker');
  assert.equal(quad.license, 'CC-BY-SA-4.0');
  assert.deepEqual(quad.tags.filter((t) => !t.startsWith('!')).sort(), ['plate', 'quad']);
  assert.deepEqual(quad.collections, ['Test Prints']);
  assert.equal(quad.sensitive, true);
  assert.deepEqual(quad.errors, []);
  const ngon = byPath['obj-ngon'];
  assert.equal(ngon.creator, 'Everyone Else');
  assert.equal(ngon.license, 'CC0-1.0');
  assert.equal(ngon.sensitive, false);
  await page.context().close();
});

test('previews of real models come after the review, which is usable meanwhile (times printed)', { timeout: 180_000 }, async (t) => {
  const files = ['prusaslicer/resources/data/printer_gantries/prusa3d_xl_gantry.stl', 'qidistudio/calib/temperature_tower/temperature_tower.stl']
    .map((p) => join(root, '../shared/corpus', p));
  if (!files.every(existsSync)) return t.skip('../shared/corpus is missing');
  const page = await openPage({ width: 1280, height: 800, scheme: 'light' });
  await page.check('input[name="mode"][value="manyfold"]');
  // Warm the full module first, so the times are the work's, not the download's.
  await page.setInputFiles('#pick-files', [fixture('ascii_quad_facet.stl')]);
  await proposed(page, 1);
  await previews(page);
  await page.click('#clear');
  const start = Date.now();
  await page.setInputFiles('#pick-files', files);
  await proposed(page, 2);
  const shown = Date.now() - start;
  // The review answers while the pictures are made.
  await page.locator('.model input.title').first().fill('Gantry');
  const sizes = await previews(page);
  const done = Date.now() - start;
  console.log(`# 2 models (${files.map((f) => `${(readFileSync(f).length / 1e6).toFixed(1)} MB`).join(', ')}): review shown after ${shown} ms, pictures and sizes after ${done} ms: ${sizes.join('; ')}`);
  for (const s of sizes) assert.match(s, /^[\d,.]+ × [\d,.]+ × [\d,.]+ mm$/);
  await page.context().close();
});

test('no request left the page\'s origin', () => {
  const origin = new URL(site).origin;
  assert.deepEqual(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')), []);
});

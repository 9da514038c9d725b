// Convert mode and the page shell as people meet them, in Debian's Chromium driven by
// playwright-core, at 390×844 (a phone) and 1280×800, light and dark: no horizontal scrolling
// with long names, every done row with its picture and size, a model in metres flagged and
// fixed, errors in plain words, a keyboard-only run with a visible focus ring at every stop,
// axe-core with no violations in each state, and 3MFs that carry a valid thumbnail.
// Screenshots of each state go to test-output/ux/.
//
// Serves the built site (`make site`, in _site/); needs ../shared beside the repo.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axe, corpus, fixture, launch, root, validate, validator } from './common.mjs';
import { serve } from './serve.mjs';

const out = join(root, 'test-output', 'ux');
const shots = join(out, 'screenshots');

const LONG = 'a_really_long_file_name_from_a_model_site_without_any_spaces_in_it_whatsoever_v2_final-final.stl';
let server, site, browser;
let inputs; // the files every viewport converts

before(async () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  assert.ok(existsSync(join(root, '_site/www/pkg/to3mf_wasm_bg.wasm')), 'run `make site` first');
  assert.ok(existsSync(validator), `needs ${validator} (../shared)`);
  const long = join(out, LONG);
  copyFileSync(fixture('binary_negative_zero.stl'), long);
  // Random bytes named as a 3MF: it must be called what it is not (a 3MF), never an STL.
  const damaged = join(out, 'damaged.3mf');
  writeFileSync(damaged, Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919 + 13) % 251)));
  inputs = [long, fixture('model_in_metres.stl'), fixture('obj_ngon.obj'), damaged];
  ({ server, url: site } = await serve(join(root, '_site'), '/to3mf/'));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(viewport, colorScheme) {
  const context = await browser.newContext({ viewport, colorScheme, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(site);
  await page.evaluate(async () => (await import('./www/to3mf.js')).pool().whenReady());
  return page;
}

const waitFinished = (page) =>
  page.waitForFunction(() => /^Finished/.test(document.getElementById('status').textContent), null, { timeout: 60_000 });

/** Every row that converted has its picture drawn. */
const waitPictures = (page) =>
  page.waitForFunction(() => [...document.querySelectorAll('#rows > li.state-done')].every((li) => li.querySelector('.picture img')?.complete && li.querySelector('.picture img').naturalWidth > 0), null, { timeout: 30_000 });

async function noOverflow(page, what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what}: the page is ${scroll} px wide in a ${width} px window`);
}

for (const [w, h] of [[390, 844], [1280, 800]]) {
  for (const scheme of ['light', 'dark']) {
    const state = `${w}x${h}-${scheme}`;
    test(`${state}: long names wrap, rows show picture and size, words are plain, no axe violations`, { timeout: 120_000 }, async () => {
      const page = await open({ width: w, height: h }, scheme);
      await noOverflow(page, `${state} empty`);
      await axe(page, `${state} empty`);
      await page.screenshot({ path: join(shots, `${state}-1-empty.png`), fullPage: true });

      await page.setInputFiles('#pick-files', inputs);
      await waitFinished(page);
      await waitPictures(page);
      const rows = page.locator('#rows > li');
      assert.equal(await rows.count(), 4);
      assert.equal(await page.locator('#rows > li.state-done').count(), 3);
      for (const li of await page.locator('#rows > li.state-done').all()) {
        assert.match(await li.locator('.dims').textContent(), /^Size: [\d.,]+ × [\d.,]+ × [\d.,]+ mm$/);
        // The name is shown once: the download button does not repeat it visibly.
        assert.equal(await li.locator('button.download').evaluate((b) => b.firstChild.textContent), 'Download 3MF');
      }
      assert.equal(await rows.nth(0).locator('.dims').textContent(), 'Size: 10 × 10 × 10 mm');
      // The damaged file: plain words first, the core's message under Details, no word of STL.
      const failed = rows.nth(3);
      assert.equal(await failed.locator('.status').textContent(), 'Failed');
      assert.equal(await failed.locator('.headline').textContent(), 'This file is damaged or is not a 3D model.');
      assert.match(await failed.locator('.advice').textContent(), /Its name says 3MF, but it holds no 3MF model/);
      assert.equal(await failed.locator('details').getAttribute('open'), null, 'details start folded');
      const detail = await failed.locator('details .detail').textContent();
      assert.match(detail, /not a 3MF package/);
      assert.doesNotMatch(await failed.textContent(), /STL/);
      assert.equal(await failed.locator('button.retry').count(), 1, 'a failed row can be tried again');

      // The model in metres: flagged, with the fix that reconverts it in metres.
      const metres = rows.nth(1);
      assert.equal(await metres.locator('.dims').textContent(), 'Size: 0.02 × 0.03 × 0.01 mm');
      assert.match(await metres.locator('.size-warning').textContent(), /only 0\.03 mm across: too small to print/);
      await noOverflow(page, `${state} done`);
      if (w === 390) {
        // The narrowest screen the page promises to fit.
        await page.setViewportSize({ width: 320, height: h });
        await noOverflow(page, `${state} done at 320 px`);
        await page.screenshot({ path: join(shots, `320x${h}-${scheme}-2-done.png`), fullPage: true });
        await page.setViewportSize({ width: w, height: h });
      }
      await axe(page, `${state} done`);
      await page.screenshot({ path: join(shots, `${state}-2-done.png`), fullPage: true });

      await metres.locator('button.fix', { hasText: '×1000' }).click();
      await waitFinished(page);
      await waitPictures(page);
      assert.equal(await metres.locator('.dims').textContent(), 'Size: 20 × 30 × 10 mm');
      assert.equal(await metres.locator('.size-warning').count(), 0);
      // Its package is in millimetres now: the validator reads the 20 × 30 × 10 mm box.
      const [download] = await Promise.all([page.waitForEvent('download'), metres.locator('button.download').click()]);
      const saved = join(out, `${state}-metres.3mf`);
      await download.saveAs(saved);
      const info = execFileSync('prusa-slicer', ['--info', saved], { encoding: 'utf8' });
      assert.match(info, /size_x = 20\.0+\nsize_y = 30\.0+\nsize_z = 10\.0+/);
      await page.screenshot({ path: join(shots, `${state}-3-fixed.png`), fullPage: true });

      // Manyfold mode: convert mode's rows and buttons are gone, and cannot take focus.
      await page.check('input[name="mode"][value="manyfold"]');
      for (const id of ['rows', 'download-all', 'cancel', 'merge', 'unit']) {
        assert.equal(await page.locator(`#${id}`).isVisible(), false, `#${id} hidden in Manyfold mode`);
      }
      await noOverflow(page, `${state} manyfold`);
      await axe(page, `${state} manyfold`);
      await page.screenshot({ path: join(shots, `${state}-4-manyfold.png`), fullPage: true });
      await page.context().close();
    });
  }
}

/** What has focus and whether a ring shows on it (a file input's ring is on its label). */
function focusStop() {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  const shown = a.type === 'file' ? a.closest('label') : a;
  const s = getComputedStyle(shown);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
  const name = a.id || a.getAttribute('aria-label') || a.textContent.trim().slice(0, 40) || a.tagName;
  return { name, tag: a.tagName, type: a.type ?? '', ring, visible: shown.getBoundingClientRect().width > 1 };
}

test('keyboard only: Tab, Enter, Space and arrows through convert mode, a ring at every stop', { timeout: 120_000 }, async () => {
  const page = await open({ width: 1280, height: 800 }, 'light');
  // Listening from the start: Playwright intercepts file dialogs only once someone listens.
  let chosen = 0;
  page.on('filechooser', (chooser) => {
    chosen++;
    chooser.setFiles([fixture('model_in_metres.stl')]);
  });
  const stops = [];
  const tab = async (key = 'Tab') => {
    await page.keyboard.press(key);
    const stop = await page.evaluate(focusStop);
    if (stop) stops.push(stop);
    return stop;
  };
  /** Tabs until the stop `name` (by id or text), at most 40 times. */
  const tabTo = async (pred) => {
    for (let i = 0; i < 40; i++) {
      const stop = await tab();
      if (stop && pred(stop)) return stop;
    }
    assert.fail(`never reached the stop; went through ${stops.map((s) => s.name).join(', ')}`);
  };
  // The mode radios: arrows move between them (and choose), back to convert.
  await tabTo((s) => s.type === 'radio');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.querySelector('input[name="mode"]:checked').value), 'manyfold');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.querySelector('input[name="mode"]:checked').value), 'convert');
  // "Choose files" with Space opens the file dialog.
  await tabTo((s) => s.name === 'pick-files');
  await page.keyboard.press('Space');
  await waitFinished(page);
  assert.equal(chosen, 1, 'the file dialog opened once');
  await waitPictures(page);
  // On to the size fix, taken with Space, and then the download, taken with Enter.
  await tabTo((s) => /^Scale ×1000/.test(s.name));
  await page.keyboard.press('Space');
  await waitFinished(page);
  assert.equal(await page.locator('#rows .dims').textContent(), 'Size: 20 × 30 × 10 mm');
  await page.focus('#drop'); // the row was redrawn; go on from the top of the page
  const [download] = await Promise.all([page.waitForEvent('download'), (async () => {
    await tabTo((s) => s.name.startsWith('Download 3MF'));
    await page.keyboard.press('Enter');
  })()]);
  assert.equal(download.suggestedFilename(), 'model_in_metres.3mf');
  // The "About" summary opens with Enter; its link is a stop too.
  await tabTo((s) => s.tag === 'SUMMARY');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#about').getAttribute('open'), '');
  await page.screenshot({ path: join(shots, 'keyboard-about.png'), fullPage: true });
  const bare = stops.filter((s) => !s.ring || !s.visible);
  assert.deepEqual(bare, [], 'every focus stop shows a ring');
  for (const want of ['theme', 'drop', 'pick-files', 'pick-folder', 'layout', 'unit', 'title', 'merge', 'thumbnail', 'time-limit']) {
    assert.ok(stops.some((s) => s.name === want), `${want} is a focus stop: ${stops.map((s) => s.name).join(', ')}`);
  }
  await axe(page, 'keyboard run');
  await page.context().close();
});

test('every 3MF carries a valid thumbnail, unless the setting is off', { timeout: 120_000 }, async () => {
  const page = await open({ width: 1280, height: 800 }, 'light');
  const convertOne = async (name) => {
    await page.click('#clear').catch(() => {});
    await page.setInputFiles('#pick-files', [corpus('trimesh/20mm-xyz-cube.stl')]);
    await waitFinished(page);
    await waitPictures(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#rows button.download').click()]);
    const path = join(out, name);
    await download.saveAs(path);
    return path;
  };
  const list = (path) => execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.read("_rels/.rels").decode()); print("\\n".join(z.namelist()))', path], { encoding: 'utf8' });
  const withThumb = await convertOne('with-thumbnail.3mf');
  const listing = list(withThumb);
  assert.match(listing, /Target="\/Metadata\/thumbnail\.png" Id="rel1" Type="http:\/\/schemas\.openxmlformats\.org\/package\/2006\/relationships\/metadata\/thumbnail"/);
  assert.match(listing, /^Metadata\/thumbnail\.png$/m);
  const png = execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("Metadata/thumbnail.png"))', withThumb]);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [256, 256], '256 × 256');
  const [verdict] = validate([withThumb]);
  assert.equal(verdict.ok, true, JSON.stringify(verdict));
  assert.equal(verdict.package_thumbnail, true);
  assert.match(execFileSync('prusa-slicer', ['--info', withThumb], { encoding: 'utf8' }), /number_of_facets = \d+/);
  // The row's picture is the package's thumbnail, byte for byte.
  // The row's picture is the package's thumbnail: the same pixels (the CSP lets no script
  // fetch a blob: URL, so both are decoded as images).
  const same = await page.evaluate(async (b64) => {
    const pixels = async (src) => {
      const img = new Image();
      img.src = src;
      await img.decode();
      const g = new OffscreenCanvas(img.naturalWidth, img.naturalHeight).getContext('2d');
      g.drawImage(img, 0, 0);
      return g.getImageData(0, 0, img.naturalWidth, img.naturalHeight).data;
    };
    const [a, b] = [await pixels(document.querySelector('#rows .picture img').src), await pixels(`data:image/png;base64,${b64}`)];
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }, png.toString('base64'));
  assert.ok(same, "the row's picture is the thumbnail");

  await page.uncheck('#thumbnail');
  const without = await convertOne('without-thumbnail.3mf');
  assert.doesNotMatch(list(without), /thumbnail/);
  assert.equal(await page.locator('#rows .picture img').count(), 1, 'the row still shows a picture');
  await page.context().close();
});

test("a multi-part 3MF keeps its own arrangement and Title by default, and says before what it loses", { timeout: 120_000 }, async () => {
  const page = await open({ width: 1280, height: 800 }, 'light');
  assert.match(await page.locator('#drop .hint').textContent(), /colours, materials and\s+slicer settings are not carried over/);
  const input = corpus('3mf-samples/examples/core/multiple_cylinders.3mf');
  await page.setInputFiles('#pick-files', [input]);
  await waitFinished(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#rows button.download').click()]);
  const got = join(out, 'multiple_cylinders-page.3mf');
  await download.saveAs(got);
  // The page's package is the CLI's with the 3MF's own placement (keep), not arranged anew.
  const cli = (layout) => {
    const path = join(out, `multiple_cylinders-${layout}.3mf`);
    execFileSync('cargo', ['run', '-q', '-p', 'to3mf-cli', '--', 'convert', input, '-o', path, '-q', '--thumbnail', '--title', 'multiple_cylinders', '--layout', layout], { cwd: root });
    return readFileSync(path);
  };
  assert.ok(readFileSync(got).equals(cli('keep')), 'the same bytes as the CLI with --layout keep');
  assert.ok(!readFileSync(got).equals(cli('arrange')), 'which differs from arranging it');

  // A 3MF's own Title (and Designer) are kept when the Title field is left empty.
  await page.setInputFiles('#pick-files', [fixture('manyfold_bambu_makerworld.3mf')]);
  await page.waitForFunction(() => document.querySelectorAll('#rows button.download').length === 2, null, { timeout: 60_000 });
  const [frog] = await Promise.all([page.waitForEvent('download'), page.locator('#rows button.download').last().click()]);
  const frogPath = join(out, 'frog-page.3mf');
  await frog.saveAs(frogPath);
  const model = execFileSync('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("3D/3dmodel.model").decode())', frogPath], { encoding: 'utf8' });
  assert.match(model, /<metadata name="Title">Tiny Frog<\/metadata>/);
  assert.match(model, /<metadata name="Designer">Ann Maker<\/metadata>/);
  await page.context().close();
});

// What the end-to-end tests share: where things are, Chromium as this machine (and CI) has it,
// and the checks several tests make: the strict 3MF validator, axe-core, a drop from the desktop.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const fixture = (name) => join(root, 'tests/fixtures', name);
export const corpus = (name) => join(root, '../shared/corpus', name);
export const validator = join(root, '../shared/tools/validate3mf/validate3mf');

/** Debian's Chromium, headless, nothing fetched behind the tests' back. Playwright gives each
 * launch a fresh temporary profile. */
export const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

export const launch = () => chromium.launch(CHROMIUM);

/** The validator's verdict on each of `files` (schema and lib3mf strict). */
export function validate(files) {
  try {
    return execFileSync(validator, ['--json', ...files], { encoding: 'utf8' })
      .trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  } catch (e) {
    assert.fail(`validate3mf failed on ${files.join(', ')}: ${e.stdout}${e.stderr}`);
  }
}

/** Drops files on the page's drop zone the way a drag from the desktop delivers them. */
export async function dropFiles(page, paths) {
  const files = paths.map((p) => ({ name: p.split('/').pop(), bytes: [...readFileSync(p)] }));
  const dataTransfer = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
    return dt;
  }, files);
  await page.dispatchEvent('#drop', 'drop', { dataTransfer });
}

let axeSource = null;

/** Fails with axe-core's violations on the page as it is (`what` names the state). */
export async function axe(page, what) {
  axeSource ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the devtools protocol, which the page's CSP (no inline script) allows.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] }))
    .violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
  assert.deepEqual(violations, [], `${what}: axe-core violations`);
}

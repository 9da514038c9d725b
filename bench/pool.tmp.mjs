import { chromium } from 'playwright-core';
import { readdirSync } from 'node:fs';
import { serve } from '../tests/e2e/serve.mjs';
const { server, url } = await serve('/work/main/_site');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage();
await page.goto(url);
await page.evaluate(async () => { const { pool } = await import('./www/to3mf.js'); await pool().whenReady(); });
const pack = readdirSync('/work/main/bench/out/inputs/pack').filter((f) => f.endsWith('.stl')).sort().slice(0, 8).map((f) => '/work/main/bench/out/inputs/pack/' + f);
await page.evaluate(() => { const input = Object.assign(document.createElement('input'), { type: 'file', id: 'bi', multiple: true }); input.hidden = true; document.body.append(input); });
await page.setInputFiles('#bi', pack);
const res = { pool: [], helped: [] };
for (let i = 0; i < 5; i++) {
  for (const mode of ['pool', 'helped']) {
    res[mode].push(await page.evaluate(async (mode) => {
      const { convert } = await import('./www/to3mf.js');
      const files = [...document.getElementById('bi').files];
      const t = performance.now();
      if (mode === 'pool') await convert(files, {}); else for (const f of files) await convert([f], {});
      return Math.round(performance.now() - t);
    }, mode));
  }
}
for (const k in res) { res[k].sort((a, b) => a - b); console.log(k, 'best', res[k][0], 'median', res[k][2]); }
await browser.close(); server.close();

// The page: picking files and folders, drag and drop, the mode, the page-wide buttons, the
// theme and the offline service worker. Convert mode's rows are rows.js, Manyfold mode's
// review is review.js; all conversion work happens in workers (to3mf.js).

import { fromDrop } from './drop.js';
import { MESH_ACCEPT, isMesh } from './formats.js';
import { batches, clearRows, convertFiles, hasRows, results } from './rows.js';
import { clearReview, review, staged } from './review.js';
import './review-export.js';
import { pool, zip } from './to3mf.js';
import { $, changed, download, statusEl } from './ui.js';

pool(); // start the workers (and their wasm) right away
pool().whenReady().then(() => {
  const { version, repository } = pool().about;
  $('version').textContent = version;
  // The core's `repository` (Cargo.toml), else the address the site was built with.
  const link = $('source-link');
  if (repository) link.href = repository;
  $('source').hidden = !link.getAttribute('href');
});
$('pick-files').accept = MESH_ACCEPT;

const mode = () => document.querySelector('input[name="mode"]:checked').value;

function updateButtons() {
  $('download-all').disabled = results.length === 0;
  $('cancel').disabled = batches.size === 0;
  $('clear').disabled = batches.size > 0 || (!hasRows() && staged.models.length === 0);
}
changed.addEventListener('change', updateButtons);

// ---- theme -------------------------------------------------------------------------------
const themeButton = $('theme');
function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  const dark = theme ? theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  themeButton.textContent = dark ? 'Light mode' : 'Dark mode';
  themeButton.setAttribute('aria-pressed', String(dark));
}
applyTheme(localStorage.getItem('theme'));
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => applyTheme(localStorage.getItem('theme')));
themeButton.addEventListener('click', () => {
  const dark = themeButton.getAttribute('aria-pressed') === 'true';
  const theme = dark ? 'light' : 'dark';
  localStorage.setItem('theme', theme);
  applyTheme(theme);
});

// ---- adding files ------------------------------------------------------------------------
// The whole window takes drops: while files are dragged over it, an overlay says so.
const drop = $('drop');
const overlay = $('drop-overlay');
let dragDepth = 0; // dragenter/dragleave pairs, one per element crossed
const dragging = (on) => {
  overlay.hidden = !on;
  drop.classList.toggle('over', on);
};
const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
document.addEventListener('dragenter', (e) => {
  if (!hasFiles(e)) return;
  dragDepth++;
  dragging(true);
});
document.addEventListener('dragover', (e) => {
  if (hasFiles(e)) e.preventDefault();
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (dragDepth === 0) dragging(false);
});
document.addEventListener('drop', async (e) => {
  e.preventDefault();
  dragDepth = 0;
  dragging(false);
  const { files, skipped, all, allPaths } = await fromDrop(e.dataTransfer);
  if (mode() === 'manyfold') review(all, allPaths);
  else convertFiles(files, skipped);
});
drop.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    $('pick-files').click();
  }
});
$('pick-files').addEventListener('change', (e) => {
  const files = [...e.target.files];
  if (mode() === 'manyfold') review(files, files.map((f) => f.name));
  else convertFiles(files);
  e.target.value = '';
});
$('pick-folder').addEventListener('change', (e) => {
  const all = [...e.target.files];
  if (mode() === 'manyfold') review(all, all.map((f) => f.webkitRelativePath || f.name));
  else {
    const files = all.filter((f) => isMesh(f.name));
    convertFiles(files, all.length - files.length);
  }
  e.target.value = '';
});

$('cancel').addEventListener('click', () => {
  for (const c of batches) c.abort();
  statusEl.textContent = 'Cancelling…';
});
$('clear').addEventListener('click', () => {
  clearRows();
  clearReview();
  statusEl.textContent = '';
  updateButtons();
});
$('download-all').addEventListener('click', async () => {
  statusEl.textContent = 'Building the zip…';
  try {
    download('to3mf.zip', await zip(results));
    statusEl.textContent = `Zip of ${results.length} packages ready.`;
  } catch (e) {
    statusEl.textContent = `Could not build the zip: ${e.message}`;
  }
});

for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => {
    for (const e of document.querySelectorAll('.convert-only')) e.hidden = mode() === 'manyfold';
    for (const e of document.querySelectorAll('.manyfold-only')) e.hidden = mode() !== 'manyfold';
    // Manyfold mode takes whole downloads: archives, pictures, READMEs and licences too.
    $('pick-files').accept = mode() === 'manyfold' ? '' : MESH_ACCEPT;
    $('review').hidden = mode() !== 'manyfold' || staged.models.length === 0;
  });
}

// ---- offline: service worker with an update prompt -----------------------------------------
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').then((reg) => {
    const offer = (worker) => {
      if (!worker || !navigator.serviceWorker.controller) return; // first install: nothing to update
      $('update').hidden = false;
      $('reload').onclick = () => worker.postMessage({ type: 'skipWaiting' });
    };
    offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const worker = reg.installing;
      worker?.addEventListener('statechange', () => worker.state === 'installed' && offer(worker));
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (reloading || $('update').hidden) return;
    reloading = true;
    location.reload();
  });
}

// The page: file and folder picking, drag and drop, one row per package with progress,
// results and errors, downloads, cancel, settings, theme, and the offline service worker.
// All conversion work happens in workers (to3mf.js).

import { MESH_ACCEPT, MESH_NAMES, isMesh } from './formats.js';
import { convert, defaultTimeLimit, exportModels, planModels, pool, saveModels, zip } from './to3mf.js';

const $ = (id) => document.getElementById(id);
const rowsEl = $('rows');
const statusEl = $('status');
const results = []; // finished results with a blob, for "download all"
let rowCount = 0; // rows ever made: orders "download all" as the list, not as finishing order
const batches = new Set(); // AbortControllers of running batches

pool(); // start the workers (and their wasm) right away
$('pick-files').accept = MESH_ACCEPT;

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

// ---- helpers -----------------------------------------------------------------------------
function size(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function options() {
  const title = $('title').value.trim();
  return { layout: $('layout').value, metadata: title ? { title } : {} };
}

function updateButtons() {
  $('download-all').disabled = results.length === 0;
  $('cancel').disabled = batches.size === 0;
  $('clear').disabled = batches.size > 0 || (rowsEl.children.length === 0 && staged.models.length === 0);
}

// ---- rows --------------------------------------------------------------------------------
function makeRow(files) {
  const li = el('li', 'state-working');
  const name = files.length === 1 ? files[0].name : `${files.length} files: ${files.map((f) => f.name).join(', ')}`;
  const inBytes = files.reduce((n, f) => n + f.size, 0);
  li.append(el('span', 'name', name), el('span', 'status', 'Waiting…'));
  const progress = el('progress');
  progress.max = 1;
  progress.setAttribute('aria-label', `Progress of ${name}`);
  const facts = el('span', 'facts', size(inBytes));
  li.append(progress, facts);
  rowsEl.append(li);
  return { li, progress, facts, status: li.querySelector('.status'), inBytes, seq: rowCount++ };
}

function showProgress(row, stage, done, total) {
  row.status.textContent = stage === 'reading' ? 'Reading…' : 'Writing 3MF…';
  // Reading is most of the work: show it as the first 70% of the bar.
  const frac = total > 0 ? done / total : 0;
  row.progress.value = stage === 'reading' ? 0.7 * frac : 0.7 + 0.3 * frac;
}

function warningsOf(report) {
  const out = [];
  for (const input of report.inputs) {
    for (const w of input.warnings) out.push(`${input.name}: ${w}`);
    for (const o of input.objects) {
      if (o.dropped_degenerate > 0) out.push(`${o.name}: ${o.dropped_degenerate} degenerate triangles dropped`);
      const e = o.edges;
      if (!e.watertight) {
        const parts = [];
        if (e.boundary_edges) parts.push(`${e.boundary_edges} open edges`);
        if (e.non_manifold_edges) parts.push(`${e.non_manifold_edges} edges shared by 3+ triangles`);
        if (e.orientation_conflicts) parts.push(`${e.orientation_conflicts} flipped faces`);
        out.push(`${o.name}: not watertight (${parts.join(', ')}); slicers may repair it`);
      }
    }
    if (input.error) out.push(`${input.name} was left out: ${input.error.message}`);
  }
  return out;
}

function showResult(row, result) {
  row.progress.value = 1;
  row.progress.hidden = true;
  if (!result.blob) {
    row.li.className = 'state-failed';
    row.status.textContent = result.error?.code === 'cancelled' ? 'Cancelled' : 'Failed';
    const input = result.report?.inputs?.find((i) => i.error);
    const message = input ? `${input.name}: ${input.error.message}` : result.error?.message ?? 'Unknown error';
    row.li.append(el('p', 'error', message));
    return;
  }
  row.li.className = 'state-done';
  const triangles = result.report.inputs.flatMap((i) => i.objects).reduce((n, o) => n + o.triangles_written, 0);
  const objects = result.report.objects_written;
  row.status.textContent = 'Done';
  row.facts.textContent = `${size(row.inBytes)} → ${size(result.blob.size)} · ${objects} object${objects === 1 ? '' : 's'} · ${triangles.toLocaleString('en')} triangles`;
  const button = el('button', 'download', `Download ${result.name}`);
  button.type = 'button';
  button.addEventListener('click', () => download(result.name, result.blob));
  row.li.append(button);
  const warnings = warningsOf(result.report);
  if (warnings.length) {
    const ul = el('ul', 'warnings');
    for (const w of warnings) ul.append(el('li', '', w));
    row.li.append(ul);
  }
  results.push({ ...result, seq: row.seq });
  results.sort((a, b) => a.seq - b.seq);
}

// ---- converting --------------------------------------------------------------------------
const mode = () => document.querySelector('input[name="mode"]:checked').value;

/** The time limit setting as a function of a job's input bytes (ms). */
function timeLimit() {
  const v = $('time-limit').value;
  if (v === 'auto') return defaultTimeLimit;
  return () => (v === 'none' ? Infinity : Number(v) * 1000);
}

async function convertFiles(files, skipped = 0) {
  if (files.length === 0) {
    statusEl.textContent = skipped ? `No ${MESH_NAMES} file found (${skipped} other files left out).` : 'No files.';
    return;
  }
  const merge = $('merge').checked;
  const groups = merge ? [files] : files.map((f) => [f]);
  const rows = groups.map(makeRow);
  const controller = new AbortController();
  batches.add(controller);
  updateButtons();
  const note = skipped ? ` (${skipped} files that are not ${MESH_NAMES} left out)` : '';
  statusEl.textContent = `Converting ${files.length} file${files.length === 1 ? '' : 's'}…${note}`;
  const out = await convert(files, options(), {
    merge,
    timeLimit: timeLimit(),
    signal: controller.signal,
    onProgress: (i, stage, done, total) => showProgress(rows[i], stage, done, total),
    onResult: (i, result) => showResult(rows[i], result),
  });
  batches.delete(controller);
  const ok = out.filter((r) => r.blob).length;
  const failed = out.length - ok;
  statusEl.textContent = `Finished: ${ok} converted${failed ? `, ${failed} failed or cancelled` : ''}.${note}`;
  updateButtons();
}

// Folder entries from drag and drop, read recursively.
async function entriesToFiles(entry, path, out, paths = []) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push(file);
    paths.push(`${path}${file.name}`);
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const e of batch) await entriesToFiles(e, `${path}${entry.name}/`, out, paths);
    }
  }
}

async function fromDrop(dataTransfer) {
  const files = [];
  const paths = [];
  let skipped = 0;
  const entries = [...dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (entries.length === 0) {
    const all = [...dataTransfer.files];
    return { files: all, paths: all.map((f) => f.name), skipped, all, allPaths: all.map((f) => f.name) };
  }
  const all = [];
  const allPaths = [];
  for (const entry of entries) {
    if (entry.isDirectory) {
      const inside = [];
      const insidePaths = [];
      await entriesToFiles(entry, '', inside, insidePaths);
      inside.forEach((f, i) => {
        all.push(f);
        allPaths.push(insidePaths[i]);
        if (isMesh(f.name)) {
          files.push(f);
          paths.push(insidePaths[i]);
        } else skipped++;
      });
    } else {
      // A single dropped file is always tried: the core recognises it by content and says
      // what it is if it is not a mesh.
      const before = files.length;
      await entriesToFiles(entry, '', files, paths);
      all.push(...files.slice(before));
      allPaths.push(...paths.slice(before));
    }
  }
  return { files, paths, skipped, all, allPaths };
}

const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
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
  rowsEl.replaceChildren();
  results.length = 0;
  statusEl.textContent = '';
  staged.files.length = 0;
  staged.paths.length = 0;
  staged.models = [];
  renderModels();
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

// ---- Manyfold: review the proposed models, then export -----------------------------------
const staged = { files: [], paths: [], models: [] };
const KIND = { mesh: '3D model', threemf: '3MF project', picture: 'picture', datapackage: 'metadata', other: 'file' };

async function review(files, paths) {
  staged.files.push(...files);
  staged.paths.push(...paths);
  statusEl.textContent = 'Looking at the files…';
  try {
    const { models, errors } = await planModels(staged.files, staged.paths);
    staged.models = models;
    renderModels();
    updateButtons();
    statusEl.textContent = `${models.length} model${models.length === 1 ? '' : 's'} proposed.${errors.length ? ` ${errors.join(' ')}` : ''}`;
  } catch (e) {
    statusEl.textContent = `Could not read the files: ${e.message}`;
  }
}

function renderModels() {
  $('review').hidden = staged.models.length === 0;
  const box = $('models');
  box.replaceChildren();
  staged.models.forEach((model, m) => {
    const card = el('article', 'model');
    const title = el('input', 'title');
    title.value = model.title;
    title.setAttribute('aria-label', `Title of model ${m + 1}`);
    title.addEventListener('input', () => {
      model.title = title.value;
      model.edited = true;
    });
    card.append(title);
    const list = el('ul');
    model.files.forEach((file, i) => {
      const li = el('li');
      li.append(el('span', '', file.target), el('span', 'kind', KIND[file.kind] ?? 'file'));
      const move = el('select');
      move.setAttribute('aria-label', `Where ${file.target} goes`);
      staged.models.forEach((other, o) => move.append(new Option(o === m ? 'Keep here' : `Move to “${other.title}”`, String(o))));
      move.append(new Option('Move to a new model', 'new'), new Option('Leave out', 'out'));
      move.value = String(m);
      move.addEventListener('change', () => {
        model.files.splice(i, 1);
        if (move.value === 'new') staged.models.push({ title: file.target.replace(/\.[^.]+$/, ''), edited: true, files: [file] });
        else if (move.value !== 'out') staged.models[Number(move.value)].files.push(file);
        staged.models = staged.models.filter((x) => x.files.length > 0);
        renderModels();
      });
      li.append(move);
      list.append(li);
    });
    card.append(list);
    box.append(card);
  });
}

function processOptions() {
  const creator = $('creator').value.trim();
  const license = $('license').value.trim();
  const keywords = $('keywords').value.split(',').map((k) => k.trim()).filter(Boolean);
  // The produced 3MFs carry today's date as their CreationDate.
  const metadata = { creation_date: new Date().toISOString().slice(0, 10) };
  return {
    convert: { layout: $('layout').value, metadata },
    creator: creator || null, license: license || null, keywords, reencode_3mf: $('reencode').checked,
  };
}

async function exportStaged(perModel) {
  const groups = perModel ? staged.models.map((m) => [m]) : [staged.models];
  statusEl.textContent = 'Exporting…';
  try {
    for (const models of groups) {
      const { blob, report } = await exportModels(staged.files, staged.paths, models, processOptions(), { timeLimit: timeLimit() });
      download(perModel ? `${report.folders[0]}.zip` : 'manyfold-models.zip', blob);
      const warnings = report.models.flatMap((r) => r.warnings);
      statusEl.textContent = `Exported ${report.models.length} model${report.models.length === 1 ? '' : 's'}.${warnings.length ? ` Warnings: ${warnings.join('; ')}` : ''}`;
    }
  } catch (e) {
    statusEl.textContent = `Export failed: ${e.message}`;
  }
}
$('export-zip').addEventListener('click', () => exportStaged(false));
// Straight into a folder (a Manyfold library share, say), where the browser allows it.
if ('showDirectoryPicker' in window) {
  $('export-folder').hidden = false;
  $('export-folder').addEventListener('click', async () => {
    let dir;
    try {
      dir = await window.showDirectoryPicker({ mode: 'readwrite' });
    } catch {
      return; // the user closed the picker
    }
    statusEl.textContent = 'Saving…';
    try {
      const report = await saveModels(dir, staged.files, staged.paths, staged.models, processOptions());
      const renamed = report.models
        .map((m, i) => (report.folders[i] !== m.slug ? `“${m.title}” went into ${report.folders[i]}/ because ${m.slug}/ exists` : null))
        .filter(Boolean);
      statusEl.textContent = `Saved ${report.models.length} model${report.models.length === 1 ? '' : 's'} into ${dir.name}.${renamed.length ? ` ${renamed.join('; ')}.` : ''}`;
    } catch (e) {
      statusEl.textContent = `Saving failed: ${e.message}`;
    }
  });
}
$('export-each').addEventListener('click', () => exportStaged(true));
for (const radio of document.querySelectorAll('input[name="mode"]')) {
  radio.addEventListener('change', () => {
    for (const e of document.querySelectorAll('.convert-only')) e.hidden = mode() === 'manyfold';
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

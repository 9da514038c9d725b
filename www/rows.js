// Convert mode: one row per package with progress, its result or error, and its download.

import { MESH_NAMES } from './formats.js';
import { convert } from './to3mf.js';
import { $, download, el, notifyChanged, size, statusEl, timeLimit } from './ui.js';

const rowsEl = $('rows');
/** Finished results with a blob, for "download all", in the order of the list. */
export const results = [];
/** AbortControllers of running batches. */
export const batches = new Set();
let rowCount = 0; // rows ever made: orders "download all" as the list, not as finishing order

function options() {
  const title = $('title').value.trim();
  return { layout: $('layout').value, metadata: title ? { title } : {} };
}

/** Whether any row is shown. */
export const hasRows = () => rowsEl.children.length > 0;

export function clearRows() {
  rowsEl.replaceChildren();
  results.length = 0;
}

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

export async function convertFiles(files, skipped = 0) {
  if (files.length === 0) {
    statusEl.textContent = skipped ? `No ${MESH_NAMES} file found (${skipped} other files left out).` : 'No files.';
    return;
  }
  const merge = $('merge').checked;
  const groups = merge ? [files] : files.map((f) => [f]);
  const rows = groups.map(makeRow);
  const controller = new AbortController();
  batches.add(controller);
  notifyChanged();
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
  notifyChanged();
}

// Convert mode: one row per package with progress, then its picture, sizes, warnings and
// download, or what went wrong in plain words (details below); a failed or cancelled row can
// be tried again, and a model in an unlikely unit reconverted with the likely one.

import { MESH_NAMES } from './formats.js';
import { plainError, sizeCheck, UNITS } from './words.js';
import { convert } from './to3mf.js';
import { $, count, download, el, layoutFor, notifyChanged, size, statusEl, timeLimit } from './ui.js';

const rowsEl = $('rows');
/** Finished results with a blob, for "download all", in the order of the list. */
export const results = [];
/** AbortControllers of running batches. */
export const batches = new Set();
let rowCount = 0; // rows ever made: orders "download all" as the list, not as finishing order

const stemOf = (name) => name.replace(/\.[^.]*$/, '');

/** The core's options for the files of one row, from the settings (`unit` may override). */
function options(files, unit = $('unit').value) {
  // An empty title means the file's name, as the field promises (and the CLI's --out-dir does);
  // a lone 3MF keeps its own Title, which the core reads (falling back to the name itself).
  const own = files.length === 1 && /\.3mf$/i.test(files[0].name);
  const title = $('title').value.trim() || (own ? undefined : stemOf(files[0].name));
  return { layout: layoutFor(files), unit, thumbnail: $('thumbnail').checked, metadata: title ? { title } : {}, titleFromName: own };
}

/** Whether any row is shown. */
export const hasRows = () => rowsEl.children.length > 0;

export function clearRows() {
  rowsEl.replaceChildren();
  results.length = 0;
}

/** A name that may break after `_`, `-` and `.` (not mid-word, unless nothing else fits). */
function breakable(name) {
  const span = el('span', 'name');
  for (const part of name.split(/(?<=[_\-.])/)) span.append(part, el('wbr'));
  return span;
}

function makeRow(files, merged) {
  const li = el('li');
  const name = files.length === 1 ? files[0].name : `${files.length} files: ${files.map((f) => f.name).join(', ')}`;
  const picture = el('div', 'picture');
  const body = el('div', 'body');
  li.append(picture, body);
  rowsEl.append(li);
  const row = { li, picture, body, files, merged, name, inBytes: files.reduce((n, f) => n + f.size, 0), seq: rowCount++ };
  reset(row);
  return row;
}

/** The row as it waits for its conversion. */
function reset(row) {
  row.li.className = 'state-working';
  if (row.pictureUrl) URL.revokeObjectURL(row.pictureUrl);
  row.picture.replaceChildren();
  const progress = el('progress');
  progress.max = 1;
  progress.setAttribute('aria-label', `Progress of ${row.name}`);
  row.status = el('span', 'status', 'Waiting…');
  row.facts = el('span', 'facts', size(row.inBytes));
  row.progress = progress;
  const head = el('div', 'head');
  head.append(breakable(row.name), row.status);
  row.body.replaceChildren(head, progress, row.facts);
}

function showProgress(row, stage, done, total) {
  // Reading is most of the work: show it as the first 70% of the bar.
  const frac = total > 0 ? done / total : 0;
  row.progress.value = stage === 'reading' ? 0.7 * frac : 0.7 + 0.3 * frac;
  const percent = `${Math.floor(row.progress.value * 100)}%`;
  // On big files the bytes read say more than a percentage that moves slowly.
  const bytes = stage === 'reading' && total >= 10e6 ? ` · ${size(done)} of ${size(total)}` : '';
  row.status.textContent = `${stage === 'reading' ? 'Reading' : 'Writing 3MF'}… ${percent}${bytes}`;
}

/** The warnings of a report, named only where the row holds several inputs or objects. */
function warningsOf(report) {
  const out = [];
  const several = report.inputs.length > 1 || report.inputs.some((i) => i.objects.length > 1);
  for (const input of report.inputs) {
    const from = several ? `${input.name}: ` : '';
    for (const w of input.warnings) out.push(`${from}${w}`);
    for (const o of input.objects) {
      const of = several ? `${o.name}: ` : '';
      if (o.dropped_degenerate > 0) out.push(`${of}${count(o.dropped_degenerate)} degenerate triangles dropped (too thin to print)`);
      const e = o.edges;
      if (!e.watertight) {
        const parts = [];
        if (e.boundary_edges) parts.push(`${count(e.boundary_edges)} open edges`);
        if (e.non_manifold_edges) parts.push(`${count(e.non_manifold_edges)} edges shared by 3+ triangles`);
        if (e.orientation_conflicts) parts.push(`${count(e.orientation_conflicts)} flipped faces`);
        out.push(`${of}not watertight (${parts.join(', ')}); slicers may repair it`);
      }
    }
    if (input.error) out.push(`${input.name} was left out: ${plainError(input.error).headline} (${input.error.message})`);
  }
  return out;
}

function button(text, className, onClick) {
  const b = el('button', className, text);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

function showFailure(row, result) {
  const cancelled = result.error?.code === 'cancelled';
  row.li.className = cancelled ? 'state-cancelled' : 'state-failed';
  row.status.textContent = cancelled ? 'Cancelled' : 'Failed';
  const actions = el('div', 'row-actions');
  actions.append(button('Try again', 'retry', () => rerun(row, row.unit)));
  if (cancelled) return row.body.append(actions);
  // The input's own error, when the core reported one; else why the package stopped.
  const input = result.report?.inputs?.find((i) => i.error);
  const error = input?.error ?? result.error ?? { code: 'unknown', message: 'Unknown error' };
  const { headline, advice } = plainError(error, row.files.length === 1 ? row.files[0].name : input?.name);
  const box = el('div', 'error');
  box.append(el('p', 'headline', headline));
  if (advice) box.append(el('p', 'advice', advice));
  const details = el('details');
  const where = row.files.length > 1 && input ? `${input.name}: ` : '';
  details.append(el('summary', '', 'Details'), el('p', 'detail', `${where}${error.message}`));
  box.append(details);
  row.body.append(box, actions);
}

function showResult(row, result) {
  row.progress.value = 1;
  row.progress.hidden = true;
  if (!result.blob) return showFailure(row, result);
  row.li.className = 'state-done';
  row.picture.append(el('span', 'placeholder', 'Drawing…'));
  const objects = result.report.inputs.flatMap((i) => i.objects).filter((o) => o.written);
  const triangles = objects.reduce((n, o) => n + o.triangles_written, 0);
  row.status.textContent = 'Done';
  row.facts.textContent = `${size(row.inBytes)} → ${size(result.blob.size)} · ${objects.length} object${objects.length === 1 ? '' : 's'} · ${count(triangles)} triangles`;
  const check = sizeCheck(objects, row.layout, row.unit);
  if (check) {
    const dims = el('p', 'dims', check.text);
    row.body.append(dims);
    if (check.warning) row.body.append(sizeWarning(row, check));
  }
  const actions = el('div', 'row-actions');
  const save = button('Download 3MF', 'download', () => download(result.name, result.blob));
  // The button's accessible name says which package; the row already shows the name.
  save.append(el('span', 'visually-hidden', ` ${result.name}`));
  actions.append(save);
  row.body.append(actions);
  const warnings = warningsOf(result.report);
  if (warnings.length) {
    const ul = el('ul', 'warnings');
    for (const w of warnings) ul.append(el('li', '', w));
    row.body.append(ul);
  }
  results.push({ ...result, seq: row.seq });
  results.sort((a, b) => a.seq - b.seq);
}

/** The flag on an unlikely size, with one button per likely unit. */
function sizeWarning(row, check) {
  const box = el('div', 'size-warning');
  box.setAttribute('role', 'note');
  box.append(el('p', '', check.warning));
  const fixes = el('div', 'row-actions');
  for (const fix of check.fixes) {
    fixes.append(button(`Scale ${fix.label} (${UNITS[fix.unit]})`, 'fix', () => rerun(row, fix.unit)));
  }
  box.append(fixes);
  return box;
}

function showPicture(row, picture) {
  const img = el('img');
  img.src = row.pictureUrl = URL.createObjectURL(picture);
  img.alt = `Picture of ${row.name}`;
  img.width = img.height = 128;
  row.picture.replaceChildren(img);
}

/** Converts `rows` in one batch (so Cancel stops them all), each with its own title and unit. */
async function run(rows, note = '') {
  const controller = new AbortController();
  batches.add(controller);
  notifyChanged();
  const limit = timeLimit();
  const out = await Promise.all(
    rows.map((row) => {
      const opts = options(row.files, row.unit);
      row.layout = opts.layout;
      return convert(row.files, opts, {
        merge: row.merged,
        picture: true,
        timeLimit: limit,
        signal: controller.signal,
        onProgress: (_, stage, done, total) => showProgress(row, stage, done, total),
        onResult: (_, result) => showResult(row, result),
        onPicture: (_, picture) => showPicture(row, picture),
      });
    }),
  );
  batches.delete(controller);
  // A package whose picture could not be drawn (or was cancelled) keeps no placeholder.
  out.forEach(([result], i) => result.picture || rows[i].picture.querySelector('.placeholder')?.remove());
  const all = out.flat();
  const ok = all.filter((r) => r.blob).length;
  const cancelled = all.filter((r) => !r.blob && r.error?.code === 'cancelled').length;
  const failed = all.length - ok - cancelled;
  const parts = [`${count(ok)} converted`];
  if (failed) parts.push(`${count(failed)} failed`);
  if (cancelled) parts.push(`${count(cancelled)} cancelled`);
  statusEl.textContent = `Finished: ${parts.join(', ')}.${note}`;
  notifyChanged();
}

/** Converts one row again, in `unit`: a retry, or the fix of an unlikely size. */
function rerun(row, unit) {
  const at = results.findIndex((r) => r.seq === row.seq);
  if (at >= 0) results.splice(at, 1);
  row.unit = unit;
  reset(row);
  statusEl.textContent = `Converting ${row.name} again…`;
  run([row]);
}

export async function convertFiles(files, skipped = 0) {
  if (files.length === 0) {
    statusEl.textContent = skipped ? `No ${MESH_NAMES} file found (${count(skipped)} other files left out).` : 'No files.';
    return;
  }
  const merge = $('merge').checked;
  const groups = merge ? [files] : files.map((f) => [f]);
  const rows = groups.map((g) => makeRow(g, merge));
  const unit = $('unit').value;
  for (const r of rows) r.unit = unit;
  const note = skipped ? ` (${count(skipped)} files that are not ${MESH_NAMES} left out)` : '';
  statusEl.textContent = `Converting ${count(files.length)} file${files.length === 1 ? '' : 's'}…${note}`;
  await run(rows, note);
}

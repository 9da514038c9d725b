// Manyfold mode: the proposed models, reviewed and edited by the user. The user's edits are
// kept as a list and re-applied to every new plan, so adding files never undoes them. Each
// card shows a picture and the size of its model (rendered in a worker, review-preview.js)
// and the metadata that will be written (review-meta.js); the export is review-export.js.

import { planModels } from './to3mf.js';
import { $, el, notifyChanged, statusEl } from './ui.js';
import { metaPanel } from './review-meta.js';
import { cancelPreviews, showPreview } from './review-preview.js';

/** The files dropped in Manyfold mode and the models proposed for them (edits applied). */
export const staged = { files: [], paths: [], models: [] };
const KIND = { mesh: '3D model', threemf: '3MF project', picture: 'picture', datapackage: 'metadata', other: 'file' };

/**
 * The user's edits, in the order made: `{type: 'title', model, title}`, `{type: 'move', file,
 * to, title}` (`to` a model's origin, or `new:N` with its title), `{type: 'out', file, out}`,
 * `{type: 'meta', model, field, value}`. Models are named by their origin (`plan:` and the
 * title first proposed, or `new:N`), files by the model first proposed for them and their
 * root's name and path: both survive a new plan, where root indices may move.
 */
export const edits = [];
let plan = { models: [], roots: [] };
let newModels = 0;

export async function review(files, paths) {
  staged.files.push(...files);
  staged.paths.push(...paths);
  statusEl.textContent = 'Looking at the files…';
  try {
    plan = await planModels(staged.files, staged.paths);
    renderModels();
    notifyChanged();
    const n = staged.models.length;
    statusEl.textContent = `${n} model${n === 1 ? '' : 's'} proposed.`;
    showErrors(plan.errors);
  } catch (e) {
    statusEl.textContent = `Could not read the files: ${e.message}`;
  }
}

/** Each error of the plan (an archive that cannot be opened, a RAR) as an item of its own. */
function showErrors(errors) {
  const list = $('review-errors');
  list.replaceChildren(...errors.map((e) => el('li', '', e)));
  list.hidden = errors.length === 0;
}

/** The plan with the user's edits applied; left-out files stay listed, marked `out`. */
function applyEdits() {
  const roots = plan.roots ?? [];
  // A file that fits several models is proposed in each: its key names the model too.
  const models = plan.models.map((m) => ({
    ...m,
    origin: `plan:${m.title}`,
    files: m.files.map((f) => ({ ...f, key: `plan:${m.title}\u0000${roots[f.root] ?? f.root}\u0000${f.path}`, out: false })),
  }));
  const model = (origin) => models.find((m) => m.origin === origin);
  const file = (key) => {
    for (const m of models) {
      const i = m.files.findIndex((f) => f.key === key);
      if (i >= 0) return [m, i];
    }
    return [];
  };
  for (const e of edits) {
    if (e.type === 'title' || e.type === 'meta') {
      const m = model(e.model);
      if (!m) continue;
      if (e.type === 'title') {
        Object.assign(m, { title: e.title, edited: true });
        if (m.meta) m.meta = { ...m.meta, title: { value: e.title, source: 'user' } };
      }
      else m.meta = { ...m.meta, [e.field]: { value: e.value, source: 'user' } };
    } else {
      const [from, i] = file(e.file);
      if (!from) continue; // the file is no longer among the files
      if (e.type === 'out') from.files[i].out = e.out;
      else {
        let to = model(e.to);
        if (!to) models.push((to = { origin: e.to, title: e.title, edited: true, files: [] }));
        to.files.push(...from.files.splice(i, 1));
      }
    }
  }
  return models.filter((m) => m.files.length > 0);
}

/** Records an edit that replaces an earlier one of the same kind and target (titles, fields). */
function setEdit(edit, same) {
  const at = edits.findIndex((e) => e.type === edit.type && same(e));
  if (at >= 0) edits.splice(at, 1);
  edits.push(edit);
}

export function renderModels() {
  staged.models = applyEdits();
  $('review').hidden = staged.models.length === 0;
  const box = $('models');
  const focused = document.activeElement?.dataset?.focus;
  box.replaceChildren(...staged.models.map(card));
  if (focused) focusOn(focused);
}

/** Focuses the control named `key` (its `data-focus`) in the redrawn review. */
function focusOn(key) {
  [...$('models').querySelectorAll('[data-focus]')].find((e) => e.dataset.focus === key)?.focus();
}

function card(model, m) {
  const article = el('article', 'model');
  article.dataset.origin = model.origin;
  const head = el('div', 'model-head');
  const picture = el('div', 'picture');
  const info = el('div', 'model-info');
  const title = el('input', 'title');
  title.value = model.title;
  title.setAttribute('aria-label', `Title of model ${m + 1}`);
  title.dataset.focus = `title\u0000${model.origin}`;
  title.addEventListener('input', () => {
    model.title = title.value;
    if (model.meta) model.meta = { ...model.meta, title: { value: title.value, source: 'user' } };
    setEdit({ type: 'title', model: model.origin, title: title.value }, (e) => e.model === model.origin);
    // Other cards' "Move to" choices name this model: renamed in place, nothing redrawn.
    for (const o of document.querySelectorAll(`option[data-origin="${CSS.escape(model.origin)}"]`)) o.textContent = `Move to “${title.value}”`;
  });
  const dims = el('p', 'dims', 'Measuring…');
  info.append(title, dims);
  head.append(picture, info);
  const list = el('ul', 'files');
  list.setAttribute('aria-label', `Files of model ${m + 1}`);
  for (const file of model.files) list.append(fileRow(model, file));
  article.append(head, list, metaPanel(model, m, (field, value) => {
    setEdit({ type: 'meta', model: model.origin, field, value }, (e) => e.model === model.origin && e.field === field);
    model.meta = { ...model.meta, [field]: { value, source: 'user' } };
  }));
  showPreview(staged, model, picture, dims);
  return article;
}

function fileRow(model, file) {
  const li = el('li', file.out ? 'out' : '');
  const name = el('span', 'file-name', file.target);
  const kind = el('span', 'kind', file.out ? `${KIND[file.kind] ?? 'file'}, left out` : KIND[file.kind] ?? 'file');
  const controls = el('span', 'controls');
  // Choosing in the list changes nothing by itself (arrow keys move through it); the Move
  // button applies the choice.
  const where = el('select');
  where.setAttribute('aria-label', `Where ${file.target} goes`);
  where.dataset.focus = `where\u0000${file.key}`;
  where.append(new Option('Keep here', ''));
  for (const other of staged.models) {
    if (other === model) continue;
    const o = new Option(`Move to “${other.title}”`, other.origin);
    o.dataset.origin = other.origin;
    where.append(o);
  }
  where.append(new Option('Move to a new model', 'new'));
  where.disabled = file.out;
  const move = el('button', 'small', 'Move');
  move.type = 'button';
  move.dataset.focus = `move\u0000${file.key}`;
  move.disabled = true;
  move.setAttribute('aria-label', `Move ${file.target}`);
  where.addEventListener('change', () => (move.disabled = where.value === ''));
  move.addEventListener('click', () => {
    if (where.value === '') return;
    const to = where.value === 'new' ? `new:${++newModels}` : where.value;
    const title = where.value === 'new' ? file.target.replace(/^.*\//, '').replace(/\.[^.]+$/, '') : undefined;
    edits.push({ type: 'move', file: file.key, to, title });
    renderModels();
    focusOn(where.dataset.focus);
    statusEl.textContent = `Moved ${file.target} to “${staged.models.find((x) => x.origin === to)?.title ?? title}”.`;
  });
  const out = el('button', 'small', file.out ? 'Put back' : 'Leave out');
  out.type = 'button';
  out.dataset.focus = `out\u0000${file.key}`;
  out.setAttribute('aria-label', `${out.textContent} ${file.target}`);
  out.addEventListener('click', () => {
    edits.push({ type: 'out', file: file.key, out: !file.out });
    renderModels();
    statusEl.textContent = `${file.target} ${file.out ? 'put back' : 'left out'}.`;
  });
  controls.append(where, move, out);
  li.append(name, kind, controls);
  return li;
}

/** The models as the core takes them: left-out files dropped, the page's own fields too; a
 * preview picture that was left out or moved away is no longer the model's preview. */
export function modelsForExport() {
  return staged.models
    .map(({ origin: _o, files, ...m }) => {
      const kept = files.filter((f) => !f.out).map(({ key: _k, out: _x, ...f }) => f);
      const preview = m.meta?.preview?.value;
      const meta = preview && !kept.some((f) => f.target === preview) ? { ...m.meta, preview: null } : m.meta;
      return { ...m, meta, files: kept };
    })
    .filter((m) => m.files.length > 0);
}

export function clearReview() {
  staged.files.length = 0;
  staged.paths.length = 0;
  edits.length = 0;
  plan = { models: [], roots: [] };
  cancelPreviews();
  showErrors([]);
  renderModels();
}

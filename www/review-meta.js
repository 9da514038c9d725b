// The metadata each model's datapackage.json will carry, on its card: every field with where
// its value came from, editable per model. A value typed "for all" (the form under the
// models) fills only the fields a model has no value for, unless "override" is ticked.

import { $, el } from './ui.js';

const SOURCE = {
  user: 'set by you', '3mf': 'from the 3MF', readme: 'from the README', 'license-file': 'from the licence file',
  datapackage: 'from the old datapackage.json', 'metadata-file': 'from a metadata file', folder: 'from the folder name',
};
// Field, label, input kind, and the "for all" input that fills it.
const FIELDS = [
  ['creator', 'Creator', 'text', 'creator'],
  ['license', 'Licence (SPDX id)', 'text', 'license'],
  ['description', 'Description', 'textarea'],
  ['tags', 'Tags', 'list', 'keywords'],
  ['link', 'Source link', 'url'],
  ['collections', 'Collections', 'list', 'collections'],
  ['sensitive', 'Sensitive', 'check', 'sensitive'],
  ['preview', 'Preview picture', 'picture'],
];

const list = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);

/** The "for all" values, as the core's process options take them. */
export function forAll() {
  const text = (id) => $(id).value.trim() || null;
  return {
    creator: text('creator'), license: text('license'), keywords: list($('keywords').value),
    collections: list($('collections').value), sensitive: $('sensitive').checked,
    override_all: $('override-all').checked,
  };
}

/** What a field shows when the model has no value: the "for all" value that will fill it. */
function fallback(allId) {
  if (!allId) return '';
  const v = forAll()[allId];
  if (typeof v === 'boolean') return v ? 'yes' : '';
  return Array.isArray(v) ? v.join(', ') : v ?? '';
}

function describe(entry, allId) {
  const all = fallback(allId);
  const set = entry && entry.value !== null && entry.value !== '' && !(Array.isArray(entry.value) && entry.value.length === 0);
  // What the user set (or left out) on a model wins over every "for all" value.
  if (entry?.source === 'user') return set ? SOURCE.user : 'left out by you';
  if (all && forAll().override_all) return `“for all” replaces it: ${all}`;
  if (set) return SOURCE[entry.source] ?? `from ${entry.source}`;
  return all ? `not in the files; “for all” fills it: ${all}` : 'not set';
}

/** A `<details>` with the model's metadata; `onChange(field, value)` records an edit. */
export function metaPanel(model, m, onChange) {
  const details = el('details', 'meta');
  const title = model.meta?.title;
  details.append(el('summary', '', 'Metadata that will be written'));
  if (title) details.append(el('p', 'source', `Title ${SOURCE[title.source] ?? `from ${title.source}`}.`));
  const grid = el('div', 'meta-fields');
  for (const [field, label, kind, allId] of FIELDS) {
    const entry = model.meta?.[field];
    const value = entry?.value ?? (kind === 'list' ? [] : kind === 'check' ? false : '');
    const id = `meta-${m}-${field}`;
    const source = el('span', 'source', describe(entry, allId));
    source.id = `${id}-source`;
    source.dataset.all = allId ?? '';
    let input;
    if (kind === 'textarea') input = el('textarea');
    else if (kind === 'picture') {
      input = el('select');
      input.append(new Option('Chosen on export (a picture named like a cover, or one rendered)', ''));
      for (const f of model.files.filter((f) => f.kind === 'picture' && !f.out)) input.append(new Option(f.target, f.target));
    } else {
      input = el('input');
      input.type = kind === 'check' ? 'checkbox' : kind === 'url' ? 'url' : 'text';
    }
    input.id = id;
    input.dataset.focus = `meta\u0000${model.origin}\u0000${field}`;
    input.setAttribute('aria-describedby', source.id);
    if (kind === 'check') input.checked = Boolean(value);
    else input.value = Array.isArray(value) ? value.join(', ') : value;
    input.addEventListener('change', () => {
      const v = kind === 'check' ? input.checked : kind === 'list' ? list(input.value) : input.value.trim();
      const empty = v === '' || (Array.isArray(v) && v.length === 0);
      onChange(field, empty ? null : v);
      source.textContent = describe({ value: empty ? null : v, source: 'user' }, allId);
    });
    const lab = el('label', kind === 'check' ? 'check' : '', label);
    lab.htmlFor = id;
    grid.append(lab, input, source);
  }
  details.append(grid);
  return details;
}

/** Redraws what each card says about the "for all" values after they change. */
export function forAllChanged(models) {
  for (const s of document.querySelectorAll('#models .source[data-all]')) {
    if (!s.dataset.all) continue;
    const [, m, field] = s.id.match(/^meta-(\d+)-(\w+)-source$/);
    const model = models[Number(m)];
    const entry = model?.meta?.[field];
    s.textContent = describe(entry, s.dataset.all);
  }
}

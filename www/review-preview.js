// The picture and size on each model card, rendered by the core in a worker after the review
// is shown (never before it), one model at a time behind other work, and kept per set of
// meshes so a redraw or a new plan does not render the same model again.

import { pool, previewModel } from './to3mf.js';
import { layoutFor } from './ui.js';

const MESHES = new Set(['mesh', 'threemf']);
const tag = Symbol('previews');
/** Picture and size per set of meshes and placement: a promise of `{url, size}` or null. */
const made = new Map();

const mm = (n) => n.toLocaleString('en', { maximumFractionDigits: n < 10 ? 1 : 0 });

/** Fills `picture` and `dims` of a card for `model` (of `files` named by `paths`) when its
 * preview is ready. */
export function showPreview({ files, paths }, model, picture, dims) {
  const meshes = model.files.filter((f) => MESHES.has(f.kind) && !f.out);
  const shown = () => picture.isConnected;
  if (meshes.length === 0) {
    dims.textContent = 'No 3D file: nothing to measure.';
    return;
  }
  const layout = layoutFor([]);
  const key = `${layout}\u0001${meshes.map((f) => f.key).sort().join('\u0001')}`;
  if (!made.has(key)) {
    const one = { title: model.title, files: meshes.map(({ key: _k, out: _o, ...f }) => f) };
    made.set(key, previewModel(files, paths, one, { convert: { layout } }, { tag })
      .then((p) => p && { url: p.blob ? URL.createObjectURL(p.blob) : null, size: p.size, errors: p.errors })
      .catch((e) => ({ url: null, size: null, errors: [e.message] })));
  }
  made.get(key).then((p) => {
    if (!p || !shown()) return;
    if (p.url) {
      const img = new Image(96, 96);
      img.src = p.url;
      img.alt = `Picture of ${model.title}`;
      picture.replaceChildren(img);
    }
    dims.textContent = p.size ? `${p.size.map(mm).join(' × ')} mm` : `Could not measure it: ${p.errors.join('; ')}`;
  });
}

/** Forgets every preview (the files are gone) and drops the ones not yet made. */
export function cancelPreviews() {
  pool().cancel(tag);
  for (const p of made.values()) p.then((x) => x?.url && URL.revokeObjectURL(x.url));
  made.clear();
}

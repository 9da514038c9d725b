// The worker's Manyfold requests: model folders, as one zip or as files for a folder the
// user picked, with their pictures re-encoded as WebP.

import { blobSink } from './io.js';

// Pictures become WebP with the browser's own encoder; where it cannot encode WebP (the
// blob comes back as PNG), the original is kept.
async function toWebp(bytes) {
  if (typeof OffscreenCanvas === 'undefined') return null;
  try {
    const bitmap = await createImageBitmap(new Blob([bytes]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    const webp = await canvas.convertToBlob({ type: 'image/webp', quality: 0.85 });
    return webp.type === 'image/webp' ? webp : null;
  } catch {
    return null; // not a decodable picture: copied as it is
  }
}

// Re-encodes the models' pictures; returns the models with their new names and the Blobs
// to read instead of the originals.
async function withWebp(msg, { extractFile }) {
  const overrides = new Map();
  const models = structuredClone(msg.models);
  for (const model of models) {
    for (const f of model.files) {
      if (f.kind !== 'picture' || /\.webp$/i.test(f.target)) continue;
      const webp = await toWebp(extractFile(msg.files, msg.paths, f.root, f.path));
      if (!webp) continue;
      overrides.set(`${f.root}\u0000${f.path}`, webp);
      const target = f.target.replace(/\.[^./]+$/, '') + '.webp';
      // The chosen preview names the picture by its target: it follows the new name.
      if (model.meta?.preview?.value === f.target) model.meta.preview = { ...model.meta.preview, value: target };
      f.target = target;
    }
  }
  return { models, overrides };
}

export async function exportRequest(msg, wasm) {
  const { exportModelFiles, exportModels } = wasm;
  const { models, overrides } = await withWebp(msg, wasm);
  if (msg.type === 'export-files') {
    const written = [];
    const onFile = (path, bytes) => written.push({ path, blob: new Blob([bytes]) });
    const out = exportModelFiles(msg.files, msg.paths, models, msg.options ?? {}, overrides, msg.taken ?? [], onFile);
    return { blob: null, report: { ...out, files: written } };
  }
  const sink = blobSink('application/zip');
  const out = exportModels(msg.files, msg.paths, models, msg.options ?? {}, overrides, !!msg.flat, sink.onChunk);
  return { blob: sink.blob(), report: out };
}

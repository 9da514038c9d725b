// The worker owns all heavy work: it initialises the wasm core once, reads the user's
// files in slices (FileReaderSync, inside the core), and hands results back as Blobs,
// which cross postMessage without copying their bytes.
//
// Protocol (every message carries the request's `id`):
//   in:  {id, type: 'convert', files: File[], options}
//        {id, type: 'zip', blobs: Blob[], names: string[]}
//        {id, type: 'plan', files: File[], paths: string[]}
//        {id, type: 'export', files, paths, models, options}   (a zip of Manyfold model folders)
//        {id, type: 'export-files', files, paths, models, options, taken}   (the folders' files)
//   out: {type: 'ready'} once, then per request
//        {id, type: 'progress', stage, done, total}
//        {id, type: 'done', blob: Blob | null, report, memory}  (memory: wasm bytes now held)
//        {id, type: 'failed', message}   (a panic or other crash: this worker is then replaced)

import init, {
  convertFilesStreaming, exportModelFiles, exportModels, extractFile, planModels, zipBlobs,
} from './pkg/to3mf_wasm.js';

let wasm = null;
const ready = init().then((exports) => {
  wasm = exports;
  postMessage({ type: 'ready' });
});

// Progress messages are throttled: a few per second are enough for a progress bar.
function progressReporter(id) {
  let last = 0;
  return (stage, done, total) => {
    const now = performance.now();
    if (now - last < 50 && done < total) return;
    last = now;
    postMessage({ id, type: 'progress', stage, done, total });
  };
}

// Output chunks are folded into Blob parts every 8 MiB: Blob data lives in the browser's
// blob store, so the worker never holds the whole package in JS memory.
function blobSink(type) {
  const parts = [];
  let pending = [];
  let pendingBytes = 0;
  const flush = () => {
    if (pending.length) parts.push(new Blob(pending));
    pending = [];
    pendingBytes = 0;
  };
  return {
    onChunk(chunk) {
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      if (pendingBytes >= 8 << 20) flush();
    },
    blob() {
      flush();
      return new Blob(parts, { type });
    },
  };
}

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
async function withWebp(msg) {
  const overrides = new Map();
  const models = structuredClone(msg.models);
  for (const model of models) {
    for (const f of model.files) {
      if (f.kind !== 'picture' || /\.webp$/i.test(f.target)) continue;
      const webp = await toWebp(extractFile(msg.files, msg.paths, f.root, f.path));
      if (!webp) continue;
      overrides.set(`${f.root}\u0000${f.path}`, webp);
      f.target = f.target.replace(/\.[^./]+$/, '') + '.webp';
    }
  }
  return { models, overrides };
}

async function exportRequest(msg) {
  const { models, overrides } = await withWebp(msg);
  if (msg.type === 'export-files') {
    const written = [];
    const onFile = (path, bytes) => written.push({ path, blob: new Blob([bytes]) });
    const out = exportModelFiles(msg.files, msg.paths, models, msg.options ?? {}, overrides, msg.taken ?? [], onFile);
    return { blob: null, report: { ...out, files: written } };
  }
  const sink = blobSink('application/zip');
  const out = exportModels(msg.files, msg.paths, models, msg.options ?? {}, overrides, sink.onChunk);
  return { blob: sink.blob(), report: out };
}

async function run(msg) {
  if (msg.type === 'plan') return { blob: null, report: planModels(msg.files, msg.paths) };
  if (msg.type === 'export' || msg.type === 'export-files') return exportRequest(msg);
  if (msg.type === 'convert') {
    const sink = blobSink('model/3mf');
    const out = convertFilesStreaming(msg.files, msg.options ?? {}, sink.onChunk, progressReporter(msg.id));
    return { blob: sink.blob(), report: out.report };
  }
  if (msg.type === 'zip') {
    const sink = blobSink('application/zip');
    zipBlobs(msg.blobs, msg.names, sink.onChunk);
    return { blob: sink.blob(), report: null };
  }
  throw new Error(`unknown request ${msg.type}`);
}

onmessage = async ({ data: msg }) => {
  await ready;
  try {
    const { blob, report } = await run(msg);
    postMessage({ id: msg.id, type: 'done', blob, report, memory: wasm.memory.buffer.byteLength });
  } catch (e) {
    if (e && e.report) {
      // Nothing could be written: the core's Error carries the report with every input's error.
      postMessage({ id: msg.id, type: 'done', blob: null, report: e.report, memory: wasm.memory.buffer.byteLength });
      return;
    }
    // A Rust panic surfaces as a RuntimeError; the module may be broken afterwards, so the
    // pool terminates this worker and starts a fresh one.
    postMessage({ id: msg.id, type: 'failed', message: String(e && e.message ? e.message : e) });
  }
};

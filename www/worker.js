// The worker owns all heavy work: it initialises the wasm core once, reads the user's
// files in slices (FileReaderSync, inside the core), and hands results back as Blobs,
// which cross postMessage without copying their bytes.
//
// Protocol (every message carries the request's `id`):
//   in:  {id, type: 'convert', files: File[], options}
//        {id, type: 'zip', blobs: Blob[], names: string[]}
//   out: {type: 'ready'} once, then per request
//        {id, type: 'progress', stage, done, total}
//        {id, type: 'done', blob: Blob | null, report}
//        {id, type: 'failed', message}   (a panic or other crash: this worker is then replaced)

import init, { convertFilesStreaming, zipBlobs } from './pkg/to3mf_wasm.js';

const ready = init().then(() => postMessage({ type: 'ready' }));

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

function run(msg) {
  const chunks = [];
  const onChunk = (chunk) => chunks.push(chunk);
  if (msg.type === 'convert') {
    const out = convertFilesStreaming(msg.files, msg.options ?? {}, onChunk, progressReporter(msg.id));
    const report = out.report;
    const blob = report.error ? null : new Blob(chunks, { type: 'model/3mf' });
    return { blob, report };
  }
  if (msg.type === 'zip') {
    zipBlobs(msg.blobs, msg.names, onChunk);
    return { blob: new Blob(chunks, { type: 'application/zip' }), report: null };
  }
  throw new Error(`unknown request ${msg.type}`);
}

onmessage = async ({ data: msg }) => {
  await ready;
  try {
    const { blob, report } = run(msg);
    postMessage({ id: msg.id, type: 'done', blob, report });
  } catch (e) {
    // A Rust panic surfaces as a RuntimeError; the module may be broken afterwards, so the
    // pool terminates this worker and starts a fresh one.
    postMessage({ id: msg.id, type: 'failed', message: String(e && e.message ? e.message : e) });
  }
};

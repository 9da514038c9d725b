// The worker owns all heavy work: it initialises the wasm core once (each of its two builds),
// reads the user's files (a binary STL from its stream, others in slices through
// FileReaderSync inside the core), and hands results back as Blobs, which cross postMessage
// without copying their bytes. This file chooses the module and dispatches requests; the
// work is in io.js, helper.js (two workers on one big file) and manyfold.js.
//
// Protocol (every message carries the request's `id`):
//   in:  {id, type: 'convert', files: File[], options, picture}   (picture: also a PNG of it)
//        {id, type: 'zip', blobs: Blob[], names: string[]}
//        {id, type: 'plan', files: File[], paths: string[]}
//        {id, type: 'export', files, paths, models, options, flat}   (a zip of Manyfold model folders;
//                                                                  flat: one model's, at the root)
//        {id, type: 'export-files', files, paths, models, options, taken}   (the folders' files)
//        {id, type: 'preview', files, paths, model, options, pixels}   (one model's picture, size)
//        {id, type: 'help', port} and {id, type: 'end-help'}, and a 'convert' with a `port`
//        (and maybe `late: true`): two workers on one file, see helper.js
//   out: {type: 'ready', version, repository} once (or {type: 'start-failed', message}), then
//        per request
//        {id, type: 'progress', stage, done, total}
//        {id, type: 'package', blob, report}   (a 'convert' with `picture`: the package is
//                                               done, its picture is being rendered)
//        {id, type: 'done', blob: Blob | null, report, picture: Blob | null, memory}
//                                              (memory: wasm bytes now held)
//        {id, type: 'failed', message}   (a panic or other crash: this worker is then replaced)

// Two builds of the core: the lean converter (STL, OBJ), loaded at once, and the full one
// (Manyfold processor, 3MF inputs, 7z archives), fetched the first time a request needs it.
import init, * as lean from './pkg/to3mf_wasm.js';
import { convertHelped, endHelpRequest, help } from './helper.js';
import { blobSink, open, progressReporter, take } from './io.js';
import { exportRequest } from './manyfold.js';

let memory = null; // the lean module's wasm memory
const ready = init().then((exports) => {
  memory = exports.memory;
  lean.setBuffers(take);
  const [version, repository] = lean.about();
  postMessage({ type: 'ready', version, repository });
  // A small conversion, so the user's first file runs on optimised code (see warm.rs); a
  // request that comes meanwhile waits for it.
  lean.warmUp();
});
// The wasm not served, or refused by a Content-Security-Policy on this script: the pool fails
// its jobs with the reason instead of waiting.
ready.catch((e) => postMessage({ type: 'start-failed', message: String(e?.message ?? e) }));

let fullModule = null;
function full() {
  fullModule ??= import('./pkgfull/to3mf_wasm.js').then(async (m) => {
    const { memory } = await m.default();
    m.setBuffers(take);
    return { ...m, memory };
  });
  return fullModule;
}

/** Whether bytes start like a zip (a 3MF package, whatever its name). */
const isZip = (head) => head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4;
// An unreadable file has no head here: its conversion reports it.
const headOf = (file) => file.slice(0, 4).arrayBuffer().then((b) => new Uint8Array(b), () => new Uint8Array(0));

/** The module for a request: the full one for the processor and for 3MF inputs. `opened`:
 * a single file's stream, whose first bytes are known. */
async function moduleFor(msg, opened) {
  if (['plan', 'export', 'export-files', 'preview'].includes(msg.type)) return full();
  if (msg.type === 'convert') {
    const heads = opened ? [opened.head] : await Promise.all(msg.files.map(headOf));
    if (heads.some(isZip)) return full();
  }
  return { ...lean, memory };
}

async function run(msg, wasm, opened) {
  if (msg.type === 'plan') return { blob: null, report: wasm.planModels(msg.files, msg.paths) };
  if (msg.type === 'export' || msg.type === 'export-files') return exportRequest(msg, wasm);
  if (msg.type === 'preview') {
    const { png, ...report } = wasm.previewModel(msg.files, msg.paths, msg.model, msg.options ?? {}, msg.pixels);
    return { blob: png ? new Blob([png], { type: 'image/png' }) : null, report };
  }
  if (msg.type === 'help') return help(msg, wasm);
  if (msg.type === 'convert') {
    // An unreadable file goes the stream's way too, which reports its error.
    const streaming = opened !== null && (opened.error || wasm.isBinaryStl(opened.head)) ? opened : null;
    // The package goes out before its picture is rendered, so its download never waits.
    const written = (blob, report) => postMessage({ id: msg.id, type: 'package', blob, report });
    if (msg.port || streaming) return convertHelped(msg, wasm, streaming, written);
    const sink = blobSink('model/3mf');
    const onWritten = (out) => written(sink.blob(), out.report);
    const out = wasm.convertFilesStreaming(msg.files, msg.options ?? {}, sink.onChunk, progressReporter(msg.id), !!msg.picture, onWritten);
    return { blob: sink.blob(), report: out.report, picture: png(out.picture) };
  }
  if (msg.type === 'zip') {
    const sink = blobSink('application/zip');
    wasm.zipBlobs(msg.blobs, msg.names, sink.onChunk);
    return { blob: sink.blob(), report: null };
  }
  throw new Error(`unknown request ${msg.type}`);
}

const png = (bytes) => (bytes ? new Blob([bytes], { type: 'image/png' }) : null);

onmessage = async ({ data: msg }) => {
  if (msg.type === 'end-help') return endHelpRequest(msg.id);
  await ready;
  let held = () => memory.buffer.byteLength;
  let opened = null;
  try {
    if (msg.type === 'convert' && msg.files.length === 1) opened = await open(msg.files[0]);
    const wasm = await moduleFor(msg, opened);
    // Both modules' memories count: the pool recycles a worker that holds too much.
    held = () => memory.buffer.byteLength + (wasm.memory !== memory ? wasm.memory.buffer.byteLength : 0);
    const { blob, report, picture = null } = await run(msg, wasm, opened);
    await opened?.close();
    postMessage({ id: msg.id, type: 'done', blob, report, picture, memory: held() });
  } catch (e) {
    await opened?.close();
    if (e && e.report) {
      // Nothing could be written: the core's Error carries the report with every input's error.
      postMessage({ id: msg.id, type: 'done', blob: null, report: e.report, memory: held() });
      return;
    }
    // A Rust panic surfaces as a RuntimeError; the module may be broken afterwards, so the
    // pool terminates this worker and starts a fresh one.
    postMessage({ id: msg.id, type: 'failed', message: String(e && e.message ? e.message : e) });
  }
};

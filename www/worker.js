// The worker owns all heavy work: it initialises the wasm core once (each of its two builds),
// reads the user's files (a binary STL from its stream, others in slices through
// FileReaderSync inside the core), and hands results back as Blobs, which cross postMessage
// without copying their bytes.
//
// Protocol (every message carries the request's `id`):
//   in:  {id, type: 'convert', files: File[], options}
//        {id, type: 'zip', blobs: Blob[], names: string[]}
//        {id, type: 'plan', files: File[], paths: string[]}
//        {id, type: 'export', files, paths, models, options}   (a zip of Manyfold model folders)
//        {id, type: 'export-files', files, paths, models, options, taken}   (the folders' files)
//        {id, type: 'help', port}   (compress another worker's chunks: see convertHelped)
//        {id, type: 'end-help'}   (stop helping: the 'help' request `id` is then done)
//        a 'convert' may carry a `port` to its helper, with `late: true` if the helper may
//        join later or never (it says {hello} on the port when it starts)
//   out: {type: 'ready'} once, then per request
//        {id, type: 'progress', stage, done, total}
//        {id, type: 'done', blob: Blob | null, report, memory}  (memory: wasm bytes now held)
//        {id, type: 'failed', message}   (a panic or other crash: this worker is then replaced)

// Two builds of the core: the lean converter (STL, OBJ), loaded at once, and the full one
// (Manyfold processor, 3MF inputs, 7z archives), fetched the first time a request needs it.
import init, * as lean from './pkg/to3mf_wasm.js';

// ArrayBuffers that the core copies pieces out of wasm memory into (see setBuffers in
// crates/wasm), kept once done with: Chromium hands a fresh buffer over in pages it has to
// fault in (a 4 KiB page each), as freed buffers give theirs back. Classes are powers of
// two from 64 KiB; a piece takes its class or the one above; at most 16 MB are kept. A
// helper sends the buffers of the elements it was sent back with its answers.
const buffers = {
  free: new Map(), // log2 of the size -> ArrayBuffers
  kept: 0,
  take(bytes) {
    const c = Math.max(16, Math.ceil(Math.log2(bytes || 1)));
    for (let k = c; k <= c + 1; k++) {
      const buffer = this.free.get(k)?.pop();
      if (buffer) {
        this.kept -= buffer.byteLength;
        return new Uint8Array(buffer, 0, bytes);
      }
    }
    return new Uint8Array(new ArrayBuffer(2 ** c), 0, bytes);
  },
  /** Keeps `buffer` for reuse: nothing may use it afterwards. */
  give(buffer) {
    const c = Math.log2(buffer.byteLength);
    if (!Number.isInteger(c) || c < 16 || this.kept + buffer.byteLength > 16 << 20) return;
    if (!this.free.has(c)) this.free.set(c, []);
    this.free.get(c).push(buffer);
    this.kept += buffer.byteLength;
  },
};
const take = (bytes) => buffers.take(bytes);

let memory = null; // the lean module's wasm memory
const ready = init().then((exports) => {
  memory = exports.memory;
  lean.setBuffers(take);
  postMessage({ type: 'ready' });
  // A small conversion, so the user's first file runs on optimised code (see warm.rs); a
  // request that comes meanwhile waits for it.
  lean.warmUp();
});

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
  if (msg.type === 'plan' || msg.type === 'export' || msg.type === 'export-files') return full();
  if (msg.type === 'convert') {
    const heads = opened ? [opened.head] : await Promise.all(msg.files.map(headOf));
    if (heads.some(isZip)) return full();
  }
  return { ...lean, memory };
}

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
  const flush = (options) => {
    if (pending.length) parts.push(new Blob(pending, options));
    // The Blob has its own copy of the bytes.
    for (const chunk of pending) buffers.give(chunk.buffer);
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
      // A package under 8 MiB is one Blob (each costs a round trip to the blob store).
      if (parts.length === 0) flush({ type });
      else flush();
      return parts.length === 1 && parts[0].type === type ? parts[0] : new Blob(parts, { type });
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
async function withWebp(msg, { extractFile }) {
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

async function exportRequest(msg, wasm) {
  const { exportModelFiles, exportModels } = wasm;
  const { models, overrides } = await withWebp(msg, wasm);
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

// A big file's model XML is compressed here and by a helper: another worker of the pool,
// idle at the time, reached through `msg.port` (the pool decides; see to3mf.js). While the
// file is read, each chunk of elements that becomes final is sent to the helper, which
// compresses it meanwhile. Once read, this worker makes the remaining chunks, handing the
// helper those of plain elements from the back, a few ahead of it; the package is then
// put together in order.
// Without a port, it is the same conversion with no helper. `streaming`: the file's stream,
// for a binary STL (see `streamed`), or null to read slices.
async function convertHelped(msg, wasm, streaming) {
  const port = msg.port ?? null;
  // A `late` request was started without a helper: one may join (it says hello), or not.
  let attached = port !== null && !msg.late;
  const options = msg.options ?? {};
  const onProgress = progressReporter(msg.id);
  // The package goes into Blob parts in order as its chunks come, out of this worker's memory.
  const sink = blobSink('model/3mf');
  let split = null;
  let sealed = null; // the chunk of each run sent while reading, known once it is read
  const answered = []; // answers that came before that
  const chunks = [];
  let next = 0;
  let done = 0;
  let total = 0;
  const progress = (k) => onProgress('writing', (done += split.elements(k)), total);
  const place = (k, bytes) => {
    chunks[k] = bytes;
    for (; next < split.count && chunks[next]; next++) {
      sink.onChunk(chunks[next]);
      chunks[next] = null;
    }
  };
  const take = (data) => {
    const k = data.run !== undefined ? sealed[data.run] : data.chunk;
    if (k < 0) return; // its mesh was left out
    split.addSums(k, data.crc, data.xmlBytes, data.bytes.byteLength);
    place(k, data.bytes);
    progress(k);
  };
  let sent = 0;
  let received = 0;
  let failed = null;
  let ended;
  const helperEnded = new Promise((resolve) => (ended = resolve));
  let wake = () => {};
  // The helper says when it is free again, so the pool does not replace it as stuck. One
  // that has not said hello is not waited for: if it joins later, the end is waiting for it.
  const endHelper = () => {
    port?.postMessage({ end: true });
    return attached ? helperEnded : Promise.resolve();
  };
  if (port) port.onmessage = ({ data }) => {
    if (data.hello) {
      attached = true;
      return wake();
    }
    if (data.back) buffers.give(data.back);
    if (data.ended) return ended();
    if (data.error) failed = new Error(data.error);
    else if (sealed) take(data);
    else answered.push(data);
    received++;
    wake();
  };
  // A streamed file lets answers in while it is read: then the helper is sent at most 24
  // chunks ahead of what it answered (so its backlog stays under 10 MB), and what it is not
  // sent is shared out at the end. Answers come in only between pieces, so the count of
  // those outstanding lags: with 12 the helper sometimes ran dry near the read's end.
  // Read from slices, the worker hears nothing until the end, so everything is sent.
  const onSealed = (run, triangles, data) => {
    if (!attached || (streaming && sent - received >= 24)) return false;
    port.postMessage({ run, triangles, data, options }, [data.buffer]);
    sent++;
    return true;
  };
  try {
    split = streaming
      ? await streamed(streaming, wasm, options, sink.onChunk, onProgress, port && onSealed)
      : wasm.convertFilesSplit(msg.files, options, sink.onChunk, onProgress, onSealed);
  } catch (e) {
    await endHelper();
    throw e;
  }
  const count = split.count;
  total = Array.from({ length: count }, (_, k) => split.elements(k)).reduce((a, b) => a + b, 0);
  sealed = Array.from({ length: split.sealedCount }, (_, id) => split.chunkOfSealed(id));
  answered.splice(0).forEach(take);
  const helped = new Set(sealed.filter((k) => k >= 0));
  // Until the helper's next answer.
  const answer = () => new Promise((resolve) => (wake = resolve));
  try {
    const todo = Array.from({ length: count }, (_, k) => k).filter((k) => !helped.has(k));
    const mixed = new Set(); // chunks with markup, made here
    // The helper gets plain runs from the end while this worker works from the start.
    const handOut = () => {
      for (let j = todo.length - 1; j > 0; j--) {
        if (mixed.has(todo[j])) continue;
        const run = split.run(todo[j]);
        if (!run) {
          mixed.add(todo[j]);
          continue;
        }
        const [k] = todo.splice(j, 1);
        port.postMessage({ chunk: k, triangles: run.triangles, data: run.data, options }, [run.data.buffer]);
        sent++;
        return true;
      }
      return false;
    };
    while (todo.length) {
      // Up to 16 ahead, so it is never idle while this worker makes a chunk (a chunk of
      // vertices takes twice as long as one of triangles), but never more than is left
      // here, so the two end together.
      while (attached && sent - received < 16 && todo.length > sent - received && handOut());
      const k = todo.shift();
      place(k, split.compress(k));
      progress(k);
      if (port) await tick();
      if (failed) throw failed;
    }
    while (received < sent && !failed) await answer();
    if (failed) throw failed;
  } finally {
    await endHelper();
  }
  const result = split.finish(); // the package's end, through sink.onChunk
  split.free();
  return { blob: sink.blob(), report: result };
}

let spare = null; // the last file's stream buffer: a fresh one costs a page fault per 4 KiB

/**
 * A file opened as a stream, with its first bytes read (4096, or all of a shorter file:
 * enough to tell its format), so one read serves to choose how to convert it and to start.
 * A byte stream's BYOB reader fills one buffer over and over: 5% less tab memory and time
 * than a new buffer per piece, and no page faults. A browser whose Blob stream is not a
 * byte stream hands out its own pieces; the first bytes are then read apart.
 */
async function open(file) {
  const stream = file.stream();
  let byob = null;
  try {
    byob = stream.getReader({ mode: 'byob' });
  } catch {
    const opened = new Opened(file, stream.getReader(), null, new Uint8Array(0));
    await file.slice(0, 4096).arrayBuffer().then((b) => (opened.head = new Uint8Array(b)), (e) => (opened.error = e));
    return opened;
  }
  // A buffer lost to a failed read is detached (0 bytes).
  let buffer = spare?.byteLength ? spare : new ArrayBuffer(4 << 20);
  spare = null;
  let filled = 0;
  try {
    while (filled < Math.min(4096, file.size)) {
      const { done, value } = await byob.read(new Uint8Array(buffer, filled));
      if (value) buffer = value.buffer;
      if (done) break;
      filled += value.byteLength;
    }
  } catch (e) {
    // Unreadable (deleted since it was picked, say): the conversion reports it.
    const opened = new Opened(file, byob, null, new Uint8Array(0));
    opened.error = e;
    return opened;
  }
  return new Opened(file, byob, buffer, new Uint8Array(buffer, 0, filled));
}

class Opened {
  constructor(file, reader, buffer, head) {
    Object.assign(this, { file, reader, buffer, head, ended: false, error: null });
  }

  /** The file's pieces from its start (each valid until the next is asked for). */
  async *pieces() {
    if (this.buffer && this.head.byteLength) yield this.head;
    for (;;) {
      const { done, value } = await this.reader.read(this.buffer ? new Uint8Array(this.buffer) : undefined);
      if (this.buffer && value) this.buffer = value.buffer;
      if (done) break;
      yield value;
    }
    this.ended = true;
  }

  /** Stops reading (if it has not ended) and keeps the buffer for the next file. */
  async close() {
    if (!this.ended) await this.reader.cancel().catch(() => {});
    spare = this.buffer;
  }
}

// A binary STL is read from its stream into an StlFeed: the browser reads ahead while the
// core welds, where `FileReaderSync` makes the worker wait for every slice, and copies into
// a fresh buffer each time (a page fault per 4 KiB: 8 files of 12 MB converted 12% faster
// streamed).
async function streamed(opened, wasm, options, onChunk, onProgress, onSealed) {
  const { file } = opened;
  const feed = new wasm.StlFeed(file.name, file.size, options, onSealed);
  const fail = (e) => feed.fail(String(e?.message ?? e));
  try {
    let done = 0;
    try {
      if (opened.error) throw opened.error;
      for await (const piece of opened.pieces()) {
        onProgress('reading', (done += piece.byteLength), file.size);
        // A bad file is known before its end: its error comes with finish.
        if (!feed.push(piece)) break;
        if (onSealed) await tick(); // the helper's answers, which say how far behind it is
      }
    } catch (e) {
      fail(e); // the browser could not read it: reported with finish
    }
    return feed.finish(onChunk);
  } finally {
    feed.free();
  }
}

// Lets the messages that came meanwhile in (a zero timeout would wait 4 ms once nested),
// through one channel: a new one per tick cost 12-40 us against 6.
const ticks = new MessageChannel();
const ticked = [];
ticks.port1.onmessage = () => ticked.shift()();
function tick() {
  return new Promise((resolve) => {
    ticked.push(resolve);
    ticks.port2.postMessage(null);
  });
}

// The helper's side: compress the chunks of elements it is sent, until told to end, on
// the port or by the pool ('end-help' with the help's id, which may come first).
const endHelp = new Map(); // help id -> ends it
const endedEarly = new Set();
function help(msg, wasm) {
  msg.port.postMessage({ hello: true });
  return new Promise((resolve) => {
    const end = () => {
      endHelp.delete(msg.id);
      msg.port.close();
      resolve({ blob: null, report: null });
    };
    if (endedEarly.delete(msg.id)) return end();
    endHelp.set(msg.id, end);
    msg.port.onmessage = ({ data }) => {
      if (data.end) {
        msg.port.postMessage({ ended: true });
        return end();
      }
      try {
        const { bytes, crc, xmlBytes } = wasm.compressElements(data.triangles, data.data, data.options);
        // The elements are in wasm memory now: their buffer goes back for the next ones.
        const back = data.data.buffer;
        msg.port.postMessage({ run: data.run, chunk: data.chunk, bytes, crc, xmlBytes, back }, [bytes.buffer, back]);
      } catch (e) {
        msg.port.postMessage({ error: String(e && e.message ? e.message : e) });
      }
    };
  });
}

async function run(msg, wasm, opened) {
  if (msg.type === 'plan') return { blob: null, report: wasm.planModels(msg.files, msg.paths) };
  if (msg.type === 'export' || msg.type === 'export-files') return exportRequest(msg, wasm);
  if (msg.type === 'help') return help(msg, wasm);
  if (msg.type === 'convert') {
    // An unreadable file goes the stream's way too, which reports its error.
    const streaming = opened !== null && (opened.error || wasm.isBinaryStl(opened.head)) ? opened : null;
    if (msg.port || streaming) return convertHelped(msg, wasm, streaming);
    const sink = blobSink('model/3mf');
    const out = wasm.convertFilesStreaming(msg.files, msg.options ?? {}, sink.onChunk, progressReporter(msg.id));
    return { blob: sink.blob(), report: out.report };
  }
  if (msg.type === 'zip') {
    const sink = blobSink('application/zip');
    wasm.zipBlobs(msg.blobs, msg.names, sink.onChunk);
    return { blob: sink.blob(), report: null };
  }
  throw new Error(`unknown request ${msg.type}`);
}

onmessage = async ({ data: msg }) => {
  if (msg.type === 'end-help') return endHelp.has(msg.id) ? endHelp.get(msg.id)() : endedEarly.add(msg.id);
  await ready;
  let held = () => memory.buffer.byteLength;
  let opened = null;
  try {
    if (msg.type === 'convert' && msg.files.length === 1) opened = await open(msg.files[0]);
    const wasm = await moduleFor(msg, opened);
    // Both modules' memories count: the pool recycles a worker that holds too much.
    held = () => memory.buffer.byteLength + (wasm.memory !== memory ? wasm.memory.buffer.byteLength : 0);
    const { blob, report } = await run(msg, wasm, opened);
    await opened?.close();
    postMessage({ id: msg.id, type: 'done', blob, report, memory: held() });
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

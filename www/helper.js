// Two workers on one big file. The file's model XML is compressed in chunks by the worker
// converting it (the converter) and by a helper: another worker of the pool, idle at the
// time. While the file is read, each chunk of elements that becomes final is sent to the
// helper, which compresses it meanwhile. Once read, the converter makes the remaining chunks,
// handing the helper those of plain elements from the back, a few ahead of it; the package is
// then put together in order, byte for byte the one a single worker writes.
//
// The pool (pool.js) decides who helps whom:
//   - a 'convert' of HELPED_BYTES or more, with nothing else queued and a worker idle, gets
//     that worker as its helper at once: the converter is sent {type: 'convert', ..., port},
//     the helper {type: 'help', id, port}, over the two ends of a new MessageChannel;
//   - a 'convert' of SHARED_BYTES or more that is likely to outlast what is still queued is
//     sent {..., port, late: true}: a helper may join later (when a worker falls idle with
//     nothing queued) or never;
//   - the helper is busy until the conversion ends. The pool then sends it
//     {type: 'end-help', id} (it may have joined too late to hear the end on the port, and
//     this may even come before its 'help'); it answers 'help' with
//     {id, type: 'done', blob: null, report: null} like any request.
//
// The seven messages on the port (`data` is a Uint32Array of triangles when `triangles` is
// true, else a Float32Array of vertices; its buffer is transferred):
//   helper -> converter  {hello: true}                        it listens: a `late` conversion
//                                                             counts on it from now on
//   converter -> helper  {run, triangles, data, options}      a run sealed while reading;
//                                                             `run` counts them in sending
//                                                             order (which chunk it is, is
//                                                             known once the file is read)
//   converter -> helper  {chunk, triangles, data, options}    chunk `chunk`, handed out after
//                                                             reading
//   helper -> converter  {run, chunk, bytes, crc, xmlBytes, back}
//                                                             one of them compressed (`run` or
//                                                             `chunk` as it was sent), and
//                                                             `back`, the elements' buffer,
//                                                             for the converter's buffer pool
//   helper -> converter  {error}                              compressing failed: the
//                                                             conversion fails with it
//   converter -> helper  {end: true}                          nothing more comes
//   helper -> converter  {ended: true}                        the helper is free again

import { blobSink, buffers, progressReporter, streamed, tick } from './io.js';

// A single file of this size (bytes) or more gets an idle worker as its helper, which
// compresses the model XML's chunks as they become final while the file is read, and shares
// the rest with the file's worker afterwards (two cores on one file). Below, it is not worth
// the messages. The helper holds no copy of the meshes, so the biggest files get one too.
export const HELPED_BYTES = 32 << 20;
// A conversion of this size or more that starts without a helper, and is likely to outlast
// what is still queued (at least its share of it), is started ready for one: a worker that
// falls idle with nothing queued joins it for the rest of its chunks. Below, the file is
// converted before help would pay; files started while much else waits take the plain path
// (the ready one costs messages on every file).
export const SHARED_BYTES = 4 << 20;
// A streamed file lets answers in while it is read: then the helper is sent at most this
// many chunks ahead of what it answered (so its backlog stays under 10 MB), and what it is
// not sent is shared out at the end. Answers come in only between pieces, so the count of
// those outstanding lags: with 12 the helper sometimes ran dry near the read's end.
// Read from slices, the converter hears nothing until the end, so everything is sent.
const AHEAD_READING = 24;
// Once read, the helper is kept up to this many chunks ahead, so it is never idle while the
// converter makes a chunk (a chunk of vertices takes twice as long as one of triangles), but
// never more than is left to the converter, so the two end together.
const AHEAD_AFTER = 16;

// The converter's side. Without a port, it is the same conversion with no helper.
// `streaming`: the file's stream, for a binary STL (see `streamed`), or null to read slices.
// With `msg.picture`, `written(blob, report)` hears of the package before its picture is made.
export async function convertHelped(msg, wasm, streaming, written) {
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
  const onSealed = (run, triangles, data) => {
    if (!attached || (streaming && sent - received >= AHEAD_READING)) return false;
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
    const fill = () => {
      while (attached && sent - received < AHEAD_AFTER && todo.length > sent - received && handOut());
    };
    // The thumbnail (if the package is to have one) is drawn once the helper has its fill of
    // chunks, so it compresses them meanwhile; without a helper, finish() draws it.
    fill();
    if (attached) split.drawThumbnail();
    while (todo.length) {
      fill();
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
  const blob = sink.blob();
  let picture = null;
  if (msg.picture || msg.options?.thumbnail) {
    if (msg.picture) written(blob, result);
    const png = split.picture();
    picture = png ? new Blob([png], { type: 'image/png' }) : null;
  }
  split.free();
  return { blob, report: result, picture };
}

// The helper's side: compress the chunks of elements it is sent, until told to end, on
// the port or by the pool ('end-help' with the help's id, which may come first).
const endHelp = new Map(); // help id -> ends it
const endedEarly = new Set();
export function help(msg, wasm) {
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

/** The pool's 'end-help' for help request `id`: ends it, or its 'help' as soon as it comes. */
export function endHelpRequest(id) {
  return endHelp.has(id) ? endHelp.get(id)() : endedEarly.add(id);
}

// The worker's input and output: the buffers the core copies its output into, the Blobs that
// output goes into, files opened as streams, progress messages, and a way to let messages in.

// ArrayBuffers that the core copies pieces out of wasm memory into (see setBuffers in
// crates/wasm), kept once done with: Chromium hands a fresh buffer over in pages it has to
// fault in (a 4 KiB page each), as freed buffers give theirs back. Classes are powers of
// two from 64 KiB; a piece takes its class or the one above; at most 16 MB are kept. A
// helper sends the buffers of the elements it was sent back with its answers.
export const buffers = {
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
export const take = (bytes) => buffers.take(bytes);

// Progress messages are throttled: a few per second are enough for a progress bar.
export function progressReporter(id) {
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
export function blobSink(type) {
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

let spare = null; // the last file's stream buffer: a fresh one costs a page fault per 4 KiB

/**
 * A file opened as a stream, with its first bytes read (4096, or all of a shorter file:
 * enough to tell its format), so one read serves to choose how to convert it and to start.
 * A byte stream's BYOB reader fills one buffer over and over: less tab memory and time
 * than a new buffer per piece, and no page faults. A browser whose Blob stream is not a
 * byte stream hands out its own pieces; the first bytes are then read apart.
 */
export async function open(file) {
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

export class Opened {
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
// a fresh buffer each time (a page fault per 4 KiB).
export async function streamed(opened, wasm, options, onChunk, onProgress, onSealed) {
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

// Lets the messages that came meanwhile in (a zero timeout is clamped once nested), through
// one channel: a new channel per tick costs several times as much.
const ticks = new MessageChannel();
const ticked = [];
ticks.port1.onmessage = () => ticked.shift()();
export function tick() {
  return new Promise((resolve) => {
    ticked.push(resolve);
    ticks.port2.postMessage(null);
  });
}

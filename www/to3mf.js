// to3mf in the browser: STL, OBJ and 3MF files into 3MF packages, converted in Web Workers on the
// user's machine. An ES module a host page (the to3mf page, a Manyfold frontend) imports:
//
//   import { convert } from './www/to3mf.js';
//   const results = await convert(files, { layout: 'arrange' }, { onProgress, signal });
//   for (const r of results) if (r.blob) download(r.name, r.blob); else show(r.error.message);
//
// Several files convert in parallel in a small pool of workers; a worker that dies (a panic,
// out of memory) fails only its file and is replaced; cancelling terminates the workers of
// that batch and starts fresh ones, keeping what already finished.

const WORKER_URL = new URL('./worker.js', import.meta.url);
// WebAssembly memory only grows: a worker left holding more than this after a big file is
// replaced, so an idle page gives the memory back.
const RECYCLE_BYTES = 96 << 20;

// A single file of this size (bytes) or more gets an idle worker as its helper, which
// compresses the model XML's chunks as they become final while the file is read, and shares
// the rest with the file's worker afterwards (two cores on one file; see worker.js). Below,
// it is not worth the messages. The helper holds no copy of the meshes, so big files get one
// too: a 1 GB STL took 6.0 s with it against 8.6 s without, at the same peak memory.
const HELPED_BYTES = 32 << 20;
// A conversion of this size or more that starts without a helper, and is likely to outlast
// what is still queued (at least its share of it), is started ready for one: a worker that
// falls idle with nothing queued joins it for the rest of its chunks. Below, the file is
// converted before help would pay; files started while much else waits take the plain path
// (the ready one costs about 1 ms a file in messages).
const SHARED_BYTES = 4 << 20;

/**
 * The default wall-clock budget of one job: a minute plus a second per MB of input (a 1 GB
 * STL converts in about 30 s here, so only a stuck or hostile file reaches it).
 */
export function defaultTimeLimit(bytes) {
  return 60_000 + Math.ceil(bytes / 1e6) * 1000;
}

/** A pool of conversion workers. */
export class Pool {
  constructor(size = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4))) {
    this.size = size;
    this.slots = [];
    this.queue = [];
    this.nextId = 1;
    this.readyWaiters = [];
    this.helped = 0; // jobs that had a helper
    for (let i = 0; i < size; i++) this.spawn();
  }

  spawn() {
    const slot = { worker: new Worker(WORKER_URL, { type: 'module' }), job: null, ready: false };
    slot.worker.onmessage = (e) => this.onMessage(slot, e.data);
    slot.worker.onerror = (e) => {
      e.preventDefault();
      this.finish(slot, { failed: e.message || 'the converter stopped (out of memory?)' }, true);
    };
    this.slots.push(slot);
  }

  /** Resolves when at least one worker has its wasm ready. */
  whenReady() {
    if (this.slots.some((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Runs one request; resolves with the worker's answer ({blob, report} or {failed} or
   * {cancelled}). Heavier jobs (`weight`, e.g. bytes) start first, so a batch of files of
   * mixed sizes finishes sooner on few workers.
   */
  run(request, { onProgress, tag, weight = 0, timeLimit = Infinity } = {}) {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, request, onProgress, tag, weight, timeLimit, resolve });
      // Not at once: the other files of a batch are queued in the same task, and the
      // heaviest should start first (and an idle worker not be lent to the first file).
      if (!this.pumping) {
        this.pumping = true;
        queueMicrotask(() => {
          this.pumping = false;
          this.pump();
        });
      }
    });
  }

  pump() {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || this.queue.length === 0) continue;
      let heaviest = 0;
      for (let i = 1; i < this.queue.length; i++) if (this.queue[i].weight > this.queue[heaviest].weight) heaviest = i;
      const job = this.queue.splice(heaviest, 1)[0];
      slot.job = job;
      const idle = this.slots.find((s) => s !== slot && s.ready && !s.job);
      const convert = job.request.type === 'convert';
      if (convert && this.queue.length === 0 && idle && job.weight >= HELPED_BYTES) {
        // The two workers talk over their own channel; the helper is busy until the job ends.
        const { port1, port2 } = new MessageChannel();
        this.lend(idle, job, port2);
        slot.worker.postMessage({ ...job.request, id: job.id, port: port1 }, [port1]);
      } else if (convert && this.size > 1 && job.weight >= SHARED_BYTES && job.weight * (this.size - 1) >= this.queue.reduce((n, j) => n + j.weight, 0)) {
        const { port1, port2 } = new MessageChannel();
        job.spare = port2; // for a worker that falls idle meanwhile
        slot.worker.postMessage({ ...job.request, id: job.id, port: port1, late: true }, [port1]);
      } else {
        slot.worker.postMessage({ ...job.request, id: job.id });
      }
      // Past its budget, the job's worker is stopped and replaced: the file fails, the queue goes on.
      if (Number.isFinite(job.timeLimit)) {
        job.timer = setTimeout(() => {
          if (slot.job !== job) return;
          const seconds = job.timeLimit >= 10_000 ? Math.round(job.timeLimit / 1000) : (job.timeLimit / 1000).toFixed(1);
          this.finish(slot, { failed: `took longer than ${seconds} s, the time limit for this file, and was stopped (raise the time limit to allow more)`, timedOut: true }, true);
        }, job.timeLimit);
      }
    }
    this.lendIdle();
  }

  /** Workers idle with nothing queued join running jobs ready for a helper: the most
   * recently started first, as it has the most left to do. */
  lendIdle() {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job || this.queue.length) continue;
      const open = this.slots.map((s) => s.job).filter((j) => j?.spare);
      if (open.length === 0) break;
      const job = open.reduce((a, b) => (b.id > a.id ? b : a));
      const port = job.spare;
      job.spare = null;
      this.lend(slot, job, port);
    }
  }

  /** Makes `slot`'s worker the helper of `job`, over `port`. */
  lend(slot, job, port) {
    const help = { id: this.nextId++, tag: job.tag, helps: job, resolve() {} };
    job.helper = slot;
    slot.job = help;
    this.helped++;
    slot.worker.postMessage({ type: 'help', id: help.id, port }, [port]);
  }

  onMessage(slot, msg) {
    if (msg.type === 'ready') {
      slot.ready = true;
      this.readyWaiters.splice(0).forEach((r) => r());
      this.pump();
      return;
    }
    const job = slot.job;
    if (!job || msg.id !== job.id) return;
    if (msg.type === 'progress') job.onProgress?.(msg.stage, msg.done, msg.total);
    else if (msg.type === 'done') this.finish(slot, { blob: msg.blob, report: msg.report }, msg.memory > RECYCLE_BYTES);
    else if (msg.type === 'failed') this.finish(slot, { failed: msg.message }, true);
  }

  finish(slot, answer, replace) {
    const job = slot.job;
    clearTimeout(job?.timer);
    slot.job = null;
    if (replace) this.replace(slot);
    job?.spare?.close();
    // A helper still busy with a job that ended is told to stop (it may have joined too late
    // to hear the job's end), and frees itself with its own answer. One whose job failed or
    // timed out is replaced instead: it may be waiting for chunks that never come.
    const helper = job?.helper;
    if (helper && helper.job?.helps === job && this.slots.includes(helper)) {
      if (answer.failed) {
        helper.job = null;
        this.replace(helper);
      } else {
        helper.worker.postMessage({ type: 'end-help', id: helper.job.id });
      }
    }
    // A helper that died takes the job it helped with it: that job would wait forever.
    const helped = job?.helps && this.slots.find((s) => s.job === job.helps);
    if (helped && answer.failed) this.finish(helped, { failed: `its helper stopped: ${answer.failed}` }, true);
    job?.resolve(answer);
    this.pump();
  }

  replace(slot) {
    slot.worker.terminate();
    this.slots.splice(this.slots.indexOf(slot), 1);
    this.spawn();
  }

  /** Cancels queued and running jobs whose tag is `tag`; running ones lose their worker. */
  cancel(tag) {
    const keep = [];
    for (const job of this.queue) (job.tag === tag ? job.resolve({ cancelled: true }) : keep.push(job));
    this.queue = keep;
    for (const slot of [...this.slots]) {
      if (slot.job && slot.job.tag === tag) {
        const job = slot.job;
        clearTimeout(job.timer);
        slot.job = null;
        this.replace(slot);
        job.spare?.close();
        job.resolve({ cancelled: true });
      }
    }
    this.pump();
  }

  /** Stops every worker. */
  terminate() {
    this.cancel(undefined);
    for (const slot of this.slots) slot.worker.terminate();
    this.slots = [];
  }
}

let shared = null;

/** The pool the module's functions use, created on first use. */
export function pool() {
  shared ??= new Pool();
  return shared;
}

function stem(name) {
  const base = name.split(/[\\/]/).pop();
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

function errorOf(answer) {
  if (answer.cancelled) return { code: 'cancelled', message: 'Cancelled.' };
  if (answer.timedOut) return { code: 'time_limit', message: `This file ${answer.failed}.` };
  if (answer.failed) return { code: 'crashed', message: `The converter stopped on this file: ${answer.failed}` };
  return answer.report?.error ?? null;
}

/**
 * Converts `files` (an array of File). With `merge`, all go into one package; otherwise one
 * package per file, converted in parallel. `options` is the core's Options (layout, unit,
 * metadata: {title, ...}, compression_level). Resolves, in input order, with
 * `{name, files, blob, report, error}` per package; `onResult` sees each as it finishes.
 * Aborting `signal` cancels what has not finished; finished results are kept. Each package
 * has `timeLimit(bytes)` milliseconds (default `defaultTimeLimit`); past it, it fails.
 */
export async function convert(files, options = {}, { onProgress, onResult, signal, merge = false, timeLimit = defaultTimeLimit } = {}) {
  const p = pool();
  const tag = Symbol('batch');
  const groups = merge ? [files] : files.map((f) => [f]);
  const onAbort = () => p.cancel(tag);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      groups.map(async (group, index) => {
        const name = `${merge && options.metadata?.title ? options.metadata.title : stem(group[0].name)}.3mf`;
        const answer = signal?.aborted
          ? { cancelled: true }
          : await p.run(
              { type: 'convert', files: group, options },
              {
                tag,
                weight: group.reduce((n, f) => n + f.size, 0),
                timeLimit: timeLimit(group.reduce((n, f) => n + f.size, 0)),
                onProgress: (stage, done, total) => onProgress?.(index, stage, done, total),
              },
            );
        const result = { name, files: group, blob: answer.blob ?? null, report: answer.report ?? null, error: errorOf(answer) };
        onResult?.(index, result);
        return result;
      }),
    );
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** One ZIP (stored entries) of the given results' packages, built by the core in a worker. */
export async function zip(results) {
  const done = results.filter((r) => r.blob);
  const answer = await pool().run({ type: 'zip', blobs: done.map((r) => r.blob), names: done.map((r) => r.name) });
  if (!answer.blob) throw new Error(answer.failed ?? 'could not build the zip');
  return answer.blob;
}

/**
 * Proposes Manyfold models for `files` (File[]); `paths` are their relative paths (folder
 * picks and drops keep their folders; loose files are just their names). Resolves with
 * `{models, errors}`: each model `{title, edited, files: [{root, path, target, kind,
 * presupported}]}`, to review and edit before `exportModels`.
 */
export async function planModels(files, paths = files.map((f) => f.webkitRelativePath || f.name)) {
  const answer = await pool().run({ type: 'plan', files, paths });
  if (answer.failed) throw new Error(answer.failed);
  return answer.report;
}

/**
 * Writes `models` (from `planModels`, possibly edited) as one zip of model folders that
 * Manyfold imports with their metadata; pictures become WebP where the browser can encode
 * it. `options`: `{convert, creator, license, keywords}`. Resolves with `{blob, report}`.
 */
export async function exportModels(files, paths, models, options = {}, { timeLimit = defaultTimeLimit } = {}) {
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const answer = await pool().run({ type: 'export', files, paths, models, options }, { weight: Infinity, timeLimit: timeLimit(bytes) });
  if (answer.failed) throw new Error(answer.failed);
  return { blob: answer.blob, report: answer.report };
}

/**
 * Writes `models` into `dir` (a FileSystemDirectoryHandle, e.g. from `showDirectoryPicker`),
 * one folder per model. Existing folders are never overwritten: a new model whose folder
 * exists goes into `name-2`. Resolves with the report (`{models, folders}`).
 */
export async function saveModels(dir, files, paths, models, options = {}) {
  const taken = [];
  for await (const name of dir.keys()) taken.push(name);
  const answer = await pool().run({ type: 'export-files', files, paths, models, options, taken }, { weight: Infinity });
  if (answer.failed) throw new Error(answer.failed);
  for (const { path, blob } of answer.report.files) {
    const parts = path.split('/');
    let folder = dir;
    for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
    const handle = await folder.getFileHandle(parts.at(-1), { create: true });
    const writable = await handle.createWritable();
    await writable.write(blob);
    await writable.close();
  }
  const { files: _written, ...report } = answer.report;
  return report;
}

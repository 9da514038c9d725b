// The pool of conversion workers behind to3mf.js: a queue where heavier jobs start first,
// a time limit per job, a worker that dies or overruns replaced (failing only its job),
// workers that hold too much memory recycled, and idle workers lent to big files as helpers
// (see helper.js).

import { HELPED_BYTES, SHARED_BYTES } from './helper.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);
// WebAssembly memory only grows: a worker left holding more than this after a big file is
// replaced, so an idle page gives the memory back.
const RECYCLE_BYTES = 96 << 20;

/** A pool of conversion workers; `workerUrl` is where a host serves worker.js, when a bundler
 * has moved this module away from it. */
export class Pool {
  constructor(size = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4)), workerUrl = WORKER_URL) {
    this.size = size;
    this.workerUrl = workerUrl;
    this.slots = [];
    this.queue = [];
    this.nextId = 1;
    this.readyWaiters = [];
    this.helped = 0; // jobs that had a helper
    for (let i = 0; i < size; i++) this.spawn();
  }

  spawn() {
    const slot = { worker: new Worker(this.workerUrl, { type: 'module' }), job: null, ready: false };
    slot.worker.onmessage = (e) => this.onMessage(slot, e.data);
    slot.worker.onerror = (e) => {
      e.preventDefault();
      if (!slot.ready) return this.startFailed(slot, e.message);
      this.finish(slot, { failed: e.message || 'the converter stopped (out of memory?)' }, true);
    };
    this.slots.push(slot);
  }

  /** Resolves when at least one worker has its wasm ready (then `about` is
   * `{version, repository}`, the core's). */
  whenReady() {
    if (this.slots.some((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Runs one request; resolves with the worker's answer ({blob, report, picture} or {failed}
   * or {cancelled}). `onPackage({blob, report})` hears of a 'convert' asked for a picture
   * once its package is done, before the picture is. Heavier jobs (`weight`, e.g. bytes) start first, so a batch of files of
   * mixed sizes finishes sooner on few workers.
   */
  run(request, { onProgress, onPackage, tag, weight = 0, timeLimit = Infinity } = {}) {
    if (this.broken) return Promise.resolve({ failed: this.broken });
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, request, onProgress, onPackage, tag, weight, timeLimit, resolve });
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

  /** A worker that could not start (its script or wasm not served, or refused) is not
   * replaced; once none is left, queued and later jobs fail with the reason instead of
   * waiting for a worker that never comes. */
  startFailed(slot, message) {
    slot.worker.terminate();
    this.slots.splice(this.slots.indexOf(slot), 1);
    if (this.slots.length) return;
    this.broken = `the converter could not start (${this.workerUrl}${message ? `: ${message}` : ' did not load'}): check that to3mf's worker files are served there`;
    for (const job of this.queue.splice(0)) job.resolve({ failed: this.broken });
  }

  onMessage(slot, msg) {
    if (msg.type === 'start-failed') {
      return slot.ready ? this.finish(slot, { failed: msg.message }, true) : this.startFailed(slot, msg.message);
    }
    if (msg.type === 'ready') {
      slot.ready = true;
      this.about = { version: msg.version, repository: msg.repository };
      this.readyWaiters.splice(0).forEach((r) => r());
      this.pump();
      return;
    }
    const job = slot.job;
    if (!job || msg.id !== job.id) return;
    if (msg.type === 'progress') job.onProgress?.(msg.stage, msg.done, msg.total);
    else if (msg.type === 'package') job.onPackage?.({ blob: msg.blob, report: msg.report });
    else if (msg.type === 'done') this.finish(slot, { blob: msg.blob, report: msg.report, picture: msg.picture }, msg.memory > RECYCLE_BYTES);
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

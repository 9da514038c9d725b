// An Uppy preprocessor: STL and OBJ files become 3MF packages on the user's machine before the
// first byte is uploaded, in to3mf's workers (the wasm never runs on the page's thread, so a
// Content-Security-Policy without 'wasm-unsafe-eval' is fine). Each converted file keeps its
// Uppy id and takes the package's data, name, type and size; anything else passes untouched.
//
//   import To3mf from 'to3mf/uppy';
//   uppy.use(Tus, { endpoint: '/upload' }).use(To3mf, { layout: 'arrange' });
//
// `@uppy/core` is imported by its bare name so the host's copy is used (a bundler resolves it;
// without one, an import map names it: see docs/uppy.md).

import { BasePlugin } from '@uppy/core';
import { Pool, convert, defaultTimeLimit, pool as sharedPool } from './to3mf.js';

const DEFAULTS = {
  formats: ['stl', 'obj'],
  layout: 'arrange',
  keepOriginal: false,
  preview: false,
  onError: 'upload',
  workerUrl: null,
  timeLimit: defaultTimeLimit,
  messageDuration: 10_000,
};

const PICTURE = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;

function stem(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The message a failed conversion shows: the input's own error first, as the page says it. */
function failure(result) {
  const input = result.report?.inputs?.find((i) => i.error);
  return input?.error.message ?? result.error?.message ?? 'it could not be converted';
}

export default class To3mf extends BasePlugin {
  static VERSION = '0.1.0';

  constructor(uppy, opts) {
    super(uppy, { ...DEFAULTS, ...opts });
    this.id = this.opts.id ?? 'To3mf';
    this.type = 'modifier';
    this.defaultLocale = {
      strings: {
        converting: 'Converting to 3MF',
        uploadedUnchanged: '%{name} is uploaded unchanged: %{message}',
        removed: '%{name} was removed: %{message}',
        noPreview: 'No preview picture for %{name}: %{message}',
      },
    };
    this.i18nInit();
    this.added = new Set(); // ids of the files this plugin added (packages beside originals, previews): never converted
    this.prepare = this.prepare.bind(this);
  }

  install() {
    this.uppy.addPreProcessor(this.prepare);
  }

  uninstall() {
    this.uppy.removePreProcessor(this.prepare);
    this.ownPool?.terminate();
    this.ownPool = null;
  }

  /** The pool conversions run in: the shared one, or one on the host's `workerUrl`. */
  pool() {
    if (!this.opts.workerUrl) return undefined;
    this.ownPool ??= new Pool(undefined, new URL(this.opts.workerUrl, document.baseURI));
    return this.ownPool;
  }

  wanted(file) {
    const formats = this.opts.formats.map((f) => f.toLowerCase());
    return !this.added.has(file.id) && !file.isRemote && formats.includes(String(file.extension).toLowerCase());
  }

  async prepare(fileIDs, uploadID) {
    const files = fileIDs.map((id) => this.uppy.getFile(id)).filter(Boolean);
    const todo = files.filter((f) => this.wanted(f));
    if (todo.length === 0) return;
    const message = this.i18n('converting');
    for (const file of todo) this.uppy.emit('preprocess-progress', file, { mode: 'indeterminate', message });
    const noPicture = !files.some((f) => PICTURE.test(f.name) || /^image\//.test(f.type ?? ''));
    const pool = this.pool();
    // The workers read Files (a host may have added a bare Blob).
    const sources = todo.map((f) => (f.data instanceof File ? f.data : new File([f.data], f.name, { type: f.type })));
    const converted = new Set();
    // One conversion per file, so a file removed meanwhile (or Cancel, which removes them all)
    // stops its own; queued in one task, the pool still starts the heaviest first.
    const stops = new Map(todo.map((f) => [f.id, new AbortController()]));
    const onRemoved = (file) => stops.get(file?.id)?.abort();
    this.uppy.on('file-removed', onRemoved);
    try {
      await Promise.all(
        todo.map((f, i) =>
          convert([sources[i]], { layout: this.opts.layout }, {
            pool,
            signal: stops.get(f.id).signal,
            timeLimit: this.opts.timeLimit,
            onProgress: (_i, _stage, done, total) => {
              const file = this.uppy.getFile(f.id);
              if (file && total > 0) this.uppy.emit('preprocess-progress', file, { mode: 'determinate', message, value: done / total });
            },
            onResult: (_, result) => {
              if (this.settle(f.id, result, uploadID)) converted.add(i);
            },
          }),
        ),
      );
    } finally {
      this.uppy.off('file-removed', onRemoved);
    }
    if (this.opts.preview && noPicture) {
      for (const i of converted) await this.addPreview(todo[i], sources[i], uploadID, pool ?? sharedPool());
    }
  }

  /** Puts one conversion's result in place of its file (or beside it), or keeps or removes a
   * file that failed; true when it converted. */
  settle(id, result, uploadID) {
    const file = this.uppy.getFile(id);
    if (!file) return false; // removed by the user meanwhile
    if (!result.blob) {
      const message = failure(result);
      if (this.opts.onError === 'remove') {
        this.uppy.removeFile(id);
        this.uppy.info(this.i18n('removed', { name: file.name, message }), 'error', this.opts.messageDuration);
        this.uppy.emit('to3mf:failed', file, message, 'removed');
        return false;
      }
      this.uppy.info(this.i18n('uploadedUnchanged', { name: file.name, message }), 'warning', this.opts.messageDuration);
      this.uppy.emit('to3mf:failed', file, message, 'uploaded');
      this.uppy.emit('preprocess-complete', file);
      return false;
    }
    const name = `${stem(file.name)}.3mf`;
    const type = 'model/3mf';
    // A File over the worker's Blob: the bytes stay in the browser's blob store, not in JS.
    const data = new File([result.blob], name, { type });
    if (this.opts.keepOriginal) {
      // The original stays as it is (and keeps its id); the package goes with it as a new file.
      this.addFile({ name, type, data, meta: file.meta }, uploadID);
      this.uppy.emit('to3mf:converted', file, result.report);
    } else {
      this.uppy.setFileState(id, {
        name,
        type,
        extension: '3mf',
        data,
        size: data.size,
        meta: { ...file.meta, name, type },
        progress: { ...file.progress, bytesTotal: data.size },
      });
      this.uppy.emit('to3mf:converted', this.uppy.getFile(id), result.report);
    }
    this.uppy.emit('preprocess-complete', this.uppy.getFile(id));
    return true;
  }

  /** A rendered picture for a model with none, so the host shows it at once (Manyfold's card). */
  async addPreview(file, source, uploadID, p) {
    const plan = await p.run({ type: 'plan', files: [source], paths: [source.name] });
    const answer = plan.failed
      ? plan
      : await p.run(
          { type: 'export-files', files: [source], paths: [source.name], models: plan.report.models, options: {}, taken: [] },
          { weight: source.size, timeLimit: this.opts.timeLimit(source.size) },
        );
    const png = answer.report?.files?.find((f) => /-preview\.png$/.test(f.path));
    if (!png) {
      const message = answer.failed ?? 'the model could not be rendered';
      this.uppy.info(this.i18n('noPreview', { name: file.name, message }), 'warning', this.opts.messageDuration);
      return;
    }
    this.addFile({ name: `${stem(file.name)}-preview.png`, type: 'image/png', data: png.blob, meta: file.meta }, uploadID);
  }

  /** Adds a file to Uppy and to the upload being prepared, so it goes with the others. */
  addFile({ name, type, data, meta }, uploadID) {
    let id;
    // autoProceed would start an upload round of its own for the file (empty, as the file is
    // taken below, but with 'upload' and 'complete' events a host may act on).
    const { autoProceed } = this.uppy.opts;
    this.uppy.opts.autoProceed = false;
    try {
      id = this.uppy.addFile({ name, type, data, meta: { ...meta, name, type }, source: this.id });
    } catch (e) {
      this.uppy.info(`${name}: ${e.message}`, 'warning', this.opts.messageDuration); // a restriction refused it
      return;
    } finally {
      this.uppy.opts.autoProceed = autoProceed;
    }
    this.added.add(id);
    const { currentUploads } = this.uppy.getState();
    const upload = currentUploads[uploadID];
    if (upload) this.uppy.setState({ currentUploads: { ...currentUploads, [uploadID]: { ...upload, fileIDs: [...upload.fileIDs, id] } } });
  }
}

export { To3mf };

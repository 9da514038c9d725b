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

import { Pool } from './pool.js';

// For a host that wants a pool of its own size; the functions below share one (`pool()`).
export { Pool };

/**
 * The default wall-clock budget of one job: a minute plus a second per MB of input (far
 * more than a conversion takes, so only a stuck or hostile file reaches it).
 */
export function defaultTimeLimit(bytes) {
  return 60_000 + Math.ceil(bytes / 1e6) * 1000;
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
 * metadata: {title, ...}, compression_level, thumbnail: embed a picture as the package's
 * thumbnail). Resolves, in input order, with `{name, files, blob, report, error, picture}`
 * per package; `onResult` sees each as it finishes. With `picture`, each also gets a PNG
 * (Blob) of its objects as placed, rendered after the package is done (so `onResult` comes
 * first, `onPicture(index, picture)` after); with `options.thumbnail` it is the thumbnail.
 * Aborting `signal` cancels what has not finished; finished results are kept. Each package
 * has `timeLimit(bytes)` milliseconds (default `defaultTimeLimit`); past it, it fails.
 * `pool`: a Pool of the host's to run in, instead of the shared one.
 */
export async function convert(files, options = {}, { onProgress, onResult, onPicture, picture = false, signal, merge = false, timeLimit = defaultTimeLimit, pool: own } = {}) {
  const p = own ?? pool();
  const tag = Symbol('batch');
  const groups = merge ? [files] : files.map((f) => [f]);
  const onAbort = () => p.cancel(tag);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      groups.map(async (group, index) => {
        const name = `${merge && options.metadata?.title ? options.metadata.title : stem(group[0].name)}.3mf`;
        const resultOf = (answer) => ({ name, files: group, blob: answer.blob ?? null, report: answer.report ?? null, error: errorOf(answer), picture: null });
        let early = null; // the package, when it came before its picture
        const answer = signal?.aborted
          ? { cancelled: true }
          : await p.run(
              { type: 'convert', files: group, options, picture },
              {
                tag,
                weight: group.reduce((n, f) => n + f.size, 0),
                timeLimit: timeLimit(group.reduce((n, f) => n + f.size, 0)),
                onProgress: (stage, done, total) => onProgress?.(index, stage, done, total),
                onPackage: (a) => onResult?.(index, (early = resultOf(a))),
              },
            );
        // A package that came is kept even if its picture then failed or was cancelled.
        const result = early ?? resultOf(answer);
        if (!early) onResult?.(index, result);
        result.picture = answer.picture ?? null;
        if (result.picture) onPicture?.(index, result.picture);
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
 * `{models, errors, roots}`: each model `{title, edited, files: [{root, path, target, kind,
 * presupported}], meta}` (`meta`: the metadata to write, each field with its source), to
 * review and edit before `exportModels`; `roots` names the folders and archives that the
 * files' `root` indices refer to.
 */
export async function planModels(files, paths = files.map((f) => f.webkitRelativePath || f.name)) {
  const answer = await pool().run({ type: 'plan', files, paths });
  if (answer.failed) throw new Error(answer.failed);
  return answer.report;
}

/**
 * A picture of one proposed model (its STL, OBJ and 3MF files, placed by
 * `options.convert.layout`) and its size: resolves with `{blob, size, errors}`: `blob` a
 * `pixels`-square PNG (null without meshes), `size` [x, y, z] in mm (or null). Queued behind
 * heavier work; `tag` lets `pool().cancel(tag)` drop it.
 */
export async function previewModel(files, paths, model, options = {}, { pixels = 192, tag } = {}) {
  const answer = await pool().run({ type: 'preview', files, paths, model, options, pixels }, { tag, timeLimit: 60_000 });
  if (answer.cancelled) return null;
  if (answer.failed) throw new Error(answer.failed);
  return { blob: answer.blob, ...answer.report };
}

/**
 * Writes `models` (from `planModels`, possibly edited) as one zip of model folders that
 * Manyfold imports with their metadata; pictures become WebP where the browser can encode
 * it. `options`: `{convert, creator, license, keywords}`. With `flat`, the one model's files
 * are at the zip's root instead of in its folder: the zip to upload to Manyfold as a model.
 * Resolves with `{blob, report}`.
 */
export async function exportModels(files, paths, models, options = {}, { timeLimit = defaultTimeLimit, flat = false } = {}) {
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const answer = await pool().run({ type: 'export', files, paths, models, options, flat }, { weight: Infinity, timeLimit: timeLimit(bytes) });
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

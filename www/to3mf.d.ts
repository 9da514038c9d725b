// Types of to3mf.js, the browser API, for pages that embed it. The settings and reports are
// the core's own (src/options.rs, src/report.rs, src/error.rs, and the Manyfold processor's
// plan and report), as the wasm bindings hand them over: a field the core leaves unset is
// `undefined` in a conversion's report and `null` in the Manyfold results.

/** The unit of the input coordinates; output is always millimetres. */
export type Unit = 'micron' | 'millimeter' | 'centimeter' | 'meter' | 'inch' | 'foot';

/** How objects are placed on the build plate. */
export type Layout = 'arrange' | 'keep' | 'assembly';

/** Package metadata, written as the 3MF core specification's well-known names. */
export interface Metadata {
  title?: string | null;
  designer?: string | null;
  description?: string | null;
  copyright?: string | null;
  license_terms?: string | null;
  rating?: string | null;
  /** For example `2026-11-23`. Unset by default, to keep output reproducible. */
  creation_date?: string | null;
  modification_date?: string | null;
}

/** Every setting of a conversion; a missing field takes its default. */
export interface Options {
  /** Default `'millimeter'`. */
  unit?: Unit;
  /** Default `'arrange'`. */
  layout?: Layout;
  /** Gap between arranged objects in millimetres; default 5. */
  spacing_mm?: number;
  /** What the package says of itself; a lone 3MF input fills the fields left empty with its own. */
  metadata?: Metadata;
  /** With no `metadata.title` and none in a lone input's own metadata, the file's name is the Title. */
  titleFromName?: boolean;
  /** Deflate level 0–9 for the model XML; default 1. */
  compression_level?: number;
  /** Ignored in the browser. */
  threads?: number;
  /** Largest number of triangles accepted in one input; default 500 000 000. */
  max_triangles?: number;
  /** Longest accepted text line in bytes (ASCII STL, OBJ); default 1 MiB. */
  max_line_bytes?: number;
  /** Largest 3MF package read as an input; default 2 GiB. */
  max_package_bytes?: number;
  /** Weld corners closer than about this many millimetres; default 0 (bit-identical only). */
  weld_tolerance_mm?: number;
  /** Embed a picture of the placed objects as `/Metadata/thumbnail.png`; default false. */
  thumbnail?: boolean;
}

/** Where in an input a problem was found. */
export type Position =
  | { kind: 'line'; at: number }
  | { kind: 'triangle'; at: number }
  | { kind: 'byte'; at: number }
  | { kind: 'entry'; at: { entry: string; byte: number } }
  | { kind: 'whole' };

/** An error of the core. */
export interface ErrorReport {
  code: 'io' | 'syntax' | 'non_finite' | 'truncated' | 'unsupported' | 'no_geometry' | 'limit' | 'usage';
  position: Position;
  /** The whole message, position included. */
  message: string;
}

/** A package that the page's workers, not the core, stopped. */
export interface StoppedError {
  /** Cancelled (`signal`), past its time limit, or its worker died (a panic, out of memory). */
  code: 'cancelled' | 'time_limit' | 'crashed';
  message: string;
}

/** An axis-aligned bounding box in millimetres. */
export interface Bounds {
  min: [number, number, number];
  max: [number, number, number];
}

/** How the edges of a mesh are shared. */
export interface EdgeStats {
  edges: number;
  /** Edges of one triangle only (holes). */
  boundary_edges: number;
  /** Edges of more than two triangles. */
  non_manifold_edges: number;
  /** Edges whose two triangles run them the same way (a flipped face). */
  orientation_conflicts: number;
  watertight: boolean;
}

/** One object of an input, as read and as written. */
export interface ObjectReport {
  name: string;
  triangles_read: number;
  triangles_written: number;
  /** Dropped because two or three corners are the same vertex. */
  dropped_degenerate: number;
  /** After welding. */
  vertices: number;
  /** As in the input, before placement; unset for an object with no triangle. */
  bounds?: Bounds | null;
  edges: EdgeStats;
  /** False when the object was left out (no triangle left). */
  written: boolean;
}

/** Everything about one input file. */
export interface InputReport {
  name: string;
  /** What the content was recognised as: `binary-stl`, `ascii-stl`, `obj` or `3mf`. */
  format: string;
  bytes: number;
  objects: ObjectReport[];
  /** Things the user should know that did not stop the conversion. */
  warnings: string[];
  /** Set when the input could not be converted; nothing of it was written. */
  error?: ErrorReport | null;
}

/** The account of one 3MF package. */
export interface Report {
  inputs: InputReport[];
  objects_written: number;
  /** The model XML before compression. */
  model_bytes: number;
  package_bytes: number;
  /** Set when no package was written (every input failed, or writing failed). */
  error?: ErrorReport | null;
}

/** One package of `convert`. */
export interface Result {
  /** `<stem of the first file>.3mf`, or `<metadata.title>.3mf` when merged with a title. */
  name: string;
  /** The files that went into it. */
  files: File[];
  /** The package, or null when none was written. */
  blob: Blob | null;
  /** Null when the package was stopped before the core reported. */
  report: Report | null;
  /** Why there is no package (an input's own error is in `report.inputs`); else null. */
  error: ErrorReport | StoppedError | null;
  /** A PNG of the objects as placed (asked for with `picture`, or the thumbnail); else null. */
  picture: Blob | null;
}

/** `stage` `'reading'` counts bytes of the current file, `'writing'` elements of the package. */
export type Progress = (index: number, stage: 'reading' | 'writing', done: number, total: number) => void;

export interface ConvertOptions {
  onProgress?: Progress;
  /** Each package as it finishes, with its index in the input order. */
  onResult?: (index: number, result: Result) => void;
  /** Also render a picture of each package, after it is done (`Result.picture`). */
  picture?: boolean;
  /** Each picture as it is ready, after its `onResult`. */
  onPicture?: (index: number, picture: Blob) => void;
  /** Aborting cancels what has not finished; finished results are kept. */
  signal?: AbortSignal;
  /** All files into one package, instead of one package per file. */
  merge?: boolean;
  /** Milliseconds a package may take for its input bytes; default `defaultTimeLimit`. */
  timeLimit?: (bytes: number) => number;
  /** A pool of the host's to run in, instead of the shared one. */
  pool?: Pool;
}

/** A minute plus a second per MB of input, in milliseconds. */
export function defaultTimeLimit(bytes: number): number;

/** Converts `files`: resolves in input order with one result per package. */
export function convert(files: File[], options?: Options, how?: ConvertOptions): Promise<Result[]>;

/** One ZIP (stored entries) of the given results' packages; those without a blob are left out. */
export function zip(results: Pick<Result, 'name' | 'blob'>[]): Promise<Blob>;

/** What the Manyfold processor makes of a file. */
export type FileKind = 'mesh' | 'threemf' | 'picture' | 'datapackage' | 'other';

/** A file of a proposed model: where it comes from and where it goes. */
export interface ModelFile {
  /** Index of its root (a top folder, an archive, or the loose files). */
  root: number;
  /** Its path in that root. */
  path: string;
  /** Its path inside the model folder. */
  target: string;
  kind: FileKind;
  /** A presupported variant (known from a folder or file name). */
  presupported: boolean;
}

/** Where a metadata value came from. */
export type MetaSource =
  | 'user' // typed by the user, per model or "for all"
  | '3mf' // a 3MF input's own metadata (Bambu Studio / MakerWorld: Title, Designer, License, Description)
  | 'readme' // a README
  | 'license-file' // LICENSE.txt, attribution.txt and the like
  | 'datapackage' // an existing datapackage.json
  | 'metadata-file' // another metadata file a download carries
  | 'folder'; // the folder, archive or file name; the pictures themselves (preview)

/**
 * One metadata value and its source. To change a field, set `{ value, source: 'user' }`;
 * `{ value: null, source: 'user' }` leaves the field out of what is written.
 */
export interface MetaField<T> {
  value: T | null;
  source: MetaSource;
}

/**
 * The metadata a model is written with, as `planModels` found it; `null` for a field nothing
 * gave. The export writes exactly this, after the "for all" values of `ProcessOptions`
 * (which fill only fields that are `null`, or, with `override_all`, replace every field whose
 * source is not `'user'`). Values Manyfold would refuse (a licence id outside its SPDX list, a
 * creator name without a Latin letter or digit, a title over 225 characters) are left out or
 * cut with a warning in the report.
 */
export interface ModelMeta {
  title: MetaField<string> | null;
  creator: MetaField<string> | null;
  /** An SPDX licence id. */
  license: MetaField<string> | null;
  /** Notes, Markdown. */
  description: MetaField<string> | null;
  tags: MetaField<string[]> | null;
  /** Where the model came from (a URL). */
  link: MetaField<string> | null;
  /** Collection names. */
  collections: MetaField<string[]> | null;
  sensitive: MetaField<boolean> | null;
  /** The preview picture: the `target` of one of the model's picture files. */
  preview: MetaField<string> | null;
}

/** A proposed model, to review and edit before writing it. */
export interface ModelPlan {
  /** The name its folder is made from (the folder, archive or file name, or the user's). */
  title: string;
  /** The title was typed by the user: nothing in the files replaces it. */
  edited?: boolean;
  files: ModelFile[];
  /** What will be written, field by field, with sources (missing: read from the files when writing). */
  meta?: ModelMeta;
}

export interface Plan {
  models: ModelPlan[];
  /** Files or archives that could not be read. */
  errors: string[];
  /** The names of the folders and archives that the files' `root` indices refer to. */
  roots?: string[];
}

/** What every model gets, besides what its files say. */
export interface ProcessOptions {
  /** The conversion of its meshes into the model's 3MF. */
  convert?: Options;
  creator?: string | null;
  /** An SPDX licence id Manyfold accepts; ignored with a warning when it is not one. */
  license?: string | null;
  keywords?: string[];
  /** Collection names. */
  collections?: string[];
  /** Mark every model sensitive. */
  sensitive?: boolean;
  /**
   * The values above replace what the models' files say (not a value set per model, source
   * `'user'`); without it they fill only models that have none.
   */
  override_all?: boolean;
  /** Re-encode 3MF inputs into the model's 3MF instead of keeping them byte for byte. */
  reencode_3mf?: boolean;
  /**
   * Write the 3MFs without a thumbnail; by default each has one: the model's own preview
   * picture when it is a small PNG, else a 3MF input's thumbnail, else a render.
   */
  no_thumbnail?: boolean;
}

/** What was written for one model. */
export interface ModelReport {
  title: string;
  /** Its folder name before a taken one was avoided (see `folders`). */
  slug: string;
  /** Paths inside the model folder. */
  files: string[];
  /** The conversion report of each mesh. */
  inputs: InputReport[];
  warnings: string[];
}

export interface SaveReport {
  models: ModelReport[];
  /** The folder each model went into, in order: its slug, or `slug-2`... when taken. */
  folders: string[];
}

export interface ExportReport extends SaveReport {
  /** Bytes of the zip. */
  size: number;
}

/**
 * Proposes Manyfold models for `files`; `paths` are their relative paths (default: each
 * file's `webkitRelativePath` or name).
 */
export function planModels(files: File[], paths?: string[]): Promise<Plan>;

/**
 * A picture of one proposed model's meshes (a `pixels`-square PNG) and its size in mm, made
 * in a worker; null when cancelled (`pool().cancel(tag)`).
 */
export function previewModel(
  files: File[],
  paths: string[],
  model: ModelPlan,
  options?: ProcessOptions,
  how?: { pixels?: number; tag?: unknown },
): Promise<{ blob: Blob | null; size: [number, number, number] | null; errors: string[] } | null>;

 * Writes `models` as one zip of model folders; pictures become WebP where possible. With
 * `flat`, the one model's files are at the zip's root (the zip to upload to Manyfold).
 */
export function exportModels(
  files: File[],
  paths: string[],
  models: ModelPlan[],
  options?: ProcessOptions,
  how?: { timeLimit?: (bytes: number) => number; flat?: boolean },
): Promise<{ blob: Blob; report: ExportReport }>;

/** Writes `models` into `dir`, one folder per model, never over an existing one. */
export function saveModels(
  dir: FileSystemDirectoryHandle,
  files: File[],
  paths: string[],
  models: ModelPlan[],
  options?: ProcessOptions,
): Promise<SaveReport>;

/** A request to a worker, as the functions above send them. */
export type WorkerRequest =
  | { type: 'convert'; files: File[]; options?: Options; picture?: boolean }
  | { type: 'zip'; blobs: Blob[]; names: string[] }
  | { type: 'plan'; files: File[]; paths: string[] }
  | { type: 'export'; files: File[]; paths: string[]; models: ModelPlan[]; options?: ProcessOptions }
  | { type: 'export-files'; files: File[]; paths: string[]; models: ModelPlan[]; options?: ProcessOptions; taken: string[] };

/** A worker's answer: the request's result, or why there is none. */
export type WorkerAnswer =
  | { blob: Blob | null; report: unknown; picture?: Blob | null }
  | { failed: string; timedOut?: true }
  | { cancelled: true };

/** A pool of conversion workers. */
export class Pool {
  /** Default: the machine's cores, from 1 to 4; `workerUrl`: worker.js beside this module. */
  constructor(size?: number, workerUrl?: string | URL);
  readonly size: number;
  /** Jobs that had a helper worker. */
  readonly helped: number;
  /** Once a worker is ready: the core's version and its source repository ('' if unset). */
  readonly about?: { version: string; repository: string };
  /** Resolves when at least one worker has its wasm ready. */
  whenReady(): Promise<void>;
  /** Runs one request; heavier jobs (`weight`, e.g. bytes) start first. */
  run(
    request: WorkerRequest,
    how?: {
      onProgress?: (stage: 'reading' | 'writing', done: number, total: number) => void;
      /** A 'convert' with `picture`: its package, before the picture. */
      onPackage?: (answer: { blob: Blob; report: unknown }) => void;
      tag?: unknown;
      weight?: number;
      timeLimit?: number;
    },
  ): Promise<WorkerAnswer>;
  /** Cancels queued and running jobs whose tag is `tag`. */
  cancel(tag: unknown): void;
  /** Stops every worker. */
  terminate(): void;
}

/** The pool the functions above use, created on first use (calling it starts the workers). */
export function pool(): Pool;

// Types of uppy.js, the Uppy preprocessor that converts STL and OBJ files to 3MF before upload.

import { BasePlugin, type Body, type Meta, type PluginOpts, type Uppy } from '@uppy/core';
import type { Layout } from './to3mf.js';

export interface To3mfOptions extends PluginOpts {
  /** File extensions to convert (lower case, no dot); default `['stl', 'obj']`. */
  formats?: string[];
  /** Placement of the objects; default `'arrange'`. */
  layout?: Layout;
  /** Upload the original too, beside its 3MF; default false (the 3MF replaces it). */
  keepOriginal?: boolean;
  /** Add a rendered `<name>-preview.png` per converted model when the upload holds no picture; default false. */
  preview?: boolean;
  /** A file that does not convert: `'upload'` it unchanged with a warning (default), or `'remove'` it with its message. */
  onError?: 'upload' | 'remove';
  /** Where the host serves worker.js (with helper.js, io.js, manyfold.js, pkg/ and pkgfull/ beside it), when a
   * bundler has moved this module away from it; default: beside to3mf.js. */
  workerUrl?: string | URL | null;
  /** Milliseconds a file may take for its input bytes; default `defaultTimeLimit` of to3mf.js. */
  timeLimit?: (bytes: number) => number;
  /** How long a warning or error stays in Uppy's informer, in milliseconds; default 10 000. */
  messageDuration?: number;
}

/**
 * The Uppy plugin (a preprocessor). Emits `preprocess-progress` and `preprocess-complete` per
 * converted file, and `to3mf:converted` (file, report: the conversion's `Report` of to3mf.js)
 * or `to3mf:failed` (file, message, `'uploaded' | 'removed'`).
 */
export default class To3mf<M extends Meta = Meta, B extends Body = Body> extends BasePlugin<To3mfOptions, M, B> {
  static VERSION: string;
  constructor(uppy: Uppy<M, B>, opts?: To3mfOptions);
  install(): void;
  uninstall(): void;
  /** The preprocessor Uppy runs before the upload. */
  prepare(fileIDs: string[], uploadID: string): Promise<void>;
}

export { To3mf };

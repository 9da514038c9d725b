// What the page's parts share: element lookup and making, sizes, downloads, the status line,
// the time-limit setting, and a signal that the buttons' state may have changed.

import { defaultTimeLimit } from './to3mf.js';

export const $ = (id) => document.getElementById(id);
export const statusEl = $('status');

/** Fires `change` when rows or models come or go, so app.js can update its buttons. */
export const changed = new EventTarget();
export const notifyChanged = () => changed.dispatchEvent(new Event('change'));

/** A file size as people read it: real bytes under 1 KB (so 0 and 42 bytes say so). */
export function size(bytes) {
  if (bytes < 1000) return `${bytes} byte${bytes === 1 ? '' : 's'}`;
  if (bytes < 1e6) return `${count(Number((bytes / 1e3).toPrecision(bytes < 1e4 ? 2 : 3)))} KB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${count(Number((bytes / 1e9).toFixed(2)))} GB`;
}

/** A number with thousands separators. */
export const count = (n) => n.toLocaleString('en');

export function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function download(name, blob) {
  const url = URL.createObjectURL(blob);
  const a = el('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The placement setting for `files`: "automatic" keeps 3MF files' own arrangement (an
 * assembled model's parts stay together) and arranges anything else. */
export function layoutFor(files) {
  const v = $('layout').value;
  if (v !== 'auto') return v;
  return files.length > 0 && files.every((f) => /\.3mf$/i.test(f.name)) ? 'keep' : 'arrange';
}

/** The time limit setting as a function of a job's input bytes (ms). */
export function timeLimit() {
  const v = $('time-limit').value;
  if (v === 'auto') return defaultTimeLimit;
  return () => (v === 'none' ? Infinity : Number(v) * 1000);
}

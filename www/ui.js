// What the page's parts share: element lookup and making, sizes, downloads, the status line,
// the time-limit setting, and a signal that the buttons' state may have changed.

import { defaultTimeLimit } from './to3mf.js';

export const $ = (id) => document.getElementById(id);
export const statusEl = $('status');

/** Fires `change` when rows or models come or go, so app.js can update its buttons. */
export const changed = new EventTarget();
export const notifyChanged = () => changed.dispatchEvent(new Event('change'));

export function size(bytes) {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

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

/** The time limit setting as a function of a job's input bytes (ms). */
export function timeLimit() {
  const v = $('time-limit').value;
  if (v === 'auto') return defaultTimeLimit;
  return () => (v === 'none' ? Infinity : Number(v) * 1000);
}

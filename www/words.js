// What the page says about a result: an error in plain words (the core's exact message goes
// under "Details"), and a model's size with a flag when it is unlikely in millimetres.

import { count } from './ui.js';

/** The core's units (Options.unit), in words. */
export const UNITS = {
  micron: 'micrometres',
  millimeter: 'millimetres',
  centimeter: 'centimetres',
  meter: 'metres',
  inch: 'inches',
  foot: 'feet',
};
const TO_MM = { micron: 0.001, millimeter: 1, centimeter: 10, meter: 1000, inch: 25.4, foot: 304.8 };

/**
 * `{headline, advice}` for an error report (`{code, message}`) of the file `name`: what
 * happened and what to do, without the core's jargon.
 */
export function plainError(error, name = '') {
  const ext = name.split('.').pop().toLowerCase();
  switch (error.code) {
    case 'syntax':
    case 'truncated':
    case 'non_finite':
      return { headline: 'This file is damaged or is not a 3D model.', advice: 'Export it again from the program that made it, or download it again.' };
    case 'unsupported':
      // A .3mf or .obj that is neither: what its name promised, never that it is no STL.
      if (ext === '3mf' || ext === 'obj') {
        return { headline: 'This file is damaged or is not a 3D model.', advice: `Its name says ${ext.toUpperCase()}, but it holds no ${ext.toUpperCase()} model: download or export it again.` };
      }
      return { headline: 'This is not a file to3mf can convert.', advice: 'It converts STL, OBJ and 3MF files; the details say what this one is.' };
    case 'no_geometry':
      return { headline: 'This file holds no 3D shape.', advice: 'It is empty, or every triangle in it is too thin to print.' };
    case 'limit':
      return { headline: 'This file is bigger or deeper than to3mf accepts.', advice: 'The limit protects your device from hostile files; the details say which limit.' };
    case 'io':
      return { headline: 'The file could not be read.', advice: 'It may have been moved, changed or deleted since you picked it: pick it again.' };
    case 'time_limit':
      return { headline: 'This file took too long and was stopped.', advice: 'Choose a longer time limit in the settings and try again.' };
    case 'crashed':
      return { headline: 'The converter stopped on this file.', advice: 'It may need more memory than this page has: close other tabs and try again, or use the command-line tool.' };
    default:
      return { headline: 'This file could not be converted.', advice: '' };
  }
}

const mm = (v) => (v >= 100 ? Math.round(v) : Number(v.toPrecision(3))).toLocaleString('en');

/**
 * The size of a row's objects in millimetres (one object's box; with several, side by side,
 * the largest one's, else the box of all), and, if its largest side is under 3 mm or over
 * 1 m, a warning with the likely units (those of `units` that make it a printable size):
 * `{text, warning, fixes: [{unit, label}]}`, or null without any box.
 */
export function sizeCheck(objects, layout, unit) {
  const boxes = objects.map((o) => o.bounds).filter(Boolean);
  if (boxes.length === 0) return null;
  const extent = (b) => [0, 1, 2].map((k) => b.max[k] - b.min[k]);
  let dims;
  let what = '';
  if (boxes.length === 1 || layout !== 'arrange') {
    const min = [0, 1, 2].map((k) => Math.min(...boxes.map((b) => b.min[k])));
    const max = [0, 1, 2].map((k) => Math.max(...boxes.map((b) => b.max[k])));
    dims = extent({ min, max });
  } else {
    dims = boxes.map(extent).reduce((a, b) => (Math.max(...b) > Math.max(...a) ? b : a));
    what = 'largest object ';
  }
  const text = `Size: ${what}${dims.map(mm).join(' × ')} mm`;
  const largest = Math.max(...dims);
  if (largest >= 3 && largest <= 1000) return { text, warning: null, fixes: [] };
  const small = largest < 3;
  const candidates = small
    ? [['meter', '×1000'], ['inch', '×25.4'], ['centimeter', '×10']]
    : [['micron', '÷1000']];
  const from = TO_MM[unit] ?? 1;
  const fixes = [];
  for (const [to, label] of candidates) {
    const factor = TO_MM[to] / from;
    if (to === unit || factor === 1) continue;
    const scaled = largest * factor;
    fixes.push({ unit: to, label, likely: scaled >= 3 && scaled <= 1000 });
  }
  // The likely ones, or every one when none gives a printable size.
  const shown = fixes.some((f) => f.likely) ? fixes.filter((f) => f.likely) : fixes;
  const across = `${mm(largest)} mm`;
  const warning = small
    ? `This model is only ${across} across: too small to print. It was probably made in another unit.`
    : `This model is ${across} (${count(Math.round(largest / 10) / 100)} m) across: bigger than a printer. It was probably made in a smaller unit.`;
  return { text, warning, fixes: shown };
}

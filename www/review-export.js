// Manyfold mode's export: one zip of model folders (to unpack into a library), one zip per
// model (to upload), or straight into a library folder where the browser allows it.

import { exportModels, saveModels } from './to3mf.js';
import { $, download, layoutFor, statusEl, timeLimit } from './ui.js';
import { forAll, forAllChanged } from './review-meta.js';
import { modelsForExport, staged } from './review.js';

const plural = (n, what) => `${n} ${what}${n === 1 ? '' : 's'}`;

function processOptions() {
  // The produced 3MFs carry today's date as their CreationDate.
  const metadata = { creation_date: new Date().toISOString().slice(0, 10) };
  const no_thumbnail = !$('thumbnail').checked;
  return { convert: { layout: layoutFor([]), metadata }, ...forAll(), reencode_3mf: $('reencode').checked, no_thumbnail };
}

function warningsOf(reports) {
  const warnings = reports.flatMap((r) => r.warnings);
  return warnings.length ? ` Warnings: ${warnings.join('; ')}` : '';
}

async function exportStaged(perModel) {
  const models = modelsForExport();
  const groups = perModel ? models.map((m) => [m]) : [models];
  statusEl.textContent = 'Exporting…';
  const reports = [];
  try {
    for (const group of groups) {
      const { blob, report } = await exportModels(staged.files, staged.paths, group, processOptions(), { timeLimit: timeLimit(), flat: perModel });
      download(perModel ? `${report.folders[0]}.zip` : 'manyfold-models.zip', blob);
      reports.push(...report.models);
      statusEl.textContent = `Exported ${plural(reports.length, 'model')}${perModel ? ` in ${plural(reports.length, 'zip')}` : ''}…`;
    }
    statusEl.textContent = `Exported ${plural(reports.length, 'model')}${perModel ? `, one zip each` : ''}.${warningsOf(reports)}`;
  } catch (e) {
    statusEl.textContent = `Export failed${reports.length ? ` after ${plural(reports.length, 'model')}` : ''}: ${e.message}`;
  }
}

$('export-zip').addEventListener('click', () => exportStaged(false));
$('export-each').addEventListener('click', () => exportStaged(true));
for (const id of ['creator', 'license', 'keywords', 'collections', 'sensitive', 'override-all']) {
  $(id).addEventListener('input', () => forAllChanged(staged.models));
}

// Straight into a folder (a Manyfold library share, say), where the browser allows it.
if ('showDirectoryPicker' in window) {
  $('export-folder-choice').hidden = false;
  $('export-folder').addEventListener('click', async () => {
    let dir;
    try {
      dir = await window.showDirectoryPicker({ mode: 'readwrite' });
    } catch {
      return; // the user closed the picker
    }
    statusEl.textContent = 'Saving…';
    try {
      const report = await saveModels(dir, staged.files, staged.paths, modelsForExport(), processOptions());
      const renamed = report.models
        .map((m, i) => (report.folders[i] !== m.slug ? `“${m.title}” went into ${report.folders[i]}/ because ${m.slug}/ exists` : null))
        .filter(Boolean);
      statusEl.textContent = `Saved ${plural(report.models.length, 'model')} into ${dir.name}.${renamed.length ? ` ${renamed.join('; ')}.` : ''}${warningsOf(report.models)}`;
    } catch (e) {
      statusEl.textContent = `Saving failed: ${e.message}`;
    }
  });
}

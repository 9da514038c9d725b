// Manyfold mode: the proposed models, reviewed and edited by the user, then exported as
// zips or saved into a folder.

import { exportModels, planModels, saveModels } from './to3mf.js';
import { $, download, el, notifyChanged, statusEl, timeLimit } from './ui.js';

/** The files dropped in Manyfold mode and the models proposed for them. */
export const staged = { files: [], paths: [], models: [] };
const KIND = { mesh: '3D model', threemf: '3MF project', picture: 'picture', datapackage: 'metadata', other: 'file' };

export async function review(files, paths) {
  staged.files.push(...files);
  staged.paths.push(...paths);
  statusEl.textContent = 'Looking at the files…';
  try {
    const { models, errors } = await planModels(staged.files, staged.paths);
    staged.models = models;
    renderModels();
    notifyChanged();
    statusEl.textContent = `${models.length} model${models.length === 1 ? '' : 's'} proposed.${errors.length ? ` ${errors.join(' ')}` : ''}`;
  } catch (e) {
    statusEl.textContent = `Could not read the files: ${e.message}`;
  }
}

export function renderModels() {
  $('review').hidden = staged.models.length === 0;
  const box = $('models');
  box.replaceChildren();
  staged.models.forEach((model, m) => {
    const card = el('article', 'model');
    const title = el('input', 'title');
    title.value = model.title;
    title.setAttribute('aria-label', `Title of model ${m + 1}`);
    title.addEventListener('input', () => {
      model.title = title.value;
      model.edited = true;
    });
    card.append(title);
    const list = el('ul');
    model.files.forEach((file, i) => {
      const li = el('li');
      li.append(el('span', '', file.target), el('span', 'kind', KIND[file.kind] ?? 'file'));
      const move = el('select');
      move.setAttribute('aria-label', `Where ${file.target} goes`);
      staged.models.forEach((other, o) => move.append(new Option(o === m ? 'Keep here' : `Move to “${other.title}”`, String(o))));
      move.append(new Option('Move to a new model', 'new'), new Option('Leave out', 'out'));
      move.value = String(m);
      move.addEventListener('change', () => {
        model.files.splice(i, 1);
        if (move.value === 'new') staged.models.push({ title: file.target.replace(/\.[^.]+$/, ''), edited: true, files: [file] });
        else if (move.value !== 'out') staged.models[Number(move.value)].files.push(file);
        staged.models = staged.models.filter((x) => x.files.length > 0);
        renderModels();
      });
      li.append(move);
      list.append(li);
    });
    card.append(list);
    box.append(card);
  });
}

function processOptions() {
  const creator = $('creator').value.trim();
  const license = $('license').value.trim();
  const keywords = $('keywords').value.split(',').map((k) => k.trim()).filter(Boolean);
  // The produced 3MFs carry today's date as their CreationDate.
  const metadata = { creation_date: new Date().toISOString().slice(0, 10) };
  return {
    convert: { layout: $('layout').value, metadata },
    creator: creator || null, license: license || null, keywords, reencode_3mf: $('reencode').checked,
  };
}

async function exportStaged(perModel) {
  const groups = perModel ? staged.models.map((m) => [m]) : [staged.models];
  statusEl.textContent = 'Exporting…';
  try {
    for (const models of groups) {
      const { blob, report } = await exportModels(staged.files, staged.paths, models, processOptions(), { timeLimit: timeLimit(), flat: perModel });
      download(perModel ? `${report.folders[0]}.zip` : 'manyfold-models.zip', blob);
      const warnings = report.models.flatMap((r) => r.warnings);
      statusEl.textContent = `Exported ${report.models.length} model${report.models.length === 1 ? '' : 's'}.${warnings.length ? ` Warnings: ${warnings.join('; ')}` : ''}`;
    }
  } catch (e) {
    statusEl.textContent = `Export failed: ${e.message}`;
  }
}
$('export-zip').addEventListener('click', () => exportStaged(false));
// Straight into a folder (a Manyfold library share, say), where the browser allows it.
if ('showDirectoryPicker' in window) {
  $('export-folder').hidden = false;
  $('export-folder').addEventListener('click', async () => {
    let dir;
    try {
      dir = await window.showDirectoryPicker({ mode: 'readwrite' });
    } catch {
      return; // the user closed the picker
    }
    statusEl.textContent = 'Saving…';
    try {
      const report = await saveModels(dir, staged.files, staged.paths, staged.models, processOptions());
      const renamed = report.models
        .map((m, i) => (report.folders[i] !== m.slug ? `“${m.title}” went into ${report.folders[i]}/ because ${m.slug}/ exists` : null))
        .filter(Boolean);
      statusEl.textContent = `Saved ${report.models.length} model${report.models.length === 1 ? '' : 's'} into ${dir.name}.${renamed.length ? ` ${renamed.join('; ')}.` : ''}`;
    } catch (e) {
      statusEl.textContent = `Saving failed: ${e.message}`;
    }
  });
}
$('export-each').addEventListener('click', () => exportStaged(true));

export function clearReview() {
  staged.files.length = 0;
  staged.paths.length = 0;
  staged.models = [];
  renderModels();
}

// Files from drag and drop: folders are read recursively, with each file's path inside them.

import { isMesh } from './formats.js';

// Folder entries from drag and drop, read recursively.
async function entriesToFiles(entry, path, out, paths = []) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    out.push(file);
    paths.push(`${path}${file.name}`);
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const e of batch) await entriesToFiles(e, `${path}${entry.name}/`, out, paths);
    }
  }
}

export async function fromDrop(dataTransfer) {
  const files = [];
  const paths = [];
  let skipped = 0;
  const entries = [...dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (entries.length === 0) {
    const all = [...dataTransfer.files];
    return { files: all, paths: all.map((f) => f.name), skipped, all, allPaths: all.map((f) => f.name) };
  }
  const all = [];
  const allPaths = [];
  for (const entry of entries) {
    if (entry.isDirectory) {
      const inside = [];
      const insidePaths = [];
      await entriesToFiles(entry, '', inside, insidePaths);
      inside.forEach((f, i) => {
        all.push(f);
        allPaths.push(insidePaths[i]);
        if (isMesh(f.name)) {
          files.push(f);
          paths.push(insidePaths[i]);
        } else skipped++;
      });
    } else {
      // A single dropped file is always tried: the core recognises it by content and says
      // what it is if it is not a mesh.
      const before = files.length;
      await entriesToFiles(entry, '', files, paths);
      all.push(...files.slice(before));
      allPaths.push(...paths.slice(before));
    }
  }
  return { files, paths, skipped, all, allPaths };
}

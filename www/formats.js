// The mesh formats the core reads, by file extension: what the page converts from a folder
// and offers in the file picker. Keep the list on one line in this form: a Rust test checks
// that it names exactly the extensions of the core's `Format` enum.
export const MESH_EXTENSIONS = ['stl', 'obj', '3mf'];

const MESH = new RegExp(`\\.(${MESH_EXTENSIONS.join('|')})$`, 'i');

/** Whether a file's name has a mesh extension. */
export const isMesh = (name) => MESH.test(name);

/** The formats as a sentence says them: "STL, OBJ or 3MF". */
export const MESH_NAMES = MESH_EXTENSIONS.map((e) => e.toUpperCase()).join(', ').replace(/, ([^,]*)$/, ' or $1');

/** A file input's `accept`: each extension and its media type (`.stl`, `model/stl`...). */
export const MESH_ACCEPT = [...MESH_EXTENSIONS.map((e) => `.${e}`), ...MESH_EXTENSIONS.map((e) => `model/${e}`)].join(',');

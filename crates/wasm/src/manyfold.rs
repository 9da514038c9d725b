//! Bindings for the Manyfold processor: propose models for dropped files and archives, then
//! export the (reviewed) models as one zip of model folders.

use std::io::Read;

use to3mf::manyfold::archive::{list_archive, Archive, ArchiveLimits};
use to3mf::manyfold::datapackage::model_slug;
use to3mf::manyfold::folder::{write_model, Consume, ProcessOptions, Sink, ZipSink};
use to3mf::manyfold::gather::gather;
use to3mf::manyfold::plan::{plan, ModelFile, ModelPlan, Root};
use to3mf::manyfold::roots::{group, Dropped, DroppedKind, Folder, RootSource};
use wasm_bindgen::prelude::*;

use crate::io::{reader, ChunkOut, FileRead};

/// Where a root's files are: the dropped files themselves, or entries of one archive (kept
/// open, with its nested archives, for all the files read from it).
type Source = RootSource<Box<Archive<FileRead<'static>>>>;

/// Progress of reads nobody watches.
fn quiet(_: &str, _: f64, _: f64) {}

fn files_and_paths(files: &js_sys::Array, paths: &js_sys::Array) -> Result<(Vec<web_sys::File>, Vec<String>), JsValue> {
    let files: Vec<web_sys::File> = files
        .iter()
        .map(|f| f.dyn_into())
        .collect::<Result<_, _>>()
        .map_err(|_| JsError::new("files must be File objects"))?;
    let paths: Vec<String> = paths
        .iter()
        .map(|p| p.as_string())
        .collect::<Option<_>>()
        .ok_or_else(|| JsError::new("paths must be strings"))?;
    if files.len() != paths.len() {
        return Err(JsError::new("one path per file").into());
    }
    Ok((files, paths))
}

/// Plain JS objects (not `Map`s) for JSON values.
fn to_js(value: &serde_json::Value) -> Result<JsValue, JsValue> {
    use serde::Serialize;
    Ok(value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(|e| JsError::new(&e.to_string()))?)
}

/// Roots as the core groups them: a path with folders belongs to the folder root of its top
/// folder, a `.zip` or `.7z` is an archive root, anything else is loose.
fn roots(
    files: &[web_sys::File],
    paths: &[String],
    errors: &mut Vec<String>,
) -> Result<(Vec<Root>, Vec<Source>), JsValue> {
    let rd = reader()?;
    // A path's top folder is the folder it was dropped in (folder picks and drops keep it).
    let mut tops: Vec<String> = Vec::new();
    let mut folder = |path: &str| {
        let (top, _) = path.split_once('/')?;
        let id = tops.iter().position(|t| t == top).unwrap_or_else(|| {
            tops.push(top.to_string());
            tops.len() - 1
        });
        Some(Folder { id, name: top.to_string() })
    };
    let dropped: Vec<Dropped> = files
        .iter()
        .zip(paths)
        .map(|(file, path)| Dropped {
            folder: folder(path),
            path: path.clone(),
            size: file.size() as u64,
            kind: DroppedKind::of(path, None),
        })
        .collect();
    let roots = group(dropped, |i, d| {
        let (root, archive) = list_archive(
            &d.path,
            FileRead::new(files[i].clone().into(), rd.clone(), &quiet),
            &ArchiveLimits::default(),
        )?;
        errors.extend(archive.warnings.iter().cloned());
        Ok((root, Box::new(archive)))
    });
    errors.extend(roots.errors);
    Ok((roots.roots, roots.sources))
}

/// Proposes models for `files` (File[]) named by `paths` (relative paths: folder picks and
/// drops keep their folders). Returns `{ models, errors }`; `models` is the core's
/// `ModelPlan` list, to show, edit and hand back to `exportModels`. Each model's `meta` holds
/// the metadata its files give (READMEs, licence texts, 3MF metadata, an old
/// datapackage.json), each field with its source: what the export writes.
#[wasm_bindgen(js_name = planModels)]
pub fn plan_models(files: js_sys::Array, paths: js_sys::Array) -> Result<JsValue, JsValue> {
    let (files, paths) = files_and_paths(&files, &paths)?;
    let mut errors = Vec::new();
    let (roots, mut sources) = roots(&files, &paths, &mut errors)?;
    let mut models = plan(&roots);
    let (rd, none) = (reader()?, js_sys::Map::new());
    let mut open = open_with(&files, &mut sources, &none, &rd);
    for m in &mut models {
        let warnings = gather(m, &mut open);
        errors.extend(warnings.into_iter().map(|w| format!("{}: {w}", m.title)));
    }
    // The roots' names let the page tell files apart across plans (a root's index can move
    // when more files are added).
    let names: Vec<&str> = roots.iter().map(|r| r.name.as_str()).collect();
    to_js(&serde_json::json!({ "models": models, "errors": errors, "roots": names }))
}

/// A picture of one proposed model's meshes (STL, OBJ and 3MF files, placed by
/// `options.convert.layout`) and their size: `{ png: Uint8Array | null, size: [x, y, z] |
/// null, errors }`, `size` in millimetres; `png` is `pixels` square. Files that cannot be read
/// are listed in `errors` and left out of the picture.
#[wasm_bindgen(js_name = previewModel)]
pub fn preview_model(
    files: js_sys::Array,
    paths: js_sys::Array,
    model: JsValue,
    options: JsValue,
    pixels: u32,
) -> Result<JsValue, JsValue> {
    use to3mf::manyfold::plan::FileKind;
    let pixels = pixels.clamp(16, 1024);
    let (files, paths) = files_and_paths(&files, &paths)?;
    let model: ModelPlan =
        serde_wasm_bindgen::from_value(model).map_err(|e| JsError::new(&format!("invalid model: {e}")))?;
    let options = process_options(options)?.convert;
    let (_, mut sources) = roots(&files, &paths, &mut Vec::new())?;
    let (rd, none) = (reader()?, js_sys::Map::new());
    let mut open = open_with(&files, &mut sources, &none, &rd);
    let (mut meshes, mut errors) = (Vec::new(), Vec::new());
    for f in model.files.iter().filter(|f| matches!(f.kind, FileKind::Mesh | FileKind::ThreeMf)) {
        let mut read = None;
        let opened = open(f, &mut |r: &mut dyn Read, size| {
            read = Some(to3mf::read_input(&f.target, r, size, &options));
            Ok(())
        });
        match opened.map(|_| read.expect("open calls back")) {
            Ok(Ok(input)) => meshes.extend(input.meshes),
            Ok(Err(e)) | Err(e) => errors.push(format!("{}: {e}", f.target)),
        }
    }
    let all: Vec<&to3mf::Mesh> = meshes.iter().collect();
    let placed = to3mf::write::layout::placements(&all, options.layout, options.spacing_mm)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let (mut lo, mut hi) = ([f32::MAX; 3], [f32::MIN; 3]);
    for (m, t) in all.iter().zip(&placed) {
        if let Some(b) = m.bounds() {
            for k in 0..3 {
                lo[k] = lo[k].min(b.min[k] + t[k]);
                hi[k] = hi[k].max(b.max[k] + t[k]);
            }
        }
    }
    let size = (lo[0] <= hi[0]).then(|| [hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]]);
    let scene: Vec<(&to3mf::Mesh, [f32; 3])> = all.iter().copied().zip(placed).collect();
    let png = size.map(|_| js_sys::Uint8Array::from(&to3mf::write::thumbnail::render_png(&scene, pixels)[..]));
    let out = to_js(&serde_json::json!({ "size": size, "errors": errors }))?;
    js_sys::Reflect::set(&out, &"png".into(), &png.map_or(JsValue::NULL, JsValue::from))?;
    Ok(out)
}

fn open_with<'a>(
    files: &'a [web_sys::File],
    sources: &'a mut [Source],
    overrides: &'a js_sys::Map,
    rd: &'a web_sys::FileReaderSync,
) -> impl FnMut(&ModelFile, &mut Consume) -> to3mf::Result<()> + 'a {
    move |f, consume| {
        let key = format!("{}\u{0}{}", f.root, f.path);
        if let Ok(blob) = overrides.get(&key.into()).dyn_into::<web_sys::Blob>() {
            let size = blob.size() as u64;
            return consume(&mut FileRead::new(blob, rd.clone(), &quiet), Some(size));
        }
        let missing = || to3mf::Error::from(std::io::Error::other(format!("{}: not among the files", f.path)));
        match sources.get_mut(f.root).ok_or_else(missing)? {
            RootSource::Archive(archive) => archive.read(&f.path, consume),
            inputs => {
                let file = &files[inputs.input(&f.path).ok_or_else(missing)?];
                consume(&mut FileRead::new(file.clone().into(), rd.clone(), &quiet), Some(file.size() as u64))
            }
        }
    }
}

/// The bytes of one file of a plan (for pictures to re-encode in JS).
#[wasm_bindgen(js_name = extractFile)]
pub fn extract_file(
    files: js_sys::Array,
    paths: js_sys::Array,
    root: usize,
    path: String,
) -> Result<js_sys::Uint8Array, JsValue> {
    let (files, paths) = files_and_paths(&files, &paths)?;
    let (_, mut sources) = roots(&files, &paths, &mut Vec::new())?;
    let (rd, none) = (reader()?, js_sys::Map::new());
    let mut open = open_with(&files, &mut sources, &none, &rd);
    let mut bytes = Vec::new();
    let file = ModelFile {
        root,
        path,
        target: String::new(),
        kind: to3mf::manyfold::plan::FileKind::Other,
        presupported: false,
    };
    open(&file, &mut |r: &mut dyn Read, _| {
        r.read_to_end(&mut bytes)?;
        Ok(())
    })
    .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(js_sys::Uint8Array::from(&bytes[..]))
}

/// Hands each written file to a JS callback `(path, Uint8Array)`, for writing into a folder
/// the user picked.
struct FileCallback {
    on_file: js_sys::Function,
    folder: String,
}

impl Sink for FileCallback {
    fn put(
        &mut self,
        path: &str,
        write: &mut dyn FnMut(&mut dyn std::io::Write) -> to3mf::Result<()>,
    ) -> to3mf::Result<()> {
        let mut bytes = Vec::new();
        write(&mut bytes)?;
        let full = format!("{}/{}", self.folder, to3mf::manyfold::folder::safe_path(path));
        self.on_file
            .call2(&JsValue::NULL, &full.into(), &js_sys::Uint8Array::from(&bytes[..]))
            .map_err(|e| std::io::Error::other(format!("onFile failed: {e:?}")))?;
        Ok(())
    }
}

/// Like `exportModels`, but hands every file to `onFile(path, bytes)` (paths start with the
/// model's folder) instead of building a zip. `taken` lists folder names already used in the
/// destination, which get a `-2`, `-3`... suffix instead. Returns `{ models, folders }`.
#[wasm_bindgen(js_name = exportModelFiles)]
#[allow(clippy::too_many_arguments)]
pub fn export_model_files(
    files: js_sys::Array,
    paths: js_sys::Array,
    models: JsValue,
    options: JsValue,
    overrides: js_sys::Map,
    taken: js_sys::Array,
    on_file: js_sys::Function,
) -> Result<JsValue, JsValue> {
    let Export { files, models, options, mut sources, rd } = Export::new(files, paths, models, options)?;
    let mut open = open_with(&files, &mut sources, &overrides, &rd);
    let mut used: Vec<String> = taken.iter().filter_map(|t| t.as_string()).collect();
    let (mut reports, mut folders) = (Vec::new(), Vec::new());
    for m in models.iter().filter(|m| !m.files.is_empty()) {
        let folder = free_folder(&m.title, &mut used);
        let mut sink = FileCallback { on_file: on_file.clone(), folder: folder.clone() };
        reports.push(
            write_model(m, &mut open, &mut sink, &options).map_err(|e| JsError::new(&format!("{}: {e}", m.title)))?,
        );
        folders.push(folder);
    }
    to_js(&serde_json::json!({ "models": reports, "folders": folders }))
}

/// What both exports start from.
struct Export {
    files: Vec<web_sys::File>,
    models: Vec<ModelPlan>,
    options: ProcessOptions,
    sources: Vec<Source>,
    rd: web_sys::FileReaderSync,
}

impl Export {
    fn new(files: js_sys::Array, paths: js_sys::Array, models: JsValue, options: JsValue) -> Result<Export, JsValue> {
        let (files, paths) = files_and_paths(&files, &paths)?;
        let models =
            serde_wasm_bindgen::from_value(models).map_err(|e| JsError::new(&format!("invalid models: {e}")))?;
        let options = process_options(options)?;
        let (_, sources) = roots(&files, &paths, &mut Vec::new())?;
        Ok(Export { files, models, options, sources, rd: reader()? })
    }
}

fn process_options(options: JsValue) -> Result<ProcessOptions, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(ProcessOptions::default());
    }
    Ok(serde_wasm_bindgen::from_value(options).map_err(|e| JsError::new(&format!("invalid options: {e}")))?)
}

/// The model's slug, or `slug-2`, `slug-3`... when taken (in any case).
fn free_folder(title: &str, used: &mut Vec<String>) -> String {
    let folder = to3mf::unique_name(&model_slug(title), |f| used.iter().any(|u| u.eq_ignore_ascii_case(f)));
    used.push(folder.clone());
    folder
}

/// Writes `models` (as `planModels` gave them, possibly edited) into one zip of model folders,
/// handed to `onChunk` in pieces, each with exactly the metadata its `meta` says. `options`:
/// `{ convert, creator, license, keywords, collections, sensitive, override_all }`.
/// `overrides` maps `root + "\0" + path` to a Blob to use instead of the file (re-encoded
/// pictures). With `flat`, the one model's files are at the zip's root, as Manyfold's upload
/// needs them (it strips no folder from a zip without directory entries). Returns
/// `{ models: [report], size, folders }`.
#[wasm_bindgen(js_name = exportModels)]
pub fn export_models(
    files: js_sys::Array,
    paths: js_sys::Array,
    models: JsValue,
    options: JsValue,
    overrides: js_sys::Map,
    flat: bool,
    on_chunk: js_sys::Function,
) -> Result<JsValue, JsValue> {
    let Export { files, models, options, mut sources, rd } = Export::new(files, paths, models, options)?;
    if flat && models.iter().filter(|m| !m.files.is_empty()).count() > 1 {
        return Err(JsError::new("a zip with the files at its root holds one model").into());
    }
    let mut open = open_with(&files, &mut sources, &overrides, &rd);
    let mut zip = ZipSink::new(std::io::BufWriter::with_capacity(1 << 20, ChunkOut(on_chunk)));
    let mut reports = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    for m in models.iter().filter(|m| !m.files.is_empty()) {
        let folder = free_folder(&m.title, &mut taken);
        zip.set_folder(if flat { "" } else { &folder });
        reports.push(
            write_model(m, &mut open, &mut zip as &mut dyn Sink, &options)
                .map_err(|e| JsError::new(&format!("{}: {e}", m.title)))?,
        );
    }
    let (_, size) = zip.finish().map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&serde_json::json!({ "models": reports, "size": size, "folders": taken }))
}

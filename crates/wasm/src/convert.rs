//! The plain conversion (`File`s in, the package out in pieces as it is written), the zip of
//! finished packages, the warm-up, and what every conversion shares: options from JS and
//! the result handed back.

use wasm_bindgen::prelude::*;

use crate::io::{inputs, reader, ChunkOut, FileRead};

/// The core's `Options` from a plain JS object (missing fields take their defaults).
pub(crate) fn options(value: JsValue) -> Result<to3mf::Options, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(to3mf::Options::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("invalid options: {e}")))
}

/// The result handed to JS: `{ package: null, report }` (the package went out in pieces).
/// When no package could be written, a JS `Error` is thrown instead, with the message of
/// the first failure and the same `report` (and its `code`) as properties, so callers can
/// show every input's error.
pub(crate) fn result(report: &to3mf::Report) -> Result<JsValue, JsValue> {
    let report_js = serde_wasm_bindgen::to_value(report).map_err(|e| JsError::new(&e.to_string()))?;
    if let Some(error) = &report.error {
        let first = report.inputs.iter().find_map(|i| i.error.as_ref().map(|e| format!("{}: {}", i.name, e.message)));
        let err = js_sys::Error::new(&first.unwrap_or_else(|| error.message.clone()));
        js_sys::Reflect::set(&err, &"report".into(), &report_js)?;
        js_sys::Reflect::set(&err, &"code".into(), &error.code.as_str().into())?;
        return Err(err.into());
    }
    let out = js_sys::Object::new();
    js_sys::Reflect::set(&out, &"package".into(), &JsValue::NULL)?;
    js_sys::Reflect::set(&out, &"report".into(), &report_js)?;
    Ok(out.into())
}

/// `onProgress(stage, done, total)`, if there is one.
pub(crate) fn progress_of(on_progress: &Option<js_sys::Function>) -> impl Fn(&str, f64, f64) + '_ {
    move |stage: &str, done: f64, total: f64| {
        if let Some(f) = on_progress {
            // A throwing progress callback must not stop the conversion.
            let _ = f.call3(&JsValue::NULL, &stage.into(), &done.into(), &total.into());
        }
    }
}

/// Converts `File`s (an array) into one package, each mesh a named object. `options` is
/// the core's `Options` as a plain object (missing fields take their defaults). Inputs
/// that fail are in the report with their error; the others are still written. The
/// package goes to `onChunk(Uint8Array)` in pieces of about 1 MiB as it is written (so no
/// whole copy is kept in wasm memory), and `onProgress(stage, done, total)` hears of stage
/// `"reading"` (bytes of the current file) and `"writing"` (elements of the package).
/// Returns `{ package: null, report, picture }`, or throws a JS `Error` carrying the report
/// when no package could be written (the chunks are then no package). `picture` is a PNG
/// (Uint8Array) of the objects as placed: the package's thumbnail when `options.thumbnail`
/// asks for one, else rendered after the package is written when `picture` is true (then
/// `onWritten(result)` hears of the package first, so its download need not wait), else null.
#[wasm_bindgen(js_name = convertFilesStreaming)]
pub fn convert_files_streaming(
    files: js_sys::Array,
    options: JsValue,
    on_chunk: js_sys::Function,
    on_progress: Option<js_sys::Function>,
    picture: Option<bool>,
    on_written: Option<js_sys::Function>,
) -> Result<JsValue, JsValue> {
    // `titleFromName` (the page's, not the core's): with no Title set or read, the file's name.
    let from_name = js_sys::Reflect::get(&options, &"titleFromName".into()).is_ok_and(|v| v.is_truthy());
    let options = self::options(options)?;
    let reader = reader()?;
    let progress = progress_of(&on_progress);
    let mut report = to3mf::Report::default();
    let mut read = Vec::new();
    for (name, file, size) in inputs(&files, &reader, &progress)? {
        match to3mf::read_input(&name, file, size, &options) {
            Ok(input) => {
                report.inputs.push(input.report.clone());
                read.push(input);
            }
            Err(e) => report.inputs.push(to3mf::failed_report(&name, &e)),
        }
    }
    // A package of one file keeps what it says of itself (a 3MF's Title...).
    let mut options = to3mf::with_own_metadata(&options, &read.iter().collect::<Vec<_>>());
    if let ([input], None, true) = (&read[..], &options.metadata.title, from_name) {
        options.metadata.title = Some(to3mf::stem(&input.report.name).to_string());
    }
    let meshes: Vec<&to3mf::Mesh> = read.iter().flat_map(|i| i.meshes.iter()).collect();
    let thumbnail = if options.thumbnail { picture_of(&meshes, &options) } else { None };
    let out = std::io::BufWriter::with_capacity(1 << 20, ChunkOut(on_chunk));
    let progress = &mut |done, total| progress("writing", done as f64, total as f64);
    match to3mf::write_3mf(out, &meshes, thumbnail.as_deref(), &options, progress) {
        Ok(stats) => report.written(stats),
        Err(e) => report.error = Some((&e).into()),
    }
    let out = result(&report)?;
    let picture = match thumbnail {
        Some(png) => Some(png),
        None if picture == Some(true) => {
            if let Some(f) = &on_written {
                let _ = f.call1(&JsValue::NULL, &out);
            }
            picture_of(&meshes, &options)
        }
        None => None,
    };
    let picture = picture.map_or(JsValue::NULL, |png| js_sys::Uint8Array::from(&png[..]).into());
    js_sys::Reflect::set(&out, &"picture".into(), &picture)?;
    Ok(out)
}

/// The picture of `meshes` as placed, at the thumbnail's size.
pub(crate) fn picture_of(meshes: &[&to3mf::Mesh], options: &to3mf::Options) -> Option<Vec<u8>> {
    to3mf::write::thumbnail::picture_png(meshes, options, to3mf::write::thumbnail::THUMBNAIL_SIZE)
}

/// Writes one ZIP archive of `blobs` named `names`, each stored as it is (for 3MF
/// packages, which are compressed already), handing the archive to `onChunk` in ~1 MiB
/// pieces. Returns the archive's size. Repeated names get `-2`, `-3`...
#[wasm_bindgen(js_name = zipBlobs)]
pub fn zip_blobs(blobs: js_sys::Array, names: js_sys::Array, on_chunk: js_sys::Function) -> Result<f64, JsError> {
    if blobs.length() != names.length() {
        return Err(JsError::new("zipBlobs needs one name per blob"));
    }
    let reader = reader()?;
    let quiet = |_: &str, _: f64, _: f64| {};
    let mut entries = Vec::new();
    for (blob, name) in blobs.iter().zip(names.iter()) {
        let blob: web_sys::Blob = blob.dyn_into().map_err(|_| JsError::new("zipBlobs takes an array of Blob"))?;
        let name = name.as_string().ok_or_else(|| JsError::new("zipBlobs takes an array of names"))?;
        let size = blob.size() as u64;
        entries.push((name, FileRead::new(blob, reader.clone(), &quiet), size));
    }
    let out = std::io::BufWriter::with_capacity(1 << 20, ChunkOut(on_chunk));
    let size = to3mf::write_zip(out, entries).map_err(|e| JsError::new(&e.to_string()))?;
    Ok(size as f64)
}

/// Converts a small synthetic mesh and throws the result away, so that the code every
/// conversion runs is optimised before the user's first file (see `warm`).
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up() {
    crate::warm::warm_up();
}

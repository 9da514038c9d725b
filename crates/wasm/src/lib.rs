//! WebAssembly bindings of the to3mf core, for the browser app's worker: files in, one 3MF
//! package and the same report as the CLI's `--json` out. Thin on purpose: every decision
//! is the core's.

/// The JS-facing functions; the crate builds natively too (empty) so the workspace stays
/// one `cargo test`.
#[cfg(target_arch = "wasm32")]
pub use web::{convert_bytes, convert_files, convert_files_split, convert_files_streaming, deflate_chunk, zip_blobs, SplitConversion};
#[cfg(all(target_arch = "wasm32", feature = "full"))]
pub use manyfold::{export_model_files, export_models, extract_file, plan_models};

#[cfg(all(target_arch = "wasm32", feature = "full"))]
mod manyfold;

#[cfg(target_arch = "wasm32")]
pub(crate) mod web {
    use std::io::Read;

    use wasm_bindgen::prelude::*;

    /// Runs once when the module is instantiated.
    #[wasm_bindgen(start)]
    pub fn start() {
        #[cfg(debug_assertions)]
        console_error_panic_hook::set_once();
    }

    /// Reads a `Blob` (or `File`) in 4 MiB slices through `FileReaderSync` (dedicated
    /// workers only), so a large file never sits in memory whole. Each slice is one round
    /// trip to the browser's blob store, so slices are read whole and the core's smaller
    /// reads are served from them.
    pub(crate) struct FileRead<'a> {
        file: web_sys::Blob,
        name: String,
        reader: web_sys::FileReaderSync,
        pos: f64,
        size: f64,
        slice: Vec<u8>,
        taken: usize,
        progress: &'a dyn Fn(&str, f64, f64),
    }

    const SLICE: f64 = 4.0 * 1024.0 * 1024.0;

    impl<'a> FileRead<'a> {
        pub(crate) fn new(file: web_sys::Blob, name: String, reader: web_sys::FileReaderSync, progress: &'a dyn Fn(&str, f64, f64)) -> Self {
            let size = file.size();
            FileRead { file, name, reader, pos: 0.0, size, slice: Vec::new(), taken: 0, progress }
        }
    }

    /// Archives are read with seeks (their directory is at the end).
    impl std::io::Seek for FileRead<'_> {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            let here = self.pos - (self.slice.len() - self.taken) as f64;
            let target = match to {
                std::io::SeekFrom::Start(n) => n as f64,
                std::io::SeekFrom::End(d) => self.size + d as f64,
                std::io::SeekFrom::Current(d) => here + d as f64,
            };
            if target < 0.0 {
                return Err(std::io::Error::other("seek before the start of the file"));
            }
            self.pos = target.min(self.size);
            self.slice.clear();
            self.taken = 0;
            Ok(self.pos as u64)
        }
    }

    impl Read for FileRead<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.taken == self.slice.len() {
                if self.pos >= self.size {
                    return Ok(0);
                }
                let end = (self.pos + SLICE).min(self.size);
                let io = |e: JsValue| std::io::Error::other(format!("reading {}: {e:?}", self.name));
                let blob = self.file.slice_with_f64_and_f64(self.pos, end).map_err(io)?;
                let array = self.reader.read_as_array_buffer(&blob).map_err(io)?;
                let bytes = js_sys::Uint8Array::new(&array);
                self.slice.resize(bytes.length() as usize, 0);
                bytes.copy_to(&mut self.slice);
                self.taken = 0;
                self.pos += self.slice.len() as f64;
                (self.progress)("reading", self.pos, self.size);
            }
            let n = buf.len().min(self.slice.len() - self.taken);
            buf[..n].copy_from_slice(&self.slice[self.taken..self.taken + n]);
            self.taken += n;
            Ok(n)
        }
    }

    fn options(value: JsValue) -> Result<to3mf::Options, JsError> {
        if value.is_undefined() || value.is_null() {
            return Ok(to3mf::Options::default());
        }
        serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("invalid options: {e}")))
    }

    /// The result handed to JS: `{ package: Uint8Array | null, report }`. When no package
    /// could be written, a JS `Error` is thrown instead, with the message of the first
    /// failure and the same `report` (and its `code`) as properties, so callers can show
    /// every input's error.
    fn result(package: Option<&[u8]>, report: &to3mf::Report) -> Result<JsValue, JsValue> {
        let report_js = serde_wasm_bindgen::to_value(report).map_err(|e| JsError::new(&e.to_string()))?;
        if let Some(error) = &report.error {
            let first = report.inputs.iter().find_map(|i| i.error.as_ref().map(|e| format!("{}: {}", i.name, e.message)));
            let err = js_sys::Error::new(&first.unwrap_or_else(|| error.message.clone()));
            js_sys::Reflect::set(&err, &"report".into(), &report_js)?;
            js_sys::Reflect::set(&err, &"code".into(), &error.code.as_str().into())?;
            return Err(err.into());
        }
        let out = js_sys::Object::new();
        let package: JsValue = package.map_or(JsValue::NULL, |bytes| js_sys::Uint8Array::from(bytes).into());
        js_sys::Reflect::set(&out, &"package".into(), &package)?;
        js_sys::Reflect::set(&out, &"report".into(), &report_js)?;
        Ok(out.into())
    }

    /// Converts `File`s (an array) into one package, each mesh a named object. `options`
    /// is the core's `Options` as a plain object (missing fields take their defaults).
    /// Inputs that fail are in the report with their error; the others are still written.
    #[wasm_bindgen(js_name = convertFiles)]
    pub fn convert_files(files: js_sys::Array, options: JsValue) -> Result<JsValue, JsValue> {
        let mut package = Vec::new();
        let report = convert(files, options, &mut package, None)?;
        result(Some(&package), &report)
    }

    /// Like `convertFiles`, but hands the package to `onChunk(Uint8Array)` in pieces of about
    /// 1 MiB as it is written (so no whole copy is kept in wasm memory), and reports
    /// `onProgress(stage, done, total)` with stage `"reading"` (bytes of the current file) or
    /// `"writing"` (elements of the package). Returns `{ package: null, report }`, or throws
    /// like `convertFiles` when no package could be written (the chunks are then no package).
    #[wasm_bindgen(js_name = convertFilesStreaming)]
    pub fn convert_files_streaming(
        files: js_sys::Array,
        options: JsValue,
        on_chunk: js_sys::Function,
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let out = std::io::BufWriter::with_capacity(1 << 20, ChunkOut(on_chunk));
        let report = convert(files, options, out, on_progress)?;
        result(None, &report)
    }

    /// `deflateChunk(level, data)`: one chunk of a split conversion's model XML,
    /// compressed (in a helper worker) exactly as the package writer would.
    #[wasm_bindgen(js_name = deflateChunk)]
    pub fn deflate_chunk(level: u32, data: &[u8]) -> Vec<u8> {
        to3mf::deflate_chunk(level, data)
    }

    /// A conversion whose model XML is being compressed by helper workers; `finish` ends it.
    #[wasm_bindgen]
    pub struct SplitConversion {
        package: Option<to3mf::SplitPackage<ChunkOut>>,
        report: to3mf::Report,
    }

    #[wasm_bindgen]
    impl SplitConversion {
        /// Writes the package's end through `onChunk` once the chunks' compressed bytes
        /// (`compressed` in all, in order) were placed after what it wrote so far; returns
        /// the report.
        pub fn finish(&mut self, compressed: f64) -> Result<JsValue, JsValue> {
            let package = self.package.take().ok_or_else(|| JsError::new("finish called twice"))?;
            let stats = package.finish(compressed as u64).map_err(|e| JsError::new(&e.to_string()))?;
            self.report.written(stats);
            serde_wasm_bindgen::to_value(&self.report).map_err(|e| JsError::new(&e.to_string()).into())
        }
    }

    /// Like `convertFilesStreaming`, but half of the model XML is compressed elsewhere: its
    /// chunks (about 1.5 MB) are numbered from 0; the odd ones are compressed here and handed
    /// to `onLocal(k, compressed)`, the even ones go raw to `onRemote(k, chunk)` (a view into
    /// wasm memory: copy it before returning), to be compressed with
    /// `deflateChunk(level, chunk)` (in a helper worker, while this one goes on). All of them, in order, are placed after what `onChunk` received; then
    /// `finish(compressedBytes)` on the returned object writes the rest. The package is byte
    /// for byte the one `convertFilesStreaming` writes. Throws like it.
    #[wasm_bindgen(js_name = convertFilesSplit)]
    pub fn convert_files_split(
        files: js_sys::Array,
        options: JsValue,
        on_chunk: js_sys::Function,
        on_remote: js_sys::Function,
        on_local: js_sys::Function,
        on_progress: Option<js_sys::Function>,
    ) -> Result<SplitConversion, JsValue> {
        let options = self::options(options)?;
        let reader = web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))?;
        let progress = progress_of(&on_progress);
        let inputs = inputs(&files, &reader, &progress)?;
        let level = options.compression_level;
        let mut xml = |k: usize, chunk: &[u8]| {
            let _ = if k % 2 == 1 {
                let compressed = to3mf::deflate_chunk(level, chunk);
                on_local.call2(&JsValue::NULL, &(k as u32).into(), &js_sys::Uint8Array::from(&compressed[..]))
            } else {
                // A view into wasm memory, valid during the call only: the callback copies it
                // into a buffer it reuses (no megabyte of garbage per chunk).
                // SAFETY: nothing allocates in wasm memory while the callback runs.
                let chunk = unsafe { js_sys::Uint8Array::view(chunk) };
                on_remote.call2(&JsValue::NULL, &(k as u32).into(), &chunk)
            };
        };
        // No buffering: what `onChunk` gets before the call returns must be the whole head.
        let (report, package) =
            to3mf::convert_split(inputs, ChunkOut(on_chunk), &options, &mut |done, total| progress("writing", done as f64, total as f64), &mut xml);
        match package {
            Some(package) => Ok(SplitConversion { package: Some(package), report }),
            None => Err(result(None, &report).expect_err("a report without a package has an error")),
        }
    }

    fn progress_of(on_progress: &Option<js_sys::Function>) -> impl Fn(&str, f64, f64) + '_ {
        move |stage: &str, done: f64, total: f64| {
            if let Some(f) = on_progress {
                // A throwing progress callback must not stop the conversion.
                let _ = f.call3(&JsValue::NULL, &stage.into(), &done.into(), &total.into());
            }
        }
    }

    fn inputs<'a>(
        files: &js_sys::Array,
        reader: &web_sys::FileReaderSync,
        progress: &'a dyn Fn(&str, f64, f64),
    ) -> Result<Vec<(String, FileRead<'a>, Option<u64>)>, JsError> {
        let mut inputs = Vec::new();
        for f in files.iter() {
            let file: web_sys::File = f.dyn_into().map_err(|_| JsError::new("convertFiles takes an array of File"))?;
            let size = file.size() as u64;
            inputs.push((file.name(), FileRead::new(file.clone().into(), file.name(), reader.clone(), progress), Some(size)));
        }
        Ok(inputs)
    }

    fn convert<W: std::io::Write>(
        files: js_sys::Array,
        options: JsValue,
        out: W,
        on_progress: Option<js_sys::Function>,
    ) -> Result<to3mf::Report, JsError> {
        let options = self::options(options)?;
        let reader = web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))?;
        let progress = progress_of(&on_progress);
        let inputs = inputs(&files, &reader, &progress)?;
        Ok(to3mf::convert(inputs, out, &options, &mut |done, total| progress("writing", done as f64, total as f64)))
    }

    /// Writes one ZIP archive of `blobs` named `names`, each stored as it is (for 3MF
    /// packages, which are compressed already), handing the archive to `onChunk` in ~1 MiB
    /// pieces. Returns the archive's size. Repeated names get `-2`, `-3`...
    #[wasm_bindgen(js_name = zipBlobs)]
    pub fn zip_blobs(blobs: js_sys::Array, names: js_sys::Array, on_chunk: js_sys::Function) -> Result<f64, JsError> {
        if blobs.length() != names.length() {
            return Err(JsError::new("zipBlobs needs one name per blob"));
        }
        let reader = web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))?;
        let quiet = |_: &str, _: f64, _: f64| {};
        let mut entries = Vec::new();
        for (blob, name) in blobs.iter().zip(names.iter()) {
            let blob: web_sys::Blob = blob.dyn_into().map_err(|_| JsError::new("zipBlobs takes an array of Blob"))?;
            let name = name.as_string().ok_or_else(|| JsError::new("zipBlobs takes an array of names"))?;
            let size = blob.size() as u64;
            entries.push((name.clone(), FileRead::new(blob, name, reader.clone(), &quiet), size));
        }
        let out = std::io::BufWriter::with_capacity(1 << 20, ChunkOut(on_chunk));
        let size = to3mf::write_zip(out, entries).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(size as f64)
    }

    /// Passes each written piece to a JS callback as a fresh `Uint8Array`.
    pub(crate) struct ChunkOut(pub(crate) js_sys::Function);

    impl std::io::Write for ChunkOut {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let chunk = js_sys::Uint8Array::from(buf);
            self.0.call1(&JsValue::NULL, &chunk).map_err(|e| std::io::Error::other(format!("onChunk failed: {e:?}")))?;
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Converts one file's bytes into a package (for small inputs and the main thread).
    #[wasm_bindgen(js_name = convertBytes)]
    pub fn convert_bytes(name: &str, bytes: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
        let options = self::options(options)?;
        let mut package = Vec::new();
        let inputs = [(name.to_string(), bytes, Some(bytes.len() as u64))];
        let report = to3mf::convert(inputs, &mut package, &options, &mut |_, _| {});
        result(Some(&package), &report)
    }
}

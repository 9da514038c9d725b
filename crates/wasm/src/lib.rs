//! WebAssembly bindings of the to3mf core, for the browser app's worker: files in, one 3MF
//! package and the same report as the CLI's `--json` out. Thin on purpose: every decision
//! is the core's.

#[cfg(all(target_arch = "wasm32", feature = "full"))]
pub use manyfold::{export_model_files, export_models, extract_file, plan_models};
/// The JS-facing functions; the crate builds natively too (empty) so the workspace stays
/// one `cargo test`.
#[cfg(target_arch = "wasm32")]
pub use web::{
    compress_elements, convert_bytes, convert_files, convert_files_split, convert_files_streaming, is_binary_stl,
    set_buffers, warm_up, zip_blobs, SplitConversion, StlFeed,
};

#[cfg(all(target_arch = "wasm32", feature = "full"))]
mod manyfold;
pub mod warm;

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

    thread_local! {
        static TAKE: std::cell::RefCell<Option<js_sys::Function>> = const { std::cell::RefCell::new(None) };
    }

    /// Where pieces copied out of wasm memory (package pieces, compressed chunks, elements
    /// for a helper) go: `take(bytes)` returns a `Uint8Array` of that many bytes, at an
    /// offset that is a multiple of 4. The worker keeps the buffers of pieces it is done
    /// with, since a fresh `ArrayBuffer` costs a page fault per 4 KiB. Without it (or when
    /// it returns anything else), each piece gets a new array.
    #[wasm_bindgen(js_name = setBuffers)]
    pub fn set_buffers(take: Option<js_sys::Function>) {
        TAKE.with(|t| *t.borrow_mut() = take);
    }

    /// A `Uint8Array` of `bytes` bytes from `take`, if it gives one.
    fn taken(bytes: usize) -> Option<js_sys::Uint8Array> {
        let array =
            TAKE.with(|t| t.borrow().as_ref().and_then(|f| f.call1(&JsValue::NULL, &(bytes as f64).into()).ok()))?;
        array.dyn_into::<js_sys::Uint8Array>().ok().filter(|a| a.length() as usize == bytes && a.byte_offset() % 4 == 0)
    }

    /// `bytes` copied out of wasm memory.
    pub(crate) fn copy_out(bytes: &[u8]) -> js_sys::Uint8Array {
        match taken(bytes.len()) {
            Some(array) => {
                array.copy_from(bytes);
                array
            }
            None => js_sys::Uint8Array::from(bytes),
        }
    }

    /// Reads a `Blob` (or `File`) in 16 MiB slices through `FileReaderSync` (dedicated
    /// workers only), so a large file never sits in memory whole. Each slice is one round
    /// trip to the browser's blob store (fewer, bigger ones are faster: 4 MiB slices took
    /// half as long again), so slices are read whole and the core's smaller reads are copied
    /// straight from them into wasm memory.
    pub(crate) struct FileRead<'a> {
        file: web_sys::Blob,
        reader: web_sys::FileReaderSync,
        pos: f64,
        size: f64,
        slice: js_sys::Uint8Array,
        taken: u32,
        progress: &'a dyn Fn(&str, f64, f64),
    }

    const SLICE: f64 = 16.0 * 1024.0 * 1024.0;

    impl<'a> FileRead<'a> {
        pub(crate) fn new(
            file: web_sys::Blob,
            reader: web_sys::FileReaderSync,
            progress: &'a dyn Fn(&str, f64, f64),
        ) -> Self {
            let size = file.size();
            FileRead { file, reader, pos: 0.0, size, slice: js_sys::Uint8Array::new_with_length(0), taken: 0, progress }
        }

        fn left(&self) -> u32 {
            self.slice.length() - self.taken
        }
    }

    /// The error for a file the browser gives fewer bytes of than its size.
    pub(crate) fn short_read(got: f64, size: f64) -> std::io::Error {
        std::io::Error::other(format!(
            "the browser could not read it past byte {got} of {size}: it may have been moved, changed or deleted since it was picked"
        ))
    }

    /// The error for a file the browser could not read, with the browser's words (Chromium
    /// says "network error" of a picked file deleted since).
    pub(crate) fn unreadable(browser: &str) -> std::io::Error {
        std::io::Error::other(format!(
            "the browser could not read it ({browser}): it may have been moved, changed or deleted since it was picked"
        ))
    }

    /// Archives are read with seeks (their directory is at the end).
    impl std::io::Seek for FileRead<'_> {
        fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
            let here = self.pos - self.left() as f64;
            let target = match to {
                std::io::SeekFrom::Start(n) => n as f64,
                std::io::SeekFrom::End(d) => self.size + d as f64,
                std::io::SeekFrom::Current(d) => here + d as f64,
            };
            if target < 0.0 {
                return Err(std::io::Error::other("seek before the start of the file"));
            }
            self.pos = target.min(self.size);
            self.slice = js_sys::Uint8Array::new_with_length(0);
            self.taken = 0;
            Ok(self.pos as u64)
        }
    }

    impl Read for FileRead<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.left() == 0 {
                if self.pos >= self.size {
                    return Ok(0);
                }
                let end = (self.pos + SLICE).min(self.size);
                let io = |e: JsValue| unreadable(&js_sys::Error::from(e).message().as_string().unwrap_or_default());
                let blob = self.file.slice_with_f64_and_f64(self.pos, end).map_err(io)?;
                let array = self.reader.read_as_array_buffer(&blob).map_err(io)?;
                self.slice = js_sys::Uint8Array::new(&array);
                self.taken = 0;
                if (self.slice.length() as f64) < end - self.pos {
                    return Err(short_read(self.pos + self.slice.length() as f64, self.size));
                }
                self.pos += self.slice.length() as f64;
                (self.progress)("reading", self.pos, self.size);
            }
            let n = (buf.len() as u32).min(self.left());
            self.slice.subarray(self.taken, self.taken + n).copy_to(&mut buf[..n as usize]);
            self.taken += n;
            Ok(n as usize)
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
            let first =
                report.inputs.iter().find_map(|i| i.error.as_ref().map(|e| format!("{}: {}", i.name, e.message)));
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

    /// A conversion whose model XML is compressed in chunks, some here and some by a helper
    /// worker: `count` chunks; `compress(k)` makes one here; the helper makes the others from
    /// their elements (`compressElements`): those sent while the files were read
    /// (`chunkOfSealed` says which chunk each is) and those `run(k)` gives; `addSums` records
    /// those, and `finish` ends the package.
    #[wasm_bindgen]
    pub struct SplitConversion {
        package: Option<to3mf::SplitPackage<ChunkOut>>,
        report: to3mf::Report,
        meshes: Vec<to3mf::Mesh>,
        chunks: to3mf::ModelChunks,
        sums: Vec<Option<to3mf::ChunkSums>>,
        /// The chunk each sealed run is, in the order they were sent (-1: its mesh was left out).
        sealed: Vec<i32>,
    }

    #[wasm_bindgen]
    impl SplitConversion {
        /// How many chunks the model XML has.
        #[wasm_bindgen(getter)]
        pub fn count(&self) -> u32 {
            self.chunks.len() as u32
        }

        /// Vertices and triangles in chunk `k`, for progress.
        pub fn elements(&self, k: u32) -> f64 {
            self.chunks.elements(k as usize) as f64
        }

        /// How many runs were sent to `onSealed` while reading.
        #[wasm_bindgen(getter, js_name = sealedCount)]
        pub fn sealed_count(&self) -> u32 {
            self.sealed.len() as u32
        }

        /// The chunk that the run sent as `id` is, or -1 if its mesh was left out.
        #[wasm_bindgen(js_name = chunkOfSealed)]
        pub fn chunk_of_sealed(&self, id: u32) -> i32 {
            self.sealed.get(id as usize).copied().unwrap_or(-1)
        }

        /// Chunk `k`'s elements, `{triangles, data: Float32Array | Uint32Array}` (a copy whose
        /// buffer can be transferred), if that is all it holds; else `null`: make it here.
        pub fn run(&self, k: u32) -> Result<JsValue, JsError> {
            let k = self.index(k)?;
            let refs: Vec<&to3mf::Mesh> = self.meshes.iter().collect();
            Ok(self.chunks.run(&refs, k).map_or(JsValue::NULL, |e| run_to_js(&e)))
        }

        /// Compresses chunk `k` here; its bytes go after the chunks before it.
        pub fn compress(&mut self, k: u32) -> Result<js_sys::Uint8Array, JsError> {
            let k = self.index(k)?;
            let refs: Vec<&to3mf::Mesh> = self.meshes.iter().collect();
            let (bytes, sums) = self.chunks.compress(&refs, k);
            self.sums[k] = Some(sums);
            Ok(copy_out(&bytes))
        }

        /// Records chunk `k` as compressed elsewhere (`compressElements`): the CRC-32
        /// and size of its XML and the size of its compressed bytes.
        #[wasm_bindgen(js_name = addSums)]
        pub fn add_sums(&mut self, k: u32, crc: u32, xml_bytes: f64, compressed_bytes: f64) -> Result<(), JsError> {
            let k = self.index(k)?;
            self.sums[k] =
                Some(to3mf::ChunkSums { crc, xml_bytes: xml_bytes as u64, compressed_bytes: compressed_bytes as u64 });
            Ok(())
        }

        /// Writes the package's end through `onChunk` once every chunk's bytes were placed,
        /// in order, after what it wrote so far; returns the report.
        pub fn finish(&mut self) -> Result<JsValue, JsValue> {
            let package = self.package.take().ok_or_else(|| JsError::new("finish called twice"))?;
            let sums: Option<Vec<to3mf::ChunkSums>> = self.sums.iter().copied().collect();
            let sums = sums.ok_or_else(|| JsError::new("finish called before every chunk was compressed"))?;
            let stats = package.finish(sums).map_err(|e| JsError::new(&e.to_string()))?;
            self.report.written(stats);
            serde_wasm_bindgen::to_value(&self.report).map_err(|e| JsError::new(&e.to_string()).into())
        }

        fn index(&self, k: u32) -> Result<usize, JsError> {
            let k = k as usize;
            if k < self.sums.len() {
                Ok(k)
            } else {
                Err(JsError::new(&format!("no chunk {k}: there are {}", self.sums.len())))
            }
        }
    }

    /// Like `convertFilesStreaming`, but the model XML is left to be compressed in chunks
    /// (see `SplitConversion`), here and in a helper worker: reads the files and hands the
    /// package's head to `onChunk`. While a file is read, each chunk that becomes final goes
    /// to `onSealed(id, triangles, data)` (numbered from 0; `data` a Float32Array of vertices
    /// or a Uint32Array of triangles, whose buffer can be transferred), so the helper can
    /// compress it meanwhile; a callback that returns `false` keeps it to be made later (and
    /// the next one gets the same id). The finished package is byte for byte the one
    /// `convertFilesStreaming` writes. Throws like it.
    #[wasm_bindgen(js_name = convertFilesSplit)]
    pub fn convert_files_split(
        files: js_sys::Array,
        options: JsValue,
        on_chunk: js_sys::Function,
        on_progress: Option<js_sys::Function>,
        on_sealed: Option<js_sys::Function>,
    ) -> Result<SplitConversion, JsValue> {
        let options = self::options(options)?;
        let reader =
            web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))?;
        let sealer = Sealer::new(on_sealed);
        let report_progress = progress_of(&on_progress);
        let progress = |stage: &str, done: f64, total: f64| {
            sealer.drain();
            report_progress(stage, done, total);
        };
        let inputs = inputs(&files, &reader, &progress)?;
        // No buffering: what `onChunk` gets before the call returns must be the whole head.
        let (report, split) = to3mf::convert_split(inputs, ChunkOut(on_chunk), &options, sealer.sender());
        sealer.conversion(report, split)
    }

    /// Hands the chunks sealed while reading to JS, numbered in the order sent.
    struct Sealer {
        on_sealed: Option<js_sys::Function>,
        tx: std::sync::mpsc::SyncSender<to3mf::Sealed>,
        rx: std::sync::mpsc::Receiver<to3mf::Sealed>,
        /// What was sent, without its elements: only which chunk it is matters afterwards.
        sent: std::cell::RefCell<Vec<to3mf::Sealed>>,
    }

    impl Sealer {
        fn new(on_sealed: Option<js_sys::Function>) -> Sealer {
            // A few runs wait here between two pieces of a file; when full, the reader keeps
            // the rest for later rather than wait.
            let (tx, rx) = std::sync::mpsc::sync_channel(16);
            Sealer { on_sealed, tx, rx, sent: Default::default() }
        }

        /// Where the reader sends sealed chunks, if anyone takes them.
        fn sender(&self) -> Option<std::sync::mpsc::SyncSender<to3mf::Sealed>> {
            self.on_sealed.as_ref().map(|_| self.tx.clone())
        }

        fn drain(&self) {
            let Some(f) = &self.on_sealed else { return };
            while let Ok(mut run) = self.rx.try_recv() {
                let id = self.sent.borrow().len() as u32;
                let (triangles, data) = elements_to_js(&run.elements);
                // A chunk the callback declines (false) or throws on is made later instead.
                let taken =
                    f.call3(&JsValue::NULL, &id.into(), &triangles.into(), &data).is_ok_and(|v| v != JsValue::FALSE);
                if !taken {
                    continue;
                }
                run.elements = match run.elements {
                    to3mf::Elements::Vertices(_) => to3mf::Elements::Vertices(Vec::new()),
                    to3mf::Elements::Triangles(_) => to3mf::Elements::Triangles(Vec::new()),
                };
                self.sent.borrow_mut().push(run);
            }
        }

        /// The conversion once every input is read, or the error thrown when nothing can be written.
        fn conversion(
            &self,
            report: to3mf::Report,
            split: Option<to3mf::Split<ChunkOut>>,
        ) -> Result<SplitConversion, JsValue> {
            self.drain();
            let Some(split) = split else {
                return Err(result(None, &report).expect_err("a report without a package has an error"));
            };
            let sealed = self.sent.borrow().iter().map(|run| split.chunk_of(run).map_or(-1, |k| k as i32)).collect();
            let sums = vec![None; split.chunks.len()];
            let to3mf::Split { package, meshes, chunks, .. } = split;
            Ok(SplitConversion { package: Some(package), report, meshes, chunks, sums, sealed })
        }
    }

    /// Whether a file whose first bytes (4096, or all if it is shorter) are `head` is a
    /// binary STL, which `StlFeed` reads from a stream.
    #[wasm_bindgen(js_name = isBinaryStl)]
    pub fn is_binary_stl(head: &[u8]) -> bool {
        to3mf::is_binary_stl(head)
    }

    /// A binary STL read from pieces pushed as they come (`File.stream()`, which reads ahead
    /// while the core works, unlike `FileReaderSync`), for a split conversion: `push` each
    /// piece, then `finish(onChunk)` gives the `SplitConversion`, as `convertFilesSplit`
    /// does for the same file. Chunks that become final go to `onSealed` meanwhile.
    #[wasm_bindgen]
    pub struct StlFeed {
        name: String,
        size: f64,
        pushed: f64,
        options: to3mf::Options,
        feed: Option<to3mf::BinaryStlFeed>,
        error: Option<to3mf::Error>,
        sealer: Sealer,
    }

    #[wasm_bindgen]
    impl StlFeed {
        /// A feed for the file `name` of `size` bytes, with the conversion's `options`.
        #[wasm_bindgen(constructor)]
        pub fn new(
            name: String,
            size: f64,
            options: JsValue,
            on_sealed: Option<js_sys::Function>,
        ) -> Result<StlFeed, JsValue> {
            let options = self::options(options)?;
            let sealer = Sealer::new(on_sealed);
            let feed = to3mf::BinaryStlFeed::new(&name, Some(size as u64), &options, sealer.sender());
            Ok(StlFeed { name, size, pushed: 0.0, options, feed: Some(feed), error: None, sealer })
        }

        /// Reads the next piece; false once the file is known to be bad (the error comes with
        /// `finish`), so the rest need not be read.
        pub fn push(&mut self, bytes: &[u8]) -> bool {
            self.pushed += bytes.len() as f64;
            if let Some(feed) = &mut self.feed {
                if let Err(e) = feed.push(bytes) {
                    self.error = Some(e);
                    self.feed = None;
                }
            }
            self.sealer.drain();
            self.feed.is_some()
        }

        /// Ends the file with the browser's error for it (a failed read), which `finish`
        /// then reports as this input's error.
        pub fn fail(&mut self, browser: &str) {
            self.feed = None;
            self.error = Some(unreadable(browser).into());
        }

        /// Ends the file and writes the package's head to `onChunk`; throws like
        /// `convertFilesSplit` when nothing can be written.
        pub fn finish(&mut self, on_chunk: js_sys::Function) -> Result<SplitConversion, JsValue> {
            let input = self.input()?;
            let (report, split) =
                to3mf::split_inputs(vec![(self.name.clone(), input)], ChunkOut(on_chunk), &self.options);
            self.sealer.conversion(report, split)
        }

        fn input(&mut self) -> Result<to3mf::Result<to3mf::Input>, JsError> {
            if self.feed.is_some() && self.pushed < self.size {
                self.feed = None;
                self.error = Some(short_read(self.pushed, self.size).into());
            }
            match (self.feed.take(), self.error.take()) {
                (Some(feed), _) => Ok(feed.finish()),
                (None, Some(e)) => Ok(Err(e)),
                (None, None) => Err(JsError::new("finish called twice")),
            }
        }
    }

    /// The helper's side of a split conversion: compresses a chunk of `triangles` (a
    /// Uint32Array) or vertices (a Float32Array), as `onSealed` or `SplitConversion.run`
    /// gave it, at the level `options` say: `{bytes: Uint8Array, crc, xmlBytes}`.
    #[wasm_bindgen(js_name = compressElements)]
    pub fn compress_elements(triangles: bool, data: JsValue, options: JsValue) -> Result<js_sys::Object, JsValue> {
        let options = self::options(options)?;
        let elements = if triangles {
            let data: js_sys::Uint32Array =
                data.dyn_into().map_err(|_| JsError::new("triangles must be a Uint32Array"))?;
            let mut t = vec![[0u32; 3]; threes(data.length())?];
            data.copy_to(t.as_flattened_mut());
            to3mf::Elements::Triangles(t)
        } else {
            let data: js_sys::Float32Array =
                data.dyn_into().map_err(|_| JsError::new("vertices must be a Float32Array"))?;
            let mut v = vec![[0f32; 3]; threes(data.length())?];
            data.copy_to(v.as_flattened_mut());
            to3mf::Elements::Vertices(v)
        };
        let (bytes, sums) = elements.compress(options.compression_level);
        let out = js_sys::Object::new();
        let set = |key: &str, value: &JsValue| js_sys::Reflect::set(&out, &key.into(), value).map(|_| ());
        // A new array of the exact size, not one from `setBuffers`: these bytes leave for the
        // file's worker, which may hold many of them until the chunks before are done.
        set("bytes", &js_sys::Uint8Array::from(&bytes[..]))
            .and(set("crc", &sums.crc.into()))
            .and(set("xmlBytes", &(sums.xml_bytes as f64).into()))?;
        Ok(out)
    }

    fn threes(n: u32) -> Result<usize, JsError> {
        if n % 3 == 0 {
            Ok(n as usize / 3)
        } else {
            Err(JsError::new("vertices and triangles come in threes"))
        }
    }

    /// Whether `elements` are triangles, and their numbers copied out of wasm memory.
    fn elements_to_js(elements: &to3mf::Elements) -> (bool, JsValue) {
        // A buffer from `setBuffers` if it gives one, else a new one: 4 bytes per number.
        let numbers = |n: usize| {
            taken(n * 4).map_or_else(|| (js_sys::ArrayBuffer::new(n as u32 * 4), 0), |b| (b.buffer(), b.byte_offset()))
        };
        match elements {
            to3mf::Elements::Vertices(v) => {
                let v = v.as_flattened();
                let (buffer, at) = numbers(v.len());
                let array = js_sys::Float32Array::new_with_byte_offset_and_length(&buffer, at, v.len() as u32);
                array.copy_from(v);
                (false, array.into())
            }
            to3mf::Elements::Triangles(t) => {
                let t = t.as_flattened();
                let (buffer, at) = numbers(t.len());
                let array = js_sys::Uint32Array::new_with_byte_offset_and_length(&buffer, at, t.len() as u32);
                array.copy_from(t);
                (true, array.into())
            }
        }
    }

    /// `{triangles, data}`, the data copied out of wasm memory.
    fn run_to_js(elements: &to3mf::Elements) -> JsValue {
        let out = js_sys::Object::new();
        let (triangles, data) = elements_to_js(elements);
        let _ = js_sys::Reflect::set(&out, &"triangles".into(), &triangles.into());
        let _ = js_sys::Reflect::set(&out, &"data".into(), &data);
        out.into()
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
            inputs.push((file.name(), FileRead::new(file.clone().into(), reader.clone(), progress), Some(size)));
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
        let reader =
            web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))?;
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
        let reader =
            web_sys::FileReaderSync::new().map_err(|_| JsError::new("FileReaderSync needs a dedicated worker"))?;
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

    /// Passes each written piece to a JS callback as a `Uint8Array` of its own (see `setBuffers`).
    pub(crate) struct ChunkOut(pub(crate) js_sys::Function);

    impl std::io::Write for ChunkOut {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let chunk = copy_out(buf);
            self.0
                .call1(&JsValue::NULL, &chunk)
                .map_err(|e| std::io::Error::other(format!("onChunk failed: {e:?}")))?;
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Converts a small synthetic mesh and throws the result away, so that the code every
    /// conversion runs is optimised before the user's first file (see `warm`).
    #[wasm_bindgen(js_name = warmUp)]
    pub fn warm_up() {
        crate::warm::warm_up();
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

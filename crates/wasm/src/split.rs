//! The split conversion, the page's way with big files: the model XML is left to be
//! compressed in chunks, some here and some by a helper worker (`compressElements`), and
//! chunks that become final while a file is read are handed out at once (`onSealed`). The
//! files come from `FileReaderSync` slices (`convertFilesSplit`) or, for a binary STL, from
//! pieces pushed as the browser streams them (`StlFeed`).

use wasm_bindgen::prelude::*;

use crate::convert::{options, picture_of, progress_of, result};
use crate::io::{copy_out, inputs, reader, short_read, taken, unreadable, ChunkOut};

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
    options: to3mf::Options,
    /// The package's thumbnail, once `finish` wrote it.
    thumbnail: Option<Vec<u8>>,
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

    /// Draws the thumbnail the package ends with, when `options.thumbnail` asks for one
    /// (else does nothing): call it while the helper is busy, so its time is shared;
    /// `finish` draws it if it was not.
    #[wasm_bindgen(js_name = drawThumbnail)]
    pub fn draw_thumbnail(&mut self) {
        if let Some(package) = &mut self.package {
            let refs: Vec<&to3mf::Mesh> = self.meshes.iter().collect();
            package.draw_thumbnail(&refs, &self.options);
        }
    }

    /// Writes the package's end through `onChunk` once every chunk's bytes were placed,
    /// in order, after what it wrote so far; returns the report.
    pub fn finish(&mut self) -> Result<JsValue, JsValue> {
        self.draw_thumbnail();
        let package = self.package.take().ok_or_else(|| JsError::new("finish called twice"))?;
        self.thumbnail = package.thumbnail().map(<[u8]>::to_vec);
        let sums: Option<Vec<to3mf::ChunkSums>> = self.sums.iter().copied().collect();
        let sums = sums.ok_or_else(|| JsError::new("finish called before every chunk was compressed"))?;
        let stats = package.finish(sums).map_err(|e| JsError::new(&e.to_string()))?;
        self.report.written(stats);
        serde_wasm_bindgen::to_value(&self.report).map_err(|e| JsError::new(&e.to_string()).into())
    }

    /// A PNG of the objects as placed: the package's thumbnail if it has one, else
    /// rendered now (call it after `finish`, so the package need not wait for it).
    pub fn picture(&self) -> Option<js_sys::Uint8Array> {
        let rendered;
        let png = match &self.thumbnail {
            Some(png) => png,
            None => {
                let refs: Vec<&to3mf::Mesh> = self.meshes.iter().collect();
                rendered = picture_of(&refs, &self.options)?;
                &rendered
            }
        };
        Some(js_sys::Uint8Array::from(&png[..]))
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
    let reader = reader()?;
    let sealer = Sealer::new(on_sealed);
    let report_progress = progress_of(&on_progress);
    let progress = |stage: &str, done: f64, total: f64| {
        sealer.drain();
        report_progress(stage, done, total);
    };
    let inputs = inputs(&files, &reader, &progress)?;
    // No buffering: what `onChunk` gets before the call returns must be the whole head.
    let (report, split) = to3mf::convert_split(inputs, ChunkOut(on_chunk), &options, sealer.sender());
    sealer.conversion(report, split, options)
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
        options: to3mf::Options,
    ) -> Result<SplitConversion, JsValue> {
        self.drain();
        let Some(split) = split else {
            return Err(result(&report).expect_err("a report without a package has an error"));
        };
        let sealed = self.sent.borrow().iter().map(|run| split.chunk_of(run).map_or(-1, |k| k as i32)).collect();
        let sums = vec![None; split.chunks.len()];
        let to3mf::Split { package, meshes, chunks, .. } = split;
        Ok(SplitConversion { package: Some(package), report, meshes, chunks, options, thumbnail: None, sums, sealed })
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
        let (report, split) = to3mf::split_inputs(vec![(self.name.clone(), input)], ChunkOut(on_chunk), &self.options);
        self.sealer.conversion(report, split, self.options.clone())
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
        let data: js_sys::Uint32Array = data.dyn_into().map_err(|_| JsError::new("triangles must be a Uint32Array"))?;
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

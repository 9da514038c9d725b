//! to3mf: STL, OBJ (and existing 3MF) meshes into clean, standard 3MF packages.
//!
//! Data flows one way: bytes → parsed triangles → welded [`Mesh`] → package writer → bytes.
//! The core knows no file paths and no browser: it reads from [`std::io::Read`] and writes
//! to [`std::io::Write`], so the CLI and the WebAssembly build share it unchanged.
//!
//! ```
//! let stl = b"solid cube\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid\n";
//! let options = to3mf::Options::default();
//! let input = to3mf::read_input("cube.stl", &stl[..], None, &options).unwrap();
//! assert_eq!(input.report.objects[0].triangles_written, 1);
//! let mut package = Vec::new();
//! let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
//! to3mf::write_3mf(&mut package, &meshes, None, &options, &mut |_, _| {}).unwrap();
//! assert!(package.starts_with(b"PK"));
//! ```
#![warn(missing_docs)]

pub mod archive;
pub mod datapackage;
mod deflate;
mod early;
pub mod edit;
mod error;
pub mod layout;
mod lines;
mod mesh;
pub mod metadata;
pub mod models;
mod number;
mod obj;
mod options;
pub mod process;
pub mod readme;
pub mod render;
mod report;
mod stl;
mod threemf;
mod xml;
mod zip;

use std::io::Read;

pub use deflate::deflate_chunk;
pub use early::{EarlyChunks, Elements, Sealed};
pub use error::{Error, ErrorKind, Position, Result};
pub use mesh::{Mesh, MeshBuilder};
pub use options::{Layout, Metadata, Options, Unit};
pub use report::{Bounds, EdgeStats, ErrorReport, InputReport, ObjectReport, Report};
pub use threemf::{write_3mf, write_3mf_head, write_3mf_inputs, ChunkSums, ModelChunks, PackageStats, SplitPackage};
pub use zip::write_zip;

/// One input, read and welded.
#[derive(Debug, Clone)]
pub struct Input {
    /// The meshes to write (objects with at least one triangle).
    pub meshes: Vec<Mesh>,
    /// What was read, kept and dropped.
    pub report: InputReport,
    /// Model XML compressed while reading (empty unless read by [`read_input_compressing`]).
    pub early: EarlyChunks,
    /// The number of the builder of each mesh, to place chunks sealed while reading.
    serials: Vec<u64>,
}

/// Reading state shared by the format readers.
pub(crate) struct Parsed {
    pub(crate) stem: String,
    pub(crate) scale: f32,
    pub(crate) size_hint: Option<u64>,
    pub(crate) options: Options,
    meshes: Vec<Mesh>,
    report: InputReport,
    estimated: bool,
    /// Where mesh builders send their final chunks, when compressing while reading.
    early: Option<std::sync::mpsc::SyncSender<Sealed>>,
    /// The number of the builder of each kept mesh.
    serials: Vec<u64>,
}

impl Parsed {
    /// How many triangles to reserve for a new mesh: the file size divided by
    /// `bytes_per_triangle` for the first mesh, a little for later ones (which grow as
    /// needed), so a file of many groups does not reserve its size once per group.
    pub(crate) fn expected_triangles(&mut self, bytes_per_triangle: u64) -> usize {
        if std::mem::replace(&mut self.estimated, true) {
            return 1024;
        }
        self.size_hint.map_or(1024, |s| (s / bytes_per_triangle) as usize)
    }

    /// A new mesh builder with the input's scale and options.
    pub(crate) fn builder(&mut self, name: String, expected_triangles: usize) -> MeshBuilder {
        // Numbered across every input read, so a chunk sealed in one never finds another's mesh.
        static BUILDERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let serial = BUILDERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        MeshBuilder::new(name, self.scale, expected_triangles)
            .with_tolerance(self.options.weld_tolerance_mm)
            .with_sealer(self.early.clone().map(|tx| early::Sealer::new(serial, tx)))
            .with_serial(serial)
    }

    pub(crate) fn warn(&mut self, message: String) {
        self.report.warnings.push(message);
    }

    /// Finishes a mesh: reports it and keeps it if any triangle is left. A mesh that never
    /// had a triangle (an empty OBJ group, say) is not an object at all.
    pub(crate) fn push(&mut self, builder: MeshBuilder) {
        let read = builder.triangles_read();
        if read == 0 {
            return;
        }
        let serial = builder.serial();
        let (mesh, dropped, edges) = builder.finish_with_stats();
        let written = !mesh.triangles.is_empty();
        let bounds = mesh.bounds();
        if !written {
            self.warn(format!(
                "object '{}' left out: all {read} of its triangles are degenerate (corners at the same point)",
                mesh.name
            ));
        } else if let Some(axis) = bounds.and_then(|b| b.size().iter().position(|&d| d == 0.0)) {
            // Slicers cannot print a sheet, and some fail to load one.
            self.warn(format!(
                "object '{}' is flat: all its points have the same {}, so it has no volume to print",
                mesh.name,
                ["x", "y", "z"][axis]
            ));
        }
        self.report.objects.push(ObjectReport {
            name: mesh.name.clone(),
            triangles_read: read,
            triangles_written: mesh.triangles.len() as u64,
            dropped_degenerate: dropped,
            vertices: mesh.vertices.len() as u64,
            bounds,
            edges,
            written,
        });
        if written {
            self.meshes.push(mesh);
            self.serials.push(serial);
        }
    }
}

/// Threads to use: `options.threads`, or one per core when that is 0. Always 1 on wasm32.
pub(crate) fn threads(options: &Options) -> usize {
    if cfg!(any(target_arch = "wasm32", not(feature = "parallel"))) {
        return 1;
    }
    match options.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// The file name without folders and without its last extension.
pub fn stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    }
}

/// Reads one STL, OBJ or 3MF, recognised by content (never by extension), and welds its meshes.
/// A 3MF gives one mesh per build item, its components flattened (re-encoding).
///
/// `name` names the input in messages and gives objects without a name of their own
/// their name (the file stem). `size_hint`, the input's length if known, only sizes
/// allocations.
pub fn read_input<R: Read>(name: &str, reader: R, size_hint: Option<u64>, options: &Options) -> Result<Input> {
    read(name, reader, size_hint, options, Early::None)
}

/// Reads one input as [`read_input`] does and, when `options` allow more than one thread,
/// compresses most of its model XML on the other threads while this one reads: give the
/// input to [`write_3mf_inputs`], which writes the same bytes as [`write_3mf`] sooner.
pub fn read_input_compressing<R: Read>(
    name: &str,
    reader: R,
    size_hint: Option<u64>,
    options: &Options,
) -> Result<Input> {
    read(name, reader, size_hint, options, Early::Threads)
}

/// Reads one input as [`read_input`] does and sends a copy of each chunk of model XML
/// that becomes final while a mesh is read to `sealed`, when it has room (the reader never
/// waits), so that they can be compressed elsewhere meanwhile; give the input to
/// [`split_inputs`], whose [`Split::chunk_of`] says where each belongs.
pub fn read_input_sealing<R: Read>(
    name: &str,
    reader: R,
    size_hint: Option<u64>,
    options: &Options,
    sealed: std::sync::mpsc::SyncSender<Sealed>,
) -> Result<Input> {
    read(name, reader, size_hint, options, Early::To(sealed))
}

/// Where chunks that become final while reading go.
enum Early {
    None,
    /// To other threads, which compress them.
    Threads,
    /// To the caller.
    To(std::sync::mpsc::SyncSender<Sealed>),
}

fn read<R: Read>(name: &str, mut reader: R, size_hint: Option<u64>, options: &Options, early: Early) -> Result<Input> {
    let mut head = vec![0u8; 4096];
    let mut got = 0;
    while got < head.len() {
        match reader.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    head.truncate(got);
    // UTF-16 text (a BOM first) is read as the UTF-8 it transcodes to.
    if let Some(big_endian) = match head.get(..2) {
        Some([0xfe, 0xff]) => Some(true),
        Some([0xff, 0xfe]) => Some(false),
        _ => None,
    } {
        let rest: Box<dyn Read + '_> = Box::new(reader);
        let text = lines::Utf16 {
            inner: std::io::BufReader::new(std::io::Cursor::new(head).chain(rest)),
            big_endian,
            out: Vec::new(),
            at: 0,
        };
        // Boxed, so that this call does not make another copy of this function for its type.
        let text: Box<dyn Read + '_> = Box::new(text);
        let mut input = read(name, text, size_hint.map(|s| s / 2), options, early)?;
        input.report.warnings.insert(0, "UTF-16 text: read as UTF-8".to_string());
        return Ok(input);
    }
    let format = sniff(&head)?;
    let mut counted = Counted { inner: reader, count: got as u64 };
    let mut parsed = Parsed::new(name, format, size_hint, options);
    let threads = threads(options);
    let early = if let Early::To(tx) = early {
        parsed.early = Some(tx);
        read_format(format, &head, &mut counted, &mut parsed)?;
        parsed.early = None;
        EarlyChunks::default()
    } else if matches!(early, Early::Threads) && threads > 1 {
        #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
        {
            let (result, done) = early::compress_while(threads, options.compression_level.min(9), |tx| {
                parsed.early = Some(tx);
                let result = read_format(format, &head, &mut counted, &mut parsed);
                // The compressing threads stop once every sender is gone.
                parsed.early = None;
                result
            });
            result?;
            early::by_mesh(done, &parsed.serials, options.compression_level.min(9))
        }
        #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
        unreachable!("one thread only")
    } else {
        read_format(format, &head, &mut counted, &mut parsed)?;
        EarlyChunks::default()
    };
    parsed.finish(counted.count, early)
}

/// Reads a binary STL handed over in pieces (as a browser's `File` stream gives them), with
/// the results [`read_input`] gives for the whole file; the chunks that become final go to
/// `sealed`, if given, as [`read_input_sealing`] sends them. Give it only files that
/// [`is_binary_stl`] says are binary STLs: others are refused.
pub struct BinaryStlFeed {
    parsed: Parsed,
    /// The first bytes, until there are enough to know the format.
    head: Vec<u8>,
    records: Option<stl::Records>,
    count: u64,
}

/// How many first bytes tell a file's format.
const HEAD: usize = 4096;

/// Whether a file whose first bytes (4096, or the whole file if shorter) are `head` is read
/// as a binary STL.
pub fn is_binary_stl(head: &[u8]) -> bool {
    !matches!(head.get(..2), Some([0xfe, 0xff] | [0xff, 0xfe])) && matches!(sniff(head), Ok("binary-stl"))
}

impl BinaryStlFeed {
    /// A feed for the file `name`, of `size_hint` bytes if known (only to size allocations
    /// and to check the header's triangle count, as in [`read_input`]).
    pub fn new(
        name: &str,
        size_hint: Option<u64>,
        options: &Options,
        sealed: Option<std::sync::mpsc::SyncSender<Sealed>>,
    ) -> BinaryStlFeed {
        let mut parsed = Parsed::new(name, "binary-stl", size_hint, options);
        parsed.early = sealed;
        BinaryStlFeed { parsed, head: Vec::new(), records: None, count: 0 }
    }

    /// Reads the next piece of the file. After an error the feed is of no more use.
    pub fn push(&mut self, mut bytes: &[u8]) -> Result<()> {
        self.count += bytes.len() as u64;
        if self.records.is_none() {
            let n = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.head.len() < HEAD {
                return Ok(());
            }
            self.start()?;
        }
        match &mut self.records {
            Some(records) => records.feed(bytes, &mut self.parsed),
            None => unreachable!("started above"),
        }
    }

    /// Reads the head once it is known to be a binary STL's.
    fn start(&mut self) -> Result<()> {
        if !is_binary_stl(&self.head) {
            sniff(&self.head)?;
            return Err(Error::unsupported("not a binary STL: read it whole instead"));
        }
        let head = std::mem::take(&mut self.head);
        let mut records = stl::Records::start(&head[..head.len().min(84)], &mut self.parsed)?;
        records.feed(&head[84..], &mut self.parsed)?;
        self.records = Some(records);
        Ok(())
    }

    /// Ends the file: its meshes and report, or the error [`read_input`] gives.
    pub fn finish(mut self) -> Result<Input> {
        if self.records.is_none() {
            self.start()?;
        }
        let records = self.records.take().expect("started above");
        records.finish(&mut self.parsed)?;
        self.parsed.early = None;
        self.parsed.finish(self.count, EarlyChunks::default())
    }
}

impl Parsed {
    fn new(name: &str, format: &str, size_hint: Option<u64>, options: &Options) -> Parsed {
        Parsed {
            stem: stem(name).to_string(),
            scale: options.unit.to_mm(),
            size_hint,
            options: options.clone(),
            meshes: Vec::new(),
            report: InputReport { name: name.to_string(), format: format.to_string(), ..InputReport::default() },
            estimated: false,
            early: None,
            serials: Vec::new(),
        }
    }

    /// The input read, `bytes` long, or an error if no mesh has a triangle.
    fn finish(mut self, bytes: u64, early: EarlyChunks) -> Result<Input> {
        self.report.bytes = bytes;
        if self.meshes.is_empty() {
            let read: u64 = self.report.objects.iter().map(|o| o.triangles_read).sum();
            return Err(Error::no_geometry(if read == 0 {
                "no triangles in this file: nothing to convert".to_string()
            } else {
                format!("all {read} triangles are degenerate (corners at the same point): nothing to convert")
            }));
        }
        Ok(Input { meshes: self.meshes, report: self.report, early, serials: self.serials })
    }
}

/// Reads the meshes of one input of a known format; `head` was taken from `counted`.
fn read_format<R: Read>(format: &str, head: &[u8], counted: &mut Counted<R>, parsed: &mut Parsed) -> Result<()> {
    match format {
        "binary-stl" => stl::read_binary(head, counted, parsed),
        "ascii-stl" => stl::read_ascii(head, counted, parsed),
        #[cfg(feature = "read3mf")]
        "3mf" => {
            // A zip needs seeking: the package is held in memory (it is compressed).
            let max = parsed.options.max_package_bytes;
            let mut bytes = head.to_vec();
            counted.take(max.saturating_add(1).saturating_sub(head.len() as u64)).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > max {
                return Err(Error::limit(
                    Position::Whole,
                    format!("a 3MF package over {} MiB; raise the package size limit to read it", max >> 20),
                ));
            }
            threemf::read::read(std::io::Cursor::new(bytes), parsed)
        }
        _ => obj::read(head, counted, parsed),
    }
}

struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Names the format of a file from its first bytes, or says what it is instead.
fn sniff(head: &[u8]) -> Result<&'static str> {
    let magic: &[(&[u8], &str)] = &[
        (b"PK\x05\x06", "this is an empty ZIP archive"),
        (b"Rar!\x1a\x07", "this is a RAR archive: extract it first"),
        (b"7z\xbc\xaf\x27\x1c", "this is a 7-Zip archive: extract it first"),
        (b"\x1f\x8b", "this file is gzip-compressed: decompress it first"),
        (b"glTF", "this is a binary glTF file: export it as STL or OBJ"),
        (b"ply", "this is a PLY file: export it as STL or OBJ"),
        (b"ISO-10303-21", "this is a STEP file: export it as STL or OBJ from your CAD program"),
        (b"\x89PNG", "this is a PNG picture, not a mesh"),
        (b"\xff\xd8\xff", "this is a JPEG picture, not a mesh"),
        (b"%PDF", "this is a PDF document, not a mesh"),
    ];
    if head.is_empty() {
        return Err(Error::no_geometry("the file is empty (0 bytes)"));
    }
    if head.starts_with(b"PK\x03\x04") {
        return if cfg!(feature = "read3mf") {
            Ok("3mf")
        } else {
            Err(Error::unsupported("a ZIP archive or 3MF package, which this build does not read"))
        };
    }
    if let Some((_, message)) = magic.iter().find(|(m, _)| head.starts_with(m)) {
        return Err(Error::unsupported(*message));
    }
    if stl::looks_ascii(head) {
        Ok("ascii-stl")
    } else if obj::looks_obj(head) {
        Ok("obj")
    } else if is_text(head) {
        Err(Error::unsupported("a text file that is neither an ASCII STL (starting with 'solid') nor an OBJ"))
    } else {
        Ok("binary-stl")
    }
}

/// Text has no control characters but blanks (and the DOS end-of-file mark).
pub(crate) fn is_text(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1a))
}

/// Parses a decimal number as the nearest f32 (`1e+000` and `-.5` included).
#[inline]
pub(crate) fn parse_f32(token: &[u8]) -> Option<f32> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// Reads every input and writes the meshes of those that could be read into one package.
/// An input that fails is reported and left out; the others are still written. When no
/// package could be written, `Report::error` says why and `out` may hold a partial package
/// (write to a temporary file and keep it only when the report has no error).
pub fn convert<R: Read, W: std::io::Write>(
    inputs: impl IntoIterator<Item = (String, R, Option<u64>)>,
    out: W,
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Report {
    let read = inputs.into_iter().map(|(name, reader, size)| {
        let input = read_input(&name, reader, size, options);
        (name, input)
    });
    let (mut report, read) = gather(read);
    let meshes: Vec<&Mesh> = read.iter().flat_map(|i| i.meshes.iter()).collect();
    match write_3mf(out, &meshes, None, options, progress) {
        Ok(stats) => report.written(stats),
        Err(e) => report.error = Some((&e).into()),
    }
    report
}

/// Like [`convert`], with the model XML compressed elsewhere: reads every input (sending
/// the chunks that become final meanwhile to `sealed`, if given, as [`read_input_sealing`]
/// does) and writes the package's head (see [`write_3mf_head`]), unless nothing could be
/// written (then `Report::error` says why). Place the [`Split`]'s chunks after the head, in
/// order, and finish with [`SplitPackage::finish`] and [`Report::written`].
pub fn convert_split<R: Read, W: std::io::Write>(
    inputs: impl IntoIterator<Item = (String, R, Option<u64>)>,
    out: W,
    options: &Options,
    sealed: Option<std::sync::mpsc::SyncSender<Sealed>>,
) -> (Report, Option<Split<W>>) {
    let read = inputs.into_iter().map(|(name, reader, size)| {
        let input = match &sealed {
            Some(tx) => read_input_sealing(&name, reader, size, options, tx.clone()),
            None => read_input(&name, reader, size, options),
        };
        (name, input)
    });
    split_inputs(read, out, options)
}

/// [`convert_split`] for inputs already read (each with its name, or the error reading it
/// gave), as a [`BinaryStlFeed`] reads them.
pub fn split_inputs<W: std::io::Write>(
    inputs: impl IntoIterator<Item = (String, Result<Input>)>,
    out: W,
    options: &Options,
) -> (Report, Option<Split<W>>) {
    let (mut report, read) = gather(inputs);
    let serials = read.iter().flat_map(|i| i.serials.iter().copied()).collect();
    let meshes: Vec<Mesh> = read.into_iter().flat_map(|i| i.meshes).collect();
    let refs: Vec<&Mesh> = meshes.iter().collect();
    match write_3mf_head(out, &refs, None, options) {
        Ok(package) => {
            let chunks = ModelChunks::new(&refs, options);
            (report, Some(Split { package, meshes, chunks, serials }))
        }
        Err(e) => {
            report.error = Some((&e).into());
            (report, None)
        }
    }
}

/// A package whose head is written (see [`convert_split`]): its meshes and the chunks of
/// model XML left to place after the head.
pub struct Split<W: std::io::Write> {
    /// The package, to finish once every chunk is placed.
    pub package: SplitPackage<W>,
    /// Every mesh of the package, in order.
    pub meshes: Vec<Mesh>,
    /// The model XML's chunks.
    pub chunks: ModelChunks,
    serials: Vec<u64>,
}

impl<W: std::io::Write> Split<W> {
    /// Which chunk a chunk sealed while reading is (its bytes are then those of its
    /// [`Elements::compress`]), or `None` if its mesh was left out.
    pub fn chunk_of(&self, sealed: &Sealed) -> Option<usize> {
        let mesh = self.serials.iter().position(|&s| s == sealed.serial)?;
        self.chunks.sealed((mesh, sealed.elements.is_triangles(), sealed.k))
    }
}

/// The reports of inputs read (or not), and those that were.
fn gather(inputs: impl IntoIterator<Item = (String, Result<Input>)>) -> (Report, Vec<Input>) {
    let mut report = Report::default();
    let mut read = Vec::new();
    for (name, input) in inputs {
        match input {
            Ok(input) => {
                report.inputs.push(input.report.clone());
                read.push(input);
            }
            Err(e) => report.inputs.push(failed_report(&name, &e)),
        }
    }
    (report, read)
}

/// The report for an input that could not be read.
pub fn failed_report(name: &str, error: &Error) -> InputReport {
    InputReport { name: name.to_string(), error: Some(error.into()), ..InputReport::default() }
}

//! The 3MF package writer: content types, relationships and the model part at
//! `/3D/3dmodel.model` (the only path Cura reads), streamed through the compressor.

use std::io::Write;

#[cfg(feature = "read3mf")]
pub(crate) mod read;

use crate::deflate;
use crate::error::{Error, ErrorKind, Result};
use crate::mesh::Mesh;
use crate::number::{push_f32, push_u32, Cursor, MAX_PLAIN};
use crate::options::{Layout, Options};
use crate::zip::ZipWriter;
use crate::Input;

const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>"#,
    r#"<Default Extension="png" ContentType="image/png"/>"#,
    r#"<Default Extension="jpeg" ContentType="image/jpeg"/>"#,
    "</Types>\n"
);

const MODEL_PATH: &str = "3D/3dmodel.model";
const REL_MODEL: &str = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";
const REL_THUMBNAIL: &str = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail";
const THUMBNAIL_PATH: &str = "Metadata/thumbnail.png";

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PackageStats {
    /// Objects with a mesh.
    pub objects: u64,
    /// Size of the model XML before compression.
    pub model_bytes: u64,
    /// Size of the whole package.
    pub package_bytes: u64,
}

/// Writes `meshes` as one 3MF package to `out`, one named object each, placed as
/// `options.layout` says. `thumbnail_png`, if given, becomes `/Metadata/thumbnail.png`
/// with its package relationship. `progress` is called now and then with
/// (elements written, elements in all).
pub fn write_3mf<W: Write>(
    out: W,
    meshes: &[&Mesh],
    thumbnail_png: Option<&[u8]>,
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackageStats> {
    write(out, meshes, thumbnail_png, options, &|_, _| None, progress)
}

/// Writes the meshes of `inputs` as [`write_3mf`] does, the same bytes, taking the chunks
/// of model XML that [`read_input_compressing`](crate::read_input_compressing) compressed
/// while reading instead of making them again.
pub fn write_3mf_inputs<W: Write>(
    out: W,
    inputs: &[&Input],
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackageStats> {
    let meshes: Vec<&Mesh> = inputs.iter().flat_map(|i| i.meshes.iter()).collect();
    let owner: Vec<(usize, usize)> =
        inputs.iter().enumerate().flat_map(|(j, i)| (0..i.meshes.len()).map(move |m| (j, m))).collect();
    let level = options.compression_level.min(9);
    let early = |m: usize, key: (bool, usize)| {
        let (j, local) = owner[m];
        let early = &inputs[j].early;
        early.chunks.get(&(local, key.0, key.1)).filter(|_| early.level == level)
    };
    write(out, &meshes, None, options, &early, progress)
}

/// A chunk compressed beforehand: by mesh index, triangles (or vertices), chunk number.
type Early<'a> = &'a dyn Fn(usize, (bool, usize)) -> Option<&'a deflate::Compressed>;

fn write<W: Write>(
    out: W,
    meshes: &[&Mesh],
    thumbnail_png: Option<&[u8]>,
    options: &Options,
    early: Early,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackageStats> {
    let level = options.compression_level.min(9);
    let mut zip = head(out, meshes, thumbnail_png, level)?;
    let threads = crate::threads(options);
    let model = Model::new(meshes, options);
    let total = model.elements.iter().sum();
    let mut done = 0;
    let ready = |i| model.early_key(i).and_then(|(m, key)| early(m, key));
    let render = |i, b: &mut Vec<u8>| model.render(meshes, i, b);
    let (crc, model_bytes) =
        deflate::write_entry(&mut zip, level, threads, model.chunks.len(), &render, &ready, &mut |i| {
            done += model.elements[i];
            progress(done, total);
        })?;
    zip.finish_entry(crc, model_bytes)?;
    let (_, package_bytes) = zip.finish()?;
    Ok(PackageStats { objects: meshes.len() as u64, model_bytes, package_bytes })
}

/// Every part before the model's data, and the model's local header.
fn head<W: Write>(out: W, meshes: &[&Mesh], thumbnail_png: Option<&[u8]>, level: u32) -> Result<ZipWriter<W>> {
    if meshes.is_empty() {
        return Err(Error::no_geometry("no object to write: every input was empty or failed"));
    }
    if let Some(m) = meshes.iter().find(|m| m.triangles.is_empty()) {
        return Err(Error::new(ErrorKind::Usage(format!("object '{}' has no triangle", m.name))));
    }
    let mut zip = ZipWriter::new(out);
    // The small parts take no time at zlib's level 6, whatever the model's level.
    let small = if level == 0 { 0 } else { 6 };
    zip.add("[Content_Types].xml", CONTENT_TYPES.as_bytes(), small)?;
    zip.add("_rels/.rels", rels(thumbnail_png.is_some()).as_bytes(), small)?;
    if let Some(png) = thumbnail_png {
        zip.add(THUMBNAIL_PATH, png, 0)?;
    }
    zip.start(MODEL_PATH, model_size_bound(meshes) >= 0xFFFF_FFFF, crate::zip::DEFLATED)?;
    Ok(zip)
}

/// A package written up to its model's compressed data, which is made elsewhere (see
/// [`ModelChunks`]); [`finish`](SplitPackage::finish) writes the rest.
pub struct SplitPackage<W: Write> {
    zip: ZipWriter<W>,
    objects: u64,
}

/// Writes the parts of a package before its model's compressed data: the same bytes as
/// [`write_3mf`] writes first. The model's chunks (see [`ModelChunks`]), compressed anywhere
/// and placed in order after these bytes, and then [`SplitPackage::finish`], make the same
/// package as `write_3mf` does.
pub fn write_3mf_head<W: Write>(
    out: W,
    meshes: &[&Mesh],
    thumbnail_png: Option<&[u8]>,
    options: &Options,
) -> Result<SplitPackage<W>> {
    let zip = head(out, meshes, thumbnail_png, options.compression_level.min(9))?;
    Ok(SplitPackage { zip, objects: meshes.len() as u64 })
}

impl<W: Write> SplitPackage<W> {
    /// Ends the package once every chunk of the model was placed after what was written so
    /// far, given each chunk's CRC-32, XML size and compressed size, in order: the stream's
    /// final block, the descriptor, the directory.
    pub fn finish(mut self, chunks: impl IntoIterator<Item = ChunkSums>) -> Result<PackageStats> {
        let (mut crc, mut model_bytes, mut compressed) = (crc32fast::Hasher::new(), 0, 0);
        for c in chunks {
            crc.combine(&crc32fast::Hasher::new_with_initial_len(c.crc, c.xml_bytes));
            model_bytes += c.xml_bytes;
            compressed += c.compressed_bytes;
        }
        self.zip.skip(compressed);
        self.zip.write_raw(&deflate::FINAL_BLOCK)?;
        self.zip.finish_entry(crc.finalize(), model_bytes)?;
        let (_, package_bytes) = self.zip.finish()?;
        Ok(PackageStats { objects: self.objects, model_bytes, package_bytes })
    }
}

/// What [`SplitPackage::finish`] needs to know of one compressed chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSums {
    /// CRC-32 of the chunk's XML.
    pub crc: u32,
    /// Size of the chunk's XML.
    pub xml_bytes: u64,
    /// Size of the chunk compressed.
    pub compressed_bytes: u64,
}

/// The model XML of a package as chunks of whole elements, each compressed on its own,
/// so that several threads or workers can share the work; see [`write_3mf_head`].
pub struct ModelChunks {
    model: Model,
    deflate: deflate::Chunks,
}

impl ModelChunks {
    /// The chunks of the package [`write_3mf`] would write for `meshes` and `options`.
    pub fn new(meshes: &[&Mesh], options: &Options) -> ModelChunks {
        ModelChunks { model: Model::new(meshes, options), deflate: deflate::Chunks::new(options.compression_level) }
    }

    /// How many chunks there are.
    pub fn len(&self) -> usize {
        self.model.chunks.len()
    }

    /// Whether there is no chunk (never the case for a package with an object).
    pub fn is_empty(&self) -> bool {
        self.model.chunks.is_empty()
    }

    /// Vertices and triangles in chunk `i`, for progress.
    pub fn elements(&self, i: usize) -> u64 {
        self.model.elements[i]
    }

    /// Chunk `k ≥ 1` of mesh `m`'s long run of vertices (or triangles), if there is one.
    pub(crate) fn sealed(&self, key: (usize, bool, usize)) -> Option<usize> {
        let (m, triangles, k) = key;
        // A long run's chunk k ≥ 1 lies k - 1 chunks after its chunk 1.
        let one = (0..self.len()).find(|&i| self.model.early_key(i) == Some((m, (triangles, 1))))?;
        Some(one + k - 1).filter(|&i| self.model.early_key(i) == Some((m, (triangles, k))))
    }

    /// A copy of chunk `i`'s elements if they are all it holds (no markup around them), so
    /// that it can be made elsewhere with [`Elements::compress`](crate::Elements::compress):
    /// the same bytes as [`compress`](Self::compress).
    pub fn run(&self, meshes: &[&Mesh], i: usize) -> Option<crate::Elements> {
        match &self.model.chunks[i][..] {
            [Piece::Vertices(m, r)] => Some(crate::Elements::Vertices(meshes[*m].vertices[r.clone()].to_vec())),
            [Piece::Triangles(m, r)] => Some(crate::Elements::Triangles(meshes[*m].triangles[r.clone()].to_vec())),
            _ => None,
        }
    }

    /// Writes and compresses chunk `i` (below [`len`](Self::len)); `meshes` must be those
    /// the chunks were made for. Returns the compressed bytes and the chunk's sums.
    pub fn compress(&mut self, meshes: &[&Mesh], i: usize) -> (Vec<u8>, ChunkSums) {
        let mut xml = Vec::new();
        self.model.render(meshes, i, &mut xml);
        let mut out = Vec::new();
        self.deflate.chunk(&xml, &mut out);
        let sums =
            ChunkSums { crc: crc32fast::hash(&xml), xml_bytes: xml.len() as u64, compressed_bytes: out.len() as u64 };
        (out, sums)
    }
}

fn rels(thumbnail: bool) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
    ));
    s += &format!(r#"<Relationship Target="/{MODEL_PATH}" Id="rel0" Type="{REL_MODEL}"/>"#);
    if thumbnail {
        s += &format!(r#"<Relationship Target="/{THUMBNAIL_PATH}" Id="rel1" Type="{REL_THUMBNAIL}"/>"#);
    }
    s + "</Relationships>\n"
}

/// An upper bound of the model XML's size, to decide on ZIP64 before writing.
fn model_size_bound(meshes: &[&Mesh]) -> u64 {
    // Longest plain f32 is 54 characters; a vertex element adds 25, a triangle 29 + 3×10.
    meshes
        .iter()
        .map(|m| 4096 + 6 * m.name.len() as u64 + 187 * m.vertices.len() as u64 + 59 * m.triangles.len() as u64)
        .sum::<u64>()
        + 65536
}

/// Elements (vertices or triangles) per chunk of model XML: about 1.5 MB of text.
pub(crate) const ELEMENTS_PER_CHUNK: usize = 1 << 15;

/// A piece of the model XML.
enum Piece {
    Text(Vec<u8>),
    /// Mesh index and the range of its vertices.
    Vertices(usize, std::ops::Range<usize>),
    /// Mesh index and the range of its triangles.
    Triangles(usize, std::ops::Range<usize>),
}

/// The model XML cut into chunks of whole elements, so that each chunk can be written and
/// compressed on its own thread; the cuts depend on the meshes only, so the bytes do not
/// depend on the thread count.
struct Model {
    chunks: Vec<Vec<Piece>>,
    /// Elements in each chunk, for progress.
    elements: Vec<u64>,
}

impl Model {
    fn new(meshes: &[&Mesh], options: &Options) -> Model {
        let mut model = Model { chunks: vec![Vec::new()], elements: vec![0] };
        let mut b = Vec::new();
        b.extend_from_slice(br#"<?xml version="1.0" encoding="UTF-8"?>"#);
        b.extend_from_slice(b"\n<model unit=\"millimeter\" xml:lang=\"en-US\" xmlns=\"http://schemas.microsoft.com/3dmanufacturing/core/2015/02\">\n");
        let md = &options.metadata;
        let app = concat!("to3mf ", env!("CARGO_PKG_VERSION"));
        let entries: [(&str, Option<&str>); 9] = [
            ("Title", md.title.as_deref()),
            ("Designer", md.designer.as_deref()),
            ("Description", md.description.as_deref()),
            ("Copyright", md.copyright.as_deref()),
            ("LicenseTerms", md.license_terms.as_deref()),
            ("Rating", md.rating.as_deref()),
            ("CreationDate", md.creation_date.as_deref()),
            ("ModificationDate", md.modification_date.as_deref()),
            ("Application", Some(app)),
        ];
        for (name, value) in entries {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                b.extend_from_slice(b" <metadata name=\"");
                b.extend_from_slice(name.as_bytes());
                b.extend_from_slice(b"\">");
                escape(&mut b, v);
                b.extend_from_slice(b"</metadata>\n");
            }
        }
        b.extend_from_slice(b" <resources>\n");
        for (i, m) in meshes.iter().enumerate() {
            b.extend_from_slice(b"  <object id=\"");
            push_u32(&mut b, i as u32 + 1);
            b.extend_from_slice(b"\" type=\"model\" name=\"");
            escape(&mut b, &m.name);
            b.extend_from_slice(b"\">\n   <mesh>\n    <vertices>");
            model.text(&mut b);
            model.elements(m.vertices.len(), |r| Piece::Vertices(i, r));
            b.extend_from_slice(b"</vertices>\n    <triangles>");
            model.text(&mut b);
            model.elements(m.triangles.len(), |r| Piece::Triangles(i, r));
            b.extend_from_slice(b"</triangles>\n   </mesh>\n  </object>\n");
        }
        let placed = crate::layout::placements(meshes, options.layout, options.spacing_mm);
        let mut items: Vec<(u32, Option<[f32; 3]>)> = Vec::new();
        match options.layout {
            Layout::Keep => items.extend((1..=meshes.len() as u32).map(|id| (id, None))),
            Layout::Arrange => items.extend(placed.into_iter().enumerate().map(|(i, t)| (i as u32 + 1, Some(t)))),
            Layout::Assembly => {
                let id = meshes.len() as u32 + 1;
                let name = md.title.clone().unwrap_or_else(|| meshes[0].name.clone());
                b.extend_from_slice(b"  <object id=\"");
                push_u32(&mut b, id);
                b.extend_from_slice(b"\" type=\"model\" name=\"");
                escape(&mut b, &name);
                b.extend_from_slice(b"\">\n   <components>\n");
                for i in 1..id {
                    b.extend_from_slice(b"    <component objectid=\"");
                    push_u32(&mut b, i);
                    b.extend_from_slice(b"\"/>\n");
                }
                b.extend_from_slice(b"   </components>\n  </object>\n");
                items.push((id, Some(placed[0])));
            }
        }
        b.extend_from_slice(b" </resources>\n <build>\n");
        for (id, t) in items {
            b.extend_from_slice(b"  <item objectid=\"");
            push_u32(&mut b, id);
            if let Some(t) = t {
                b.extend_from_slice(b"\" transform=\"1 0 0 0 1 0 0 0 1 ");
                push_f32(&mut b, t[0]);
                b.push(b' ');
                push_f32(&mut b, t[1]);
                b.push(b' ');
                push_f32(&mut b, t[2]);
            }
            b.extend_from_slice(b"\"/>\n");
        }
        b.extend_from_slice(b" </build>\n</model>\n");
        model.text(&mut b);
        if model.chunks.last().is_some_and(|c| c.is_empty()) {
            model.chunks.pop();
            model.elements.pop();
        }
        model
    }

    /// Moves the text in `b` to the end of the last chunk.
    fn text(&mut self, b: &mut Vec<u8>) {
        let chunk = self.chunks.last_mut().expect("a chunk is always open");
        match chunk.last_mut() {
            Some(Piece::Text(t)) => t.append(b),
            _ => chunk.push(Piece::Text(std::mem::take(b))),
        }
    }

    /// Adds `n` elements, opening a new chunk whenever one is full. A run of more than
    /// one chunk's worth starts a chunk of its own, so that its later chunks hold exactly
    /// elements `k·E..(k+1)·E` and nothing else: the reader can compress those while the
    /// mesh is still growing (see [`crate::early`]).
    fn elements(&mut self, n: usize, piece: impl Fn(std::ops::Range<usize>) -> Piece) {
        if n > ELEMENTS_PER_CHUNK && *self.elements.last().expect("open") > 0 {
            self.chunks.push(Vec::new());
            self.elements.push(0);
        }
        let mut start = 0;
        while start < n {
            let room = ELEMENTS_PER_CHUNK - *self.elements.last().expect("open") as usize;
            let end = n.min(start + room);
            self.chunks.last_mut().expect("open").push(piece(start..end));
            *self.elements.last_mut().expect("open") += (end - start) as u64;
            if end - start == room {
                self.chunks.push(Vec::new());
                self.elements.push(0);
            }
            start = end;
        }
    }

    /// Mesh index, triangles (or vertices) and chunk number in the run, if chunk `i` is
    /// chunk `k ≥ 1` of a long run and nothing else (see [`crate::early`]).
    fn early_key(&self, i: usize) -> Option<(usize, (bool, usize))> {
        let (m, triangles, r) = match &self.chunks[i][..] {
            [Piece::Vertices(m, r)] => (*m, false, r),
            [Piece::Triangles(m, r)] => (*m, true, r),
            _ => return None,
        };
        // Only long runs have a full chunk that does not start them.
        (r.start > 0 && r.len() == ELEMENTS_PER_CHUNK).then_some((m, (triangles, r.start / ELEMENTS_PER_CHUNK)))
    }

    /// Appends chunk `i`'s XML to `b`; `meshes` are those the model was made for.
    fn render(&self, meshes: &[&Mesh], i: usize, b: &mut Vec<u8>) {
        for piece in &self.chunks[i] {
            match piece {
                Piece::Text(t) => b.extend_from_slice(t),
                Piece::Vertices(m, r) => vertices(b, &meshes[*m].vertices[r.clone()]),
                Piece::Triangles(m, r) => triangles(b, &meshes[*m].triangles[r.clone()]),
            }
        }
    }
}

/// Room for one vertex element of plain numbers.
const VERTEX_ROOM: usize = 24 + 3 * MAX_PLAIN;
/// Room for one triangle element: 29 bytes of markup and three numbers of up to 10 digits.
const TRIANGLE_ROOM: usize = 59;

pub(crate) fn vertices(b: &mut Vec<u8>, vertices: &[[f32; 3]]) {
    let mut i = 0;
    while i < vertices.len() {
        let mut c = Cursor::new(b, (vertices.len() - i) * VERTEX_ROOM);
        while i < vertices.len() && vertex(&mut c, vertices[i]) {
            i += 1;
        }
        c.commit();
        // A number with an exponent in its shortest form, which `push_f32` expands.
        if let Some(v) = vertices.get(i) {
            b.extend_from_slice(b"<vertex x=\"");
            push_f32(b, v[0]);
            b.extend_from_slice(b"\" y=\"");
            push_f32(b, v[1]);
            b.extend_from_slice(b"\" z=\"");
            push_f32(b, v[2]);
            b.extend_from_slice(b"\"/>");
            i += 1;
        }
    }
}

/// Writes one vertex element, or nothing and false if a number needs `push_f32`.
#[inline(always)]
fn vertex(c: &mut Cursor, v: [f32; 3]) -> bool {
    let start = c.len();
    c.put(b"<vertex x=\"");
    let plain = c.put_f32(v[0])
        && {
            c.put(b"\" y=\"");
            c.put_f32(v[1])
        }
        && {
            c.put(b"\" z=\"");
            c.put_f32(v[2])
        };
    if !plain {
        c.truncate(start);
        return false;
    }
    c.put(b"\"/>");
    true
}

pub(crate) fn triangles(b: &mut Vec<u8>, triangles: &[[u32; 3]]) {
    let mut c = Cursor::new(b, triangles.len() * TRIANGLE_ROOM);
    for t in triangles {
        c.put(b"<triangle v1=\"");
        c.put_u32(t[0]);
        c.put(b"\" v2=\"");
        c.put_u32(t[1]);
        c.put(b"\" v3=\"");
        c.put_u32(t[2]);
        c.put(b"\"/>");
    }
    c.commit();
}

/// Appends `s` escaped for XML text and attributes; characters XML 1.0 forbids are dropped.
fn escape(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\'' => out.extend_from_slice(b"&apos;"),
            '\t' => out.extend_from_slice(b"&#9;"),
            '\n' => out.extend_from_slice(b"&#10;"),
            '\r' => out.extend_from_slice(b"&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast element writers give the text of the plain ones, exponent values (which
    /// take the slow path) and the longest numbers included.
    #[test]
    fn element_writers_match_push_f32_and_push_u32() {
        let mut vs: Vec<[f32; 3]> = (0..30_000u32)
            .map(|i| [f32::from_bits(i.wrapping_mul(2_654_435_761)), i as f32 * 0.1, -(i as f32)])
            .collect();
        vs.retain(|v| v.iter().all(|x| x.is_finite()));
        vs.extend([[f32::MAX, f32::MIN, f32::MIN_POSITIVE], [1e-45, -1e-45, 1e30], [-0.0, 0.0, 1.0]]);
        let (mut fast, mut plain) = (Vec::new(), Vec::new());
        vertices(&mut fast, &vs);
        for v in &vs {
            plain.extend_from_slice(b"<vertex x=\"");
            push_f32(&mut plain, v[0]);
            plain.extend_from_slice(b"\" y=\"");
            push_f32(&mut plain, v[1]);
            plain.extend_from_slice(b"\" z=\"");
            push_f32(&mut plain, v[2]);
            plain.extend_from_slice(b"\"/>");
        }
        assert!(vs.len() > 20_000 && fast == plain);
        let ts: Vec<[u32; 3]> = (0..20_000u32)
            .map(|i| [i, i.wrapping_mul(2_654_435_761), u32::MAX - i])
            .chain([[0, 9, 10], [99, 100, 999_999_999]])
            .collect();
        let (mut fast, mut plain) = (Vec::new(), Vec::new());
        triangles(&mut fast, &ts);
        for t in &ts {
            plain.extend_from_slice(format!("<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>", t[0], t[1], t[2]).as_bytes());
        }
        assert!(fast == plain);
    }

    #[test]
    fn escape_handles_markup_and_control_characters() {
        let mut v = Vec::new();
        escape(&mut v, "a<b>&\"c'\u{1}\td");
        assert_eq!(String::from_utf8(v).unwrap(), "a&lt;b&gt;&amp;&quot;c&apos;&#9;d");
    }
}

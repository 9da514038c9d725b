//! The model XML cut into chunks of whole elements, each written and compressed on its own.

use super::chunk::{ChunkSums, Elements, ELEMENTS_PER_CHUNK};
use super::deflate;
use super::layout::placements;
use super::number::{push_f32, push_u32};
use super::xml::{escape, triangles, vertices};
use crate::error::{Error, ErrorKind, Result};
use crate::mesh::Mesh;
use crate::options::{Layout, Options};

/// The model XML of a package as chunks of whole elements, each compressed on its own,
/// so that several threads or workers can share the work; see [`write_3mf_head`](super::write_3mf_head).
pub struct ModelChunks {
    model: Model,
    deflate: deflate::Chunks,
}

impl ModelChunks {
    /// The chunks of the package [`write_3mf`](super::write_3mf) would write for `meshes` and
    /// `options`, or the error it would give for them (nothing to write, or a mesh placed
    /// beyond the coordinates 3MF readers accept).
    pub fn new(meshes: &[&Mesh], options: &Options) -> Result<ModelChunks> {
        Ok(ModelChunks {
            model: Model::new(meshes, options)?,
            deflate: deflate::Chunks::new(options.compression_level),
        })
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
    /// that it can be made elsewhere with [`Elements::compress`]:
    /// the same bytes as [`compress`](Self::compress).
    pub fn run(&self, meshes: &[&Mesh], i: usize) -> Option<Elements> {
        match &self.model.chunks[i][..] {
            [Piece::Vertices(m, r)] => Some(Elements::Vertices(meshes[*m].vertices[r.clone()].to_vec())),
            [Piece::Triangles(m, r)] => Some(Elements::Triangles(meshes[*m].triangles[r.clone()].to_vec())),
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

/// A piece of the model XML.
pub(crate) enum Piece {
    Text(Vec<u8>),
    /// Mesh index and the range of its vertices.
    Vertices(usize, std::ops::Range<usize>),
    /// Mesh index and the range of its triangles.
    Triangles(usize, std::ops::Range<usize>),
}

/// The model XML cut into chunks of whole elements, so that each chunk can be written and
/// compressed on its own thread; the cuts depend on the meshes only, so the bytes do not
/// depend on the thread count.
pub(crate) struct Model {
    pub(crate) chunks: Vec<Vec<Piece>>,
    /// Elements in each chunk, for progress.
    pub(crate) elements: Vec<u64>,
}

/// An error unless there is something to write: an object at least, each with a triangle.
pub(crate) fn check_objects(meshes: &[&Mesh]) -> Result<()> {
    if meshes.is_empty() {
        return Err(Error::no_geometry("no object to write: every input was empty or failed"));
    }
    if let Some(m) = meshes.iter().find(|m| m.triangles.is_empty()) {
        return Err(Error::new(ErrorKind::Usage(format!("object '{}' has no triangle", m.name))));
    }
    Ok(())
}

impl Model {
    /// The model of `meshes`, or an error if it cannot be written (see [`ModelChunks::new`]).
    pub(crate) fn new(meshes: &[&Mesh], options: &Options) -> Result<Model> {
        check_objects(meshes)?;
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
        let placed = placements(meshes, options.layout, options.spacing_mm)?;
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
        Ok(model)
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
    /// mesh is still growing (see [`super::chunk`]).
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
    /// chunk `k ≥ 1` of a long run and nothing else (see [`super::chunk`]).
    pub(crate) fn early_key(&self, i: usize) -> Option<(usize, (bool, usize))> {
        let (m, triangles, r) = match &self.chunks[i][..] {
            [Piece::Vertices(m, r)] => (*m, false, r),
            [Piece::Triangles(m, r)] => (*m, true, r),
            _ => return None,
        };
        // Only long runs have a full chunk that does not start them.
        (r.start > 0 && r.len() == ELEMENTS_PER_CHUNK).then_some((m, (triangles, r.start / ELEMENTS_PER_CHUNK)))
    }

    /// Appends chunk `i`'s XML to `b`; `meshes` are those the model was made for.
    pub(crate) fn render(&self, meshes: &[&Mesh], i: usize, b: &mut Vec<u8>) {
        for piece in &self.chunks[i] {
            match piece {
                Piece::Text(t) => b.extend_from_slice(t),
                Piece::Vertices(m, r) => vertices(b, &meshes[*m].vertices[r.clone()]),
                Piece::Triangles(m, r) => triangles(b, &meshes[*m].triangles[r.clone()]),
            }
        }
    }
}

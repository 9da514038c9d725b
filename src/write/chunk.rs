//! The chunk geometry of the model XML, and compressing a mesh's chunks while the mesh is
//! still being read.
//!
//! The package writer cuts a run of more than one chunk's worth of vertices (or triangles)
//! at multiples of [`E`], so once a mesh has more than `(k + 1)·E` of them, its chunk
//! `k ≥ 1` is final: nothing but those elements, never the last of the run. The reader
//! sends a copy of it to another thread, which writes and compresses it exactly as the
//! writer would, and the writer takes these chunks instead of making them again. With two
//! threads, most of the compression is then done before the file is read to its end.

use std::collections::HashMap;
use std::sync::mpsc::SyncSender;

use super::deflate::{self, Compressed};
use super::xml::{triangles, vertices};

/// Elements (vertices or triangles) per chunk of model XML: about 1.5 MB of text.
pub(crate) const ELEMENTS_PER_CHUNK: usize = 1 << 15;
const E: usize = ELEMENTS_PER_CHUNK;

/// Chunks of an input's model XML compressed while it was read (see
/// [`read_input_compressing`](crate::read_input_compressing)), for
/// [`write_3mf_inputs`](crate::write_3mf_inputs).
#[derive(Debug, Clone, Default)]
pub struct EarlyChunks {
    /// By mesh index (in `Input::meshes`), triangles (or vertices), chunk number in the run.
    pub(crate) chunks: HashMap<(usize, bool, usize), Compressed>,
    /// The compression level they were made at; a writer at another level ignores them.
    pub(crate) level: u32,
}

impl EarlyChunks {
    /// How many chunks are ready.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// The elements of one final chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum Elements {
    /// Vertices, in millimetres.
    Vertices(Vec<[f32; 3]>),
    /// Triangles, as vertex indices.
    Triangles(Vec<[u32; 3]>),
}

impl Elements {
    /// Writes these elements' model XML and compresses it at `level`, as the package writer
    /// makes a chunk of exactly these elements (see [`ModelChunks::run`](super::ModelChunks::run)):
    /// the same bytes and sums.
    pub fn compress(&self, level: u32) -> (Vec<u8>, ChunkSums) {
        let mut bytes = Vec::new();
        let sums = self.compress_into(&mut deflate::Chunks::new(level), &mut Vec::new(), &mut bytes);
        (bytes, sums)
    }

    /// [`compress`](Self::compress) into `out`, with buffers kept from chunk to chunk.
    pub(crate) fn compress_into(&self, c: &mut deflate::Chunks, xml: &mut Vec<u8>, out: &mut Vec<u8>) -> ChunkSums {
        xml.clear();
        match self {
            Elements::Vertices(v) => vertices(xml, v),
            Elements::Triangles(t) => triangles(xml, t),
        }
        c.chunk(xml, out);
        ChunkSums { crc: crc32fast::hash(xml), xml_bytes: xml.len() as u64, compressed_bytes: out.len() as u64 }
    }

    /// Whether these are triangles.
    pub fn is_triangles(&self) -> bool {
        matches!(self, Elements::Triangles(_))
    }
}

/// A chunk of model XML that became final while its mesh was read (see
/// [`read_input_sealing`](crate::read_input_sealing)); [`Split::chunk_of`](crate::Split::chunk_of)
/// says which chunk of the package it is.
#[derive(Debug)]
pub struct Sealed {
    pub(crate) serial: u64,
    pub(crate) k: usize,
    /// The chunk's vertices or triangles.
    pub elements: Elements,
}

/// What a mesh builder holds to send its final chunks.
#[derive(Debug)]
pub(crate) struct Sealer {
    serial: u64,
    tx: SyncSender<Sealed>,
    /// The last chunk number sent of each run (0: none, chunk 0 is never sent).
    vertices: usize,
    triangles: usize,
}

impl Sealer {
    pub(crate) fn new(serial: u64, tx: SyncSender<Sealed>) -> Sealer {
        Sealer { serial, tx, vertices: 0, triangles: 0 }
    }

    /// Sends the chunks of `vertices` and `triangles` that became final since last time.
    #[inline]
    pub(crate) fn seal(&mut self, vertices: &[[f32; 3]], triangles: &[[u32; 3]]) {
        if vertices.len() > (self.vertices + 2) * E || triangles.len() > (self.triangles + 2) * E {
            self.send(vertices, triangles);
        }
    }

    #[cold]
    fn send(&mut self, vertices: &[[f32; 3]], triangles: &[[u32; 3]]) {
        while vertices.len() > (self.vertices + 2) * E {
            let k = self.vertices + 1;
            self.vertices = k;
            // When the compressing threads are busy (or gone) the writer makes the chunk
            // later: the reader never waits for them.
            let _ = self.tx.try_send(Sealed {
                serial: self.serial,
                k,
                elements: Elements::Vertices(vertices[k * E..(k + 1) * E].to_vec()),
            });
        }
        while triangles.len() > (self.triangles + 2) * E {
            let k = self.triangles + 1;
            self.triangles = k;
            let _ = self.tx.try_send(Sealed {
                serial: self.serial,
                k,
                elements: Elements::Triangles(triangles[k * E..(k + 1) * E].to_vec()),
            });
        }
    }
}

/// A compressed chunk: the serial of the mesh builder that sent it, triangles (or
/// vertices), chunk number.
#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
pub(crate) type Done = (u64, bool, usize, Compressed);

/// Runs `read` on this thread while `threads - 1` other threads compress the chunks sent
/// to the channel it is given; `read` must drop every sender it made before it returns.
#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
pub(crate) fn compress_while<T>(
    threads: usize,
    level: u32,
    read: impl FnOnce(SyncSender<Sealed>) -> T,
) -> (T, Vec<Done>) {
    use std::sync::Mutex;
    // A few chunks in the queue: when it is full the reader sends no more, rather than wait
    // or copy a whole mesh into it.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Sealed>(2 * threads);
    let rx = Mutex::new(rx);
    let done = Mutex::new(Vec::new());
    let t = std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|| {
                let (mut c, mut xml) = (deflate::Chunks::new(level), Vec::new());
                loop {
                    let Ok(job) = rx.lock().expect("job queue").recv() else { return };
                    let mut bytes = Vec::new();
                    let sums = job.elements.compress_into(&mut c, &mut xml, &mut bytes);
                    // Kept until the writer takes it: no spare room.
                    bytes.shrink_to_fit();
                    let chunk = Compressed { bytes, crc: sums.crc, xml_bytes: sums.xml_bytes };
                    done.lock().expect("results").push((job.serial, job.elements.is_triangles(), job.k, chunk));
                }
            });
        }
        read(tx)
    });
    (t, done.into_inner().expect("results"))
}

/// Sorts compressed chunks to the meshes they belong to: `serials[i]` is the serial of the
/// builder of mesh `i`. Chunks of meshes that were left out are dropped.
#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
pub(crate) fn by_mesh(done: Vec<Done>, serials: &[u64], level: u32) -> EarlyChunks {
    let index: HashMap<u64, usize> = serials.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    let chunks = done.into_iter().filter_map(|(serial, tri, k, c)| Some(((*index.get(&serial)?, tri, k), c))).collect();
    EarlyChunks { chunks, level }
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

//! The writer: welded meshes in, a 3MF package out. Content types, relationships and the
//! model part at `/3D/3dmodel.model` (the only path Cura reads), the model XML streamed
//! through the compressor in chunks, and last the thumbnail, if there is one: readers find
//! parts by the zip's directory, and a thumbnail drawn while the model is compressed
//! elsewhere (the browser's helper worker) costs no time of its own.

use std::io::Write;

pub(crate) mod chunk;
mod deflate;
pub mod layout;
mod model;
mod number;
pub mod thumbnail;
mod xml;
pub(crate) mod zip;

pub use chunk::{ChunkSums, EarlyChunks, Elements, Sealed};
pub use deflate::deflate_chunk;
pub use model::ModelChunks;
pub use zip::write_zip;

use crate::error::{Error, ErrorKind, Result};
use crate::mesh::Mesh;
use crate::options::Options;
use crate::report::PackageStats;
use model::{check_objects, Model};
use xml::{rels, CONTENT_TYPES, MODEL_PATH, THUMBNAIL_PATH};
use zip::ZipWriter;

/// Writes `meshes` as one 3MF package to `out`, one named object each, placed as
/// `options.layout` says. `thumbnail_png`, if given, becomes `/Metadata/thumbnail.png`
/// with its package relationship; without one, `options.thumbnail` renders it. `progress`
/// is called now and then with (elements written, elements in all).
pub fn write_3mf<W: Write>(
    out: W,
    meshes: &[&Mesh],
    thumbnail_png: Option<&[u8]>,
    options: &Options,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackageStats> {
    write(out, meshes, thumbnail_png, options, &|_, _| None, progress)
}

/// A chunk compressed beforehand: by mesh index, triangles (or vertices), chunk number.
pub(crate) type Early<'a> = &'a dyn Fn(usize, (bool, usize)) -> Option<&'a deflate::Compressed>;

pub(crate) fn write<W: Write>(
    out: W,
    meshes: &[&Mesh],
    thumbnail_png: Option<&[u8]>,
    options: &Options,
    early: Early,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PackageStats> {
    let level = options.compression_level.min(9);
    // Before the first byte: what cannot be written is refused with nothing written.
    let model = Model::new(meshes, options)?;
    let mut thumbnail = Thumbnail::new(thumbnail_png, options);
    let mut zip = head(out, meshes, &thumbnail, level)?;
    let threads = options.threads();
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
    thumbnail.draw(meshes, options);
    end(zip, meshes.len() as u64, model_bytes, &thumbnail)
}

/// A package's thumbnail: none, one given, or one to draw before the package ends (the
/// relationships, written first, already name it).
#[derive(Debug, Clone, PartialEq)]
enum Thumbnail {
    None,
    Png(Vec<u8>),
    ToDraw,
}

impl Thumbnail {
    fn new(given: Option<&[u8]>, options: &Options) -> Thumbnail {
        match given {
            Some(png) => Thumbnail::Png(png.to_vec()),
            None if options.thumbnail => Thumbnail::ToDraw,
            None => Thumbnail::None,
        }
    }

    fn draw(&mut self, meshes: &[&Mesh], options: &Options) {
        if *self == Thumbnail::ToDraw {
            // `None` only for what the writer refuses first: no triangles, or no placement.
            if let Some(png) = thumbnail::picture_png(meshes, options, thumbnail::THUMBNAIL_SIZE) {
                *self = Thumbnail::Png(png);
            }
        }
    }
}

/// Every part before the model's data, and the model's local header.
fn head<W: Write>(out: W, meshes: &[&Mesh], thumbnail: &Thumbnail, level: u32) -> Result<ZipWriter<W>> {
    check_objects(meshes)?;
    let mut zip = ZipWriter::new(out);
    // The small parts take no time at zlib's level 6, whatever the model's level.
    let small = if level == 0 { 0 } else { 6 };
    zip.add("[Content_Types].xml", CONTENT_TYPES.as_bytes(), small)?;
    zip.add("_rels/.rels", rels(*thumbnail != Thumbnail::None).as_bytes(), small)?;
    zip.start(MODEL_PATH, model_size_bound(meshes) >= 0xFFFF_FFFF, zip::DEFLATED)?;
    Ok(zip)
}

/// The parts after the model's data (the thumbnail), and the zip's directory.
fn end<W: Write>(mut zip: ZipWriter<W>, objects: u64, model_bytes: u64, thumbnail: &Thumbnail) -> Result<PackageStats> {
    match thumbnail {
        Thumbnail::None => {}
        Thumbnail::Png(png) => zip.add(THUMBNAIL_PATH, png, 0)?,
        Thumbnail::ToDraw => {
            return Err(Error::new(ErrorKind::Usage("the package's thumbnail was not drawn".into())));
        }
    }
    let (_, package_bytes) = zip.finish()?;
    Ok(PackageStats { objects, model_bytes, package_bytes })
}

/// A package written up to its model's compressed data, which is made elsewhere (see
/// [`ModelChunks`]); [`finish`](SplitPackage::finish) writes the rest.
pub struct SplitPackage<W: Write> {
    zip: ZipWriter<W>,
    objects: u64,
    thumbnail: Thumbnail,
}

/// Writes the parts of a package before its model's compressed data: the same bytes as
/// [`write_3mf`] writes first. The model's chunks (see [`ModelChunks`]), compressed anywhere
/// and placed in order after these bytes, and then [`SplitPackage::finish`], make the same
/// package as `write_3mf` does. Make the chunks first: [`ModelChunks::new`] refuses what
/// `write_3mf` refuses (a mesh placed beyond the coordinates 3MF readers accept), this only
/// an empty list of objects or one without a triangle. Without `thumbnail_png`,
/// `options.thumbnail` asks for one, to be drawn with [`SplitPackage::draw_thumbnail`]
/// whenever suits before `finish`: the same bytes as `write_3mf` writes.
pub fn write_3mf_head<W: Write>(
    out: W,
    meshes: &[&Mesh],
    thumbnail_png: Option<&[u8]>,
    options: &Options,
) -> Result<SplitPackage<W>> {
    let thumbnail = Thumbnail::new(thumbnail_png, options);
    let zip = head(out, meshes, &thumbnail, options.compression_level.min(9))?;
    Ok(SplitPackage { zip, objects: meshes.len() as u64, thumbnail })
}

impl<W: Write> SplitPackage<W> {
    /// Draws the thumbnail the package is to end with, if it has none yet: `meshes` and
    /// `options` must be those of [`write_3mf_head`]. Its time is its own, so a caller with
    /// another worker compressing chunks calls this while that one is busy.
    pub fn draw_thumbnail(&mut self, meshes: &[&Mesh], options: &Options) {
        self.thumbnail.draw(meshes, options);
    }

    /// The package's thumbnail (PNG), once given or drawn.
    pub fn thumbnail(&self) -> Option<&[u8]> {
        match &self.thumbnail {
            Thumbnail::Png(png) => Some(png),
            _ => None,
        }
    }

    /// Ends the package once every chunk of the model was placed after what was written so
    /// far, given each chunk's CRC-32, XML size and compressed size, in order: the stream's
    /// final block, the descriptor, the thumbnail, the directory. A thumbnail to draw must
    /// have been drawn ([`draw_thumbnail`](Self::draw_thumbnail)), or this fails.
    pub fn finish(mut self, chunks: impl IntoIterator<Item = ChunkSums>) -> Result<PackageStats> {
        let (mut crc, mut model_bytes, mut compressed) = (crc32fast::Hasher::new(), 0, 0);
        for c in chunks {
            crc.combine(&crc32fast::Hasher::new_with_initial_len(c.crc, c.xml_bytes));
            model_bytes += c.xml_bytes;
            compressed += c.compressed_bytes;
        }
        self.zip.skip(compressed);
        self.zip.write_all(&deflate::FINAL_BLOCK)?;
        self.zip.finish_entry(crc.finalize(), model_bytes)?;
        end(self.zip, self.objects, model_bytes, &self.thumbnail)
    }
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

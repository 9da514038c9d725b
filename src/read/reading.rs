//! The reading state the format readers share: the meshes read so far and their report.

use std::io::Read;
use std::sync::mpsc::SyncSender;

use super::format::Format;
use crate::error::{Error, Result};
use crate::mesh::{Mesh, MeshBuilder};
use crate::name::stem;
use crate::options::{Metadata, Options};
use crate::report::{InputReport, ObjectReport};
use crate::write::chunk::{EarlyChunks, Sealed, Sealer};

/// One input, read and welded.
#[derive(Debug, Clone)]
pub struct Input {
    /// The meshes to write (objects with at least one triangle).
    pub meshes: Vec<Mesh>,
    /// What was read, kept and dropped.
    pub report: InputReport,
    /// Model XML compressed while reading (empty unless read by
    /// [`read_input_compressing`](super::read_input_compressing)).
    pub early: EarlyChunks,
    /// The number of the builder of each mesh, to place chunks sealed while reading.
    pub(crate) serials: Vec<u64>,
    /// The file's own package metadata (a 3MF's Title, Designer...; empty for STL and OBJ).
    pub metadata: Metadata,
}

/// Reading state shared by the format readers.
pub(crate) struct Reading {
    pub(crate) stem: String,
    pub(crate) scale: f32,
    pub(crate) size_hint: Option<u64>,
    pub(crate) options: Options,
    pub(crate) meshes: Vec<Mesh>,
    pub(crate) report: InputReport,
    estimated: bool,
    /// Where mesh builders send their final chunks, when compressing while reading.
    pub(crate) early: Option<SyncSender<Sealed>>,
    /// The number of the builder of each kept mesh.
    pub(crate) serials: Vec<u64>,
    /// The file's own package metadata.
    pub(crate) metadata: Metadata,
}

impl Reading {
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
            .with_sealer(self.early.clone().map(|tx| Sealer::new(serial, tx)))
            .with_serial(serial)
    }

    pub(crate) fn warn(&mut self, message: String) {
        self.report.warnings.push(message);
    }

    /// Finishes a mesh: reports it and keeps it if any triangle is left. A mesh that never
    /// had a triangle (an empty OBJ group, say) is not an object at all. An error only when
    /// there is no memory to count its edges.
    pub(crate) fn push(&mut self, builder: MeshBuilder) -> Result<()> {
        let read = builder.triangles_read();
        if read == 0 {
            return Ok(());
        }
        let serial = builder.serial();
        let (mesh, dropped, edges) = builder.finish_with_stats()?;
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
        Ok(())
    }
}

impl Reading {
    pub(crate) fn new(name: &str, format: Format, size_hint: Option<u64>, options: &Options) -> Reading {
        Reading {
            stem: stem(name).to_string(),
            scale: options.unit.to_mm(),
            size_hint,
            options: options.clone(),
            meshes: Vec::new(),
            report: InputReport { name: name.to_string(), format: format.name().to_string(), ..InputReport::default() },
            estimated: false,
            early: None,
            serials: Vec::new(),
            metadata: Metadata::default(),
        }
    }

    /// The input read, `bytes` long, or an error if no mesh has a triangle.
    pub(crate) fn finish(mut self, bytes: u64, early: EarlyChunks) -> Result<Input> {
        self.report.bytes = bytes;
        if self.meshes.is_empty() {
            let read: u64 = self.report.objects.iter().map(|o| o.triangles_read).sum();
            return Err(Error::no_geometry(if read == 0 {
                "no triangles in this file: nothing to convert".to_string()
            } else {
                format!("all {read} triangles are degenerate (corners at the same point): nothing to convert")
            }));
        }
        Ok(Input { meshes: self.meshes, report: self.report, early, serials: self.serials, metadata: self.metadata })
    }
}

/// Counts the bytes read through it.
pub(crate) struct Counted<R> {
    pub(crate) inner: R,
    pub(crate) count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Fills `buf` as far as the input goes; returns how many bytes were read.
pub(crate) fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

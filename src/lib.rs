//! to3mf: STL, OBJ (and existing 3MF) meshes into clean, standard 3MF packages.
//!
//! Data flows one way, and the folders say so: bytes → [`read`] (format told by content) →
//! welded [`Mesh`] → [`write`] (the 3MF package, compressed in chunks) → bytes. The
//! [`manyfold`] layer (feature `manyfold`) sits on top: archives, grouping files into
//! models, metadata and model folders. The core knows no file paths and no browser: it
//! reads from [`std::io::Read`] and writes to [`std::io::Write`], so the CLI and the
//! WebAssembly build share it unchanged.
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

mod error;
mod name;
mod options;
mod report;

pub mod read;

mod mesh;

pub mod write;

mod convert;
mod split;

#[cfg(feature = "manyfold")]
pub mod manyfold;

pub use convert::{convert, failed_report, with_own_metadata, write_3mf_inputs};
pub use error::{Error, ErrorKind, Position, Result};
pub use mesh::{Bounds, EdgeStats, Mesh, MeshBuilder};
pub use name::{stem, unique_name};
pub use options::{Layout, Metadata, Options, Unit};
#[cfg(feature = "read3mf")]
pub use read::threemf::metadata::{read_3mf_info, read_3mf_metadata, PackageInfo};
pub use read::{is_binary_stl, read_input, read_input_compressing, read_input_sealing, BinaryStlFeed, Format, Input};
pub use report::{ErrorReport, InputReport, ObjectReport, PackageStats, Report};
pub use split::{convert_split, split_inputs, Split};
pub use write::{
    deflate_chunk, layout, write_3mf, write_3mf_head, write_zip, ChunkSums, EarlyChunks, Elements, ModelChunks, Sealed,
    SplitPackage,
};

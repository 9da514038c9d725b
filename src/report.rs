//! The machine-readable account of a conversion, shared by the CLI (`--json`) and the browser.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Position};
use crate::mesh::{Bounds, EdgeStats};

/// One object of an input, as read and as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectReport {
    /// The object's name in the 3MF.
    pub name: String,
    /// Triangles read from the input for this object (after triangulating polygons).
    pub triangles_read: u64,
    /// Triangles written.
    pub triangles_written: u64,
    /// Triangles dropped because two or three corners are the same vertex.
    pub dropped_degenerate: u64,
    /// Vertices after welding.
    pub vertices: u64,
    /// Bounding box in millimetres, as in the input (before placement).
    pub bounds: Option<Bounds>,
    /// Edge statistics.
    pub edges: EdgeStats,
    /// False when the object was left out of the package (no triangle left).
    pub written: bool,
}

/// An error, in the shape every surface shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// A short machine-readable kind (`syntax`, `non_finite`, `truncated`, ...).
    pub code: String,
    /// Where, if somewhere in particular.
    pub position: Position,
    /// The whole message, position included.
    pub message: String,
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> ErrorReport {
        ErrorReport { code: e.code().to_string(), position: e.position(), message: e.to_string() }
    }
}

/// Everything about one input file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputReport {
    /// The input's name as given (usually the file name).
    pub name: String,
    /// What the content was recognised as: `binary-stl`, `ascii-stl`, `obj` or `3mf`
    /// (see [`Format::name`](crate::read::Format::name)).
    pub format: String,
    /// Bytes read.
    pub bytes: u64,
    /// Its objects.
    pub objects: Vec<ObjectReport>,
    /// Things the user should know that did not stop the conversion.
    pub warnings: Vec<String>,
    /// Set when the input could not be converted; nothing of it was written.
    pub error: Option<ErrorReport>,
}

impl InputReport {
    /// Triangles read in all objects.
    pub fn triangles_read(&self) -> u64 {
        self.objects.iter().map(|o| o.triangles_read).sum()
    }

    /// Triangles written in all objects.
    pub fn triangles_written(&self) -> u64 {
        self.objects.iter().filter(|o| o.written).map(|o| o.triangles_written).sum()
    }
}

/// The account of one 3MF package.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Each input, in the order given.
    pub inputs: Vec<InputReport>,
    /// Objects written to the package.
    pub objects_written: u64,
    /// Size of the model XML before compression.
    pub model_bytes: u64,
    /// Size of the whole package.
    pub package_bytes: u64,
    /// Set when no package was written (every input failed, or writing failed).
    pub error: Option<ErrorReport>,
}

impl Report {
    /// Records what a finished package holds.
    pub fn written(&mut self, stats: PackageStats) {
        self.objects_written = stats.objects;
        self.model_bytes = stats.model_bytes;
        self.package_bytes = stats.package_bytes;
    }
}

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

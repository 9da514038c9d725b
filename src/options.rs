//! Conversion settings: one struct with a `Default` and a few presets.

use std::str::FromStr;

/// The unit the input's coordinates are in. Output is always millimetres: the
/// coordinates are scaled, because slicers apply a 3MF unit to vertices but not to
/// build transforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Micrometres.
    Micron,
    /// Millimetres (no scaling).
    #[default]
    Millimeter,
    /// Centimetres.
    Centimeter,
    /// Metres.
    Meter,
    /// Inches.
    Inch,
    /// Feet.
    Foot,
}

impl Unit {
    /// How many millimetres one unit is.
    pub fn to_mm(self) -> f32 {
        match self {
            Unit::Micron => 0.001,
            Unit::Millimeter => 1.0,
            Unit::Centimeter => 10.0,
            Unit::Meter => 1000.0,
            Unit::Inch => 25.4,
            Unit::Foot => 304.8,
        }
    }

    /// The unit a 3MF model's `unit` attribute names, if it is one the specification allows.
    pub fn from_3mf(unit: &str) -> Option<Unit> {
        Some(match unit {
            "micron" => Unit::Micron,
            "millimeter" => Unit::Millimeter,
            "centimeter" => Unit::Centimeter,
            "inch" => Unit::Inch,
            "foot" => Unit::Foot,
            "meter" => Unit::Meter,
            _ => return None,
        })
    }
}

impl FromStr for Unit {
    type Err = String;
    fn from_str(s: &str) -> Result<Unit, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "um" | "micron" | "micrometer" | "micrometre" => Unit::Micron,
            "mm" | "millimeter" | "millimetre" => Unit::Millimeter,
            "cm" | "centimeter" | "centimetre" => Unit::Centimeter,
            "m" | "meter" | "metre" => Unit::Meter,
            "in" | "inch" => Unit::Inch,
            "ft" | "foot" | "feet" => Unit::Foot,
            _ => return Err(format!("unknown unit '{s}' (use mm, cm, m, in, ft or um)")),
        })
    }
}

/// How objects are placed on the build plate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Each object rests on z = 0 in the positive octant, side by side with a gap,
    /// so no two XY footprints overlap or touch.
    #[default]
    Arrange,
    /// Original coordinates, untouched (for parts that belong together).
    Keep,
    /// All meshes share one frame and become the parts (components) of one object,
    /// which rests on z = 0 in the positive octant.
    Assembly,
}

impl FromStr for Layout {
    type Err = String;
    fn from_str(s: &str) -> Result<Layout, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "arrange" => Layout::Arrange,
            "keep" => Layout::Keep,
            "assembly" => Layout::Assembly,
            _ => return Err(format!("unknown layout '{s}' (use arrange, keep or assembly)")),
        })
    }
}

/// Package-level metadata, written as the 3MF core specification's well-known names.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// `Title`.
    pub title: Option<String>,
    /// `Designer`.
    pub designer: Option<String>,
    /// `Description`.
    pub description: Option<String>,
    /// `Copyright`.
    pub copyright: Option<String>,
    /// `LicenseTerms`.
    pub license_terms: Option<String>,
    /// `Rating`.
    pub rating: Option<String>,
    /// `CreationDate` (for example `2026-11-23`). Not set by default, to keep output reproducible.
    pub creation_date: Option<String>,
    /// `ModificationDate`.
    pub modification_date: Option<String>,
}

impl Metadata {
    /// Fills each field still empty from `other` (a file's own metadata under the user's).
    pub fn fill_from(&mut self, other: &Metadata) {
        let fill = |a: &mut Option<String>, b: &Option<String>| {
            if a.is_none() {
                a.clone_from(b);
            }
        };
        fill(&mut self.title, &other.title);
        fill(&mut self.designer, &other.designer);
        fill(&mut self.description, &other.description);
        fill(&mut self.copyright, &other.copyright);
        fill(&mut self.license_terms, &other.license_terms);
        fill(&mut self.rating, &other.rating);
        fill(&mut self.creation_date, &other.creation_date);
        fill(&mut self.modification_date, &other.modification_date);
    }
}

/// Every setting of a conversion.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Options {
    /// The unit of the input coordinates.
    pub unit: Unit,
    /// How objects are placed.
    pub layout: Layout,
    /// Gap between arranged objects, in millimetres.
    pub spacing_mm: f32,
    /// Package metadata.
    pub metadata: Metadata,
    /// Deflate level 0–9 for the model XML. 1 (the default) and 2 use to3mf's own encoder
    /// for machine-written XML, several times faster than zlib's fastest level with output
    /// smaller than zlib's level 6 on big meshes; 2 searches harder, for somewhat
    /// smaller packages in a little more time. 3–9 also try zlib at that level on each chunk and
    /// keep the smaller: much slower, a little smaller on some models. 0 stores the XML.
    pub compression_level: u32,
    /// Threads for compression; 0 means "as many cores as there are". Ignored on wasm32.
    pub threads: usize,
    /// Largest number of triangles accepted in one input (a guard against hostile files).
    pub max_triangles: u64,
    /// Longest accepted text line in bytes (ASCII STL, OBJ).
    pub max_line_bytes: usize,
    /// Largest 3MF package read as an input (it is held in memory while read).
    pub max_package_bytes: u64,
    /// Weld corners closer than about this many millimetres (snapped to a grid of this
    /// step); 0, the default, welds bit-identical corners only and keeps every coordinate.
    pub weld_tolerance_mm: f32,
    /// Render a picture of the placed objects into the package as `/Metadata/thumbnail.png`
    /// (slicers and file browsers show it). Off by default, which keeps packages as they were.
    pub thumbnail: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            unit: Unit::Millimeter,
            layout: Layout::Arrange,
            spacing_mm: 5.0,
            metadata: Metadata::default(),
            compression_level: 1,
            threads: 0,
            max_triangles: 500_000_000,
            max_line_bytes: 1 << 20,
            max_package_bytes: 2 << 30,
            weld_tolerance_mm: 0.0,
            thumbnail: false,
        }
    }
}

impl Options {
    /// Threads to use: [`threads`](Options::threads), or one per core when that is 0. Always 1
    /// on wasm32 and without the `parallel` feature.
    pub fn threads(&self) -> usize {
        if cfg!(any(target_arch = "wasm32", not(feature = "parallel"))) {
            return 1;
        }
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Smaller packages than the default for a little more time: level 2.
    pub fn compact() -> Options {
        Options { compression_level: 2, ..Options::default() }
    }

    /// Smallest output: deflate level 9; many times slower on big meshes.
    pub fn smallest() -> Options {
        Options { compression_level: 9, ..Options::default() }
    }

    /// Parts of one thing, as exported together (for example one STL per colour):
    /// kept in their shared frame as the components of one object.
    pub fn assembly() -> Options {
        Options { layout: Layout::Assembly, ..Options::default() }
    }
}

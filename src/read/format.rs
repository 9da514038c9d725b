//! The mesh formats to3mf reads: one place for their names and file extensions.
//!
//! To add a format: a variant here (its name and extension), its recognition in
//! `sniff.rs`, a reader module beside this one, its arm in `read::read_format`, and its
//! extension in the page's `www/formats.js` (a test checks the two lists agree).

/// A mesh format, as recognised by content (never by extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Binary STL: an 80-byte header, a triangle count, 50-byte records.
    BinaryStl,
    /// ASCII STL: `solid` … `endsolid` blocks of facets.
    AsciiStl,
    /// Wavefront OBJ.
    Obj,
    /// A 3MF package (read with the `read3mf` feature).
    ThreeMf,
}

impl Format {
    /// Every format, in the order reports list them.
    pub const ALL: [Format; 4] = [Format::BinaryStl, Format::AsciiStl, Format::Obj, Format::ThreeMf];

    /// The file extensions of mesh files, lowercase and without the dot, as folder walks,
    /// the Manyfold grouping and the page look for them.
    pub const EXTENSIONS: [&'static str; 3] = ["stl", "obj", "3mf"];

    /// The name reports give it: `binary-stl`, `ascii-stl`, `obj` or `3mf`.
    pub fn name(self) -> &'static str {
        match self {
            Format::BinaryStl => "binary-stl",
            Format::AsciiStl => "ascii-stl",
            Format::Obj => "obj",
            Format::ThreeMf => "3mf",
        }
    }

    /// The extension of files of this format (lowercase, without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::BinaryStl | Format::AsciiStl => "stl",
            Format::Obj => "obj",
            Format::ThreeMf => "3mf",
        }
    }

    /// The lowercase extension of `name` if it is a mesh file's, ignoring case: `Part.STL`
    /// gives `stl`. Only names: the content decides the format when the file is read.
    pub fn mesh_extension(name: &str) -> Option<&'static str> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        let (_, ext) = base.rsplit_once('.')?;
        Format::EXTENSIONS.into_iter().find(|e| e.eq_ignore_ascii_case(ext))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_a_listed_extension() {
        for f in Format::ALL {
            assert!(Format::EXTENSIONS.contains(&f.extension()), "{f:?}");
        }
        assert_eq!(Format::mesh_extension("dir.v2/Part.STL"), Some("stl"));
        assert_eq!(Format::mesh_extension("a/model.3mf"), Some("3mf"));
        assert_eq!(Format::mesh_extension("stl"), None);
        assert_eq!(Format::mesh_extension("notes.txt"), None);
    }
}

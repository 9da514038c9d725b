//! Telling a file's format from its first bytes, or saying what it is instead.

use super::format::Format;
use super::text::is_text;
use super::{obj, stl};
use crate::error::{Error, Result};

/// How many first bytes tell a file's format.
pub(crate) const HEAD: usize = 4096;

/// Names the format of a file from its first bytes, or says what it is instead.
pub(crate) fn sniff(head: &[u8]) -> Result<Format> {
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
            Ok(Format::ThreeMf)
        } else {
            Err(Error::unsupported("a ZIP archive or 3MF package, which this build does not read"))
        };
    }
    if let Some((_, message)) = magic.iter().find(|(m, _)| head.starts_with(m)) {
        return Err(Error::unsupported(*message));
    }
    if stl::looks_ascii(head) {
        Ok(Format::AsciiStl)
    } else if obj::looks_obj(head) {
        Ok(Format::Obj)
    } else if is_text(head) {
        Err(Error::unsupported("a text file that is neither an ASCII STL (starting with 'solid') nor an OBJ"))
    } else {
        Ok(Format::BinaryStl)
    }
}

/// The error for a file named `.3mf` or `.obj` whose content is neither (sniffing fell back
/// to binary STL, or it is other text): what its name promises and that it is not that,
/// never that it is not a complete STL. Other names keep the reader's own error.
pub(crate) fn misnamed(name: &str, e: Error) -> Error {
    let ext = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    match ext.as_deref() {
        Some("3mf") => Error::unsupported(
            "not a 3MF package: a 3MF is a zip archive and this file is not one (it is damaged, or not a 3D model)",
        ),
        Some("obj") => Error::unsupported(
            "not an OBJ file: an OBJ is text and this file is binary (it is damaged, or not a 3D model)",
        ),
        _ => e,
    }
}

/// Whether a file whose first bytes (4096, or the whole file if shorter) are `head` is read
/// as a binary STL.
pub fn is_binary_stl(head: &[u8]) -> bool {
    !matches!(head.get(..2), Some([0xfe, 0xff] | [0xff, 0xfe])) && matches!(sniff(head), Ok(Format::BinaryStl))
}

//! Opening a 3MF package: a zip archive whose relationships name its model part (found
//! through them, not by its name).

use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom};

use super::xml::rel_targets;
use crate::error::{Error, Result};

/// Largest `_rels/.rels` read; a hostile package gets no further.
const MAX_TEXT: u64 = 1 << 20;

/// Opens a package as a zip archive. Two entries with one name (or names that differ only
/// in case, which OPC counts as one part) make the package ambiguous: readers disagree on
/// which of them is the part, so none is chosen.
pub(crate) fn open_package<R: Read + Seek>(reader: R) -> Result<zip::ZipArchive<R>> {
    let zip = zip::ZipArchive::new(reader).map_err(|e| {
        Error::unsupported(format!(
            "a ZIP archive that is not a readable 3MF package ({e}): if it is an archive, extract it first"
        ))
    })?;
    if zip.has_duplicate_names() {
        // The archive's index keeps one entry per name: the name is found in the directory.
        let start = zip.central_directory_start();
        let name = repeated_name(zip.into_inner(), start).unwrap_or_else(|| "?".to_string());
        return Err(ambiguous(&format!("two entries named '{name}'")));
    }
    let mut seen = HashSet::new();
    let twice = zip.file_names_raw().find(|n| !seen.insert(n.to_ascii_lowercase())).map(<[u8]>::to_vec);
    match twice {
        Some(name) => Err(ambiguous(&format!(
            "two entries named '{}' but for upper and lower case, which count as the same part",
            String::from_utf8_lossy(&name)
        ))),
        None => Ok(zip),
    }
}

fn ambiguous(what: &str) -> Error {
    Error::unsupported(format!(
        "an ambiguous 3MF package: it holds {what}, and readers disagree on which one is meant; \
         export the model again from the program that made it"
    ))
}

/// The first name that two entries of the zip's central directory (at `start`) share.
fn repeated_name<R: Read + Seek>(mut r: R, start: u64) -> Option<String> {
    let mut seen = HashSet::new();
    r.seek(SeekFrom::Start(start)).ok()?;
    loop {
        let mut head = [0u8; 46];
        r.read_exact(&mut head).ok()?;
        if head[..4] != *b"PK\x01\x02" {
            return None;
        }
        let len = |at: usize| u16::from_le_bytes([head[at], head[at + 1]]) as usize;
        let mut name = vec![0u8; len(28)];
        r.read_exact(&mut name).ok()?;
        let name = String::from_utf8_lossy(&name).into_owned();
        if !seen.insert(name.to_ascii_lowercase()) {
            return Some(name);
        }
        r.seek(SeekFrom::Current((len(30) + len(32)) as i64)).ok()?;
    }
}

/// The package relationships and the path of the model part they name (without the
/// leading `/`). A zip without them is an archive, not a 3MF package.
pub(crate) fn model_part<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<(String, String)> {
    let mut rels = String::new();
    zip.by_name("_rels/.rels")
        .map_err(|_| Error::unsupported("this is a ZIP archive, not a 3MF package (no _rels/.rels): extract it first"))?
        .take(MAX_TEXT)
        .read_to_string(&mut rels)?;
    let targets = rel_targets(&rels, "/3dmodel");
    match &targets[..] {
        [] => Err(Error::unsupported("no 3D model part in the package relationships")),
        [target] => Ok((rels, target.trim_start_matches('/').to_string())),
        [a, b, ..] => Err(Error::unsupported(format!(
            "an ambiguous 3MF package: its relationships name two 3D model parts ({a} and {b}), \
             and the 3MF specification allows only one; export the model again from the program that made it"
        ))),
    }
}

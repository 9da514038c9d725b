//! Opening a 3MF package: a zip archive whose relationships name its model part (found
//! through them, not by its name).

use std::io::{Read, Seek};

use super::xml::rel_target;
use crate::error::{Error, Result};

/// Largest `_rels/.rels` read; a hostile package gets no further.
const MAX_TEXT: u64 = 1 << 20;

/// Opens a package as a zip archive.
pub(crate) fn open_package<R: Read + Seek>(reader: R) -> Result<zip::ZipArchive<R>> {
    zip::ZipArchive::new(reader).map_err(|e| {
        Error::unsupported(format!(
            "a ZIP archive that is not a readable 3MF package ({e}): if it is an archive, extract it first"
        ))
    })
}

/// The package relationships and the path of the model part they name (without the
/// leading `/`). A zip without them is an archive, not a 3MF package.
pub(crate) fn model_part<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<(String, String)> {
    let mut rels = String::new();
    zip.by_name("_rels/.rels")
        .map_err(|_| Error::unsupported("this is a ZIP archive, not a 3MF package (no _rels/.rels): extract it first"))?
        .take(MAX_TEXT)
        .read_to_string(&mut rels)?;
    let target = rel_target(&rels, "/3dmodel")
        .ok_or_else(|| Error::unsupported("no 3D model part in the package relationships"))?;
    Ok((rels, target.trim_start_matches('/').to_string()))
}

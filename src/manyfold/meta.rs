//! A model's metadata as it will be written, field by field, each value with where it came
//! from. Planning fills it from the model's files ([`gather`](super::gather)); the user
//! changes it per model (the page's review, the CLI's `--set`); writing takes exactly what it
//! says, after the values typed "for all".

use serde::{Deserialize, Serialize};

/// Where a value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Typed by the user (per model, or "for all").
    #[serde(rename = "user")]
    User,
    /// A 3MF input's own metadata (Bambu Studio and MakerWorld put title, designer, licence
    /// and description there).
    #[serde(rename = "3mf")]
    ThreeMf,
    /// A README.
    #[serde(rename = "readme")]
    Readme,
    /// A licence or attribution text (`LICENSE.txt`, `attribution.txt`).
    #[serde(rename = "license-file")]
    LicenseFile,
    /// An existing `datapackage.json`.
    #[serde(rename = "datapackage")]
    DataPackage,
    /// Another metadata file a download carries (a 3MF's `Metadata/` part).
    #[serde(rename = "metadata-file")]
    MetadataFile,
    /// The folder, archive or file name, or the files themselves (the preview picture).
    #[serde(rename = "folder")]
    Folder,
}

/// One value and its source. `value: None` from the user means "leave this field out".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field<T> {
    /// The value; `None` only from the user.
    pub value: Option<T>,
    /// Where it came from.
    pub source: Source,
}

impl<T> Field<T> {
    /// A value from `source`.
    pub fn new(value: T, source: Source) -> Field<T> {
        Field { value: Some(value), source }
    }
}

/// The metadata written for one model; `None` for a field nothing gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelMeta {
    /// The model's title (Manyfold's name).
    pub title: Option<Field<String>>,
    /// The creator's name.
    pub creator: Option<Field<String>>,
    /// An SPDX licence id.
    pub license: Option<Field<String>>,
    /// Notes (Markdown).
    pub description: Option<Field<String>>,
    /// Tags.
    pub tags: Option<Field<Vec<String>>>,
    /// Where the model came from (a URL).
    pub link: Option<Field<String>>,
    /// Collections the model belongs to, by name.
    pub collections: Option<Field<Vec<String>>>,
    /// Marked sensitive.
    pub sensitive: Option<Field<bool>>,
    /// The preview picture: its path inside the model folder (a file's `target`).
    pub preview: Option<Field<String>>,
}

/// The value of a field, if it has one.
pub fn value<T>(f: &Option<Field<T>>) -> Option<&T> {
    f.as_ref().and_then(|f| f.value.as_ref())
}

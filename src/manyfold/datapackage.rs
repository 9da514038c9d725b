//! `datapackage.json` as Manyfold's own serializer writes it (profile
//! `https://manyfold.app/profiles/0.0/datapackage.json`), so Manyfold imports a model's
//! metadata on its next scan.

use serde::{Deserialize, Serialize};

/// The profile every package names.
pub const SCHEMA: &str = "https://manyfold.app/profiles/0.0/datapackage.json";

/// A model's metadata file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataPackage {
    /// The profile.
    #[serde(rename = "$schema", default)]
    pub schema: String,
    /// The model's slug.
    #[serde(default)]
    pub name: String,
    /// The model's title.
    #[serde(default)]
    pub title: String,
    /// A one-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Longer notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The preview picture's path; Manyfold uses it only when it names a file exactly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// At most one licence, with a valid SPDX id (an invalid one makes Manyfold drop all
    /// the metadata).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<License>,
    /// The creator (with `roles: ["creator"]`, without which Manyfold's import breaks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributors: Vec<Contributor>,
    /// Links to where the model came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Only written when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    /// Collections the model belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub collections: Vec<Collection>,
    /// The file Manyfold opens first (and a part of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Entrypoint>,
    /// Every file of the model.
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// A collection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    /// Its name.
    #[serde(default)]
    pub title: String,
    /// Its page in the Manyfold instance that wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A one-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// The model's entry point: a file's path and a part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entrypoint {
    /// The file.
    pub path: String,
    /// A part of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fragment: Option<String>,
}

/// A licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    /// SPDX id, e.g. `CC-BY-4.0`.
    pub name: String,
    /// The licence's page on spdx.org.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A person or organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    /// Name.
    pub title: String,
    /// Roles; `creator` is the one Manyfold reads.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Their page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A one-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Their links.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// A link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The URL.
    pub path: String,
    /// Its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A file of the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The file name, parameterized.
    pub name: String,
    /// Path inside the model folder.
    pub path: String,
    /// Media type.
    pub mediatype: String,
    /// Which way is up, for 3D files: `+z`, or `+y` for y-up inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up: Option<String>,
    /// Only written as `true`, when known: `false` would override Manyfold's own detection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presupported: Option<bool>,
    /// A one-line summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The licence ids Manyfold accepts: those of the `spdx` gem it validates with (4.1.5, licence
/// list 97c9836), one a line. An id outside it makes Manyfold refuse all of a model's metadata.
const MANYFOLD_LICENSES: &str = include_str!("manyfold_licenses.txt");

/// A licence entry for an SPDX id Manyfold accepts (in any case), or `None`.
pub fn license(id: &str) -> Option<License> {
    let id = id.trim();
    let name = MANYFOLD_LICENSES.lines().find(|l| l.eq_ignore_ascii_case(id))?;
    Some(License { name: name.to_string(), path: Some(format!("https://spdx.org/licenses/{name}.html")) })
}

/// A creator contributor.
pub fn creator(name: &str) -> Contributor {
    Contributor {
        title: name.trim().to_string(),
        roles: vec!["creator".into()],
        path: None,
        caption: None,
        description: None,
        links: Vec::new(),
    }
}

/// Rails' `parameterize`: ASCII (accents dropped), lower case, runs of other characters as
/// single dashes, no dash at either end.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in s.chars().flat_map(ascii) {
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            dash = true;
        }
    }
    out
}

/// The longest folder name [`model_slug`] makes: Manyfold takes a model's name from its
/// folder and accepts 225 characters; the rest leaves room for a `-2` and, in the file
/// names made from it, for `-presupported.3mf`.
pub const MAX_SLUG: usize = 200;

/// The folder name of a model titled `title`: its [`slug`] without the words that would make
/// Manyfold flag every file inside as presupported, at most [`MAX_SLUG`] characters, or
/// `model` when that is empty.
pub fn model_slug(title: &str) -> String {
    let s = super::names::without_support_words(&slug(title));
    let s = super::names::cap(&s, MAX_SLUG).map_or(s, |c| c.trim_end_matches(['-', '_']).to_string());
    if s.is_empty() {
        "model".to_string()
    } else {
        s
    }
}

/// A Latin letter without its accent (and a few ligatures spelled out); other characters
/// count as separators.
fn ascii(c: char) -> Vec<char> {
    if c.is_ascii() {
        return vec![c];
    }
    let s = match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => "a",
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' => "c",
        'Ç' | 'Ć' | 'Č' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'è'..='ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'È'..='Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ì'..='ï' | 'ī' | 'į' => "i",
        'Ì'..='Ï' | 'Ī' | 'Į' => "I",
        'ł' | 'ľ' => "l",
        'Ł' | 'Ľ' => "L",
        'ñ' | 'ń' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ň' => "N",
        'ò'..='ö' | 'ø' | 'ō' | 'ő' => "o",
        'Ò'..='Ö' | 'Ø' | 'Ō' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ř' | 'ŕ' => "r",
        'Ř' | 'Ŕ' => "R",
        'ś' | 'š' | 'ş' => "s",
        'Ś' | 'Š' | 'Ş' => "S",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'Ť' | 'Ţ' => "T",
        'ù'..='ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ù'..='Ü' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'ž' | 'ź' | 'ż' => "z",
        'Ž' | 'Ź' | 'Ż' => "Z",
        _ => " ",
    };
    s.chars().collect()
}

/// The media type Manyfold records for a file name.
pub fn mediatype(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "3mf" => "model/3mf",
        "stl" => "model/stl",
        "obj" => "model/obj",
        "webp" => "image/webp",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "pdf" => "application/pdf",
        "txt" | "md" => "text/plain",
        "json" => "application/json",
        "lys" => "application/x-lychee",
        "chitubox" => "application/x-chitubox",
        "gcode" => "text/x-gcode",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_like_rails_parameterize() {
        assert_eq!(slug("Fancy Vase (v2) — final!"), "fancy-vase-v2-final");
        assert_eq!(slug("Büchse Größe 3"), "buchse-grosse-3");
        assert_eq!(slug("a__b"), "a__b");
        assert_eq!(slug("--x--"), "x");
        assert_eq!(slug("日本"), "");
        assert_eq!(model_slug("Cable Sup Holder"), "cable-holder");
        assert_eq!(model_slug("Supported"), "model");
        let long = model_slug(&"ab ".repeat(150));
        assert!(long.len() <= MAX_SLUG && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn only_valid_spdx_ids_make_a_licence() {
        let l = license("CC-BY-4.0").unwrap();
        assert_eq!(l.path.as_deref(), Some("https://spdx.org/licenses/CC-BY-4.0.html"));
        assert!(license("Creative Commons something").is_none());
        assert!(license("").is_none());
    }

    #[test]
    fn serialized_without_empty_or_false_fields() {
        let p = DataPackage {
            schema: SCHEMA.into(),
            name: "x".into(),
            title: "X".into(),
            resources: vec![Resource {
                name: "x-3mf".into(),
                path: "x.3mf".into(),
                mediatype: "model/3mf".into(),
                up: Some("+z".into()),
                presupported: None,
                caption: None,
                description: None,
            }],
            ..DataPackage::default()
        };
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"$schema": SCHEMA, "name": "x", "title": "X",
                "resources": [{"name": "x-3mf", "path": "x.3mf", "mediatype": "model/3mf", "up": "+z"}]})
        );
    }

    #[test]
    fn only_ids_manyfolds_spdx_list_has_make_a_licence() {
        assert_eq!(license("cc-by-nc-sa-4.0").unwrap().name, "CC-BY-NC-SA-4.0");
        // Valid SPDX ids, newer than the list Manyfold validates with.
        assert!(spdx::license_id("CC-BY-NC-3.0-IGO").is_some() && license("CC-BY-NC-3.0-IGO").is_none());
    }
}

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
    /// Every file of the model.
    #[serde(default)]
    pub resources: Vec<Resource>,
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
}

impl DataPackage {
    /// Fields of `old` (an existing `datapackage.json`) fill what this one lacks; files are
    /// this one's (they describe what was written).
    pub fn merge_from(&mut self, old: DataPackage) {
        let fill = |new: &mut Option<String>, old: Option<String>| {
            if new.is_none() {
                *new = old;
            }
        };
        fill(&mut self.caption, old.caption);
        fill(&mut self.description, old.description);
        if self.keywords.is_empty() {
            self.keywords = old.keywords;
        }
        if self.licenses.is_empty() {
            self.licenses = old.licenses.into_iter().filter_map(|l| license(&l.name)).take(1).collect();
        }
        if self.contributors.is_empty() {
            self.contributors = old
                .contributors
                .into_iter()
                .filter(|c| !c.title.trim().is_empty())
                .map(|mut c| {
                    if c.roles.is_empty() {
                        c.roles.push("creator".into());
                    }
                    c
                })
                .collect();
        }
        if self.links.is_empty() {
            self.links = old.links;
        }
        self.sensitive |= old.sensitive;
        if self.title.is_empty() {
            self.title = old.title;
        }
    }
}

/// A licence entry for an SPDX id, or `None` if the id is not a valid SPDX licence id.
pub fn license(id: &str) -> Option<License> {
    let l = spdx::license_id(id.trim())?;
    Some(License { name: l.name.to_string(), path: Some(format!("https://spdx.org/licenses/{}.html", l.name)) })
}

/// A creator contributor.
pub fn creator(name: &str) -> Contributor {
    Contributor { title: name.trim().to_string(), roles: vec!["creator".into()], path: None }
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
    fn merging_keeps_the_old_metadata_and_repairs_what_would_break_manyfold() {
        let old: DataPackage = serde_json::from_str(
            r#"{"title": "Old", "description": "notes", "keywords": ["a"], "licenses": [{"name": "not a licence"}],
                "contributors": [{"title": "Ann"}], "sensitive": true, "resources": [{"name": "q", "path": "q.stl", "mediatype": "model/stl"}]}"#,
        )
        .unwrap();
        let mut new = DataPackage { title: "New".into(), ..DataPackage::default() };
        new.merge_from(old);
        assert_eq!((new.title.as_str(), new.description.as_deref()), ("New", Some("notes")));
        assert!(new.licenses.is_empty(), "an invalid SPDX id is dropped");
        assert_eq!(new.contributors[0].roles, ["creator"]);
        assert!(new.sensitive && new.resources.is_empty());
    }
}

//! Reading what a model's files say about it (READMEs, licence texts, 3MF metadata, an old
//! `datapackage.json`) into its [`ModelMeta`], and the values typed "for all".

use std::io::Read;

use super::datapackage::DataPackage;
use super::meta::{Field, ModelMeta, Source};
use super::plan::{FileKind, ModelFile, ModelPlan};
use super::readme::{self, TextInfo, TextKind};
use crate::error::Result;
use crate::options::{Metadata, Options};

/// Takes a file's bytes, with its size if known.
pub type Consume<'a> = dyn FnMut(&mut dyn Read, Option<u64>) -> Result<()> + 'a;

/// Hands a model file's bytes to a [`Consume`].
pub type Open<'a> = dyn FnMut(&ModelFile, &mut Consume) -> Result<()> + 'a;

/// What every model gets, besides what its files say: the "for all" values (see
/// [`ModelMeta::with_defaults`]).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProcessOptions {
    /// Conversion settings (layout, unit, compression).
    pub convert: Options,
    /// The creator's name.
    pub creator: Option<String>,
    /// SPDX licence id; ignored with a warning when it is not a valid id.
    pub license: Option<String>,
    /// Tags.
    pub keywords: Vec<String>,
    /// Collections, by name.
    pub collections: Vec<String>,
    /// Mark the models sensitive.
    pub sensitive: bool,
    /// The values above replace what the models' files say (not what the user set for one
    /// model); without it they fill only the models that have none.
    pub override_all: bool,
    /// Re-encode 3MF inputs into the model's own 3MF (one object per build item) instead of
    /// keeping them byte for byte; slicer settings, colours and materials are then lost.
    pub reencode_3mf: bool,
    /// Write the models' 3MFs without a thumbnail. By default each has one: the model's own
    /// picture when it is a small enough PNG, else its 3MF input's, else a render.
    pub no_thumbnail: bool,
}

impl ProcessOptions {
    /// Whether `f` goes into the model's converted 3MF (rather than being copied).
    pub fn converts(&self, f: &ModelFile) -> bool {
        f.kind == FileKind::Mesh || (f.kind == FileKind::ThreeMf && self.reencode_3mf)
    }
}

/// Sets `slot` to `value` from `source` unless it already holds something (a user's `None`
/// included).
fn fill<T>(slot: &mut Option<Field<T>>, value: Option<T>, source: Source) {
    if slot.is_none() {
        *slot = value.map(|v| Field::new(v, source));
    }
}

/// A "for all" value: fills `slot` when it has none, or replaces it when `win`, except a value
/// the user gave this model.
fn default_to<T>(slot: &mut Option<Field<T>>, value: Option<T>, win: bool) {
    let Some(v) = value else { return };
    let replace = match slot {
        None => true,
        Some(f) => win && f.source != Source::User,
    };
    if replace {
        *slot = Some(Field::new(v, Source::User));
    }
}

impl ModelMeta {
    /// This metadata with the "for all" values of `options` (creator, licence, tags,
    /// collections, sensitive): they fill the fields that have no value, or, with
    /// `override_all`, replace every value the user did not type for this model.
    pub fn with_defaults(&self, options: &ProcessOptions) -> ModelMeta {
        let mut m = self.clone();
        let win = options.override_all;
        let nonblank = |s: &Option<String>| s.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let list = |l: &[String]| {
            let l: Vec<String> = l.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            (!l.is_empty()).then_some(l)
        };
        default_to(&mut m.creator, nonblank(&options.creator), win);
        default_to(&mut m.license, nonblank(&options.license), win);
        default_to(&mut m.tags, list(&options.keywords), win);
        default_to(&mut m.collections, list(&options.collections), win);
        default_to(&mut m.sensitive, options.sensitive.then_some(true), win);
        m
    }
}

/// What a model's files say, read once: its texts, 3MF inputs and old datapackage.
#[derive(Debug, Default)]
pub struct Found {
    /// The first 3MF input's metadata.
    pub threemf: Metadata,
    /// The first 3MF input's own thumbnail.
    pub thumbnail: Option<Vec<u8>>,
    /// The licence a 3MF input names in Bambu Studio's `License` entry.
    pub threemf_license: Option<String>,
    /// What the READMEs say.
    pub readme: TextInfo,
    /// What the licence and attribution texts say.
    pub license_file: TextInfo,
    /// An existing datapackage.json.
    pub old: Option<DataPackage>,
    /// Things the user should know (files that could not be read).
    pub warnings: Vec<String>,
}

/// The metadata and thumbnail of a 3MF input (packages over 256 MiB are not read for them).
fn read_info(open: &mut Open, f: &ModelFile) -> Result<crate::read::threemf::metadata::PackageInfo> {
    let mut bytes = Vec::new();
    open(f, &mut |reader, size| {
        if size.unwrap_or(0) > 256 << 20 {
            return Err(crate::Error::limit(crate::error::Position::Whole, "over 256 MiB: metadata not read"));
        }
        reader.take(256 << 20).read_to_end(&mut bytes)?;
        Ok(())
    })?;
    crate::read::threemf::metadata::read_3mf_info(std::io::Cursor::new(bytes))
}

fn read_text(open: &mut Open, f: &ModelFile, limit: u64) -> Result<Vec<u8>> {
    let mut text = Vec::new();
    open(f, &mut |reader, _| {
        reader.take(limit).read_to_end(&mut text)?;
        Ok(())
    })?;
    Ok(text)
}

/// Reads what `plan`'s files say about the model. A file that cannot be read is a warning.
pub fn find(plan: &ModelPlan, open: &mut Open) -> Found {
    let mut found = Found::default();
    for f in &plan.files {
        match f.kind {
            FileKind::Other => {
                let Some(kind) = readme::text_kind(&f.path) else { continue };
                match read_text(open, f, 1 << 20) {
                    Ok(text) => {
                        let info = readme::read_text(&String::from_utf8_lossy(&text), kind);
                        match kind {
                            TextKind::Readme => found.readme.fill(info),
                            TextKind::License => found.license_file.fill(info),
                        }
                    }
                    Err(e) => found.warnings.push(format!("{}: not read: {e}", f.path)),
                }
            }
            FileKind::ThreeMf => match read_info(open, f) {
                Ok(info) => {
                    let (into, from) = (&mut found.threemf, info.metadata);
                    for (a, b) in [
                        (&mut into.title, from.title),
                        (&mut into.designer, from.designer),
                        (&mut into.description, from.description),
                        (&mut into.license_terms, from.license_terms),
                    ] {
                        if a.is_none() {
                            *a = b;
                        }
                    }
                    found.thumbnail = found.thumbnail.take().or(info.thumbnail);
                    found.threemf_license = found.threemf_license.take().or(info.license);
                }
                Err(e) => found.warnings.push(format!("{}: metadata not read: {e}", f.path)),
            },
            FileKind::DataPackage if found.old.is_none() => match read_text(open, f, 16 << 20) {
                Ok(text) => match serde_json::from_slice::<DataPackage>(&text) {
                    Ok(p) => found.old = Some(p),
                    Err(e) => {
                        found.warnings.push(format!("{}: not a readable datapackage.json ({e}); ignored", f.path))
                    }
                },
                Err(e) => found.warnings.push(format!("{}: not read: {e}", f.path)),
            },
            _ => {}
        }
    }
    found
}

/// Fills the fields of `plan.meta` that hold nothing from what its files say, best source
/// first: the 3MF's own metadata, a README, a licence text, an old datapackage.json, the
/// names. The plan's title becomes the one its datapackage.json will carry (unless the user
/// typed the plan's), so the review, the model folder and a zip of it are named as Manyfold
/// titles the model (an upload is named by its zip). Returns the warnings (files that could
/// not be read).
pub fn gather(plan: &mut ModelPlan, open: &mut Open) -> Vec<String> {
    let found = find(plan, open);
    apply(plan, &found);
    let title = super::meta::value(&plan.meta.title).map(|t| t.trim()).filter(|t| !t.is_empty());
    if let Some(title) = title.filter(|_| !plan.edited) {
        plan.title = title.to_string();
    }
    found.warnings
}

/// [`gather`] with the files already read.
pub fn apply(plan: &mut ModelPlan, found: &Found) {
    let m = &mut plan.meta;
    // A title typed the older way (`title` with `edited`) is the user's too.
    if plan.edited && m.title.as_ref().is_none_or(|t| t.source != Source::User) {
        m.title = Some(Field::new(plan.title.clone(), Source::User));
    }
    let nonblank = |s: &Option<String>| s.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let old = found.old.as_ref();
    let (md, rd, lf) = (&found.threemf, &found.readme, &found.license_file);
    // Title and creator: a README's "X by Y on Thingiverse" line outranks a licence text's
    // boilerplate ("This thing was created by ...").
    fill(&mut m.title, nonblank(&md.title), Source::ThreeMf);
    fill(&mut m.title, nonblank(&rd.title), Source::Readme);
    fill(&mut m.title, nonblank(&lf.title), Source::LicenseFile);
    fill(&mut m.title, old.map(|o| o.title.trim().to_string()).filter(|t| !t.is_empty()), Source::DataPackage);
    fill(&mut m.title, Some(plan.title.clone()), Source::Folder);

    fill(&mut m.creator, nonblank(&md.designer), Source::ThreeMf);
    fill(&mut m.creator, nonblank(&rd.creator), Source::Readme);
    fill(&mut m.creator, nonblank(&lf.creator), Source::LicenseFile);
    let old_creator = old.and_then(|o| o.contributors.iter().find(|c| c.roles.iter().any(|r| r == "creator")));
    fill(
        &mut m.creator,
        old_creator.map(|c| c.title.trim().to_string()).filter(|t| !t.is_empty()),
        Source::DataPackage,
    );

    let threemf_license =
        [&md.license_terms, &found.threemf_license].into_iter().flatten().find_map(|l| readme::license_id(l));
    fill(&mut m.license, threemf_license, Source::ThreeMf);
    fill(&mut m.license, lf.license.clone(), Source::LicenseFile);
    fill(&mut m.license, rd.license.clone(), Source::Readme);
    fill(&mut m.license, old.and_then(|o| o.licenses.first()).map(|l| l.name.clone()), Source::DataPackage);

    fill(&mut m.description, nonblank(&md.description).map(|d| readme::html_to_markdown(&d)), Source::ThreeMf);
    fill(&mut m.description, rd.description.clone(), Source::Readme);
    fill(&mut m.description, old.and_then(|o| nonblank(&o.description)), Source::DataPackage);

    fill(&mut m.link, rd.link.as_ref().map(|(url, _)| url.clone()), Source::Readme);
    fill(&mut m.link, lf.link.as_ref().map(|(url, _)| url.clone()), Source::LicenseFile);
    fill(&mut m.link, old.and_then(|o| o.links.first()).map(|l| l.path.clone()), Source::DataPackage);

    fill(&mut m.tags, old.map(|o| o.keywords.clone()).filter(|k| !k.is_empty()), Source::DataPackage);
    let collections = old.map(|o| o.collections.iter().map(|c| c.title.clone()).collect::<Vec<_>>());
    fill(&mut m.collections, collections.filter(|c| !c.is_empty()), Source::DataPackage);
    fill(&mut m.sensitive, old.and_then(|o| o.sensitive.then_some(true)), Source::DataPackage);

    // The preview: the old datapackage's picture when it is one of the files, else a picture
    // named like a preview, else the first picture. Without any, one is rendered when writing.
    let pictures: Vec<&str> =
        plan.files.iter().filter(|f| f.kind == FileKind::Picture).map(|f| f.target.as_str()).collect();
    let old_image = old.and_then(|o| o.image.as_deref()).filter(|i| pictures.contains(i));
    fill(&mut m.preview, old_image.map(str::to_string), Source::DataPackage);
    let named = pictures
        .iter()
        .find(|p| ["preview", "cover", "main", "thumb"].iter().any(|w| p.to_ascii_lowercase().contains(w)))
        .or(pictures.first());
    fill(&mut m.preview, named.map(|p| p.to_string()), Source::Folder);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manyfold::plan::{plan, Root, SourceFile};

    /// A plan of one folder of `files` (path, text), gathered.
    fn gathered(files: &[(&str, &str)], edit: impl FnOnce(&mut ModelPlan)) -> ModelPlan {
        let root = Root {
            name: "x".into(),
            files: files.iter().map(|(p, t)| SourceFile { path: p.to_string(), size: t.len() as u64 }).collect(),
            loose: false,
        };
        let mut p = plan(&[root]).remove(0);
        edit(&mut p);
        let mut open = |f: &ModelFile, consume: &mut Consume| -> Result<()> {
            let text = files.iter().find(|(p, _)| *p == f.path).unwrap().1;
            consume(&mut text.as_bytes(), Some(text.len() as u64))
        };
        assert!(gather(&mut p, &mut open).is_empty());
        p
    }

    #[test]
    fn each_field_says_where_it_came_from_and_a_readme_outranks_a_licence_text() {
        let p = gathered(
            &[
                ("Frog/frog.stl", ""),
                ("Frog/LICENSE.txt", "This thing was created by Thingiverse user ann, and is licensed under CC\nhttp://creativecommons.org/licenses/by/4.0/\n"),
                ("Frog/README.md", "# Tiny Frog\n\nA frog.\n"),
                ("Frog/datapackage.json", r#"{"title": "Old", "keywords": ["pond"], "sensitive": true, "links": [{"path": "https://x.org/1"}]}"#),
                ("Frog/images/frog_cover.png", ""),
            ],
            |_| {},
        );
        let m = &p.meta;
        assert_eq!(m.title, Some(Field::new("Tiny Frog".to_string(), Source::Readme)));
        assert_eq!(m.creator, Some(Field::new("ann".to_string(), Source::LicenseFile)));
        assert_eq!(m.license, Some(Field::new("CC-BY-4.0".to_string(), Source::LicenseFile)));
        assert_eq!(m.description, Some(Field::new("A frog.".to_string(), Source::Readme)));
        assert_eq!(m.tags, Some(Field::new(vec!["pond".to_string()], Source::DataPackage)));
        assert_eq!(m.sensitive, Some(Field::new(true, Source::DataPackage)));
        assert_eq!(m.link, Some(Field::new("https://x.org/1".to_string(), Source::DataPackage)));
        assert_eq!(m.preview, Some(Field::new("images/frog_cover.png".to_string(), Source::Folder)));
        assert_eq!(m.collections, None);
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(json["license"], serde_json::json!({"value": "CC-BY-4.0", "source": "license-file"}));
    }

    #[test]
    fn the_users_values_stay_and_for_all_values_fill_or_override() {
        let p = gathered(&[("Frog/frog.stl", ""), ("Frog/README.md", "# Frog\n\nLicense: MIT\n")], |p| {
            p.meta.creator = Some(Field { value: None, source: Source::User });
            p.meta.tags = Some(Field::new(vec!["mine".into()], Source::User));
        });
        assert_eq!(p.meta.creator, Some(Field { value: None, source: Source::User }), "left out stays left out");
        let all = ProcessOptions {
            license: Some("CC0-1.0".into()),
            creator: Some("Ann".into()),
            keywords: vec!["all".into()],
            collections: vec!["Pond".into()],
            ..ProcessOptions::default()
        };
        let filled = p.meta.with_defaults(&all);
        assert_eq!(filled.license, Some(Field::new("MIT".to_string(), Source::Readme)), "the README's licence stays");
        assert_eq!(filled.collections, Some(Field::new(vec!["Pond".to_string()], Source::User)));
        assert_eq!(filled.creator, Some(Field { value: None, source: Source::User }));
        let won = p.meta.with_defaults(&ProcessOptions { override_all: true, ..all });
        assert_eq!(won.license, Some(Field::new("CC0-1.0".to_string(), Source::User)));
        assert_eq!(won.tags, Some(Field::new(vec!["mine".to_string()], Source::User)), "a per-model value wins");
        assert_eq!(won.creator, Some(Field { value: None, source: Source::User }));
    }

    #[test]
    fn a_title_edited_the_older_way_is_the_users() {
        let p = gathered(&[("Frog/frog.stl", ""), ("Frog/README.md", "# Frog\n")], |p| {
            p.title = "Toad".into();
            p.edited = true;
        });
        assert_eq!(p.meta.title, Some(Field::new("Toad".to_string(), Source::User)));
    }
}

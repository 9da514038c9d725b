//! The `datapackage.json` of one model from its metadata ([`ModelMeta`]), holding only values
//! Manyfold accepts: one value it rejects makes it drop all of the model's metadata and then
//! rewrite the file from the bare record. Such a value is left out with a warning.
//! What an old `datapackage.json` holds beyond the metadata (a caption, the entry point,
//! collections' and the creator's details, files' captions and orientation) is kept.

use super::datapackage::{self, Collection, DataPackage, Link};
use super::gather::{self, Found};
use super::meta::{self, Field, ModelMeta, Source};
use super::names::MAX_NAME;
use super::plan::ModelPlan;
use super::readme::ManyfoldReadme;

/// A model's metadata as it will be written.
pub struct Described {
    /// The datapackage, without its files and preview (known once they are written).
    pub package: DataPackage,
    /// The metadata it was made from (the "for all" values applied).
    pub meta: ModelMeta,
    /// What the files said (the old datapackage, a 3MF's thumbnail).
    pub found: Found,
}

/// `name` cut to [`MAX_NAME`] characters.
fn cap(name: &str) -> Option<String> {
    super::names::cap(name, MAX_NAME)
}

/// Whether Manyfold can save a creator or collection named `name`: its slug (Rails'
/// `parameterize`) must not be empty, so the name needs a Latin letter or a digit.
pub fn sluggable(name: &str) -> bool {
    !datapackage::slug(name).is_empty()
}

/// Reads what `plan`'s files say, fills what its metadata lacks, applies the "for all" values
/// of `options` and makes the datapackage. Warnings go to `warnings`.
pub fn describe(
    plan: &ModelPlan,
    open: &mut super::gather::Open,
    options: &super::gather::ProcessOptions,
    slug: &str,
    warnings: &mut Vec<String>,
) -> Described {
    let found = gather::find(plan, open);
    warnings.extend(found.warnings.iter().cloned());
    let mut plan = plan.clone();
    gather::apply(&mut plan, &found);
    let mut options = options.clone();
    if let Some(l) = options.license.as_deref().filter(|l| !l.trim().is_empty()) {
        if datapackage::license(l).is_none() {
            warnings.push(format!("'{l}' is not an SPDX licence id that Manyfold accepts: not used"));
            options.license = None;
        }
    }
    let m = plan.meta.with_defaults(&options);
    let package = make(&plan, &m, &found, slug, warnings);
    Described { package, meta: m, found }
}

fn make(plan: &ModelPlan, m: &ModelMeta, found: &Found, slug: &str, warnings: &mut Vec<String>) -> DataPackage {
    let old = found.old.clone().unwrap_or_default();
    let v = |f: &Option<Field<String>>| meta::value(f).map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let mut title = v(&m.title).unwrap_or_else(|| plan.title.clone());
    if let Some(short) = cap(&title) {
        warnings.push(format!("the title is over {MAX_NAME} characters, which Manyfold refuses: cut to '{short}'"));
        title = short;
    }
    let mut package = DataPackage {
        schema: datapackage::SCHEMA.into(),
        name: slug.to_string(),
        title,
        caption: old.caption.clone(),
        description: v(&m.description),
        keywords: meta::value(&m.tags).cloned().unwrap_or_default(),
        sensitive: meta::value(&m.sensitive).copied().unwrap_or(false),
        entrypoint: old.entrypoint.clone(),
        ..DataPackage::default()
    };
    if let Some(id) = v(&m.license) {
        match datapackage::license(&id) {
            Some(l) => package.licenses.push(l),
            None => warnings.push(format!("'{id}' is not an SPDX licence id that Manyfold accepts: licence left out")),
        }
    }
    if let Some(name) = v(&m.creator) {
        if !sluggable(&name) || cap(&name).is_some() {
            // Manyfold could not save this creator, and the whole update would fail with it.
            warnings.push(format!(
                "Manyfold cannot save a creator named '{name}' (it needs a Latin letter or a digit and at most \
                 {MAX_NAME} characters): written into the description instead"
            ));
            let line = format!("Creator: {name}");
            package.description = Some(match package.description.take() {
                Some(d) => format!("{d}\n\n{line}"),
                None => line,
            });
        } else {
            let mut c = datapackage::creator(&name);
            // The old file's details of the same creator are kept.
            if let Some(o) =
                old.contributors.iter().find(|o| o.title.trim() == name && o.roles.iter().any(|r| r == "creator"))
            {
                c.path = o.path.clone();
                c.caption = o.caption.clone();
                c.description = o.description.clone();
                c.links = o.links.clone();
            }
            package.contributors.push(c);
        }
    }
    if let Some(url) = v(&m.link) {
        let site = [&found.readme.link, &found.license_file.link]
            .into_iter()
            .flatten()
            .find(|(u, _)| *u == url)
            .map(|(_, site)| site.clone());
        let text = site.or_else(|| old.links.iter().find(|l| l.path == url).and_then(|l| l.text.clone()));
        package.links.push(Link { path: url, text });
    }
    // The old file's other links stay: they are not shown for editing, and nothing replaces them.
    let first_old = meta::value(&m.link).is_none() && m.link.is_some();
    for l in old.links.iter().skip(usize::from(first_old)) {
        if !package.links.iter().any(|k| k.path == l.path) {
            package.links.push(l.clone());
        }
    }
    for name in meta::value(&m.collections).into_iter().flatten() {
        let name = name.trim();
        if name.is_empty() || package.collections.iter().any(|c| c.title == name) {
            continue;
        }
        if !sluggable(name) || cap(name).is_some() {
            warnings.push(format!("Manyfold cannot save a collection named '{name}': left out"));
            continue;
        }
        let kept = old.collections.iter().find(|c| c.title.trim() == name).cloned();
        package.collections.push(kept.unwrap_or(Collection { title: name.to_string(), ..Collection::default() }));
    }
    package
}

/// Whether `readme` (a README Manyfold reads at the model's root) would make Manyfold show
/// something else than `package`: then it must be kept under another name.
pub fn readme_disagrees(readme: &ManyfoldReadme, package: &DataPackage) -> bool {
    let creator = package.contributors.first().map(|c| c.title.as_str());
    let link = |l: &str| package.links.iter().any(|k| k.path == l);
    readme.title.as_deref().is_some_and(|t| t != package.title)
        || readme.creator.as_deref().is_some_and(|c| Some(c) != creator)
        || readme.notes.as_deref().is_some_and(|n| Some(n) != package.description.as_deref())
        || readme.link.as_deref().is_some_and(|l| !link(l))
}

/// The name a disagreeing README is kept under: `README.md` → `README-original.md`, which
/// Manyfold does not read as one.
pub fn readme_kept_name(path: &str) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}-original.{ext}"),
        None => format!("{path}-original"),
    }
}

/// The metadata a plan will be written with, as the CLI's `--dry-run` and the page show it:
/// one line per field, `field: value (source)`.
pub fn summary(m: &ModelMeta) -> Vec<String> {
    fn line<T>(name: &str, f: &Option<Field<T>>, show: impl Fn(&T) -> String) -> Option<String> {
        let f = f.as_ref()?;
        let source = match f.source {
            Source::User => "user",
            Source::ThreeMf => "3mf",
            Source::Readme => "readme",
            Source::LicenseFile => "license-file",
            Source::DataPackage => "datapackage",
            Source::MetadataFile => "metadata-file",
            Source::Folder => "folder",
        };
        Some(match &f.value {
            Some(v) => format!("{name}: {} ({source})", show(v)),
            None => format!("{name}: left out ({source})"),
        })
    }
    let text = |s: &String| {
        let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if one.chars().count() > 60 {
            format!("{}…", one.chars().take(60).collect::<String>())
        } else {
            one
        }
    };
    let list = |l: &Vec<String>| l.join(", ");
    [
        line("title", &m.title, text),
        line("creator", &m.creator, text),
        line("license", &m.license, text),
        line("description", &m.description, text),
        line("tags", &m.tags, list),
        line("link", &m.link, text),
        line("collections", &m.collections, list),
        line("sensitive", &m.sensitive, |b: &bool| b.to_string()),
        line("preview", &m.preview, text),
    ]
    .into_iter()
    .flatten()
    .collect()
}

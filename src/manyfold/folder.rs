//! Writing one planned model the way Manyfold imports it: `<slug>.3mf` with every mesh as a
//! named object, 3MF inputs kept byte for byte, pictures and other files copied, and a
//! `datapackage.json` describing them all. Files come in through a callback and go out
//! through a [`Sink`] (a folder, a zip), so the core still knows no paths.

use std::io::{Read, Write};

use super::datapackage::{self, DataPackage, Resource};
use super::names::{cap, MAX_NAME};
use super::placement::place;
use super::plan::{FileKind, ModelFile, ModelPlan};
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::name::unique_name;
use crate::options::{Metadata, Options};
use crate::report::InputReport;

/// Where a model's files go.
pub trait Sink {
    /// Writes the file at `path` (inside the model folder, `/`-separated) with `write`.
    fn put(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<()>) -> Result<()>;
}

/// Takes a file's bytes, with its size if known.
pub type Consume<'a> = dyn FnMut(&mut dyn Read, Option<u64>) -> Result<()> + 'a;

/// Hands a model file's bytes to a [`Consume`].
pub type Open<'a> = dyn FnMut(&ModelFile, &mut Consume) -> Result<()> + 'a;

/// What every model gets, besides what its files say.
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
    /// Re-encode 3MF inputs into the model's own 3MF (one object per build item) instead of
    /// keeping them byte for byte; slicer settings, colours and materials are then lost.
    pub reencode_3mf: bool,
}

impl ProcessOptions {
    /// Whether `f` goes into the model's converted 3MF (rather than being copied).
    pub fn converts(&self, f: &ModelFile) -> bool {
        f.kind == FileKind::Mesh || (f.kind == FileKind::ThreeMf && self.reencode_3mf)
    }
}

/// What was written for one model.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ModelReport {
    /// Title.
    pub title: String,
    /// Folder name.
    pub slug: String,
    /// Files written, as paths inside the model folder.
    pub files: Vec<String>,
    /// The conversion report of each mesh.
    pub inputs: Vec<InputReport>,
    /// Things the user should know.
    pub warnings: Vec<String>,
}

/// A path safe to write inside a folder: `/`-separated, no `..`, no root, no drive letter.
pub fn safe_path(path: &str) -> String {
    let parts: Vec<&str> = path
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != "." && *c != "..")
        .map(|c| if c.len() == 2 && c.ends_with(':') { &c[..1] } else { c })
        .collect();
    if parts.is_empty() {
        "file".to_string()
    } else {
        parts.join("/")
    }
}

/// `path`, or `name-2.ext`, `name-3.ext`... when `taken` has it (in any case).
fn unique(path: String, taken: &mut Vec<String>) -> String {
    let path = unique_name(&path, |c| taken.iter().any(|t| t.eq_ignore_ascii_case(c)));
    taken.push(path.clone());
    path
}

fn copy(open: &mut Open, file: &ModelFile, sink: &mut dyn Sink, target: &str) -> Result<()> {
    open(file, &mut |reader, _| {
        sink.put(target, &mut |w| {
            std::io::copy(reader, w)?;
            Ok(())
        })
    })
}

/// The metadata and thumbnail of a 3MF input (packages over 256 MiB are not read for them).
fn read_info(open: &mut Open, f: &ModelFile) -> Result<crate::read::threemf::metadata::PackageInfo> {
    let mut bytes = Vec::new();
    open(f, &mut |reader, size| {
        if size.unwrap_or(0) > 256 << 20 {
            return Err(Error::limit(crate::error::Position::Whole, "over 256 MiB: metadata not read"));
        }
        reader.take(256 << 20).read_to_end(&mut bytes)?;
        Ok(())
    })?;
    crate::read::threemf::metadata::read_3mf_info(std::io::Cursor::new(bytes))
}

/// Fills the fields of `into` that are still empty from `from`.
fn fill_metadata(into: &mut Metadata, from: Metadata) {
    let fill = |a: &mut Option<String>, b: Option<String>| {
        if a.is_none() {
            *a = b;
        }
    };
    fill(&mut into.title, from.title);
    fill(&mut into.designer, from.designer);
    fill(&mut into.description, from.description);
    fill(&mut into.license_terms, from.license_terms);
}

/// Writes `plan` through `sink`. A mesh that cannot be converted is copied unchanged, with a
/// warning: nothing the user gave is lost.
pub fn write_model(
    plan: &ModelPlan,
    open: &mut Open,
    sink: &mut dyn Sink,
    options: &ProcessOptions,
) -> Result<ModelReport> {
    // A model folder holding nothing but its datapackage.json is no model: refused before
    // anything is written.
    if plan.files.iter().all(|f| f.kind == FileKind::DataPackage) {
        let what = if plan.files.is_empty() { "no file" } else { "no file but a datapackage.json" };
        return Err(Error::no_geometry(format!(
            "{what}: there is nothing to make a model of; add its STL, OBJ or 3MF files, or leave it out"
        )));
    }
    let slug = datapackage::model_slug(&plan.title);
    let mut report = ModelReport { slug: slug.clone(), ..ModelReport::default() };
    let (mut package, thumbnail_3mf) = describe(plan, open, options, &slug, &mut report)?;
    // Manyfold creates no model for a longer name, and drops all the metadata for a longer title.
    if super::names::without_support_words(&datapackage::slug(&plan.title)).len() > datapackage::MAX_SLUG {
        report.warnings.push(format!("folder name shortened to {} characters", datapackage::MAX_SLUG));
    }
    if let Some(title) = cap(&package.title, MAX_NAME) {
        report.warnings.push(format!("title shortened to {MAX_NAME} characters, as Manyfold allows"));
        package.title = title.clone();
        report.title = title;
    }
    let mut resources: Vec<Resource> = Vec::new();
    let mut taken = vec!["datapackage.json".to_string()];
    // Without any picture, the preview is a 3MF input's own thumbnail, or else rendered from
    // the meshes: saved beside them and embedded in the 3MF as its thumbnail.
    let needs_preview = !plan.files.iter().any(|f| f.kind == FileKind::Picture);
    let mut preview: Option<Vec<u8>> = thumbnail_3mf.filter(|_| needs_preview);
    let mut resource = |path: &str, presupported: bool, report: &mut ModelReport| {
        let kind = FileKind::of(path);
        resources.push(Resource {
            name: datapackage::slug(path.rsplit('/').next().unwrap_or(path)),
            path: path.to_string(),
            mediatype: datapackage::mediatype(path).to_string(),
            up: matches!(kind, FileKind::Mesh | FileKind::ThreeMf).then(|| "+z".to_string()),
            presupported: presupported.then_some(true),
        });
        report.files.push(path.to_string());
    };

    // Meshes: one package for the plain ones, one for presupported variants.
    for supported in [false, true] {
        let meshes: Vec<&ModelFile> =
            plan.files.iter().filter(|f| options.converts(f) && f.presupported == supported).collect();
        if meshes.is_empty() {
            continue;
        }
        let mut read: Vec<crate::read::Input> = Vec::new();
        for f in &meshes {
            let name = f.target.rsplit('/').next().unwrap_or(&f.target).to_string();
            let mut result = None;
            open(f, &mut |reader, size| {
                result = Some(crate::read::read_input(&name, reader, size, &options.convert));
                Ok(())
            })?;
            match result.expect("open calls back") {
                Ok(input) => {
                    report.inputs.push(input.report.clone());
                    read.push(input);
                }
                Err(e) => {
                    report.inputs.push(crate::convert::failed_report(&name, &e));
                    report.warnings.push(format!("{name}: {e}; kept unconverted"));
                    let target = unique(place(&safe_path(&f.target), f.presupported), &mut taken);
                    copy(open, f, sink, &target)?;
                    resource(&target, f.presupported, &mut report);
                }
            }
        }
        let all: Vec<&Mesh> = read.iter().flat_map(|i| i.meshes.iter()).collect();
        if all.is_empty() {
            continue;
        }
        let name = if supported { format!("{slug}-presupported.3mf") } else { format!("{slug}.3mf") };
        let target = unique(name, &mut taken);
        let mut convert = options.convert.clone();
        convert.metadata.title = Some(package.title.clone());
        convert.metadata.designer = package.contributors.first().map(|c| c.title.clone()).or(convert.metadata.designer);
        convert.metadata.description = package.description.clone().or(convert.metadata.description);
        convert.metadata.license_terms =
            package.licenses.first().map(|l| l.name.clone()).or(convert.metadata.license_terms);
        if needs_preview && preview.is_none() {
            let placed = crate::write::layout::placements(&all, convert.layout, convert.spacing_mm)?;
            let scene: Vec<(&Mesh, [f32; 3])> = all.iter().copied().zip(placed).collect();
            preview = Some(super::preview::render_png(&scene, 512));
        }
        // The package thumbnail part is a PNG; a JPEG from a 3MF input stays beside it only.
        let thumbnail = preview.as_deref().filter(|p| p.starts_with(b"\x89PNG"));
        sink.put(&target, &mut |w| crate::write::write_3mf(w, &all, thumbnail, &convert, &mut |_, _| {}).map(|_| ()))?;
        resource(&target, supported, &mut report);
    }
    // Everything else is copied as it is (an old datapackage.json was merged instead).
    for f in plan.files.iter().filter(|f| !options.converts(f) && f.kind != FileKind::DataPackage) {
        let target = unique(place(&safe_path(&f.target), f.presupported), &mut taken);
        copy(open, f, sink, &target)?;
        // As Manyfold sees it: a picture from a `Supported/` folder, now at the root, is not.
        resource(&target, f.presupported && super::names::has_support_word(&target), &mut report);
    }
    if let Some(png) = &preview {
        let ext = if png.starts_with(b"\xff\xd8") { "jpg" } else { "png" };
        let target = unique(format!("{slug}-preview.{ext}"), &mut taken);
        sink.put(&target, &mut |w| Ok(w.write_all(png)?))?;
        resource(&target, false, &mut report);
    }
    package.resources = resources;
    // The preview: a picture named like one, else the first picture.
    let pictures: Vec<&Resource> = package.resources.iter().filter(|r| r.mediatype.starts_with("image/")).collect();
    package.image = pictures
        .iter()
        .find(|r| ["preview", "cover", "main", "thumb"].iter().any(|w| r.path.to_ascii_lowercase().contains(w)))
        .or(pictures.first())
        .map(|r| r.path.clone());
    let json =
        serde_json::to_vec_pretty(&package).map_err(|e| Error::new(crate::error::ErrorKind::Usage(e.to_string())))?;
    sink.put("datapackage.json", &mut |w| Ok(w.write_all(&json)?))?;
    report.files.push("datapackage.json".to_string());
    Ok(report)
}

/// The model's metadata, best source first: what the user gave (flags, an edited title),
/// the 3MF inputs' own metadata, an existing datapackage.json, the names.
/// Also returns the first 3MF input's own thumbnail, if any.
fn describe(
    plan: &ModelPlan,
    open: &mut Open,
    options: &ProcessOptions,
    slug: &str,
    report: &mut ModelReport,
) -> Result<(DataPackage, Option<Vec<u8>>)> {
    let mut thumbnail = None;
    let mut package = DataPackage {
        schema: datapackage::SCHEMA.into(),
        name: slug.to_string(),
        title: plan.title.clone(),
        ..DataPackage::default()
    };
    if let Some(l) = &options.license {
        match datapackage::license(l) {
            Some(l) => package.licenses.push(l),
            None => report.warnings.push(format!("'{l}' is not an SPDX licence id: no licence written")),
        }
    }
    if let Some(c) = options.creator.as_deref().filter(|c| !c.trim().is_empty()) {
        package.contributors.push(datapackage::creator(c));
    }
    package.keywords = options.keywords.clone();
    let mut old: Option<DataPackage> = None;
    let mut from_3mf = Metadata::default();
    let mut from_text = super::readme::TextInfo::default();
    for f in &plan.files {
        match f.kind {
            FileKind::Other => {
                if let Some(kind) = super::readme::text_kind(&f.path) {
                    let mut text = Vec::new();
                    open(f, &mut |reader, _| {
                        reader.take(1 << 20).read_to_end(&mut text)?;
                        Ok(())
                    })?;
                    from_text.fill(super::readme::read_text(&String::from_utf8_lossy(&text), kind));
                }
            }
            FileKind::ThreeMf => match read_info(open, f) {
                Ok(info) => {
                    fill_metadata(&mut from_3mf, info.metadata);
                    if thumbnail.is_none() {
                        thumbnail = info.thumbnail;
                    }
                }
                Err(e) => report.warnings.push(format!("{}: metadata not read: {e}", f.path)),
            },
            FileKind::DataPackage => {
                let mut text = Vec::new();
                open(f, &mut |reader, _| {
                    reader.take(16 << 20).read_to_end(&mut text)?;
                    Ok(())
                })?;
                match serde_json::from_slice::<DataPackage>(&text) {
                    Ok(p) => old = Some(p),
                    Err(e) => {
                        report.warnings.push(format!("{}: not a readable datapackage.json ({e}); ignored", f.path))
                    }
                }
            }
            _ => {}
        }
    }
    // Best first: the 3MF's own metadata, then a README or licence text, then an old
    // datapackage.json (merged below), then the names.
    let nonblank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    if !plan.edited {
        let old_title = old.as_ref().map(|o| o.title.clone());
        if let Some(t) = nonblank(from_3mf.title.clone()).or(nonblank(from_text.title)).or(nonblank(old_title)) {
            package.title = t;
        }
    }
    if package.contributors.is_empty() {
        if let Some(d) = nonblank(from_3mf.designer.clone()).or(nonblank(from_text.creator)) {
            package.contributors.push(datapackage::creator(&d));
        }
    }
    if package.licenses.is_empty() {
        let l = from_3mf.license_terms.as_deref().and_then(datapackage::license);
        package.licenses.extend(l.or_else(|| from_text.license.as_deref().and_then(datapackage::license)));
    }
    if package.description.is_none() {
        package.description = nonblank(from_3mf.description).or(from_text.description);
    }
    if let Some((path, site)) = from_text.link {
        package.links.push(datapackage::Link { path, text: Some(site) });
    }
    if let Some(old) = old {
        package.merge_from(old);
    }
    report.title = package.title.clone();
    Ok((package, thumbnail))
}

/// A [`Sink`] that writes every model into one ZIP archive, each under its folder name.
pub struct ZipSink<W: Write> {
    zip: crate::write::zip::ZipWriter<W>,
    prefix: String,
}

impl<W: Write> ZipSink<W> {
    /// A new archive on `out`.
    pub fn new(out: W) -> ZipSink<W> {
        ZipSink { zip: crate::write::zip::ZipWriter::new(out), prefix: String::new() }
    }

    /// The folder (e.g. the model's slug) the next files go into; empty for none.
    pub fn set_folder(&mut self, folder: &str) {
        self.prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
    }

    /// Writes the central directory; returns the writer and the archive's size.
    pub fn finish(self) -> Result<(W, u64)> {
        Ok(self.zip.finish()?)
    }
}

/// Counts and checksums what passes through.
struct Crc<'a> {
    zip: &'a mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    crc: crc32fast::Hasher,
    n: u64,
}

impl Write for Crc<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (self.zip)(buf)?;
        self.crc.update(buf);
        self.n += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Sink for ZipSink<W> {
    fn put(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<()>) -> Result<()> {
        let name = format!("{}{}", self.prefix, safe_path(path));
        // Sizes are unknown up front: always leave room for ZIP64 sizes.
        self.zip.start(&name, true, crate::write::zip::STORED)?;
        let zip = &mut self.zip;
        let mut raw = |b: &[u8]| zip.write_all(b);
        let mut w = Crc { zip: &mut raw, crc: crc32fast::Hasher::new(), n: 0 };
        write(&mut w)?;
        let (crc, n) = (w.crc.finalize(), w.n);
        self.zip.finish_entry(crc, n)?;
        Ok(())
    }
}

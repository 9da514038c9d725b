//! Writing one planned model the way Manyfold imports it: `<slug>.3mf` with every mesh as a
//! named object, 3MF inputs kept byte for byte, pictures and other files copied, and a
//! `datapackage.json` describing them all. Files come in through a callback and go out
//! through a [`Sink`] (a folder, a zip), so the core still knows no paths.

use std::io::{Read, Write};

use super::datapackage::{self, Resource};
use super::placement::place;
use super::plan::{FileKind, ModelFile, ModelPlan};
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::name::unique_name;
use crate::report::InputReport;

/// Where a model's files go.
pub trait Sink {
    /// Writes the file at `path` (inside the model folder, `/`-separated) with `write`.
    fn put(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> Result<()>) -> Result<()>;
}

pub use super::gather::{Consume, Open, ProcessOptions};

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

/// The biggest picture of the user's taken as a 3MF's thumbnail: a photo saved as a big PNG
/// would outweigh many a model (slicers show thumbnails a few hundred pixels wide).
const MAX_OWN_THUMBNAIL: u64 = 1 << 20;

/// Nor one wider or taller than this, in pixels.
const MAX_OWN_THUMBNAIL_SIDE: u32 = 2048;

/// The model's preview picture, as its 3MF's thumbnail, when it is a whole PNG (what the
/// package's thumbnail part holds: see [`png_sides`]) of at most [`MAX_OWN_THUMBNAIL`] bytes
/// and [`MAX_OWN_THUMBNAIL_SIDE`] pixels a side: a broken one would break the slicer's preview.
fn own_thumbnail(plan: &ModelPlan, preview: Option<&str>, open: &mut Open) -> Option<Vec<u8>> {
    let file = plan.files.iter().find(|f| f.kind == FileKind::Picture && Some(f.target.as_str()) == preview)?;
    let mut bytes = Vec::new();
    open(file, &mut |reader, _| {
        reader.take(MAX_OWN_THUMBNAIL + 1).read_to_end(&mut bytes)?;
        Ok(())
    })
    .ok()?;
    let (width, height) = png_sides(&bytes)?;
    let fits = bytes.len() as u64 <= MAX_OWN_THUMBNAIL && width.max(height) <= MAX_OWN_THUMBNAIL_SIDE;
    fits.then_some(bytes)
}

/// The sides of `bytes` if they are a whole PNG: the signature, then chunks whose CRCs hold,
/// the header first, image data, the end last. The pixels are not decoded (the core has no
/// PNG decoder, and one for this alone would weigh on the page); intact chunks are what
/// cameras and editors write, and what a damaged or cut file is not.
fn png_sides(bytes: &[u8]) -> Option<(u32, u32)> {
    let be = |b: &[u8]| b.try_into().ok().map(u32::from_be_bytes);
    let mut rest = bytes.strip_prefix(b"\x89PNG\r\n\x1a\n")?;
    let (mut sides, mut data) = (None, false);
    loop {
        let len = usize::try_from(be(rest.get(..4)?)?).ok()?;
        let end = len.checked_add(8)?;
        let (kind, body) = (rest.get(4..8)?, rest.get(8..end)?);
        if crc32fast::hash(&rest[4..end]) != be(rest.get(end..end.checked_add(4)?)?)? {
            return None;
        }
        match (kind, sides) {
            (b"IHDR", None) if len == 13 => sides = Some((be(&body[..4])?, be(&body[4..8])?)),
            (_, None) => return None,
            (b"IDAT", _) => data = true,
            (b"IEND", _) => return sides.filter(|_| data),
            _ => {}
        }
        rest = &rest[end + 4..];
    }
}

fn copy(open: &mut Open, file: &ModelFile, sink: &mut dyn Sink, target: &str) -> Result<()> {
    open(file, &mut |reader, _| {
        sink.put(target, &mut |w| {
            std::io::copy(reader, w)?;
            Ok(())
        })
    })
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
    let described = super::package::describe(plan, open, options, &slug, &mut report.warnings);
    let (mut package, meta, found) = (described.package, described.meta, described.found);
    report.title = package.title.clone();
    // Manyfold creates no model for a longer folder name (the title is capped in `describe`).
    if super::names::without_support_words(&datapackage::slug(&plan.title)).len() > datapackage::MAX_SLUG {
        report.warnings.push(format!("folder name shortened to {} characters", datapackage::MAX_SLUG));
    }
    let old_resources = found.old.as_ref().map(|o| o.resources.clone()).unwrap_or_default();
    let old_resource = |f: &ModelFile| old_resources.iter().find(|r| r.path == f.target || r.path == f.path);
    let mut resources: Vec<Resource> = Vec::new();
    let mut taken = vec!["datapackage.json".to_string()];
    // Where each picture went: (its target in the plan, the path written).
    let mut written: Vec<(String, String)> = Vec::new();
    // Without any picture, the preview is a 3MF input's own thumbnail, or else rendered from
    // the meshes: saved beside them and embedded in the 3MF as its thumbnail.
    let needs_preview = !plan.files.iter().any(|f| f.kind == FileKind::Picture);
    let mut preview: Option<Vec<u8>> = found.thumbnail.clone().filter(|_| needs_preview);
    // Every converted 3MF carries a thumbnail unless turned off: that preview when it is a
    // PNG, else the model's own preview picture (a PNG, not too big), else a render at the
    // thumbnail's size (which `write_3mf` draws when `thumbnail` is on and none is given).
    let converts = plan.files.iter().any(|f| options.converts(f));
    let own = match &meta.preview {
        Some(p) if converts && !options.no_thumbnail && !needs_preview => own_thumbnail(plan, p.value.as_deref(), open),
        _ => None,
    };
    // A file's resource; what an old datapackage.json said of it (caption, notes, which way
    // is up, presupported) is kept.
    let mut resource =
        |path: &str, presupported: bool, old: Option<&Resource>, y_up: bool, report: &mut ModelReport| {
            let kind = FileKind::of(path);
            let up = if y_up { "+y" } else { "+z" };
            resources.push(Resource {
                name: datapackage::slug(path.rsplit('/').next().unwrap_or(path)),
                path: path.to_string(),
                mediatype: datapackage::mediatype(path).to_string(),
                up: matches!(kind, FileKind::Mesh | FileKind::ThreeMf).then(|| up.to_string()),
                presupported: (presupported || old.and_then(|o| o.presupported) == Some(true)).then_some(true),
                caption: old.and_then(|o| o.caption.clone()),
                description: old.and_then(|o| o.description.clone()),
            });
            report.files.push(path.to_string());
        };
    let is_y_up = |r: Option<&Resource>| r.and_then(|r| r.up.as_deref()) == Some("+y");

    // Meshes: one package for the plain ones, one for presupported variants.
    for supported in [false, true] {
        let meshes: Vec<&ModelFile> =
            plan.files.iter().filter(|f| options.converts(f) && f.presupported == supported).collect();
        if meshes.is_empty() {
            continue;
        }
        let mut read: Vec<crate::read::Input> = Vec::new();
        let mut y_up = true;
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
                    y_up &= is_y_up(old_resource(f));
                }
                Err(e) => {
                    report.inputs.push(crate::convert::failed_report(&name, &e));
                    report.warnings.push(format!("{name}: {e}; kept unconverted"));
                    let target = unique(place(&safe_path(&f.target), f.presupported), &mut taken);
                    copy(open, f, sink, &target)?;
                    resource(&target, f.presupported, old_resource(f), is_y_up(old_resource(f)), &mut report);
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
            preview = Some(crate::write::thumbnail::render_png(&scene, 512));
        }
        // The package thumbnail part is a PNG; a JPEG from a 3MF input stays beside it only.
        convert.thumbnail = !options.no_thumbnail;
        let made = preview.as_deref().filter(|p| p.starts_with(b"\x89PNG"));
        let thumbnail = made.or(own.as_deref()).filter(|_| convert.thumbnail);
        sink.put(&target, &mut |w| crate::write::write_3mf(w, &all, thumbnail, &convert, &mut |_, _| {}).map(|_| ()))?;
        // Meshes that were all y-up (as an old datapackage.json said) stay so in their 3MF.
        resource(&target, supported, None, y_up, &mut report);
    }
    // Everything else is copied as it is (an old datapackage.json was merged instead). A
    // README Manyfold would read instead of the datapackage, and that says otherwise, is kept
    // under a name Manyfold does not read.
    for f in plan.files.iter().filter(|f| !options.converts(f) && f.kind != FileKind::DataPackage) {
        let mut path = place(&safe_path(&f.target), f.presupported);
        if super::readme::is_manyfold_readme(&path) {
            let mut text = Vec::new();
            open(f, &mut |reader, _| {
                reader.take(1 << 20).read_to_end(&mut text)?;
                Ok(())
            })?;
            let readme = super::readme::manyfold_readme(&String::from_utf8_lossy(&text));
            if super::package::readme_disagrees(&readme, &package) {
                let kept = super::package::readme_kept_name(&path);
                report.warnings.push(format!(
                    "{path} would make Manyfold show other metadata than the datapackage.json: kept as {kept}"
                ));
                path = kept;
            }
        }
        let target = unique(path, &mut taken);
        copy(open, f, sink, &target)?;
        // As Manyfold sees it: a picture from a `Supported/` folder, now at the root, is not.
        let presupported = f.presupported && super::names::has_support_word(&target);
        resource(&target, presupported, old_resource(f), is_y_up(old_resource(f)), &mut report);
        if f.kind == FileKind::Picture {
            written.push((f.target.clone(), target));
        }
    }
    let mut rendered = None;
    if let Some(png) = &preview {
        let ext = if png.starts_with(b"\xff\xd8") { "jpg" } else { "png" };
        let target = unique(format!("{slug}-preview.{ext}"), &mut taken);
        sink.put(&target, &mut |w| Ok(w.write_all(png)?))?;
        resource(&target, false, None, false, &mut report);
        rendered = Some(target);
    }
    package.resources = resources;
    // The preview the metadata names (by the picture's path in the plan, or the same path with
    // another extension: the page re-encodes pictures), else the one made.
    let stem = |p: &str| p.rsplit_once('.').map_or(p, |(s, _)| s).to_string();
    package.image = match &meta.preview {
        Some(f) => f.value.as_ref().and_then(|p| {
            let found = written
                .iter()
                .find(|(t, _)| t == p)
                .or_else(|| written.iter().find(|(t, _)| stem(t) == stem(p)))
                .map(|(_, w)| w.clone());
            if found.is_none() {
                report.warnings.push(format!("the preview '{p}' is not one of the model's pictures: none set"));
            }
            found
        }),
        None => rendered,
    };
    // An entry point that names no file written would break the import.
    if package.entrypoint.as_ref().is_some_and(|e| !package.resources.iter().any(|r| r.path == e.path)) {
        package.entrypoint = None;
    }
    let json =
        serde_json::to_vec_pretty(&package).map_err(|e| Error::new(crate::error::ErrorKind::Usage(e.to_string())))?;
    sink.put("datapackage.json", &mut |w| Ok(w.write_all(&json)?))?;
    report.files.push("datapackage.json".to_string());
    Ok(report)
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

#[cfg(test)]
mod tests {
    use super::png_sides;

    #[test]
    fn a_whole_png_gives_its_sides_a_damaged_or_cut_one_none() {
        let png = crate::write::thumbnail::render_png(&[], 24);
        assert_eq!(png_sides(&png), Some((24, 24)));
        assert_eq!(png_sides(&png[..png.len() - 12]), None, "cut before its end chunk");
        let mut flipped = png.clone();
        flipped[40] ^= 1;
        assert_eq!(png_sides(&flipped), None, "a chunk's CRC no longer holds");
        assert_eq!(png_sides(b"\x89PNG\r\n\x1a\n\xff\xff\xff\xffIHDR"), None, "a length past the end");
        assert_eq!(png_sides(b"GIF89a"), None);
    }
}

//! `to3mf process`: downloads (files, folders, zip archives) into model folders that
//! Manyfold imports with their metadata.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use to3mf::manyfold::archive::{list_archive, Archive, ArchiveLimits};
use to3mf::manyfold::datapackage::model_slug;
use to3mf::manyfold::edit::Edit;
use to3mf::manyfold::folder::{write_model, Consume, ModelReport, ProcessOptions, Sink, ZipSink};
use to3mf::manyfold::placement::place;
use to3mf::manyfold::plan::{self, ModelFile, ModelPlan, SourceFile};
use to3mf::manyfold::roots::{group, Dropped, DroppedKind, Folder, RootSource, Roots};
use to3mf::{unique_name, Layout, Options, Unit};

#[derive(Args)]
pub struct ProcessArgs {
    /// Files, folders and .zip archives.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Where the model folders (or zips) go. Into a Manyfold library folder, then "Scan for
    /// changes": the only way Manyfold reads all the metadata (datapackage.json).
    #[arg(long)]
    out_dir: PathBuf,
    /// Print the proposed models and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// One zip holding every model folder (DIR/models.zip), for unpacking into a Manyfold
    /// library folder, then "Scan for changes" (uploaded as it is, it becomes one model).
    #[arg(long, conflicts_with = "zip_per_model")]
    zip: bool,
    /// One zip per model (DIR/<slug>.zip), its files at the zip's root, for Manyfold's upload
    /// page: each becomes a model with its files and pictures, but an upload does not read the
    /// metadata (datapackage.json); a library folder and "Scan for changes" does.
    #[arg(long)]
    zip_per_model: bool,
    /// Creator of the models.
    #[arg(long)]
    creator: Option<String>,
    /// SPDX licence id of the models (e.g. CC-BY-4.0).
    #[arg(long)]
    license: Option<String>,
    /// Tags, comma-separated.
    #[arg(long, value_delimiter = ',')]
    keywords: Vec<String>,
    /// Collection of the models (repeatable, or comma-separated).
    #[arg(long = "collection", value_delimiter = ',', value_name = "NAME")]
    collections: Vec<String>,
    /// Mark the models sensitive.
    #[arg(long)]
    sensitive: bool,
    /// --creator, --license, --keywords, --collection and --sensitive replace what the
    /// models' files say (READMEs, 3MF metadata, an old datapackage.json); without it they
    /// fill only the models that have none. A --set for one model always wins.
    #[arg(long = "override")]
    override_all: bool,
    /// Set one metadata field of one model: MODEL:FIELD=VALUE, FIELD one of title, creator,
    /// license, description, tags, link, collections (comma-separated), sensitive
    /// (true/false), preview (a picture's path in the model). An empty VALUE leaves the
    /// field out. --dry-run shows each model's metadata and where it came from.
    #[arg(long = "set", value_name = "MODEL:FIELD=VALUE")]
    sets: Vec<String>,
    /// Placement of the meshes in each 3MF.
    #[arg(long, default_value = "arrange")]
    layout: Layout,
    /// Unit of the input meshes.
    #[arg(long, default_value = "mm")]
    unit: Unit,
    /// Re-encode 3MF inputs into the model's 3MF (one object per build item) instead of
    /// keeping them byte for byte; their slicer settings, colours and materials are lost.
    #[arg(long)]
    reencode_3mf: bool,
    /// Print the reports as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Leave out the files whose path (as --dry-run shows it) matches GLOB (`*`, `?`).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Move the files matching GLOB into MODEL (a new model if none has that name).
    #[arg(long = "move", value_name = "GLOB=MODEL")]
    moves: Vec<String>,
    /// Move every file of model FROM into model INTO.
    #[arg(long, value_name = "FROM=INTO")]
    merge: Vec<String>,
    /// Give model MODEL the title TITLE. Models are named by title or folder name, as
    /// --dry-run shows them; edits apply in the order --exclude, --move, --merge, --title,
    /// --set.
    #[arg(long = "title", value_name = "MODEL=TITLE")]
    titles: Vec<String>,
}

/// The model edits the flags ask for, in the order they apply.
fn edits(args: &ProcessArgs) -> Result<Vec<Edit>, String> {
    let pair = |flag: &str, v: &str| {
        v.split_once('=')
            .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
            .ok_or_else(|| format!("--{flag} '{v}': expected A=B"))
    };
    let mut out: Vec<Edit> = args.exclude.iter().map(|g| Edit::Exclude(g.clone())).collect();
    for v in &args.moves {
        let (pattern, model) = pair("move", v)?;
        out.push(Edit::Move { pattern, model });
    }
    for v in &args.merge {
        let (from, into) = pair("merge", v)?;
        out.push(Edit::Merge { from, into });
    }
    for v in &args.titles {
        let (model, title) = pair("title", v)?;
        out.push(Edit::Title { model, title });
    }
    for v in &args.sets {
        let bad = || format!("--set '{v}': expected MODEL:FIELD=VALUE");
        let (left, value) = v.split_once('=').ok_or_else(bad)?;
        // Titles may hold ':'; field names never do.
        let (model, field) = left.rsplit_once(':').ok_or_else(bad)?;
        let value = Some(value.trim().to_string()).filter(|v| !v.is_empty());
        out.push(Edit::Set { model: model.trim().to_string(), field: field.trim().to_ascii_lowercase(), value });
    }
    Ok(out)
}

/// Reads the inputs into roots; inputs that cannot be read are reported and skipped. Returns
/// the roots, where their files are, and the path of every input file.
fn roots(inputs: &[PathBuf], failed: &mut Vec<String>) -> (Roots<Archive<File>>, Vec<PathBuf>) {
    let (mut dropped, mut paths) = (Vec::new(), Vec::new());
    for (id, p) in inputs.iter().enumerate() {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if p.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = walk(p, p, &mut files) {
                failed.push(format!("{}: cannot read the folder: {e}", p.display()));
                continue;
            }
            for f in files {
                paths.push(p.join(&f.path));
                dropped.push(Dropped {
                    folder: Some(Folder { id, name: name.clone() }),
                    path: f.path,
                    size: f.size,
                    kind: DroppedKind::File,
                });
            }
            continue;
        }
        let mut magic = [0u8; 8];
        match File::open(p).and_then(|mut f| f.read(&mut magic)) {
            Err(e) => failed.push(format!("{}: {e}", p.display())),
            Ok(n) => {
                let path = p.to_string_lossy().into_owned();
                let kind = DroppedKind::of(&name, Some(&magic[..n]));
                paths.push(p.clone());
                dropped.push(Dropped { folder: None, path, size: p.metadata().map_or(0, |m| m.len()), kind });
            }
        }
    }
    let roots = group(dropped, |i, _| {
        let name = paths[i].file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (root, archive) = list_archive(&name, File::open(&paths[i])?, &ArchiveLimits::default())?;
        for w in &archive.warnings {
            eprintln!("note: {w}");
        }
        Ok((root, archive))
    });
    failed.extend(roots.errors.iter().cloned());
    (roots, paths)
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<SourceFile>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(base, &p, out)?;
        } else {
            let rel = p.strip_prefix(base).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            out.push(SourceFile { path: rel, size: e.metadata()?.len() });
        }
    }
    Ok(())
}

/// A name not yet taken for a folder (or, with `ext`, a file) in `dir`: `name`, `name-2`, ...
fn free_name(dir: &Path, name: &str, ext: &str, taken: &mut Vec<String>) -> String {
    let name = unique_name(name, |c| taken.iter().any(|t| t == c) || dir.join(format!("{c}{ext}")).exists());
    taken.push(name.clone());
    name
}

/// Writes each file into a folder, atomically (temporary file, then rename).
struct FolderSink(PathBuf);

impl Sink for FolderSink {
    fn put(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> to3mf::Result<()>) -> to3mf::Result<()> {
        let target = self.0.join(path);
        let parent = target.parent().unwrap_or(&self.0).to_path_buf();
        std::fs::create_dir_all(&parent)?;
        let tmp = tempfile::Builder::new().prefix(".to3mf-").tempfile_in(&parent)?;
        let mut w = std::io::BufWriter::new(tmp);
        write(&mut w)?;
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        tmp.persist(&target).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Today's date (UTC) as the produced 3MFs' `CreationDate`.
fn today() -> to3mf::Metadata {
    let days =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    to3mf::Metadata { creation_date: Some(format!("{year:04}-{month:02}-{day:02}")), ..to3mf::Metadata::default() }
}

fn describe(plan: &ModelPlan, slug: &str, options: &ProcessOptions) -> String {
    let mut s = format!("{} → {slug}/\n", plan.title);
    for f in &plan.files {
        let what = match f.kind {
            _ if options.converts(f) && f.presupported => format!("into {slug}-presupported.3mf"),
            _ if options.converts(f) => format!("into {slug}.3mf"),
            plan::FileKind::DataPackage => "merged into datapackage.json".to_string(),
            _ => format!("as {}", place(&to3mf::manyfold::folder::safe_path(&f.target), f.presupported)),
        };
        s += &format!("  {} ({what})\n", f.path);
    }
    for line in to3mf::manyfold::package::summary(&plan.meta.with_defaults(options)) {
        s += &format!("  {line}\n");
    }
    s
}

pub fn run(args: ProcessArgs) -> ExitCode {
    let mut failed = Vec::new();
    let (Roots { roots, mut sources, .. }, paths) = roots(&args.inputs, &mut failed);
    for f in &failed {
        eprintln!("error: {f}");
    }
    let mut plans = plan::plan(&roots);
    if let Err(e) = edits(&args).and_then(|edits| to3mf::manyfold::edit::apply(&mut plans, &edits)) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if plans.is_empty() {
        eprintln!("error: no model found in the inputs (no STL, OBJ or 3MF file)");
        return ExitCode::from(1);
    }
    let options = ProcessOptions {
        convert: Options { layout: args.layout, unit: args.unit, metadata: today(), ..Options::default() },
        creator: args.creator.clone(),
        license: args.license.clone(),
        keywords: args.keywords.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
        collections: args.collections.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
        sensitive: args.sensitive,
        override_all: args.override_all,
        reencode_3mf: args.reencode_3mf,
    };
    if let Err(e) = std::fs::create_dir_all(&args.out_dir) {
        eprintln!("error: cannot create {}: {e}", args.out_dir.display());
        return ExitCode::from(1);
    }
    let mut taken = Vec::new();
    let ext = if args.zip_per_model { ".zip" } else { "" };
    let slugs: Vec<String> = plans
        .iter()
        .map(|p| {
            let slug = model_slug(&p.title);
            if args.zip {
                free_in(&mut taken, &slug)
            } else {
                free_name(&args.out_dir, &slug, ext, &mut taken)
            }
        })
        .collect();
    let mut open = |f: &ModelFile, consume: &mut Consume| -> to3mf::Result<()> {
        let missing = || to3mf::Error::from(std::io::Error::other(format!("{}: not among the inputs", f.path)));
        match sources.get_mut(f.root).ok_or_else(missing)? {
            RootSource::Archive(archive) => archive.read(&f.path, consume),
            inputs => {
                let mut file = File::open(&paths[inputs.input(&f.path).ok_or_else(missing)?])?;
                let size = file.metadata().ok().map(|m| m.len());
                consume(&mut file, size)
            }
        }
    };
    // What the files say fills what the edits left open.
    for p in &mut plans {
        for w in to3mf::manyfold::gather::gather(p, &mut open) {
            eprintln!("warning: {}: {w}", p.title);
        }
    }
    if args.dry_run {
        for (p, slug) in plans.iter().zip(&slugs) {
            crate::print_out(describe(p, slug, &options).trim_end());
        }
        return if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    }

    // Each report with the folder its model went into (a model that failed has none).
    let mut reports: Vec<(String, ModelReport)> = Vec::new();
    let mut all_ok = failed.is_empty();
    let mut write = |plan: &ModelPlan, slug: &str, sink: &mut dyn Sink, reports: &mut Vec<(String, ModelReport)>| {
        match write_model(plan, &mut open, sink, &options) {
            Ok(r) => {
                reports.push((slug.to_string(), r));
                true
            }
            Err(e) => {
                eprintln!("error: {}: {e}", plan.title);
                false
            }
        }
    };
    if args.zip {
        let path = args.out_dir.join(format!("{}.zip", free_name(&args.out_dir, "models", ".zip", &mut Vec::new())));
        let result = (|| -> to3mf::Result<()> {
            let tmp = tempfile::Builder::new().prefix(".to3mf-").tempfile_in(&args.out_dir)?;
            let mut zip = ZipSink::new(std::io::BufWriter::new(tmp));
            for (p, slug) in plans.iter().zip(&slugs) {
                zip.set_folder(slug);
                all_ok &= write(p, slug, &mut zip, &mut reports);
            }
            let (w, _) = zip.finish()?;
            w.into_inner().map_err(|e| e.into_error())?.persist(&path).map_err(|e| e.error)?;
            Ok(())
        })();
        if let Err(e) = result {
            eprintln!("error: {}: {e}", path.display());
            all_ok = false;
        }
    } else {
        for (p, slug) in plans.iter().zip(&slugs) {
            if args.zip_per_model {
                let path = args.out_dir.join(format!("{slug}.zip"));
                let result = (|| -> to3mf::Result<bool> {
                    let tmp = tempfile::Builder::new().prefix(".to3mf-").tempfile_in(&args.out_dir)?;
                    // The model's files at the zip's root: Manyfold's upload strips no folder
                    // from a zip without directory entries, so a `<slug>/` would nest them.
                    let mut zip = ZipSink::new(std::io::BufWriter::new(tmp));
                    let ok = write(p, slug, &mut zip, &mut reports);
                    let (w, _) = zip.finish()?;
                    w.into_inner().map_err(|e| e.into_error())?.persist(&path).map_err(|e| e.error)?;
                    Ok(ok)
                })();
                all_ok &= result.unwrap_or_else(|e| {
                    eprintln!("error: {}: {e}", path.display());
                    false
                });
            } else {
                all_ok &= write(p, slug, &mut FolderSink(args.out_dir.join(slug)), &mut reports);
            }
        }
    }
    for (slug, r) in &reports {
        if slug != &r.slug {
            eprintln!("note: '{}' went into {slug}/ because {}/ already exists", r.title, r.slug);
        }
        if !args.json {
            eprintln!("{} → {slug}/ ({} files)", r.title, r.files.len());
        }
        for w in &r.warnings {
            eprintln!("warning: {}: {w}", r.title);
        }
    }
    if args.json {
        // Serialized from the structs, so f32 values keep their shortest form.
        #[derive(serde::Serialize)]
        struct Json<'a> {
            models: &'a [&'a ModelReport],
            errors: &'a [String],
        }
        crate::print_out(
            &serde_json::to_string_pretty(&Json {
                models: &reports.iter().map(|(_, r)| r).collect::<Vec<_>>(),
                errors: &failed,
            })
            .expect("reports serialize"),
        );
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `slug`, or `slug-2`, `slug-3`... when `taken` has it.
fn free_in(taken: &mut Vec<String>, slug: &str) -> String {
    let slug = unique_name(slug, |c| taken.iter().any(|t| t == c));
    taken.push(slug.clone());
    slug
}

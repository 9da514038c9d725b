//! `to3mf process`: downloads (files, folders, zip archives) into model folders that
//! Manyfold imports with their metadata. `watch` runs the same pipeline: [`plan`],
//! [`edit`], [`produce`] (outputs staged under dot-names), then [`stage::place`].

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use to3mf::manyfold::archive::{list_archive, Archive, ArchiveLimits};
use to3mf::manyfold::datapackage::model_slug;
use to3mf::manyfold::edit::Edit;
use to3mf::manyfold::folder::{write_model, Consume, ModelReport, Open, ProcessOptions, Sink, ZipSink};
use to3mf::manyfold::placement::place;
use to3mf::manyfold::plan::{self, ModelFile, ModelPlan, SourceFile};
use to3mf::manyfold::roots::{group, Dropped, DroppedKind, Folder, RootSource, Roots};
use to3mf::{unique_name, Layout, Options, Unit};

use crate::stage::{self, FolderSink};

#[derive(Args)]
pub struct ProcessArgs {
    /// Files, folders and .zip archives.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print the proposed models and write nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    flags: ProcessFlags,
}

/// The flags `process` and `watch` share: where the models go, their metadata, the edits.
#[derive(Args)]
pub struct ProcessFlags {
    /// Where the model folders (or zips) go. Into a Manyfold library folder, then "Scan for
    /// changes": the only way Manyfold reads all the metadata (datapackage.json).
    #[arg(long)]
    pub out_dir: PathBuf,
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
    /// Write the 3MFs without a thumbnail (by default each has one: the model's own PNG
    /// picture, a 3MF input's thumbnail, or a rendered picture of its objects).
    #[arg(long)]
    no_thumbnail: bool,
    /// Print the reports as JSON on stdout (`watch`: one line per item).
    #[arg(long)]
    pub json: bool,
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
pub fn edits(args: &ProcessFlags) -> Result<Vec<Edit>, String> {
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

/// The models proposed for some inputs, with where their files are.
pub struct Planned {
    pub plans: Vec<ModelPlan>,
    sources: Vec<RootSource<Archive<File>>>,
    paths: Vec<PathBuf>,
    /// Inputs that could not be read (the others are still planned).
    pub failed: Vec<String>,
}

/// Reads and groups the inputs into proposed models.
pub fn plan(inputs: &[PathBuf]) -> Planned {
    let mut failed = Vec::new();
    let (Roots { roots, sources, .. }, paths) = roots(inputs, &mut failed);
    Planned { plans: plan::plan(&roots), sources, paths, failed }
}

/// Hands the bytes of a planned file, from its archive or its input file, to `consume`.
fn open_file(
    sources: &mut [RootSource<Archive<File>>],
    paths: &[PathBuf],
    f: &ModelFile,
    consume: &mut Consume,
) -> to3mf::Result<()> {
    let missing = || to3mf::Error::from(std::io::Error::other(format!("{}: not among the inputs", f.path)));
    match sources.get_mut(f.root).ok_or_else(missing)? {
        RootSource::Archive(archive) => archive.read(&f.path, consume),
        inputs => {
            let mut file = File::open(&paths[inputs.input(&f.path).ok_or_else(missing)?])?;
            let size = file.metadata().ok().map(|m| m.len());
            consume(&mut file, size)
        }
    }
}

/// Fills each model's metadata from what its files say, where the edits left it open;
/// returns the warnings, each with its model's title.
pub fn gather(planned: &mut Planned) -> Vec<String> {
    let Planned { plans, sources, paths, .. } = planned;
    let mut open = |f: &ModelFile, consume: &mut Consume| open_file(sources, paths, f, consume);
    let mut warnings = Vec::new();
    for p in plans.iter_mut() {
        for w in to3mf::manyfold::gather::gather(p, &mut open) {
            warnings.push(format!("{}: {w}", p.title));
        }
    }
    warnings
}

/// Applies the edits. `strict`: an edit that matches nothing is an error (`process`);
/// otherwise it is skipped (`watch`: it is meant for another item).
pub fn edit(planned: &mut Planned, edits: &[Edit], strict: bool) -> Result<(), String> {
    let edits = &by_shown_names(planned, edits);
    if strict {
        return to3mf::manyfold::edit::apply(&mut planned.plans, edits);
    }
    for e in edits {
        // An edit that finds nothing changes nothing.
        let _ = to3mf::manyfold::edit::apply(&mut planned.plans, std::slice::from_ref(e));
    }
    Ok(())
}

/// `edits` with each model named as `--dry-run` shows it, by the title its files give it (a
/// README's, a 3MF's: see [`gather`]), renamed to the name it has before that, which the
/// edits are applied to. A name some model has already is kept.
fn by_shown_names(planned: &mut Planned, edits: &[Edit]) -> Vec<Edit> {
    use to3mf::manyfold::edit::names;
    if edits.iter().all(|e| matches!(e, Edit::Exclude(_))) {
        return edits.to_vec();
    }
    let Planned { plans, sources, paths, .. } = planned;
    let mut open = |f: &ModelFile, consume: &mut Consume| open_file(sources, paths, f, consume);
    let shown: Vec<String> = plans
        .iter()
        .map(|p| {
            let mut p = p.clone();
            to3mf::manyfold::gather::gather(&mut p, &mut open);
            p.title
        })
        .collect();
    let name = |n: &String| {
        if plans.iter().any(|p| names(n, &p.title)) {
            return n.clone();
        }
        shown.iter().position(|t| names(n, t)).map_or_else(|| n.clone(), |i| plans[i].title.clone())
    };
    edits
        .iter()
        .map(|e| match e {
            Edit::Title { model, title } => Edit::Title { model: name(model), title: title.clone() },
            Edit::Set { model, field, value } => {
                Edit::Set { model: name(model), field: field.clone(), value: value.clone() }
            }
            Edit::Move { pattern, model } => Edit::Move { pattern: pattern.clone(), model: name(model) },
            Edit::Merge { from, into } => Edit::Merge { from: name(from), into: name(into) },
            Edit::Exclude(p) => Edit::Exclude(p.clone()),
        })
        .collect()
}

pub fn options(args: &ProcessFlags) -> ProcessOptions {
    ProcessOptions {
        convert: Options { layout: args.layout, unit: args.unit, metadata: today(), ..Options::default() },
        creator: args.creator.clone(),
        license: args.license.clone(),
        keywords: args.keywords.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
        collections: args.collections.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect(),
        sensitive: args.sensitive,
        override_all: args.override_all,
        reencode_3mf: args.reencode_3mf,
        no_thumbnail: args.no_thumbnail,
    }
}

/// One output (a model folder or a zip) written in the output folder under the dot-name
/// `temp`, to be renamed to `name` (or `name-2`, ...) by [`stage::place`].
pub struct Output {
    pub temp: String,
    pub name: String,
}

/// What [`produce`] wrote.
pub struct Produced {
    pub outputs: Vec<Output>,
    /// Each model written, the index of the output holding it, and its folder there.
    pub models: Vec<(ModelReport, usize, String)>,
    /// What could not be written (that output is removed; the others are kept).
    pub errors: Vec<String>,
}

/// Writes the planned models into `flags.out_dir`, output `k` under the name `{prefix}{k}`
/// (which must start with a dot); `durable` flushes each file to the disk.
pub fn produce(
    planned: Planned,
    flags: &ProcessFlags,
    options: &ProcessOptions,
    prefix: &str,
    durable: bool,
) -> Produced {
    let Planned { plans, mut sources, paths, .. } = planned;
    let mut open = |f: &ModelFile, consume: &mut Consume| open_file(&mut sources, &paths, f, consume);
    let out = &flags.out_dir;
    let mut done = Produced { outputs: Vec::new(), models: Vec::new(), errors: Vec::new() };
    let staged = |temp: String, name: String, result: to3mf::Result<()>, done: &mut Produced| match result {
        Ok(()) => done.outputs.push(Output { temp, name }),
        Err(e) => {
            let _ = stage::remove(&out.join(&temp));
            done.errors.push(format!("{}: {e}", out.join(&name).display()));
        }
    };
    if flags.zip {
        let mut taken = Vec::new();
        let folders: Vec<_> = plans.iter().map(|p| (p, free_in(&mut taken, &model_slug(&p.title)))).collect();
        let temp = format!("{prefix}0");
        let result = zip_of(&out.join(&temp), &folders, false, &mut open, options, durable, &mut done);
        if result.is_err() {
            done.models.clear();
        }
        staged(temp, "models.zip".into(), result, &mut done);
        return done;
    }
    for (k, p) in plans.iter().enumerate() {
        let (temp, slug) = (format!("{prefix}{k}"), model_slug(&p.title));
        if flags.zip_per_model {
            let errors = done.errors.len();
            let result = zip_of(&out.join(&temp), &[(p, slug.clone())], true, &mut open, options, durable, &mut done);
            if done.errors.len() > errors {
                // The model failed (and said why): no zip of it.
                let _ = stage::remove(&out.join(&temp));
                continue;
            }
            staged(temp, format!("{slug}.zip"), result, &mut done);
            continue;
        }
        let mut sink = FolderSink { dir: out.join(&temp), durable };
        let result = std::fs::create_dir(&sink.dir).map_err(to3mf::Error::from).and_then(|()| {
            let r = write_model(p, &mut open, &mut sink as &mut dyn Sink, options)?;
            if durable {
                stage::sync_tree(&sink.dir)?;
            }
            done.models.push((r, done.outputs.len(), slug.clone()));
            Ok(())
        });
        if let Err(e) = result {
            let _ = stage::remove(&sink.dir);
            done.errors.push(format!("{}: {e}", p.title));
            continue;
        }
        staged(temp, slug, Ok(()), &mut done);
    }
    done
}

/// Writes `plans` (each into its folder, or with `flat` at the root) into a new zip at `path`,
/// the next output.
fn zip_of(
    path: &Path,
    plans: &[(&ModelPlan, String)],
    flat: bool,
    open: &mut Open,
    options: &ProcessOptions,
    durable: bool,
    done: &mut Produced,
) -> to3mf::Result<()> {
    let mut zip = ZipSink::new(std::io::BufWriter::new(File::create_new(path)?));
    let k = done.outputs.len();
    for (p, folder) in plans {
        // One model's zip holds its files at the root: Manyfold's upload strips no folder from
        // a zip without directory entries, so a `<slug>/` would nest them.
        if !flat {
            zip.set_folder(folder);
        }
        match write_model(p, open, &mut zip, options) {
            Ok(r) => done.models.push((r, k, folder.clone())),
            Err(e) => done.errors.push(format!("{}: {e}", p.title)),
        }
    }
    let file = zip.finish()?.0.into_inner().map_err(|e| e.into_error())?;
    if durable {
        file.sync_all()?;
    }
    Ok(())
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
    let flags = &args.flags;
    let mut planned = plan(&args.inputs);
    let failed = std::mem::take(&mut planned.failed);
    for f in &failed {
        eprintln!("error: {f}");
    }
    if let Err(e) = edits(flags).and_then(|edits| edit(&mut planned, &edits, true)) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    if planned.plans.is_empty() {
        eprintln!("error: no model found in the inputs (no STL, OBJ or 3MF file)");
        return ExitCode::from(1);
    }
    let options = options(flags);
    // Files that cannot be read are reported when written, or here for a dry run.
    for w in gather(&mut planned) {
        if args.dry_run {
            eprintln!("warning: {w}");
        }
    }
    if let Err(e) = std::fs::create_dir_all(&flags.out_dir) {
        eprintln!("error: cannot create {}: {e}", flags.out_dir.display());
        return ExitCode::from(1);
    }
    if args.dry_run {
        let (mut taken, ext) = (Vec::new(), if flags.zip_per_model { ".zip" } else { "" });
        for p in &planned.plans {
            let slug = model_slug(&p.title);
            let slug = if flags.zip {
                free_in(&mut taken, &slug)
            } else {
                let name = stage::free_name(&flags.out_dir, &format!("{slug}{ext}"), &taken);
                taken.push(name.clone());
                name.strip_suffix(ext).unwrap_or(&name).to_string()
            };
            crate::print_out(describe(p, &slug, &options).trim_end());
        }
        return if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) };
    }

    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let prefix = format!(".to3mf-{}-{nanos}-", std::process::id());
    let produced = produce(planned, flags, &options, &prefix, false);
    for e in &produced.errors {
        eprintln!("error: {e}");
    }
    let mut all_ok = failed.is_empty() && produced.errors.is_empty();
    let mut names = Vec::new();
    for o in &produced.outputs {
        names.push(stage::place(&flags.out_dir.join(&o.temp), &flags.out_dir, &o.name).map_err(|e| {
            eprintln!("error: {}: {e}", flags.out_dir.join(&o.name).display());
            let _ = stage::remove(&flags.out_dir.join(&o.temp));
            all_ok = false;
        }));
    }
    let mut reports = Vec::new();
    for (r, k, folder) in &produced.models {
        let Ok(name) = &names[*k] else { continue };
        let slug = if flags.zip { folder } else { name.strip_suffix(".zip").unwrap_or(name) };
        if slug != r.slug {
            eprintln!("note: '{}' went into {slug}/ because {}/ already exists", r.title, r.slug);
        }
        if !flags.json {
            eprintln!("{} → {slug}/ ({} files)", r.title, r.files.len());
        }
        for w in &r.warnings {
            eprintln!("warning: {}: {w}", r.title);
        }
        reports.push(r);
    }
    if flags.json {
        // Serialized from the structs, so f32 values keep their shortest form.
        #[derive(serde::Serialize)]
        struct Json<'a> {
            models: Vec<&'a ModelReport>,
            errors: Vec<&'a String>,
        }
        let errors = failed.iter().chain(&produced.errors).collect();
        crate::print_out(&serde_json::to_string_pretty(&Json { models: reports, errors }).expect("reports serialize"));
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

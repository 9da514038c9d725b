//! `to3mf convert`: inputs (files, and folders searched for meshes) into one package or one
//! per input, each written atomically.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use to3mf::{Input, InputReport, Options, Report};

use crate::ui::{human_bytes, print_out, ProgressRead, Ui};
use crate::ConvertArgs;

/// One package written (or not) and what went into it.
#[derive(serde::Serialize)]
struct PackageOut {
    /// Where it was written; `None` when nothing could be written.
    path: Option<PathBuf>,
    #[serde(flatten)]
    report: Report,
}

/// Runs `to3mf convert`: exit code 1 when an input or a package failed, 2 when the command
/// line cannot be carried out as asked.
pub(crate) fn convert(args: ConvertArgs) -> ExitCode {
    let mut options = Options {
        unit: args.unit,
        layout: args.layout,
        compression_level: args.level,
        threads: args.threads,
        weld_tolerance_mm: args.weld_tolerance,
        thumbnail: args.thumbnail,
        ..Options::default()
    };
    options.metadata.title = args.title.clone();
    let inputs = match expand(&args.inputs) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut ui = Ui::new(args.quiet || args.json);
    let mut packages = Vec::new();
    let mut all_ok = true;
    if let Some(out) = &args.output {
        if let Some(clash) = inputs.iter().find(|i| same_file(i, out)) {
            eprintln!("error: the output {} is also an input; refusing to overwrite it", clash.display());
            return ExitCode::from(2);
        }
        let mut reports = Vec::new();
        let mut read = Vec::new();
        for path in &inputs {
            let (ok, report, input) = read_one(path, &options, &mut ui);
            all_ok &= ok;
            reports.push(report);
            read.extend(input);
        }
        let read: Vec<&Input> = read.iter().collect();
        let (path, report) = write_package(out, &read, reports, &options, &mut ui);
        all_ok &= path.is_some();
        packages.push(PackageOut { path, report });
    } else if let Some(dir) = &args.out_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            eprintln!("error: cannot create {}: {e}", dir.display());
            return ExitCode::from(1);
        }
        let mut taken = std::collections::HashSet::new();
        for path in &inputs {
            let (ok, report, input) = read_one(path, &options, &mut ui);
            all_ok &= ok;
            let Some(input) = input else {
                packages.push(PackageOut { path: None, report: Report { inputs: vec![report], ..Report::default() } });
                continue;
            };
            let out = unique_output(dir, path, &mut taken, &inputs);
            // The file's own Title (a 3MF's), else its name.
            let mut opts = to3mf::with_own_metadata(&options, &[&input]);
            if opts.metadata.title.is_none() {
                opts.metadata.title = Some(to3mf::stem(&path.to_string_lossy()).to_string());
            }
            let (written, report) = write_package(&out, &[&input], vec![report], &opts, &mut ui);
            all_ok &= written.is_some();
            packages.push(PackageOut { path: written, report });
        }
    }
    if args.json {
        // Serialized straight from the structs, so f32 values keep their shortest form.
        #[derive(serde::Serialize)]
        struct Json {
            packages: Vec<PackageOut>,
        }
        print_out(&serde_json::to_string_pretty(&Json { packages }).expect("reports serialize"));
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Files named on the command line, with folders replaced by the mesh files in them.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            let mut skipped = 0;
            walk(p, &mut out, &mut skipped).map_err(|e| format!("cannot read folder {}: {e}", p.display()))?;
            if out.len() == before {
                return Err(format!("no {} file in folder {}", extensions(), p.display()));
            }
            // Say so rather than leave other files out without a word.
            if skipped > 0 {
                eprintln!("note: {}: {skipped} files that are not {} were left out", p.display(), extensions());
            }
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut usize) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out, skipped)?;
        } else if to3mf::Format::mesh_extension(&p.to_string_lossy()).is_some() {
            out.push(p);
        } else {
            *skipped += 1;
        }
    }
    Ok(())
}

/// The mesh extensions, as a sentence: `.stl, .obj or .3mf`.
fn extensions() -> String {
    let all: Vec<String> = to3mf::Format::EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => all.concat(),
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `DIR/<stem>.3mf`, with `-2`, `-3`... when two inputs share a stem.
fn unique_output(
    dir: &Path,
    input: &Path,
    taken: &mut std::collections::HashSet<PathBuf>,
    inputs: &[PathBuf],
) -> PathBuf {
    let name = format!("{}.3mf", to3mf::stem(&input.to_string_lossy()));
    let name = to3mf::unique_name(&name, |c| {
        let candidate = dir.join(c);
        taken.contains(&candidate) || inputs.iter().any(|i| same_file(i, &candidate))
    });
    let path = dir.join(name);
    taken.insert(path.clone());
    path
}

/// Reads one input file. Returns whether it succeeded, its report and the welded meshes.
fn read_one(path: &Path, options: &Options, ui: &mut Ui) -> (bool, InputReport, Option<Input>) {
    let name = path.to_string_lossy().into_owned();
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            let err = to3mf::Error::from(e);
            ui.error(&name, &err);
            return (false, to3mf::failed_report(&name, &err), None);
        }
    };
    let size = file.metadata().ok().map(|m| m.len());
    let reader = ProgressRead::new(file, size.unwrap_or(0), ui, "reading", &name);
    match to3mf::read_input_compressing(&name, reader, size, options) {
        Ok(input) => {
            ui.clear();
            ui.summary_input(&input.report);
            (true, input.report.clone(), Some(input))
        }
        Err(e) => {
            ui.clear();
            ui.error(&name, &e);
            (false, to3mf::failed_report(&name, &e), None)
        }
    }
}

/// Writes the package atomically: a temporary file beside the target, renamed at the end.
fn write_package(
    out: &Path,
    read: &[&Input],
    inputs: Vec<InputReport>,
    options: &Options,
    ui: &mut Ui,
) -> (Option<PathBuf>, Report) {
    let mut report = Report { inputs, ..Report::default() };
    if read.iter().all(|i| i.meshes.is_empty()) {
        let e =
            to3mf::Error::new(to3mf::ErrorKind::NoGeometry { message: "nothing to write: every input failed".into() });
        eprintln!("error: {}: {e}", out.display());
        report.error = Some((&e).into());
        return (None, report);
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let result = (|| -> Result<to3mf::PackageStats, to3mf::Error> {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".to3mf-").suffix(".tmp");
        // A temporary file is private (0600); the package is an ordinary file.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = builder.tempfile_in(&dir)?;
        let mut w = BufWriter::with_capacity(1 << 20, tmp);
        let name = out.to_string_lossy().into_owned();
        let options = &to3mf::with_own_metadata(options, read);
        let stats = to3mf::write_3mf_inputs(&mut w, read, options, &mut |done, total| {
            ui.progress("writing", &name, done, total)
        })?;
        let tmp = w.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(out).map_err(|e| e.error)?;
        Ok(stats)
    })();
    ui.clear();
    match result {
        Ok(stats) => {
            report.objects_written = stats.objects;
            report.model_bytes = stats.model_bytes;
            report.package_bytes = stats.package_bytes;
            ui.line(&format!(
                "wrote {} ({} objects, {})",
                out.display(),
                stats.objects,
                human_bytes(stats.package_bytes)
            ));
            (Some(out.to_path_buf()), report)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            report.error = Some((&e).into());
            (None, report)
        }
    }
}

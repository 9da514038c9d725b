//! `to3mf`: the command-line face of the to3mf core.

#[cfg(target_os = "linux")]
mod alloc;
mod process;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: alloc::HugePages = alloc::HugePages;

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use to3mf::{Input, InputReport, Layout, Options, Report, Unit};

#[derive(Parser)]
#[command(name = "to3mf", version, about = "Convert STL, OBJ and 3MF meshes into clean 3MF packages")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert meshes (STL, OBJ, 3MF; folders are searched for them) into 3MF.
    Convert(ConvertArgs),
    /// Turn downloads (files, folders, zip archives) into model folders for Manyfold, each
    /// with its 3MF, pictures, other files and datapackage.json.
    Process(process::ProcessArgs),
}

#[derive(Args)]
struct ConvertArgs {
    /// Input files or folders.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write every input into this one 3MF, each mesh a separate object.
    #[arg(short, long, conflicts_with = "out_dir", required_unless_present = "out_dir")]
    output: Option<PathBuf>,
    /// Write one 3MF per input into this folder.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Title metadata of the package.
    #[arg(long)]
    title: Option<String>,
    /// Unit the input coordinates are in: mm, cm, m, in, ft, um (output is always mm).
    #[arg(long, default_value = "mm")]
    unit: Unit,
    /// Placement: arrange (side by side on z = 0), keep (original coordinates), or
    /// assembly (one object whose parts keep their shared frame).
    #[arg(long, default_value = "arrange")]
    layout: Layout,
    /// Compression of the model XML, 0-9: 1 (default) and 2 (about 5% smaller, slower) use to3mf's encoder, 3-9 also try zlib (slow), 0 stores.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=9))]
    level: u32,
    /// Weld corners closer than about MM millimetres (each coordinate snapped to a grid of
    /// that step); by default only bit-identical corners are welded.
    #[arg(long, value_name = "MM", default_value_t = 0.0)]
    weld_tolerance: f32,
    /// Compression threads (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// No progress bar and no summary lines (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
}

/// One package written (or not) and what went into it.
#[derive(serde::Serialize)]
struct PackageOut {
    /// Where it was written; `None` when nothing could be written.
    path: Option<PathBuf>,
    #[serde(flatten)]
    report: Report,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Convert(args) => convert(args),
        Command::Process(args) => process::run(args),
    }
}

fn convert(args: ConvertArgs) -> ExitCode {
    let mut options = Options {
        unit: args.unit,
        layout: args.layout,
        compression_level: args.level,
        threads: args.threads,
        weld_tolerance_mm: args.weld_tolerance,
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
            let mut opts = options.clone();
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

/// Prints `text` and a newline on stdout. A reader that closed the pipe early (`| head`) has
/// what it wanted: that is no reason to panic, as `println!` would.
fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
}

/// Files named on the command line, with folders replaced by the STL, OBJ and 3MF files in them.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let before = out.len();
            let mut skipped = 0;
            walk(p, &mut out, &mut skipped).map_err(|e| format!("cannot read folder {}: {e}", p.display()))?;
            if out.len() == before {
                return Err(format!("no .stl, .obj or .3mf file in folder {}", p.display()));
            }
            // Say so rather than leave other files out without a word.
            if skipped > 0 {
                eprintln!("note: {}: {skipped} files that are not .stl, .obj or .3mf were left out", p.display());
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
        } else if matches!(
            p.extension().and_then(|x| x.to_str()).map(str::to_ascii_lowercase).as_deref(),
            Some("stl" | "obj" | "3mf")
        ) {
            out.push(p);
        } else {
            *skipped += 1;
        }
    }
    Ok(())
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
    let stem = to3mf::stem(&input.to_string_lossy()).to_string();
    let mut n = 1;
    loop {
        let name = if n == 1 { format!("{stem}.3mf") } else { format!("{stem}-{n}.3mf") };
        let candidate = dir.join(name);
        if !taken.contains(&candidate) && !inputs.iter().any(|i| same_file(i, &candidate)) {
            taken.insert(candidate.clone());
            return candidate;
        }
        n += 1;
    }
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
    let reader = ProgressRead { inner: file, done: 0, total: size.unwrap_or(0), ui, label: "reading", name: &name };
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

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / 1048576.0)
    } else {
        format!("{:.1} KB", n as f64 / 1024.0)
    }
}

/// Terminal output: one-line summaries, and a progress bar on stderr for big files.
struct Ui {
    quiet: bool,
    tty: bool,
    last: Option<Instant>,
    drawn: bool,
}

impl Ui {
    fn new(quiet: bool) -> Ui {
        Ui { quiet, tty: std::io::stderr().is_terminal(), last: None, drawn: false }
    }

    fn progress(&mut self, label: &str, name: &str, done: u64, total: u64) {
        if self.quiet || !self.tty || total < (8 << 20) {
            return;
        }
        let now = Instant::now();
        if self.last.is_some_and(|t| now - t < Duration::from_millis(100)) {
            return;
        }
        self.last = Some(now);
        let frac = (done as f64 / total.max(1) as f64).min(1.0);
        let filled = (frac * 30.0) as usize;
        eprint!("\r[{}{}] {:3.0}% {label} {name}\x1b[K", "#".repeat(filled), " ".repeat(30 - filled), frac * 100.0);
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[K");
            self.drawn = false;
        }
    }

    fn line(&self, s: &str) {
        if !self.quiet {
            eprintln!("{s}");
        }
    }

    fn error(&mut self, name: &str, e: &to3mf::Error) {
        self.clear();
        eprintln!("error: {name}: {e}");
    }

    fn summary_input(&self, r: &InputReport) {
        if self.quiet {
            return;
        }
        for o in &r.objects {
            let mut s = format!("{}: '{}' {} triangles, {} vertices", r.name, o.name, o.triangles_written, o.vertices);
            if o.dropped_degenerate > 0 {
                s += &format!(", {} degenerate dropped", o.dropped_degenerate);
            }
            if o.edges.watertight {
                s += ", watertight";
            } else {
                s += &format!(
                    ", not watertight ({} open edges, {} shared by 3+ triangles, {} flipped)",
                    o.edges.boundary_edges, o.edges.non_manifold_edges, o.edges.orientation_conflicts
                );
            }
            eprintln!("{s}");
        }
        for w in &r.warnings {
            eprintln!("warning: {}: {w}", r.name);
        }
    }
}

struct ProgressRead<'a, R> {
    inner: R,
    done: u64,
    total: u64,
    ui: &'a mut Ui,
    label: &'static str,
    name: &'a str,
}

impl<R: Read> Read for ProgressRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        self.ui.progress(self.label, self.name, self.done, self.total);
        Ok(n)
    }
}

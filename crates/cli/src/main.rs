//! `to3mf`: the command-line face of the to3mf core.

#[cfg(target_os = "linux")]
mod alloc;
mod convert;
mod process;
mod stage;
mod ui;
#[cfg(unix)]
mod watch;

#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: alloc::HugePages = alloc::HugePages;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use to3mf::{Layout, Unit};
// `process` prints through it too.
use ui::print_out;

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
    /// Watch an inbox folder: each file, folder or archive put into it becomes model folders
    /// in the library (as `process` makes them) once it is complete; the original is kept.
    #[cfg(unix)]
    Watch(watch::WatchArgs),
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
    /// Embed a rendered picture of the objects as the package's thumbnail
    /// (/Metadata/thumbnail.png), which slicers and file browsers show.
    #[arg(long)]
    thumbnail: bool,
    /// No progress bar and no summary lines (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Convert(args) => convert::convert(args),
        Command::Process(args) => process::run(args),
        #[cfg(unix)]
        Command::Watch(args) => watch::run(args),
    }
}

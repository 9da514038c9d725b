//! What the CLI says on the terminal: one-line summaries, a progress bar for big files, and
//! stdout that tolerates a closed pipe.

use std::io::{IsTerminal, Read};
use std::time::{Duration, Instant};

use to3mf::InputReport;

/// Prints `text` and a newline on stdout. A reader that closed the pipe early (`| head`) has
/// what it wanted: that is no reason to panic, as `println!` would.
pub(crate) fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
}

pub(crate) fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / 1048576.0)
    } else {
        format!("{:.1} KB", n as f64 / 1024.0)
    }
}

/// Terminal output: one-line summaries, and a progress bar on stderr for big files.
pub(crate) struct Ui {
    quiet: bool,
    tty: bool,
    last: Option<Instant>,
    drawn: bool,
}

impl Ui {
    pub(crate) fn new(quiet: bool) -> Ui {
        Ui { quiet, tty: std::io::stderr().is_terminal(), last: None, drawn: false }
    }

    pub(crate) fn progress(&mut self, label: &str, name: &str, done: u64, total: u64) {
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

    pub(crate) fn clear(&mut self) {
        if self.drawn {
            eprint!("\r\x1b[K");
            self.drawn = false;
        }
    }

    pub(crate) fn line(&self, s: &str) {
        if !self.quiet {
            eprintln!("{s}");
        }
    }

    pub(crate) fn error(&mut self, name: &str, e: &to3mf::Error) {
        self.clear();
        eprintln!("error: {name}: {e}");
    }

    pub(crate) fn summary_input(&self, r: &InputReport) {
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

/// A reader that draws `ui`'s progress bar, labelled `label name`, as it is read.
pub(crate) struct ProgressRead<'a, R> {
    inner: R,
    done: u64,
    total: u64,
    ui: &'a mut Ui,
    label: &'static str,
    name: &'a str,
}

impl<'a, R> ProgressRead<'a, R> {
    /// Reads `inner`, `total` bytes long (0 if unknown: no bar).
    pub(crate) fn new(inner: R, total: u64, ui: &'a mut Ui, label: &'static str, name: &'a str) -> Self {
        ProgressRead { inner, done: 0, total, ui, label, name }
    }
}

impl<R: Read> Read for ProgressRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        self.ui.progress(self.label, self.name, self.done, self.total);
        Ok(n)
    }
}

//! Where the tests find `../shared` (the corpus and the validator beside the repository),
//! for this crate's tests and the CLI's (which include this file by path).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The repository: the workspace root, the first folder above this crate with a Cargo.lock.
fn repo() -> &'static Path {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().find(|p| p.join("Cargo.lock").is_file()).unwrap_or(here)
}

/// `../shared/corpus`, or None when it is absent: the test that asked then says it is
/// skipped and returns. CI clones `../shared` beside the repository, so there none skips.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = repo().join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    // Straight to the process's stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "skipped {test}: ../shared/corpus is absent");
    None
}

/// The strict 3MF validator of `../shared/tools`.
pub fn validator() -> PathBuf {
    repo().join("../shared/tools/validate3mf/validate3mf")
}

//! One item's way from the inbox into the library, crash-safe at every step.
//!
//! Each item in progress has a record, `INBOX/.to3mf-watch/<id>.json`, always replaced whole
//! (a temporary file, flushed, renamed; the folder flushed). The steps, and what a restart
//! (`recover`) does after a crash at any point between them:
//!
//! 1. The record is written with the item's name and inode, nothing else. Then its models
//!    are written into the library under dot-names Manyfold ignores, `.to3mf-<id>-<k>`, each
//!    file flushed to the disk. Restart: remove `LIBRARY/.to3mf-<id>-*` and the record; the
//!    item is still in the inbox and is processed again from the start, unless this is the
//!    third time it was interrupted (an item that gets the process killed, e.g. for memory,
//!    would otherwise be retried for ever): then it goes to `.failed/` with that said.
//! 2. The record gets its commit: each staged output with the name it is to take, where the
//!    original goes (`.done/NAME`, `.failed/NAME`, or deleted) and, for a failure, the error.
//!    A failure's staged outputs were removed before. From here a restart rolls forward,
//!    doing each of the steps below that is not done yet:
//! 3. Each staged output still there is renamed to its name (`-2` if taken: never over
//!    anything). A staged name that is gone was renamed already.
//! 4. The original is moved (or deleted), if INBOX/NAME is still the same inode; then, for a
//!    failure, `NAME.error.txt` is written beside it.
//! 5. The record is removed.
//!
//! So every model reaches the library once (only a committed record renames, each output at
//! most once), nothing is left under a dot-name, and the original leaves the inbox only once
//! its models are in place. A record that cannot finish (the original cannot be moved) stays,
//! and the item is left alone until the next start.
//!
//! For the tests only: `TO3MF_WATCH_CRASH_AT=<step>` aborts the process (as `kill -9`
//! would: nothing is cleaned up) at `before-commit` (models staged, record of step 1),
//! `before-rename` (after 2), `after-rename` (after 3) or `after-move` (after 4).

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::process::{self, ProcessFlags};
use crate::stage;

/// Where things go.
pub struct Places {
    pub inbox: PathBuf,
    pub library: PathBuf,
    pub done: PathBuf,
    pub failed: PathBuf,
    pub delete_originals: bool,
}

#[derive(Serialize, Deserialize)]
struct Record {
    item: String,
    dev: u64,
    ino: u64,
    /// How many times processing this item was interrupted before.
    #[serde(default)]
    interrupted: u32,
    commit: Option<Commit>,
}

/// Interruptions after which an item is set aside in `.failed/`.
const MAX_INTERRUPTED: u32 = 3;

#[derive(Serialize, Deserialize, Default)]
struct Commit {
    /// Staged output (a name in the library) and the name it is to take.
    publish: Vec<(String, String)>,
    /// Where the original goes; `None`: it is deleted.
    original: Option<PathBuf>,
    error: Option<String>,
    /// What the log line says of the models: title, output index, folder in it, files.
    models: Vec<(String, usize, String, usize)>,
    warnings: Vec<String>,
}

/// What became of one item, for the log.
#[derive(Serialize)]
pub struct Outcome {
    pub item: String,
    pub ok: bool,
    pub models: Vec<Model>,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    /// Where the original is now (`None`: deleted, or still in the inbox if `stuck`).
    pub original: Option<PathBuf>,
    pub seconds: f64,
    /// Finished after a restart.
    pub recovered: bool,
    /// Its record could not be finished: the item is left alone until the next start.
    pub stuck: bool,
}

#[derive(Serialize)]
pub struct Model {
    pub title: String,
    /// Its folder (or zip) in the library.
    pub folder: String,
    pub files: usize,
}

/// The records folder, locked: one watcher per inbox.
pub struct Journal {
    dir: PathBuf,
    _lock: File,
    /// Items interrupted in an earlier run, and how often: for their next record.
    interrupted: std::sync::Mutex<std::collections::HashMap<String, u32>>,
}

impl Journal {
    pub fn open(inbox: &Path) -> Result<Journal, String> {
        let dir = inbox.join(".to3mf-watch");
        let fail = |e: std::io::Error| format!("cannot use {}: {e}", dir.display());
        std::fs::create_dir_all(&dir).map_err(fail)?;
        let lock = File::create(dir.join("lock")).map_err(fail)?;
        lock.try_lock()
            .map_err(|_| format!("another `to3mf watch` is already watching {}: stop it first", inbox.display()))?;
        Ok(Journal { dir, _lock: lock, interrupted: Default::default() })
    }

    fn write(&self, id: &str, record: &Record) -> std::io::Result<()> {
        let tmp = self.dir.join(format!("{id}.tmp"));
        let mut f = File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(record).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, self.dir.join(format!("{id}.json")))?;
        stage::sync_dir(&self.dir)
    }

    /// Not flushed: a record that comes back after a power cut is finished again, and every
    /// step of it is then found done.
    fn remove(&self, id: &str) -> std::io::Result<()> {
        std::fs::remove_file(self.dir.join(format!("{id}.json")))
    }

    /// The records left by an earlier run, in the order they were made.
    fn records(&self) -> Vec<(String, Result<Record, String>)> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".json") {
                let record = std::fs::read(e.path())
                    .map_err(|e| e.to_string())
                    .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
                out.push((id.to_string(), record));
            } else if name.ends_with(".tmp") {
                // A record never renamed into place was never acted on.
                let _ = std::fs::remove_file(e.path());
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// Aborts the process at `step` when `TO3MF_WATCH_CRASH_AT` names it (tests only).
fn crash_point(step: &str) {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    if AT.get_or_init(|| std::env::var("TO3MF_WATCH_CRASH_AT").ok()).as_deref() == Some(step) {
        std::process::abort();
    }
}

/// A new record id, in time order.
fn new_id() -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:016x}-{:x}-{n}", t.as_nanos() as u64, std::process::id())
}

/// Processes the item `name` of the inbox, as `to3mf process INBOX/NAME --out-dir LIBRARY`
/// would, and moves its original. `None` if it is gone.
pub fn run(journal: &Journal, places: &Places, flags: &ProcessFlags, name: &str) -> Option<Outcome> {
    let start = std::time::Instant::now();
    let path = places.inbox.join(name);
    let meta = path.symlink_metadata().ok()?;
    let id = new_id();
    let interrupted = journal.interrupted.lock().expect("never poisoned").remove(name).unwrap_or(0);
    let mut record = Record { item: name.to_string(), dev: meta.dev(), ino: meta.ino(), interrupted, commit: None };
    if let Err(e) = journal.write(&id, &record) {
        let error = format!("cannot write the journal in {}: {e}", journal.dir.display());
        return Some(Outcome::stuck(name, error, start));
    }
    let mut planned = process::plan(std::slice::from_ref(&path));
    let mut errors = std::mem::take(&mut planned.failed);
    // The edits were checked when the watch started.
    let edits = process::edits(flags).unwrap_or_default();
    let _ = process::edit(&mut planned, &edits, false);
    let gathered = process::gather(&mut planned);
    let produced = if planned.plans.is_empty() {
        if errors.is_empty() {
            errors.push(format!("{name}: no model found (no STL, OBJ or 3MF file)"));
        }
        None
    } else {
        let options = process::options(flags);
        Some(process::produce(planned, flags, &options, &format!(".to3mf-{id}-"), true))
    };
    // The commit below takes a staged name that is gone for one already renamed: the staged
    // names must be on the disk first.
    if let Err(e) = stage::sync_dir(&places.library) {
        errors.push(format!("cannot write into {}: {e}", places.library.display()));
    }
    crash_point("before-commit");
    let mut commit = Commit { warnings: gathered, ..Commit::default() };
    if let Some(p) = produced {
        errors.extend(p.errors);
        if errors.is_empty() {
            commit.publish = p.outputs.into_iter().map(|o| (o.temp, o.name)).collect();
            for (r, k, folder) in p.models {
                commit.warnings.extend(r.warnings.iter().map(|w| format!("{}: {w}", r.title)));
                commit.models.push((r.title, k, folder, r.files.len()));
            }
        } else {
            for o in &p.outputs {
                let _ = stage::remove(&places.library.join(&o.temp));
            }
        }
    }
    if errors.is_empty() {
        commit.original =
            (!places.delete_originals).then(|| places.done.join(stage::free_name(&places.done, name, &[])));
    } else {
        commit.original = Some(places.failed.join(stage::free_name(&places.failed, name, &[])));
        commit.error = Some(errors.join("\n"));
    }
    record.commit = Some(commit);
    if let Err(e) = journal.write(&id, &record) {
        let error = format!("cannot write the journal in {}: {e}", journal.dir.display());
        return Some(Outcome::stuck(name, error, start));
    }
    crash_point("before-rename");
    Some(finish(journal, places, &id, record, start, false))
}

/// Finishes the records an earlier run left: rolls back those without a commit (their item
/// is processed again) and rolls forward the others.
pub fn recover(journal: &Journal, places: &Places) -> Vec<Outcome> {
    let mut out = Vec::new();
    let staged: Vec<String> = std::fs::read_dir(&places.library)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".to3mf-"))
        .collect();
    for (id, record) in journal.records() {
        let start = std::time::Instant::now();
        match record {
            Ok(record) if record.commit.is_some() => out.push(finish(journal, places, &id, record, start, true)),
            Ok(mut record) => {
                let prefix = format!(".to3mf-{id}-");
                for n in staged.iter().filter(|n| n.starts_with(&prefix)) {
                    let _ = stage::remove(&places.library.join(n));
                }
                let _ = stage::sync_dir(&places.library);
                record.interrupted += 1;
                if record.interrupted >= MAX_INTERRUPTED {
                    let error = format!(
                        "processing it was interrupted {} times (the process was killed or stopped: out of memory?); it is set aside",
                        record.interrupted
                    );
                    let original = Some(places.failed.join(stage::free_name(&places.failed, &record.item, &[])));
                    record.commit = Some(Commit { original, error: Some(error), ..Commit::default() });
                    if journal.write(&id, &record).is_ok() {
                        out.push(finish(journal, places, &id, record, start, true));
                    }
                    continue;
                }
                let _ = journal.remove(&id);
                eprintln!("{}: interrupted before its models were complete; it is processed again", record.item);
                journal.interrupted.lock().expect("never poisoned").insert(record.item, record.interrupted);
            }
            Err(e) => eprintln!("warning: journal record {id}.json cannot be read ({e}); it is left as it is"),
        }
    }
    out
}

/// Steps 3 to 5 of a committed record; each skips what is done already.
fn finish(
    journal: &Journal,
    places: &Places,
    id: &str,
    record: Record,
    start: std::time::Instant,
    recovered: bool,
) -> Outcome {
    let commit = record.commit.as_ref().expect("a committed record");
    let mut outcome = Outcome {
        item: record.item.clone(),
        ok: commit.error.is_none(),
        models: Vec::new(),
        warnings: commit.warnings.clone(),
        error: commit.error.clone(),
        original: commit.original.clone(),
        seconds: 0.0,
        recovered,
        stuck: false,
    };
    let result = (|| -> std::io::Result<()> {
        let mut names = Vec::new();
        for (temp, wanted) in &commit.publish {
            let from = places.library.join(temp);
            names.push(if from.symlink_metadata().is_ok() {
                stage::place(&from, &places.library, wanted)?
            } else {
                wanted.clone()
            });
        }
        stage::sync_dir(&places.library)?;
        let zip = |n: &String| n.ends_with(".zip") && commit.models.iter().filter(|m| names[m.1] == *n).count() > 1;
        for (title, k, folder, files) in &commit.models {
            let folder = if zip(&names[*k]) { format!("{}/{folder}", names[*k]) } else { names[*k].clone() };
            outcome.models.push(Model { title: title.clone(), folder, files: *files });
        }
        crash_point("after-rename");
        let path = places.inbox.join(&record.item);
        let same = path.symlink_metadata().is_ok_and(|m| m.dev() == record.dev && m.ino() == record.ino);
        if same {
            match &commit.original {
                Some(dest) => {
                    let dir = dest.parent().unwrap_or(&places.done);
                    std::fs::create_dir_all(dir)?;
                    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    outcome.original = Some(dir.join(stage::place(&path, dir, &name)?));
                    stage::sync_dir(dir)?;
                }
                None => stage::remove(&path)?,
            }
            stage::sync_dir(&places.inbox)?;
        }
        if let (Some(error), Some(dest)) = (&commit.error, &outcome.original) {
            let text = format!(
                "to3mf watch could not process {}:\n\n{error}\n\nThe original is kept beside this file; fix it (or extract it) and move it back into the inbox to try again.\n",
                record.item
            );
            let mut file = dest.as_os_str().to_owned();
            file.push(".error.txt");
            if !Path::new(&file).exists() {
                let mut tmp = file.clone();
                tmp.push(".tmp");
                std::fs::write(&tmp, text)?;
                std::fs::rename(&tmp, &file)?;
            }
        }
        crash_point("after-move");
        journal.remove(id)
    })();
    if let Err(e) = result {
        outcome.ok = false;
        outcome.stuck = true;
        let why = format!("cannot finish moving it into place ({e}); it is left as it is until the next start");
        outcome.error = Some(outcome.error.map_or(why.clone(), |e| format!("{e}\n{why}")));
    }
    outcome.seconds = start.elapsed().as_secs_f64();
    outcome
}

impl Outcome {
    fn stuck(item: &str, error: String, start: std::time::Instant) -> Outcome {
        Outcome {
            item: item.to_string(),
            ok: false,
            models: Vec::new(),
            warnings: Vec::new(),
            error: Some(error),
            original: None,
            seconds: start.elapsed().as_secs_f64(),
            recovered: false,
            stuck: true,
        }
    }
}

/// The names of the records' items, which the watcher must not take while they are open.
pub fn open_items(journal: &Journal) -> HashSet<String> {
    journal.records().into_iter().filter_map(|(_, r)| r.ok().map(|r| r.item)).collect()
}

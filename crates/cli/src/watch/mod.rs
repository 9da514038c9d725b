//! `to3mf watch INBOX --out-dir LIBRARY`: each top-level entry of the inbox (a file, a
//! folder, an archive) is one item; once complete (`settle`) it is processed as `to3mf process
//! INBOX/NAME --out-dir LIBRARY` would (`journal`: crash-safe), and its original moved away.
//!
//! Idle costs nothing: the main thread blocks on one channel, fed by the inotify thread of
//! `notify` (or nothing but the poll timer with `--poll`) and by the workers, with a timeout
//! only while an item is settling.

mod journal;
mod settle;

use std::collections::{HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;
use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecursiveMode, Watcher};

use crate::process::{self, ProcessFlags};
use journal::{Journal, Outcome, Places};
use settle::{Check, Settler};

#[derive(Args)]
pub struct WatchArgs {
    /// The inbox: each file, folder or archive put into it is one item.
    inbox: PathBuf,
    /// Seconds an item must stay unchanged (names, sizes, times) before it is taken.
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    settle: f64,
    /// Look for new items every SECONDS instead of waiting for change events (for network
    /// mounts, SMB or NFS, where change events do not arrive).
    #[arg(long, value_name = "SECONDS")]
    poll: Option<f64>,
    /// Items processed at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
    jobs: u16,
    /// Process what is in the inbox, then exit (for cron, or a manual run).
    #[arg(long)]
    once: bool,
    /// Where originals go once their models are in the library (default INBOX/.done).
    #[arg(long, value_name = "DIR")]
    done: Option<PathBuf>,
    /// Where originals that failed go, each with NAME.error.txt (default INBOX/.failed).
    #[arg(long, value_name = "DIR")]
    failed: Option<PathBuf>,
    /// Delete each original once its models are in the library (failed ones are still kept).
    #[arg(long, conflicts_with = "done")]
    delete_originals: bool,
    #[command(flatten)]
    flags: ProcessFlags,
}

enum Msg {
    Fs(notify::Result<notify::Event>),
    Done(String, Option<Outcome>),
}

pub fn run(args: WatchArgs) -> ExitCode {
    match start(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn start(args: WatchArgs) -> Result<ExitCode, String> {
    let seconds = |flag: &str, s: f64| {
        Duration::try_from_secs_f64(s).map_err(|_| format!("--{flag} {s}: expected a number of seconds"))
    };
    let settle = seconds("settle", args.settle)?;
    let poll = args.poll.map(|p| seconds("poll", p)).transpose()?.filter(|p| !p.is_zero());
    process::edits(&args.flags)?;
    let dir = |p: &Path| -> Result<PathBuf, String> {
        std::fs::create_dir_all(p)
            .and_then(|()| p.canonicalize())
            .map_err(|e| format!("cannot use {} as a folder: {e}", p.display()))
    };
    if !args.inbox.is_dir() {
        return Err(format!("the inbox {} is not a folder", args.inbox.display()));
    }
    let inbox = dir(&args.inbox)?;
    let places = Places {
        library: dir(&args.flags.out_dir)?,
        done: dir(&args.done.clone().unwrap_or_else(|| inbox.join(".done")))?,
        failed: dir(&args.failed.clone().unwrap_or_else(|| inbox.join(".failed")))?,
        inbox,
        delete_originals: args.delete_originals,
    };
    // Originals are moved with a rename, which cannot cross filesystems.
    let dev = |p: &Path| std::os::unix::fs::MetadataExt::dev(&p.metadata().expect("a folder just made"));
    for (flag, p) in [("--done", &places.done), ("--failed", &places.failed)] {
        if dev(p) != dev(&places.inbox) {
            return Err(format!("{flag} {} must be on the same filesystem as the inbox", p.display()));
        }
    }
    // Folders of ours inside the inbox are not items.
    let ours: HashSet<String> = [&places.library, &places.done, &places.failed]
        .into_iter()
        .filter_map(|p| top_name(&places.inbox, p))
        .collect();
    let journal = Journal::open(&places.inbox)?;
    let (json, jobs) = (args.flags.json, usize::from(args.jobs));
    let mut failures = 0;
    for o in journal::recover(&journal, &places) {
        failures += usize::from(!o.ok);
        log(json, &o);
    }
    let mut stuck = journal::open_items(&journal);

    let (tx, rx) = channel::<Msg>();
    let mut watcher = match (poll, args.once) {
        (None, false) => {
            let tx = tx.clone();
            let mut w = notify::recommended_watcher(move |e| {
                let _ = tx.send(Msg::Fs(e));
            })
            .map_err(|e| format!("cannot watch {}: {e}", places.inbox.display()))?;
            w.watch(&places.inbox, RecursiveMode::NonRecursive)
                .map_err(|e| format!("cannot watch {}: {e} (try --poll)", places.inbox.display()))?;
            Some(w)
        }
        _ => None,
    };
    let (journal, places, flags) = (Arc::new(journal), Arc::new(places), Arc::new(args.flags));
    let jobs_tx = workers(jobs, &tx, &journal, &places, &flags);

    let mut settler = Settler::new(settle, poll.is_none());
    let (mut ready, mut in_flight, mut dirty) = (VecDeque::new(), HashSet::new(), HashSet::new());
    let mut watched: HashSet<String> = HashSet::new();
    let inbox = places.inbox.clone();
    let is_item = |name: &str| !ours.contains(name) && !ignored(name);
    let unreadable = std::cell::RefCell::new(HashSet::new());
    let scan = |settler: &mut Settler, skip: &dyn Fn(&str) -> bool, due: Instant| {
        for e in std::fs::read_dir(&inbox).into_iter().flatten().flatten() {
            let name = e.file_name();
            if name.to_str().is_none() && unreadable.borrow_mut().insert(name.clone()) {
                eprintln!(
                    "warning: {}: the name is not valid UTF-8; rename it to have it processed",
                    e.path().display()
                );
            }
            if let Some(name) = name.to_str().filter(|n| is_item(n) && !skip(n)) {
                if !settler.contains(name) {
                    settler.touch(name, due);
                }
            }
        }
    };
    scan(&mut settler, &|n| stuck.contains(n), Instant::now());
    let mode = poll.map_or("change events".to_string(), |p| format!("a look every {} s", p.as_secs_f64()));
    eprintln!(
        "to3mf watch: {} → {} ({}, settle {} s)",
        places.inbox.display(),
        places.library.display(),
        if args.once { "once".to_string() } else { mode },
        settle.as_secs_f64()
    );
    let mut next_poll = poll.map(|p| Instant::now() + p);
    loop {
        let now = Instant::now();
        for name in settler.due(now) {
            match settler.check(&places.inbox, &name, now) {
                Check::Ready => ready.push_back(name),
                Check::Wait => {
                    if let Some(w) = watcher.as_mut().filter(|_| !watched.contains(&name)) {
                        // A folder's files change inside it: watch it while it settles.
                        let path = places.inbox.join(&name);
                        if path.is_dir() && w.watch(&path, RecursiveMode::Recursive).is_ok() {
                            watched.insert(name);
                        }
                    }
                }
                Check::Gone => unwatch(&mut watcher, &mut watched, &places.inbox, &name),
            }
        }
        while in_flight.len() < jobs {
            let Some(name) = ready.pop_front() else { break };
            unwatch(&mut watcher, &mut watched, &places.inbox, &name);
            in_flight.insert(name.clone());
            let _ = jobs_tx.send(name);
        }
        if args.once && settler.is_empty() && ready.is_empty() && in_flight.is_empty() {
            break;
        }
        let wake = settler.next_due().into_iter().chain(next_poll).min();
        let msg = match wake {
            None => rx.recv().ok(),
            Some(t) => match rx.recv_timeout(t.saturating_duration_since(now)) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        let now = Instant::now();
        if let (Some(t), Some(p)) = (next_poll, poll) {
            if now >= t {
                let busy = |n: &str| busy(n, &in_flight, &ready, &stuck);
                scan(&mut settler, &busy, now);
                next_poll = Some(now + p);
            }
        }
        match msg {
            None => {}
            Some(Msg::Fs(Ok(event))) => {
                if event.need_rescan() {
                    let busy = |n: &str| busy(n, &in_flight, &ready, &stuck);
                    scan(&mut settler, &busy, now + settle);
                }
                // Opening and reading (ours too) change nothing.
                if matches!(event.kind, EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write)) {
                    continue;
                }
                for name in event.paths.iter().filter_map(|p| top_name(&places.inbox, p)) {
                    if !is_item(&name) || stuck.contains(&name) {
                        continue;
                    }
                    if in_flight.contains(&name) {
                        dirty.insert(name);
                    } else {
                        // Changed while waiting for a worker: it must settle again.
                        ready.retain(|n| n != &name);
                        settler.touch(&name, now + settle);
                    }
                }
            }
            Some(Msg::Fs(Err(e))) => {
                // Events may have been lost: look at everything again.
                eprintln!("warning: watching {}: {e}", places.inbox.display());
                let busy = |n: &str| busy(n, &in_flight, &ready, &stuck);
                scan(&mut settler, &busy, now + settle);
            }
            Some(Msg::Done(name, outcome)) => {
                in_flight.remove(&name);
                if let Some(o) = outcome {
                    failures += usize::from(!o.ok);
                    if o.stuck {
                        stuck.insert(name.clone());
                    }
                    log(json, &o);
                }
                // Something new under the same name arrived meanwhile.
                if dirty.remove(&name) && !stuck.contains(&name) {
                    settler.touch(&name, now + settle);
                }
            }
        }
    }
    Ok(if failures == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Starts `jobs` workers, each processing the items sent to it one at a time.
fn workers(
    jobs: usize,
    tx: &Sender<Msg>,
    journal: &Arc<Journal>,
    places: &Arc<Places>,
    flags: &Arc<ProcessFlags>,
) -> Sender<String> {
    let (jobs_tx, jobs_rx) = channel::<String>();
    let jobs_rx = Arc::new(Mutex::new(jobs_rx));
    for _ in 0..jobs {
        let (tx, rx, journal, places, flags) =
            (tx.clone(), jobs_rx.clone(), journal.clone(), places.clone(), flags.clone());
        // The stack `process` has on the main thread.
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || loop {
                let Ok(name) = rx.lock().expect("no worker panics holding it").recv() else { return };
                let outcome = journal::run(&journal, &places, &flags, &name);
                if tx.send(Msg::Done(name, outcome)).is_err() {
                    return;
                }
            })
            .expect("a worker thread");
    }
    jobs_tx
}

/// Whether the item `name` is taken, queued or left alone (so a look must not add it).
fn busy(name: &str, in_flight: &HashSet<String>, ready: &VecDeque<String>, stuck: &HashSet<String>) -> bool {
    in_flight.contains(name) || ready.iter().any(|n| n == name) || stuck.contains(name)
}

fn unwatch(watcher: &mut Option<impl Watcher>, watched: &mut HashSet<String>, inbox: &Path, name: &str) {
    if let Some(w) = watcher.as_mut().filter(|_| watched.remove(name)) {
        let _ = w.unwatch(&inbox.join(name));
    }
}

/// The top-level entry of `inbox` that `path` is in (or is).
fn top_name(inbox: &Path, path: &Path) -> Option<String> {
    match path.strip_prefix(inbox).ok()?.components().next()? {
        Component::Normal(n) => n.to_str().map(str::to_string),
        _ => None,
    }
}

/// Hidden entries (the journal, `.done`, `.failed`, temporary files of copy tools) and
/// downloads still under their browser's partial name are not items.
fn ignored(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || [".part", ".crdownload", ".partial", ".download", ".tmp"].iter().any(|s| lower.ends_with(s))
}

/// One line per item: on stderr, or as JSON on stdout.
fn log(json: bool, o: &Outcome) {
    if json {
        crate::print_out(&serde_json::to_string(o).expect("an outcome serializes"));
        return;
    }
    let files: usize = o.models.iter().map(|m| m.files).sum();
    let folders: Vec<String> = o.models.iter().map(|m| format!("{}/", m.folder)).collect();
    let mut line = match &o.error {
        None => format!("{}: {} model(s) → {} ({files} files)", o.item, o.models.len(), folders.join(", ")),
        Some(e) => format!("{}: failed: {}", o.item, e.replace('\n', "; ")),
    };
    line += &format!(" in {:.1} s", o.seconds);
    match &o.original {
        Some(p) => line += &format!("; original in {}", p.display()),
        None if !o.stuck => line += "; original deleted",
        None => {}
    }
    if o.recovered {
        line += " (finished after a restart)";
    }
    if !o.warnings.is_empty() {
        line += &format!("; warnings: {}", o.warnings.join("; "));
    }
    eprintln!("{line}");
}

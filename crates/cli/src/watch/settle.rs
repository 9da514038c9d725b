//! When an item is complete: unchanged (names, sizes, times of everything in it) for the
//! settle time. A change event only says when to look again; what decides is what is on disk.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// An item's state: each entry's path, size, modification and change time.
#[derive(PartialEq)]
struct Snapshot {
    entries: Vec<(String, u64, i64, i64)>,
    /// The latest change time (ns since 1970) of the item or anything in it.
    newest: i128,
}

impl Snapshot {
    fn take(path: &Path) -> Option<Snapshot> {
        fn add(s: &mut Snapshot, rel: String, m: &std::fs::Metadata) {
            let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
            let ctime = ns(m.ctime(), m.ctime_nsec());
            s.newest = s.newest.max(i128::from(ctime));
            s.entries.push((rel, m.size(), ns(m.mtime(), m.mtime_nsec()), ctime));
        }
        fn walk(s: &mut Snapshot, dir: &Path, rel: &str) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let rel = format!("{rel}/{}", e.file_name().to_string_lossy());
                if let Ok(m) = e.metadata() {
                    add(s, rel.clone(), &m);
                    if m.is_dir() {
                        walk(s, &e.path(), &rel);
                    }
                }
            }
        }
        let m = path.symlink_metadata().ok()?;
        let mut s = Snapshot { entries: Vec::new(), newest: 0 };
        add(&mut s, String::new(), &m);
        if m.is_dir() {
            walk(&mut s, path, "");
        }
        s.entries.sort();
        Some(s)
    }
}

struct Pending {
    snap: Option<Snapshot>,
    /// Since when `snap` has been seen unchanged.
    since: Instant,
    /// When to look next.
    due: Instant,
}

pub enum Check {
    Ready,
    Wait,
    Gone,
}

/// The items waiting to be complete.
pub struct Settler {
    settle: Duration,
    /// Whether change times are this machine's clock (a local filesystem, not a network
    /// mount): then an item whose every change time is older than the settle time is
    /// complete at the first look.
    local_clock: bool,
    pending: HashMap<String, Pending>,
}

impl Settler {
    pub fn new(settle: Duration, local_clock: bool) -> Settler {
        Settler { settle, local_clock, pending: HashMap::new() }
    }

    /// Looks at `name` at `due` (sooner if it was due sooner).
    pub fn touch(&mut self, name: &str, due: Instant) {
        match self.pending.get_mut(name) {
            Some(p) => p.due = p.due.max(due),
            None => {
                self.pending.insert(name.to_string(), Pending { snap: None, since: due, due });
            }
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.pending.contains_key(name)
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// When the next look is due, if any item waits.
    pub fn next_due(&self) -> Option<Instant> {
        self.pending.values().map(|p| p.due).min()
    }

    /// The items due for a look at `now`.
    pub fn due(&self, now: Instant) -> Vec<String> {
        let mut due: Vec<_> = self.pending.iter().filter(|(_, p)| p.due <= now).map(|(n, _)| n.clone()).collect();
        due.sort();
        due
    }

    /// Looks at the item `name` of `inbox`; a ready or gone item is no longer pending.
    pub fn check(&mut self, inbox: &Path, name: &str, now: Instant) -> Check {
        let Some(snap) = Snapshot::take(&inbox.join(name)) else {
            self.pending.remove(name);
            return Check::Gone;
        };
        let settle = self.settle;
        let p = self.pending.get_mut(name).expect("a pending item");
        let quiet = if self.local_clock {
            let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos() as i128;
            Duration::from_nanos((wall - snap.newest).clamp(0, u64::MAX as i128) as u64)
        } else {
            Duration::ZERO
        };
        if p.snap.as_ref() != Some(&snap) {
            p.snap = Some(snap);
            p.since = now;
        }
        if quiet >= settle || now.duration_since(p.since) >= settle {
            self.pending.remove(name);
            return Check::Ready;
        }
        p.due = (p.since + settle).min(now + (settle - quiet)).max(now + Duration::from_millis(10));
        Check::Wait
    }
}

//! `to3mf watch` as a real process on a real inbox: items taken only once complete, one model
//! per folder, failures kept with their error, crash safety at each step of the journal and
//! under `kill -9`, a thousand items at once, and `--poll`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// Only the validator's path is used here.
#[allow(dead_code)]
#[path = "../../../tests/common/shared.rs"]
mod shared;

/// A closed binary STL: a tetrahedron, or with `rows > 0` a grid of `rows²·2` triangles
/// closed by a base (big enough to take a while).
fn stl(path: &Path, size: f32, rows: usize) {
    let mut tris: Vec<[[f32; 3]; 3]> = Vec::new();
    if rows == 0 {
        let (o, x, y, z) = ([0.0; 3], [size, 0.0, 0.0], [0.0, size, 0.0], [0.0, 0.0, size]);
        tris.extend([[o, y, x], [o, x, z], [o, z, y], [x, y, z]]);
    } else {
        let h = |i: usize, j: usize| ((i * 7 + j * 13) % 5) as f32 * 0.1 + 1.0;
        let p = |i: usize, j: usize| [i as f32, j as f32, h(i, j)];
        for i in 0..rows {
            for j in 0..rows {
                tris.push([p(i, j), p(i + 1, j), p(i + 1, j + 1)]);
                tris.push([p(i, j), p(i + 1, j + 1), p(i, j + 1)]);
            }
        }
    }
    let mut b = vec![0u8; 80];
    b.extend((tris.len() as u32).to_le_bytes());
    for t in &tris {
        b.extend([0u8; 12]);
        for v in t {
            for c in v {
                b.extend(c.to_le_bytes());
            }
        }
        b.extend([0u8; 2]);
    }
    std::fs::write(path, b).unwrap();
}

fn zip_bytes(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// Non-hidden entries of `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    v.retain(|n| !n.starts_with('.'));
    v.sort();
    v
}

/// Entries of `dir` that are ours and temporary.
fn staged(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    v.retain(|n| n.starts_with(".to3mf"));
    v
}

struct Dirs {
    _t: tempfile::TempDir,
    inbox: PathBuf,
    lib: PathBuf,
    log: PathBuf,
}

fn dirs() -> Dirs {
    let t = tempfile::tempdir().unwrap();
    let (inbox, lib) = (t.path().join("inbox"), t.path().join("library"));
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::create_dir_all(&lib).unwrap();
    let log = t.path().join("log");
    Dirs { _t: t, inbox, lib, log }
}

fn watch_cmd(d: &Dirs, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_to3mf"));
    c.arg("watch").arg(&d.inbox).arg("--out-dir").arg(&d.lib).args(extra);
    c.stdout(Stdio::null()).stderr(std::fs::OpenOptions::new().create(true).append(true).open(&d.log).unwrap());
    c
}

/// A running watcher, killed when dropped.
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(d: &Dirs, extra: &[&str]) -> Watcher {
    let w = Watcher(watch_cmd(d, extra).spawn().unwrap());
    until(d, Duration::from_secs(10), || log(d).contains("to3mf watch:"));
    w
}

fn log(d: &Dirs) -> String {
    std::fs::read_to_string(&d.log).unwrap_or_default()
}

/// Waits for `cond`, failing with the log after `limit`.
fn until(d: &Dirs, limit: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "gave up waiting; log:\n{}", log(d));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every 3MF under `dir` passes the strict validator (when ../shared has it).
fn validate_all(dir: &Path) -> usize {
    let mut files = Vec::new();
    for m in std::fs::read_dir(dir).unwrap().flatten() {
        for f in std::fs::read_dir(m.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "3mf") {
                files.push(f.path());
            }
        }
    }
    if shared::validator().is_file() {
        let out = Command::new(shared::validator()).arg("--json").args(&files).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let verdict = |l: &str| serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["ok"] == true);
        let ok = text.lines().filter(|l| l.starts_with('{') && verdict(l)).count();
        assert_eq!(ok, files.len(), "{text}");
    } else {
        let _ = writeln!(std::io::stderr(), "validator absent: 3MFs not validated");
    }
    files.len()
}

#[test]
fn a_zip_copied_in_slowly_is_taken_once_it_is_complete() {
    let d = dirs();
    let scratch = d.inbox.parent().unwrap();
    stl(&scratch.join("a.stl"), 10.0, 40);
    stl(&scratch.join("b.stl"), 5.0, 0);
    let bytes = zip_bytes(&[
        ("Gear Set/gear_big.stl", std::fs::read(scratch.join("a.stl")).unwrap()),
        ("Gear Set/gear_small.stl", std::fs::read(scratch.join("b.stl")).unwrap()),
    ]);
    // The settle time well above the gaps between pieces, so a slow test machine stays right.
    let _w = start(&d, &["--settle", "1.5"]);
    let mut f = std::fs::File::create(d.inbox.join("gear-set.zip")).unwrap();
    // Six pieces, 0.5 s apart: the copy takes 2.5 s, more than the settle time.
    for piece in bytes.chunks(bytes.len().div_ceil(6)) {
        f.write_all(piece).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert!(names(&d.lib).is_empty(), "taken while copied in:\n{}", log(&d));
    }
    drop(f);
    until(&d, Duration::from_secs(30), || d.inbox.join(".done/gear-set.zip").exists());
    assert_eq!(names(&d.lib), ["gear-set"]);
    assert!(d.lib.join("gear-set/gear-set.3mf").is_file(), "{:?}", names(&d.lib.join("gear-set")));
    assert!(staged(&d.lib).is_empty());
    assert_eq!(validate_all(&d.lib), 1);
    assert_eq!(std::fs::read(d.inbox.join(".done/gear-set.zip")).unwrap(), bytes);
    assert_eq!(log(&d).matches("gear-set.zip:").count(), 1, "{}", log(&d));
    assert!(names(&d.inbox).is_empty());
}

#[test]
fn a_folder_filled_file_by_file_is_one_model() {
    let d = dirs();
    let _w = start(&d, &["--settle", "1.5"]);
    let folder = d.inbox.join("Desk Organizer");
    std::fs::create_dir(&folder).unwrap();
    for (i, part) in ["tray", "pen_holder", "drawer", "lid"].iter().enumerate() {
        std::thread::sleep(Duration::from_millis(400));
        stl(&folder.join(format!("{part}.stl")), 5.0 + i as f32, 0);
    }
    until(&d, Duration::from_secs(30), || d.inbox.join(".done/Desk Organizer").is_dir());
    assert_eq!(names(&d.lib), ["desk-organizer"], "{}", log(&d));
    let model = d.lib.join("desk-organizer");
    let package = std::fs::File::open(model.join("desk-organizer.3mf")).unwrap();
    let mut package = zip::ZipArchive::new(package).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut package.by_name("3D/3dmodel.model").unwrap(), &mut xml).unwrap();
    assert_eq!(xml.matches("<object ").count(), 4, "all four parts in the one model");
    assert_eq!(names(&d.inbox.join(".done/Desk Organizer")).len(), 4);
    assert_eq!(validate_all(&d.lib), 1);
}

#[test]
fn a_broken_archive_is_kept_in_failed_with_its_error_and_the_next_item_converts() {
    let d = dirs();
    let _w = start(&d, &["--settle", "0.3"]);
    let mut broken = b"PK\x03\x04".to_vec();
    broken.extend((0..3000u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(d.inbox.join("broken.zip"), &broken).unwrap();
    stl(&d.inbox.join("bracket.stl"), 8.0, 0);
    // The log line comes last, after the error file is in place.
    until(&d, Duration::from_secs(30), || {
        d.inbox.join(".done/bracket.stl").exists()
            && d.inbox.join(".failed/broken.zip.error.txt").exists()
            && log(&d).contains("broken.zip: failed: ")
    });
    assert_eq!(std::fs::read(d.inbox.join(".failed/broken.zip")).unwrap(), broken);
    let error = std::fs::read_to_string(d.inbox.join(".failed/broken.zip.error.txt")).unwrap();
    assert!(error.contains("broken.zip: not a readable zip archive"), "{error}");
    assert_eq!(names(&d.lib), ["bracket"]);
    assert!(staged(&d.lib).is_empty());
    assert!(log(&d).contains("broken.zip: failed: "), "{}", log(&d));
}

/// After a restart: exactly one model folder, nothing staged, the original in `.done`, no
/// journal record left.
fn assert_finished_once(d: &Dirs, item: &str, model: &str) {
    assert_eq!(names(&d.lib), [model], "{}", log(d));
    assert!(staged(&d.lib).is_empty(), "{:?}", staged(&d.lib));
    assert!(d.lib.join(model).join(format!("{model}.3mf")).is_file());
    assert_eq!(names(&d.inbox.join(".done")), [item]);
    assert!(names(&d.inbox).is_empty());
    let journal: Vec<_> = names(&d.inbox.join(".to3mf-watch")).into_iter().filter(|n| n.ends_with(".json")).collect();
    assert!(journal.is_empty(), "{journal:?}");
}

#[test]
fn killed_at_each_step_and_restarted_it_finishes_the_item_once() {
    for step in ["before-commit", "before-rename", "after-rename", "after-move"] {
        let d = dirs();
        stl(&d.inbox.join("terrain.stl"), 1.0, 100);
        let status = watch_cmd(&d, &["--once", "--settle", "0"]).env("TO3MF_WATCH_CRASH_AT", step).status().unwrap();
        assert!(!status.success(), "{step}: it should have aborted");
        // What the crash left, as the journal's steps say.
        let (staged_left, published) = match step {
            "before-commit" | "before-rename" => (1, 0),
            _ => (0, 1),
        };
        assert_eq!(staged(&d.lib).len(), staged_left, "{step}");
        assert_eq!(names(&d.lib).len(), published, "{step}");
        assert_eq!(names(&d.inbox.join(".done")).len(), usize::from(step == "after-move"), "{step}");
        let status = watch_cmd(&d, &["--once", "--settle", "0"]).status().unwrap();
        assert!(status.success(), "{step}: {}", log(&d));
        assert_finished_once(&d, "terrain.stl", "terrain");
    }
}

#[test]
fn killed_with_sigkill_while_a_large_item_is_written_then_restarted() {
    let d = dirs();
    let scratch = d.inbox.parent().unwrap().join("big.stl");
    // About 30 MB: long enough to be killed in the middle.
    stl(&scratch, 1.0, 400);
    let w = start(&d, &["--settle", "0.2"]);
    std::fs::rename(&scratch, d.inbox.join("big.stl")).unwrap();
    until(&d, Duration::from_secs(30), || !staged(&d.lib).is_empty());
    // A moment somewhere in the writing of the model (the clock's nanoseconds as the dice).
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() % 300;
    std::thread::sleep(Duration::from_millis(u64::from(ms)));
    let pid = w.0.id();
    Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    drop(w);
    let _ = writeln!(std::io::stderr(), "killed {ms} ms after staging began; staged then: {:?}", staged(&d.lib));
    let status = watch_cmd(&d, &["--once", "--settle", "0"]).status().unwrap();
    assert!(status.success(), "{}", log(&d));
    assert_finished_once(&d, "big.stl", "big");
    assert_eq!(validate_all(&d.lib), 1);
}

#[test]
fn a_thousand_small_stls_dropped_at_once_are_all_processed_in_bounded_memory() {
    let d = dirs();
    let pile = d.inbox.parent().unwrap().join("pile");
    std::fs::create_dir(&pile).unwrap();
    for i in 0..1000 {
        stl(&pile.join(format!("part{i:04}.stl")), 1.0 + i as f32 / 100.0, 0);
    }
    // Two at a time: flushing each item to the disk is most of its time.
    let w = start(&d, &["--settle", "0.5", "--jobs", "2"]);
    for e in std::fs::read_dir(&pile).unwrap().flatten() {
        std::fs::rename(e.path(), d.inbox.join(e.file_name())).unwrap();
    }
    until(&d, Duration::from_secs(300), || names(&d.inbox.join(".done")).len() == 1000);
    let status = std::fs::read_to_string(format!("/proc/{}/status", w.0.id())).unwrap();
    let peak_kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let _ = writeln!(std::io::stderr(), "peak resident memory over 1,000 items: {peak_kb} kB");
    assert!(peak_kb < 64 << 10, "peak {peak_kb} kB");
    let models = names(&d.lib);
    assert_eq!(models.len(), 1000);
    assert!(models.iter().all(|m| d.lib.join(m).join("datapackage.json").is_file()));
    assert!(staged(&d.lib).is_empty());
    assert!(names(&d.inbox).is_empty());
    assert_eq!(log(&d).lines().filter(|l| l.contains(" model(s) → ")).count(), 1000);
}

#[test]
fn poll_finds_items_without_change_events() {
    let d = dirs();
    // With --poll no inotify watch is made: only looking finds the item.
    let _w = start(&d, &["--poll", "0.5", "--settle", "1.5", "--json"]);
    assert!(log(&d).contains("a look every 0.5 s"), "{}", log(&d));
    let mut f = std::fs::File::create(d.inbox.join("hook.stl")).unwrap();
    let scratch = d.inbox.parent().unwrap().join("hook.stl");
    stl(&scratch, 6.0, 30);
    let bytes = std::fs::read(&scratch).unwrap();
    for piece in bytes.chunks(bytes.len().div_ceil(3)) {
        f.write_all(piece).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(600));
        assert!(names(&d.lib).is_empty(), "taken while written:\n{}", log(&d));
    }
    drop(f);
    until(&d, Duration::from_secs(30), || d.inbox.join(".done/hook.stl").exists());
    assert_eq!(names(&d.lib), ["hook"]);
    assert_eq!(validate_all(&d.lib), 1);
}

#[test]
fn once_exits_with_the_failures_counted_and_json_lines_on_stdout() {
    let d = dirs();
    stl(&d.inbox.join("knob.stl"), 4.0, 0);
    std::fs::write(d.inbox.join("notes.txt"), "no mesh here").unwrap();
    let out = watch_cmd(&d, &["--once", "--settle", "0", "--json"]).stdout(Stdio::piped()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", log(&d));
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let knob = lines.iter().find(|l| l["item"] == "knob.stl").unwrap();
    assert_eq!(knob["ok"], true);
    assert_eq!(knob["models"][0]["folder"], "knob");
    let notes = lines.iter().find(|l| l["item"] == "notes.txt").unwrap();
    assert_eq!(notes["ok"], false);
    assert!(notes["error"].as_str().unwrap().contains("no model found"), "{notes}");
    assert!(d.inbox.join(".failed/notes.txt.error.txt").is_file());
}

#[test]
fn a_name_clash_gets_2_never_an_overwrite_and_delete_originals_deletes_only_successes() {
    let d = dirs();
    // An empty folder: a plain rename would silently replace it.
    std::fs::create_dir(d.lib.join("bracket")).unwrap();
    std::fs::write(d.lib.join("knob"), "a file of the user's").unwrap();
    stl(&d.inbox.join("bracket.stl"), 8.0, 0);
    stl(&d.inbox.join("knob.stl"), 3.0, 0);
    std::fs::write(d.inbox.join("readme.txt"), "no mesh").unwrap();
    let status = watch_cmd(&d, &["--once", "--settle", "0", "--delete-originals"]).status().unwrap();
    assert_eq!(status.code(), Some(1), "{}", log(&d));
    assert_eq!(names(&d.lib), ["bracket", "bracket-2", "knob", "knob-2"]);
    assert!(names(&d.lib.join("bracket")).is_empty());
    assert_eq!(std::fs::read_to_string(d.lib.join("knob")).unwrap(), "a file of the user's");
    assert!(d.lib.join("bracket-2/bracket.3mf").is_file(), "{:?}", names(&d.lib.join("bracket-2")));
    assert!(!d.inbox.join(".done").join("bracket.stl").exists() && names(&d.inbox).is_empty());
    assert!(d.inbox.join(".failed/readme.txt").is_file(), "a failure is kept even so");
}

#[test]
fn an_item_interrupted_three_times_is_set_aside_not_retried_for_ever() {
    let d = dirs();
    stl(&d.inbox.join("poison.stl"), 2.0, 0);
    for _ in 0..3 {
        let status =
            watch_cmd(&d, &["--once", "--settle", "0"]).env("TO3MF_WATCH_CRASH_AT", "before-commit").status().unwrap();
        assert!(!status.success());
    }
    let status = watch_cmd(&d, &["--once", "--settle", "0"]).status().unwrap();
    assert_eq!(status.code(), Some(1), "{}", log(&d));
    let error = std::fs::read_to_string(d.inbox.join(".failed/poison.stl.error.txt")).unwrap();
    assert!(error.contains("interrupted 3 times"), "{error}");
    assert!(names(&d.lib).is_empty() && staged(&d.lib).is_empty() && names(&d.inbox).is_empty());
}

/// A model's path in the library and its files, as Manyfold's importer found them.
type ScannedModel = (String, Vec<String>);

/// What Manyfold's importer (`../shared/tools/manyfold-import`, a library scan) finds in
/// `lib`: each model's path and files, and the files it would not index. None when the tool
/// is absent (the test says it is skipped).
fn manyfold_scan(lib: &Path) -> Option<(Vec<ScannedModel>, usize)> {
    // Beside the validator's folder in ../shared/tools.
    let tools = shared::validator().parent().and_then(Path::parent).unwrap().to_path_buf();
    let tool = tools.join("manyfold-import/manyfold-import");
    if !tool.is_file() {
        let _ = writeln!(std::io::stderr(), "skipped the Manyfold import check: {} is absent", tool.display());
        return None;
    }
    let out = Command::new(tool).arg(lib).stderr(Stdio::null()).output().unwrap();
    let scan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(scan["job_failures"].as_array().map_or(0, Vec::len), 0, "{scan}");
    let models = scan["models"].as_array().unwrap().iter().map(|m| {
        let files = m["files"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap().to_string());
        (m["path"].as_str().unwrap().to_string(), files.collect())
    });
    Some((models.collect(), scan["files_not_indexed"].as_array().unwrap().len()))
}

#[test]
fn manyfold_sees_no_model_while_one_is_staged_and_exactly_it_once_renamed() {
    let d = dirs();
    stl(&d.inbox.join("knob.stl"), 3.0, 0);
    let crash = watch_cmd(&d, &["--once", "--settle", "0"]).env("TO3MF_WATCH_CRASH_AT", "before-rename").status();
    assert!(!crash.unwrap().success());
    assert_eq!(staged(&d.lib).len(), 1);
    let Some((models, unindexed)) = manyfold_scan(&d.lib) else { return };
    assert!(models.is_empty() && unindexed == 0, "{models:?}");
    assert!(watch_cmd(&d, &["--once", "--settle", "0"]).status().unwrap().success());
    let (models, unindexed) = manyfold_scan(&d.lib).unwrap();
    assert_eq!(models.len(), 1, "{models:?}");
    assert_eq!(models[0].0, "knob");
    assert!(models[0].1.contains(&"knob.3mf".to_string()), "{models:?}");
    assert_eq!(unindexed, 0);
}

#[test]
fn zip_per_model_and_metadata_flags_apply_to_each_item() {
    let d = dirs();
    stl(&d.inbox.join("knob.stl"), 4.0, 0);
    let flags = ["--once", "--settle", "0", "--zip-per-model", "--creator", "Ada", "--license", "CC-BY-4.0"];
    assert!(watch_cmd(&d, &flags).status().unwrap().success(), "{}", log(&d));
    assert_eq!(names(&d.lib), ["knob.zip"]);
    assert!(staged(&d.lib).is_empty());
    let mut zip = zip::ZipArchive::new(std::fs::File::open(d.lib.join("knob.zip")).unwrap()).unwrap();
    let name = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().to_string())
        .find(|n| n.ends_with("datapackage.json"));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(&name.unwrap()).unwrap(), &mut text).unwrap();
    let dp: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(dp["licenses"][0]["name"], "CC-BY-4.0", "{dp}");
    assert!(dp["contributors"].to_string().contains("Ada"), "{dp}");
}

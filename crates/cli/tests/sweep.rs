//! Every file of ../shared/corpus through the CLI under a time cap (10 s) and a memory cap
//! (2 GiB of address space): no panic, no hang, no crash; each run ends with exit 0 or with
//! exit 1 and a one-line error naming the file; every output passes the strict validator.
//! Hostile fixtures go through the same caps.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../../tests/common/shared.rs"]
mod shared;

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Runs the CLI capped; returns (exit code, stderr). A signal (killed by a cap, crashed)
/// fails the test.
fn capped(args: &[&std::ffi::OsStr]) -> (i32, String) {
    let out = Command::new("prlimit")
        .arg("--as=2147483648")
        .arg("--")
        .arg("timeout")
        .arg("10")
        .arg(env!("CARGO_BIN_EXE_to3mf"))
        .args(args)
        .output()
        .expect("prlimit and timeout (util-linux, coreutils) are on every Debian machine");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or_else(|| panic!("{args:?}: killed by a signal: {stderr}"));
    assert_ne!(code, 124, "{args:?}: took longer than 10 s");
    (code, stderr)
}

#[test]
fn every_corpus_file_converts_or_fails_cleanly_under_caps() {
    let Some(corpus) = shared::corpus_dir() else { return };
    let mut files = Vec::new();
    all_files(&corpus, &mut files);
    assert!(files.len() > 400, "{} files", files.len());
    let dir = tempfile::tempdir().unwrap();
    let (mut ok, mut failed, mut outputs) = (0, 0, Vec::new());
    for (i, f) in files.iter().enumerate() {
        let out = dir.path().join(format!("{i}.3mf"));
        let (code, stderr) =
            capped(&["convert".as_ref(), f.as_os_str(), "-o".as_ref(), out.as_os_str(), "-q".as_ref()]);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", f.display());
        match code {
            0 => {
                ok += 1;
                outputs.push(out);
            }
            1 => {
                failed += 1;
                let name = f.to_string_lossy();
                assert!(
                    stderr.lines().any(|l| l.starts_with("error: ") && l.contains(name.as_ref())),
                    "{name}: {stderr}"
                );
            }
            c => panic!("{}: exit {c}: {stderr}", f.display()),
        }
    }
    eprintln!("corpus sweep: {} files, {ok} converted, {failed} refused with an error", files.len());
    assert!(ok > 300 && failed > 50, "{ok} converted, {failed} refused");
    // Every output passes the strict validator (XSD + lib3mf strict).
    let validator = shared::validator();
    for batch in outputs.chunks(200) {
        let v = Command::new(&validator).args(batch).output().expect("run validate3mf");
        assert!(v.status.success(), "{}{}", String::from_utf8_lossy(&v.stdout), String::from_utf8_lossy(&v.stderr));
    }
    // Every 3MF through the Manyfold processor (metadata, thumbnails, kept byte for byte).
    let out = dir.path().join("models");
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e.eq_ignore_ascii_case("3mf"))) {
        let (code, stderr) = capped(&["process".as_ref(), f.as_os_str(), "--out-dir".as_ref(), out.as_os_str()]);
        assert!(!stderr.contains("panicked") && (code == 0 || code == 1), "{}: exit {code}: {stderr}", f.display());
    }
}

/// Converts a fixture under the caps; a package must not be written.
fn capped_fixture(fixture: &str) -> (i32, String) {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(fixture);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.3mf");
    let (code, stderr) = capped(&["convert".as_ref(), input.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    assert!(!out.exists(), "{fixture}: a package was written");
    (code, stderr)
}

#[test]
fn a_component_fanout_is_refused_under_the_caps() {
    // 4^30 × 12 triangles once flattened: over the triangle limit.
    let (code, stderr) = capped_fixture("threemf_component_fanout_31.3mf");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("would make 13835058055282163712 triangles once its components are flattened"), "{stderr}");
    // 4^12 × 12 = 201,326,592: under the limit, but 2.4 GB of triangles do not fit in 2 GiB.
    let (code, stderr) = capped_fixture("threemf_component_fanout_13.3mf");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("error: ")
            && l.contains("threemf_component_fanout_13.3mf: not enough memory for the 201326592 triangles")),
        "{stderr}"
    );
}

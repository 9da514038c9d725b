//! Hostile inputs through the CLI under the corpus sweep's caps (2 GiB of address space,
//! 10 s): refused with a one-line error, never a hang or an abort.

use std::path::Path;
use std::process::Command;

/// Converts a fixture capped; returns (exit code, stderr). A signal (killed by a cap,
/// aborted) fails the test.
fn capped(fixture: &str) -> (i32, String) {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(fixture);
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("prlimit")
        .arg("--as=2147483648")
        .arg("--")
        .arg("timeout")
        .arg("10")
        .arg(env!("CARGO_BIN_EXE_to3mf"))
        .arg("convert")
        .arg(&input)
        .arg("-o")
        .arg(dir.path().join("out.3mf"))
        .output()
        .expect("prlimit and timeout (util-linux, coreutils) are on every Debian machine");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out.status.code().unwrap_or_else(|| panic!("{fixture}: killed by a signal: {stderr}"));
    assert_ne!(code, 124, "{fixture}: took longer than 10 s");
    assert!(!dir.path().join("out.3mf").exists(), "{fixture}: a package was written");
    (code, stderr)
}

#[test]
fn a_component_fanout_is_refused_under_the_caps() {
    // 4^30 × 12 triangles once flattened: over the triangle limit.
    let (code, stderr) = capped("threemf_component_fanout_31.3mf");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("would make 13835058055282163712 triangles once its components are flattened"), "{stderr}");
    // 4^12 × 12 = 201,326,592: under the limit, but 2.4 GB of triangles do not fit in 2 GiB.
    let (code, stderr) = capped("threemf_component_fanout_13.3mf");
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("error: ")
            && l.contains("threemf_component_fanout_13.3mf: not enough memory for the 201326592 triangles")),
        "{stderr}"
    );
}

//! The native core's packages for the shared inputs must match golden.txt; `web.rs` holds
//! the wasm build to the same file, so the two builds write the same bytes.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn native_packages_match_the_golden_checksums() {
    let mut lines = Vec::new();
    for (name, bytes) in common::INPUTS {
        let mut package = Vec::new();
        let report = to3mf::convert([(name.to_string(), *bytes, None)], &mut package, &to3mf::Options::default(), &mut |_, _| {});
        assert!(report.error.is_none(), "{name}: {:?}", report.error);
        assert_eq!(common::crc32(&package), crc32fast::hash(&package));
        lines.push(common::line(name, &package));
    }
    let want: Vec<&str> = common::GOLDEN.lines().collect();
    assert_eq!(lines, want, "update crates/wasm/tests/golden.txt if the package format changed on purpose");
}

//! The native core's packages for the shared inputs must match golden.txt; `web.rs` holds
//! the wasm build to the same file, so the two builds write the same bytes.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn native_packages_match_the_golden_checksums() {
    let inputs = common::inputs();
    assert_eq!(inputs.len(), common::GOLDEN.lines().count(), "one input per line of golden.txt");
    let (mut lines, mut want) = (Vec::new(), Vec::new());
    for (name, bytes) in inputs {
        let Some(bytes) = bytes else { continue };
        let mut package = Vec::new();
        let report = to3mf::convert(
            [(name.to_string(), bytes.as_slice(), None)],
            &mut package,
            &to3mf::Options::default(),
            &mut |_, _| {},
        );
        assert!(report.error.is_none(), "{name}: {:?}", report.error);
        assert_eq!(common::crc32(&package), crc32fast::hash(&package));
        lines.push(common::line(name, &package));
        want.push(common::golden(name));
    }
    assert_eq!(lines, want, "update crates/wasm/tests/golden.txt if the package format changed on purpose");
}

/// The warm-up converts its whole grid both ways, so the code it is meant to warm runs.
#[test]
fn the_warm_up_converts_its_grid_whole_and_in_chunks() {
    let w = to3mf_wasm::warm::warm_up();
    assert!(w.report.error.is_none(), "{:?}", w.report.error);
    let object = &w.report.inputs[0].objects[0];
    assert_eq!((object.triangles_written, object.vertices), (2 * 64 * 64, 65 * 65));
    assert_eq!(object.edges.boundary_edges, 4 * 64, "an open grid: its rim");
    assert!(w.package.starts_with(b"PK\x03\x04"));
    // The split package's one chunk (about the plain package's model), then the mesh's
    // vertices and triangles as runs (about the same again).
    assert_eq!(w.chunks, 3);
    let (bytes, package) = (w.chunk_bytes as u64, w.report.package_bytes);
    assert!(bytes > 3 * package / 2 && bytes < 3 * package, "{bytes} bytes against a package of {package}");
    // And its picture, a 256-pixel PNG of the grid seen from above the front.
    assert!(w.picture.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let side = |at: usize| u32::from_be_bytes(w.picture[at..at + 4].try_into().unwrap());
    assert_eq!((side(16), side(20)), (256, 256), "its header's width and height");
}

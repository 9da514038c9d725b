//! The `to3mf` binary as a user runs it: exit codes, outputs, messages, JSON.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

fn to3mf(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_to3mf")).args(args).output().unwrap()
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

fn zip_names(path: &Path) -> Vec<String> {
    // The central directory's file names, read straight from the bytes.
    let bytes = std::fs::read(path).unwrap();
    let mut names = Vec::new();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            names.push(String::from_utf8(bytes[i + 46..i + 46 + n].to_vec()).unwrap());
            i += 46 + n;
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn several_inputs_into_one_package_and_a_bad_one_reported() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.3mf");
    let good1 = fixture("ascii_multi_solid.stl");
    let bad = fixture("ascii_bad_vertex.stl");
    let good2 = fixture("obj_ngon.obj");
    let r = to3mf(&[os("convert"), os(&good1), os(&bad), os(&good2), os("-o"), os(&out), os("--json")]);
    assert_eq!(r.status.code(), Some(1), "some inputs failed: exit 1");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("ascii_bad_vertex.stl: line 5: malformed vertex line"), "{stderr}");
    assert_eq!(zip_names(&out), ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"]);
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let p = &json["packages"][0];
    assert_eq!(p["objects_written"], 3);
    assert_eq!(p["inputs"][1]["error"]["code"], "syntax");
    assert_eq!(p["inputs"][1]["error"]["position"], serde_json::json!({"kind": "line", "at": 5}));
    assert_eq!(p["inputs"][0]["objects"][0]["name"], "first part");
    assert_eq!(p["inputs"][2]["objects"][0]["triangles_written"], 5);
    // Nothing but the package is left in the folder: no temporary file.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn out_dir_gives_one_package_per_input_with_distinct_names() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("part.stl");
    let b = dir.path().join("part.obj");
    std::fs::copy(fixture("ascii_quad_facet.stl"), &a).unwrap();
    std::fs::copy(fixture("obj_ngon.obj"), &b).unwrap();
    let out = dir.path().join("out");
    let r = to3mf(&[os("convert"), os(&a), os(&b), os("--out-dir"), os(&out)]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["part-2.3mf", "part.3mf"]);
}

#[test]
fn a_folder_argument_converts_the_meshes_inside() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("models/sub");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::copy(fixture("ascii_quad_facet.stl"), src.join("quad.STL")).unwrap();
    std::fs::write(src.join("notes.txt"), "not a mesh").unwrap();
    let out = dir.path().join("out");
    let r = to3mf(&[os("convert"), os(&dir.path().join("models")), os("--out-dir"), os(&out)]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.join("quad.3mf").is_file());
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("1 files that are not .stl, .obj or .3mf were left out"), "{stderr}");
}

#[test]
fn all_inputs_failing_leaves_an_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keep.3mf");
    std::fs::write(&out, b"previous contents").unwrap();
    let r = to3mf(&[os("convert"), os(&fixture("binary_truncated.stl")), os("-o"), os(&out), os("--json")]);
    assert_eq!(r.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(json["packages"][0]["error"]["code"], "no_geometry");
    assert_eq!(json["packages"][0]["path"], serde_json::Value::Null);
    assert_eq!(std::fs::read(&out).unwrap(), b"previous contents");
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("binary_truncated.stl: triangle 3:"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let r = to3mf(&[os("convert"), os(&fixture("obj_ngon.obj"))]);
    assert_eq!(r.status.code(), Some(2), "no output named");
    let r =
        to3mf(&[os("convert"), os(&fixture("obj_ngon.obj")), os("-o"), os("x.3mf"), os("--layout"), os("diagonal")]);
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn the_output_may_not_be_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mesh.3mf");
    std::fs::copy(fixture("ascii_quad_facet.stl"), &input).unwrap();
    let before = std::fs::read(&input).unwrap();
    let r = to3mf(&[os("convert"), os(&input), os("-o"), os(&input)]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

#[test]
fn unit_and_title_reach_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inch.3mf");
    let r = to3mf(&[
        os("convert"),
        os(&fixture("ascii_quad_facet.stl")),
        os("-o"),
        os(&out),
        os("--unit"),
        os("in"),
        os("--title"),
        os("Quad & Co"),
        os("--json"),
        os("--layout"),
        os("keep"),
    ]);
    assert_eq!(r.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    let bounds = &json["packages"][0]["inputs"][0]["objects"][0]["bounds"];
    assert_eq!(bounds["max"], serde_json::json!([25.4, 25.4, 0.0]));
    // The title is the package's one Title, escaped for XML.
    let mut model = String::new();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    archive.by_name("3D/3dmodel.model").unwrap().read_to_string(&mut model).unwrap();
    let head = &model[..model.find("<resources>").unwrap()];
    assert!(head.contains(r#"<metadata name="Title">Quad &amp; Co</metadata>"#), "{head}");
    assert_eq!(head.matches(r#"name="Title""#).count(), 1, "{head}");
    assert!(model.contains(r#"<vertex x="25.4" y="25.4" z="0"/>"#), "inches written as millimetres");
}

#[test]
fn weld_tolerance_joins_corners_that_differ_by_rounding() {
    let dir = tempfile::tempdir().unwrap();
    // Two facets sharing an edge whose ends were written with different rounding.
    let stl = dir.path().join("seam.stl");
    std::fs::write(
        &stl,
        "solid seam\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\n\
         facet normal 0 0 1\nouter loop\nvertex 1.00002 0 0\nvertex 1 1 0\nvertex 0 1.00002 0\nendloop\nendfacet\nendsolid seam\n",
    )
    .unwrap();
    let vertices = |extra: &[&str]| {
        let out = dir.path().join("seam.3mf");
        let mut args = vec![os("convert"), os(&stl), os("-o"), os(&out), os("--json")];
        args.extend(extra.iter().map(os));
        let r = to3mf(&args);
        assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
        let report: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        report["packages"][0]["inputs"][0]["objects"][0]["vertices"].as_u64().unwrap()
    };
    assert_eq!(vertices(&[]), 6, "exact welding keeps them apart");
    assert_eq!(vertices(&["--weld-tolerance", "0.001"]), 4);
}

#[test]
fn a_closed_stdout_pipe_is_no_panic() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.3mf");
    let mut child = Command::new(env!("CARGO_BIN_EXE_to3mf"))
        .args([os("convert"), os(&fixture("ascii_multi_solid.stl")), os("-o"), os(&out), os("--json")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before anything is printed
    let r = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(r.status.code(), Some(0));
    assert!(out.is_file());
}

#[test]
fn a_progress_bar_is_drawn_on_a_terminal_only_and_cleared() {
    let dir = tempfile::tempdir().unwrap();
    // A 10 MB binary STL: over the 8 MB from which the bar is drawn.
    let n = 200_000u32;
    let mut stl = vec![0u8; 80];
    stl.extend_from_slice(&n.to_le_bytes());
    for i in 0..n {
        let x = i as f32;
        for v in [0.0, 0.0, 1.0, x, 0.0, 0.0, x + 1.0, 0.0, 0.0, x, 1.0, 0.0] {
            stl.extend_from_slice(&f32::to_le_bytes(v));
        }
        stl.extend_from_slice(&[0, 0]);
    }
    let input = dir.path().join("strip.stl");
    std::fs::write(&input, &stl).unwrap();
    let out = dir.path().join("strip.3mf");
    let command = format!("{} convert {} -o {}", env!("CARGO_BIN_EXE_to3mf"), input.display(), out.display());
    // `script` runs the command on a pseudo-terminal and copies what it shows.
    let tty = Command::new("script").args(["-qec", &command, "/dev/null"]).output().expect("script (util-linux)");
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{shown}");
    assert!(
        shown.contains("%")
            && (shown.contains("% reading ") || shown.contains("% writing "))
            && shown.contains("strip.stl"),
        "{shown:?}"
    );
    assert!(shown.contains("\r\x1b[K"), "the bar is cleared: {shown:?}");
    let piped = to3mf(&[os("convert"), os(&input), os("-o"), os(&out)]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains('%'), "no bar when stderr is not a terminal");
}

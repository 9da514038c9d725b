//! `to3mf process` output run through Manyfold's own importer (`../shared/tools/manyfold-import`):
//! a library scan of the written folders and an upload of the zips `--zip-per-model` writes
//! must make exactly the models we meant — every file on disk under the name Manyfold gives
//! it, no model nested in another, the preview resolving, the presupported flags right.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn to3mf(args: &[&OsStr]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_to3mf")).args(args).output().unwrap();
    assert!(out.status.success(), "to3mf {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Manyfold's importer, or None (the test then says it is skipped) when `../shared` lacks it.
fn importer() -> Option<PathBuf> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = here.ancestors().find(|p| p.join("Cargo.lock").is_file()).unwrap_or(here);
    let tool = repo.join("../shared/tools/manyfold-import/manyfold-import");
    if tool.is_file() {
        return Some(tool);
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: ../shared/tools/manyfold-import is absent");
    None
}

/// What Manyfold's importer makes of `args` (a library folder, or `--upload` and archives).
fn import(tool: &Path, args: &[&OsStr]) -> Value {
    let out = Command::new(tool).args(args).output().unwrap();
    assert!(out.status.success(), "manyfold-import {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A tetrahedron `n` deep: each of another shape, so that no two files (nor their rendered
/// previews) are alike, which Manyfold would flag as duplicates.
fn tetra(path: &Path, n: u32) {
    let v = [[0, 0, 0], [10, 0, 0], [0, n, 0], [0, 0, 7]];
    let mut s = String::from("solid t\n");
    for [a, b, c] in [[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]] {
        s += "facet normal 0 0 0\nouter loop\n";
        for i in [a, b, c] {
            s += &format!("vertex {} {} {}\n", v[i][0], v[i][1], v[i][2]);
        }
        s += "endloop\nendfacet\n";
    }
    std::fs::write(path, s + "endsolid t\n").unwrap();
}

/// A 3MF of a tetrahedron `n` deep, as a slicer project to keep.
fn threemf(path: &Path, n: u32) {
    let stl = path.with_extension("stl-src");
    tetra(&stl, n);
    to3mf(&[OsStr::new("convert"), stl.as_os_str(), OsStr::new("-o"), path.as_os_str(), OsStr::new("-q")]);
    std::fs::remove_file(stl).unwrap();
}

fn put(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

const LONG: &str = "Very long name ";

/// One input per case: sub-folders Manyfold does not fold in (4), presupported variants
/// named the common ways in a folder whose name has `sup` (5), names Manyfold normalises
/// (7), a title over 225 characters (8), a loose file (10).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let layout = dir.join("Idler Mount");
    for d in ["docs", "photos", "images/renders", "stl", "bambu"] {
        std::fs::create_dir_all(layout.join(d)).unwrap();
    }
    tetra(&layout.join("idler.stl"), 10);
    tetra(&layout.join("stl/part.stl"), 11);
    threemf(&layout.join("bambu/idler plate.3mf"), 12);
    put(&layout.join("docs/manual.pdf"), b"%PDF-1.4 manual");
    put(&layout.join("photos/photo.jpg"), b"\xff\xd8\xff photo");
    put(&layout.join("images/renders/render.png"), b"\x89PNG\r\n\x1a\n render");
    put(&layout.join("images/notes.txt"), b"notes");
    put(&layout.join("images/preview.png"), b"\x89PNG\r\n\x1a\n preview");

    let sup = dir.join("cable-sup-holder");
    std::fs::create_dir_all(sup.join("Supported files")).unwrap();
    for (i, name) in
        ["holder.stl", "holder_sup.stl", "holder (supported).stl", "holder_presup.stl", "holder_wsupports.stl"]
            .iter()
            .enumerate()
    {
        tetra(&sup.join(name), 20 + i as u32);
    }
    threemf(&sup.join("holder_withsupports.3mf"), 30);
    threemf(&sup.join("Supported files/holder.3mf"), 31);
    put(&sup.join("holder.jpg"), b"\xff\xd8\xff holder");

    let odd = dir.join("Odd Names");
    std::fs::create_dir_all(&odd).unwrap();
    tetra(&odd.join("odd.stl"), 40);
    put(&odd.join(" cover.png "), b"\x89PNG\r\n\x1a\n cover");
    put(&odd.join("a:b|c?.pdf"), b"%PDF-1.4 abc");
    put(&odd.join("con.txt"), b"con");
    put(&odd.join("tab\tname.txt"), b"tab");
    threemf(&odd.join("two  spaces.3mf"), 41);

    let long = dir.join("Long");
    std::fs::create_dir_all(&long).unwrap();
    tetra(&long.join("long.stl"), 50);

    tetra(&dir.join("idler_riser.stl"), 60);
    ["Idler Mount", "cable-sup-holder", "Odd Names", "Long", "idler_riser.stl"].iter().map(|n| dir.join(n)).collect()
}

/// Runs `to3mf process` on the inputs into `out`, with `extra` flags; returns its stderr.
fn process(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> String {
    let title = format!("Long={}", LONG.repeat(20));
    let mut args: Vec<&OsStr> = vec![OsStr::new("process")];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend([OsStr::new("--out-dir"), out.as_os_str(), OsStr::new("--title"), OsStr::new(&title)]);
    args.extend(extra.iter().map(OsStr::new));
    String::from_utf8_lossy(&to3mf(&args).stderr).into_owned()
}

/// A model we meant: its folder (or zip) name, Manyfold's name for it, and its files with
/// their presupported flags.
type Intended = (String, String, Vec<(String, bool)>);

fn intended() -> Vec<Intended> {
    let files = |f: &[(&str, bool)]| f.iter().map(|(n, s)| (n.to_string(), *s)).collect::<Vec<_>>();
    let long_slug = long_slug_of_title();
    vec![
        (
            "cable-holder".into(),
            "cable-sup-holder".into(),
            files(&[
                ("cable-holder-presupported.3mf", true),
                ("cable-holder.3mf", false),
                ("holder.jpg", false),
                ("holder_withsupports.3mf", true),
                ("presupported/holder.3mf", true),
            ]),
        ),
        (
            "idler-mount".into(),
            "Idler Mount".into(),
            files(&[
                ("idler plate.3mf", false),
                ("idler-mount.3mf", false),
                ("images/preview.png", false),
                ("manual.pdf", false),
                ("notes.txt", false),
                ("photo.jpg", false),
                ("render.png", false),
            ]),
        ),
        (
            "idler-riser".into(),
            "Idler Riser".into(),
            files(&[("idler-riser-preview.png", false), ("idler-riser.3mf", false)]),
        ),
        (
            "odd-names".into(),
            "Odd Names".into(),
            files(&[
                ("abc.pdf", false),
                ("cover.png", false),
                ("file.txt", false),
                ("odd-names-preview.png", false),
                ("odd-names.3mf", false),
                ("tab name.txt", false),
                ("two  spaces.3mf", false),
            ]),
        ),
        (
            long_slug.clone(),
            LONG.repeat(15).trim_end().to_string(),
            files(&[(&format!("{long_slug}-preview.png"), false), (&format!("{long_slug}.3mf"), false)]),
        ),
    ]
}

/// The long title's folder: its slug cut at 200 characters, on a word.
fn long_slug_of_title() -> String {
    let s = "very-long-name-".repeat(20);
    s[..200].trim_end_matches('-').to_string()
}

/// Checks one model Manyfold made against what we meant.
fn check(model: &Value, name: &str, files: &[(String, bool)], library: bool) {
    let path = model["path"].as_str().unwrap();
    assert_eq!(model["created"], true, "{path}: {model}");
    assert_eq!(model["errors"], serde_json::json!([]), "{path}");
    assert_eq!(model["name"], name, "{path}");
    let got: Vec<(String, bool)> = model["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["filename"] != "datapackage.json")
        .map(|f| {
            assert_eq!(f["on_disk"], true, "{path}: {f} is not on disk under Manyfold's name");
            (f["filename"].as_str().unwrap().to_string(), f["presupported"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(got, files, "{path}: the files and their presupported flags");
    // No nesting, no missing or duplicate file: only the path-template note (every folder
    // Manyfold has not organised itself gets it) and the silent ones.
    for p in model["problems"].as_array().unwrap() {
        assert!(p["severity"] == "silent" || p["category"] == "file_naming", "{path}: problem {p}");
    }
    if library {
        let preview = model["preview_file"].as_str().unwrap_or_else(|| panic!("{path}: no preview"));
        assert!(files.iter().any(|(f, _)| f == preview), "{path}: the preview {preview} is not a file of the model");
        assert_eq!(model["datapackage_read"], true, "{path}");
    }
}

fn check_all(report: &Value, library: bool) {
    let models = report["models"].as_array().unwrap();
    let intended = intended();
    let paths: Vec<&str> = models.iter().map(|m| m["path"].as_str().unwrap()).collect();
    assert_eq!(models.len(), intended.len(), "one model per input, no nested models: {paths:?}");
    for (folder, name, files) in &intended {
        let model = if library {
            models.iter().find(|m| m["path"] == folder.as_str())
        } else {
            models.iter().find(|m| m["archive"]["archive"] == format!("{folder}.zip").as_str())
        };
        let model = model.unwrap_or_else(|| panic!("no model for {folder} among {paths:?}"));
        // An upload takes the name from the zip's (datapackage.json is not read there).
        let upload_name = to_upload_name(folder);
        check(model, if library { name } else { &upload_name }, files, library);
    }
    if library {
        assert_eq!(report["files_not_indexed"], serde_json::json!([]), "files no model took");
    }
}

/// Manyfold's name for an uploaded `<folder>.zip` (its `careful_titleize` of the file name).
fn to_upload_name(folder: &str) -> String {
    folder.split('-').map(|w| w[..1].to_uppercase() + &w[1..]).collect::<Vec<_>>().join(" ")
}

#[test]
fn a_library_scan_makes_exactly_the_models_we_wrote() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let inputs = inputs(&t.path().join("in"));
    let lib = t.path().join("lib");
    let stderr = process(&inputs, &lib, &[]);
    assert!(stderr.contains("the title is over 225 characters"), "{stderr}");
    check_all(&import(&tool, &[lib.as_os_str()]), true);
}

#[test]
fn uploading_the_zips_per_model_makes_exactly_the_models_we_wrote() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let inputs = inputs(&t.path().join("in"));
    let out = t.path().join("zips");
    process(&inputs, &out, &["--zip-per-model"]);
    let mut zips: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    zips.sort();
    let mut args: Vec<&OsStr> = vec![OsStr::new("--upload")];
    args.extend(zips.iter().map(|z| z.as_os_str()));
    let report = import(&tool, &args);
    for m in report["models"].as_array().unwrap() {
        assert_eq!(m["archive"]["strip_components"], 0, "entries at the zip's root: nothing to strip");
    }
    check_all(&report, false);
}

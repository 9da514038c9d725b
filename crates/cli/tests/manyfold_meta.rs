//! Model folders written by `to3mf process`, scanned by Manyfold's own importer
//! (`../shared/tools/manyfold-import`, a library "Scan for changes"): the model Manyfold makes
//! must carry exactly the metadata we meant — title, creator, licence, tags, links,
//! collections, sensitive, preview — with no errors, and Manyfold must not replace our
//! datapackage.json. One test per case; each skips with a printed reason when the tool is
//! missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn to3mf(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_to3mf")).args(args).output().unwrap()
}

/// `../shared/tools/manyfold-import`, or None (after saying the test is skipped).
fn importer() -> Option<PathBuf> {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/manyfold-import/manyfold-import");
    if tool.is_file() {
        return Some(tool);
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped {test}: ../shared/tools/manyfold-import is absent");
    None
}

/// Writes `files` (path → bytes) under `dir`.
fn write_tree(dir: &Path, files: &[(&str, Vec<u8>)]) {
    for (path, bytes) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// A small mesh, one of a few different ones (models of one library with the same mesh
/// would get the same rendered preview, which Manyfold flags as a duplicate).
fn mesh(n: usize) -> Vec<u8> {
    fixture(["ascii_quad_facet.stl", "obj_ngon.obj", "ascii_multi_solid.stl"][n])
}

/// Runs `to3mf process INPUT --out-dir LIB FLAGS`, then Manyfold's library scan on LIB.
/// Returns the scan's JSON and the process's stderr.
fn process_and_scan(tool: &Path, input: &Path, lib: &Path, flags: &[&str]) -> (Value, String) {
    let mut args = vec![std::ffi::OsStr::new("process"), input.as_os_str(), "--out-dir".as_ref(), lib.as_os_str()];
    args.extend(flags.iter().map(std::ffi::OsStr::new));
    let r = to3mf(&args);
    let stderr = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(r.status.success(), "{stderr}");
    let scan = Command::new(tool).arg(lib).output().unwrap();
    assert!(scan.status.success(), "{}", String::from_utf8_lossy(&scan.stderr));
    (serde_json::from_slice(&scan.stdout).unwrap(), stderr)
}

/// The metadata of a datapackage.json, as Manyfold reads it (its own tag `!new` aside).
fn metadata(dp: &Value) -> Value {
    let titles = |v: &Value, key: &str| -> Vec<Value> {
        v.as_array().map(|a| a.iter().map(|x| x[key].clone()).collect()).unwrap_or_default()
    };
    let keywords: Vec<Value> =
        dp["keywords"].as_array().map(|a| a.iter().filter(|k| *k != "!new").cloned().collect()).unwrap_or_default();
    serde_json::json!({
        "title": dp["title"], "description": dp["description"], "image": dp["image"],
        "keywords": keywords, "licenses": titles(&dp["licenses"], "name"),
        "contributors": titles(&dp["contributors"], "title"), "collections": titles(&dp["collections"], "title"),
        "links": titles(&dp["links"], "path"), "sensitive": dp["sensitive"].as_bool().unwrap_or(false),
    })
}

/// The model Manyfold made of folder `path` of the library scanned, checked to be imported cleanly:
/// created, no errors, our datapackage read, every file on disk, no problem but the
/// `file_naming` note every folder Manyfold did not organise itself gets, and the
/// datapackage.json Manyfold writes back holding the metadata we wrote (not a bare record).
fn model<'a>(scan: &'a Value, path: &str) -> &'a Value {
    let lib = Path::new(scan["library"].as_str().unwrap());
    let m = scan["models"].as_array().unwrap().iter().find(|m| m["path"] == path).unwrap_or_else(|| {
        panic!("no model {path}: {scan:#}");
    });
    assert_eq!(m["created"], true, "{m:#}");
    assert_eq!(m["errors"], serde_json::json!([]), "{m:#}");
    assert_eq!(m["datapackage_read"], true, "{m:#}");
    let ours: Value = serde_json::from_slice(&std::fs::read(lib.join(path).join("datapackage.json")).unwrap()).unwrap();
    assert_eq!(metadata(&m["datapackage_written_by_manyfold"]), metadata(&ours), "{m:#}");
    for f in m["files"].as_array().unwrap() {
        assert_eq!(f["on_disk"], true, "{f}");
    }
    for p in m["problems"].as_array().unwrap() {
        assert!(p["category"] == "file_naming" || p["severity"] == "silent", "{p}");
    }
    m
}

fn tags(m: &Value) -> Vec<&str> {
    let mut t: Vec<&str> =
        m["tags"].as_array().unwrap().iter().filter_map(Value::as_str).filter(|t| *t != "!new").collect();
    t.sort();
    t
}

fn files(m: &Value) -> Vec<&str> {
    let mut f: Vec<&str> = m["files"].as_array().unwrap().iter().map(|f| f["filename"].as_str().unwrap()).collect();
    f.sort();
    f
}

/// Defect 3: a README Manyfold reads over the datapackage (a Thingiverse line naming title
/// and creator) would show the README's title and creator, not the user's.
#[test]
fn a_readme_that_disagrees_is_kept_under_a_name_manyfold_does_not_read() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("Tiny Frog");
    write_tree(&input, &[("frog.stl", mesh(0)), ("README.txt", fixture("manyfold_thingiverse_README.txt"))]);
    let lib = t.path().join("lib");
    let flags = ["--set", "Tiny Frog:title=Jumping Frog", "--set", "Tiny Frog:creator=Bea Builder"];
    let (scan, stderr) = process_and_scan(&tool, &input, &lib, &flags);
    // Named as titled: the folder, its 3MF and preview follow the title set.
    let m = model(&scan, "jumping-frog");
    assert_eq!((m["name"].as_str(), m["creator"].as_str()), (Some("Jumping Frog"), Some("Bea Builder")), "{m:#}");
    assert_eq!(files(m), ["README-original.txt", "jumping-frog-preview.png", "jumping-frog.3mf"]);
    assert!(stderr.contains("kept as README-original.txt"), "{stderr}");
    // No orphan creator from the README.
    let creators: Vec<&str> =
        scan["creators"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(creators, ["Bea Builder"]);

    // A README that agrees with what is written stays where it is.
    let lib = t.path().join("lib2");
    let (scan, _) = process_and_scan(&tool, &input, &lib, &[]);
    let m = model(&scan, "tiny-frog");
    assert_eq!(m["name"], "Tiny Frog");
    assert!(files(m).contains(&"README.txt"), "{m:#}");
}

/// Defect 6: values Manyfold refuses would drop all of the model's metadata; each is left out
/// (or cut) with a warning and the rest imports.
#[test]
fn values_manyfold_refuses_are_left_out_and_the_rest_imports() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("pond");
    write_tree(&input, &[("Frog/frog.stl", mesh(0)), ("Toad/toad.obj", mesh(1)), ("Newt/newt.stl", mesh(2))]);
    let lib = t.path().join("lib");
    let long = "Newt ".repeat(50);
    let set_long = format!("Newt:title={long}");
    let flags = [
        "--keywords",
        "pond",
        "--set",
        "Frog:license=CC-BY-NC-3.0-IGO",
        "--set",
        "Frog:creator=Ann Maker",
        "--set",
        "Toad:creator=山田太郎",
        "--set",
        "Toad:license=CC-BY-4.0",
        "--set",
        &set_long,
    ];
    let (scan, stderr) = process_and_scan(&tool, &input, &lib, &flags);
    let frog = model(&scan, "frog");
    assert_eq!((frog["license"].as_str(), frog["creator"].as_str()), (None, Some("Ann Maker")), "{frog:#}");
    assert_eq!(tags(frog), ["pond"]);
    assert!(stderr.contains("'CC-BY-NC-3.0-IGO' is not an SPDX licence id that Manyfold accepts"), "{stderr}");
    let toad = model(&scan, "toad");
    assert_eq!((toad["license"].as_str(), toad["creator"].as_str()), (Some("CC-BY-4.0"), None), "{toad:#}");
    assert!(toad["notes"].as_str().unwrap().contains("Creator: 山田太郎"), "{toad:#}");
    assert!(stderr.contains("Manyfold cannot save a creator named '山田太郎'"), "{stderr}");
    let newt = model(&scan, &to3mf::manyfold::datapackage::model_slug(&long));
    let name = newt["name"].as_str().unwrap();
    assert_eq!(name.chars().count(), 224, "cut to 225 characters, the trailing space trimmed: {name:?}");
    assert!(long.starts_with(name));
}

/// Defect 9: an old datapackage.json's collections, entry point, file captions, creator
/// details and y-up orientation survive the merge.
#[test]
fn merging_an_old_datapackage_keeps_collections_entrypoint_captions_and_y_up() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("Old Frog");
    let png = to3mf::write::thumbnail::render_png(&[], 8);
    write_tree(
        &input,
        &[("frog.stl", mesh(0)), ("frog.png", png), ("datapackage.json", fixture("manyfold_old_datapackage.json"))],
    );
    let lib = t.path().join("lib");
    let (scan, _) = process_and_scan(&tool, &input, &lib, &[]);
    let m = model(&scan, "old-frog");
    assert_eq!(m["name"], "Old Frog");
    assert_eq!(m["collections"], serde_json::json!(["Pond Life"]), "{m:#}");
    assert_eq!((m["creator"].as_str(), m["license"].as_str()), (Some("Ann Maker"), Some("CC-BY-4.0")));
    let file = |n: &str| m["files"].as_array().unwrap().iter().find(|f| f["filename"] == n).unwrap().clone();
    assert_eq!(file("old-frog.3mf")["y_up"], true, "the y-up STL's 3MF: {m:#}");
    let dp: Value = serde_json::from_slice(&std::fs::read(lib.join("old-frog/datapackage.json")).unwrap()).unwrap();
    assert_eq!(dp["entrypoint"], serde_json::json!({"path": "frog.png"}));
    assert_eq!(dp["caption"], "A frog, y-up");
    assert_eq!(dp["collections"], serde_json::json!([{"title": "Pond Life", "caption": "Things from the pond"}]));
    let res = dp["resources"].as_array().unwrap().iter().find(|r| r["path"] == "frog.png").unwrap();
    assert_eq!((res["caption"].as_str(), res["description"].as_str()), (Some("The frog"), Some("Printed in green.")));
    assert_eq!(
        dp["contributors"],
        serde_json::json!([{"title": "Ann Maker", "roles": ["creator"], "caption": "Frog specialist",
            "links": [{"path": "https://example.org/ann", "text": "Ann's site"}]}])
    );
}

/// Sources and "for all": a licence typed for all fills only the model without one, unless
/// `--override`; a `--set` for one model wins over both. `--dry-run` shows each source.
#[test]
fn for_all_values_fill_only_models_without_one_unless_overridden() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("pack");
    write_tree(
        &input,
        &[
            ("Frog/frog.stl", mesh(0)),
            ("Frog/README.md", b"# Frog\n\nA frog.\n\nLicense: CC-BY-SA-4.0\n".to_vec()),
            ("Toad/toad.obj", mesh(1)),
            ("Newt/newt.stl", mesh(2)),
        ],
    );
    let out = t.path().join("dry");
    let input_s = input.to_str().unwrap();
    let dry = to3mf(&[
        "process".as_ref(),
        input_s.as_ref(),
        "--out-dir".as_ref(),
        out.as_os_str(),
        "--dry-run".as_ref(),
        "--license".as_ref(),
        "MIT".as_ref(),
    ]);
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(text.contains("license: CC-BY-SA-4.0 (readme)") && text.contains("license: MIT (user)"), "{text}");
    assert!(text.contains("title: Frog (readme)") && text.contains("title: Toad (folder)"), "{text}");

    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("fill"), &["--license", "MIT"]);
    assert_eq!(model(&scan, "frog")["license"], "CC-BY-SA-4.0");
    assert_eq!(model(&scan, "toad")["license"], "MIT");
    let flags = ["--license", "MIT", "--override", "--set", "Newt:license=CC0-1.0"];
    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("override"), &flags);
    assert_eq!(model(&scan, "frog")["license"], "MIT");
    assert_eq!(model(&scan, "toad")["license"], "MIT");
    assert_eq!(model(&scan, "newt")["license"], "CC0-1.0", "a per-model value wins over --override");
    // An empty value leaves the field out.
    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("out"), &["--set", "Frog:license="]);
    assert!(model(&scan, "frog")["license"].is_null());
}

/// Collections and sensitive, for all models or one.
#[test]
fn collections_and_sensitive_reach_manyfold() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("pack");
    write_tree(&input, &[("Frog/frog.stl", mesh(0)), ("Toad/toad.obj", mesh(1))]);
    let flags = [
        "--collection",
        "Pond Life,Amphibians",
        "--sensitive",
        "--set",
        "Toad:sensitive=false",
        "--set",
        "Toad:tags=warty",
    ];
    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("lib"), &flags);
    let frog = model(&scan, "frog");
    let mut c: Vec<&str> = frog["collections"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    c.sort();
    assert_eq!(c, ["Amphibians", "Pond Life"]);
    assert_eq!(frog["sensitive"], true);
    let toad = model(&scan, "toad");
    assert_eq!((toad["sensitive"].as_bool(), tags(toad)), (Some(false), vec!["warty"]));
}

/// A Bambu Studio project from MakerWorld: title, designer, MakerWorld's licence name and the
/// HTML description (as Markdown) come from the 3MF; its plate thumbnail is the preview.
#[test]
fn a_bambu_makerworld_3mf_gives_its_metadata() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("frog_model.3mf");
    std::fs::write(&input, fixture("manyfold_bambu_makerworld.3mf")).unwrap();
    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("lib"), &[]);
    // The folder is named after the 3MF's title, as Manyfold will show it.
    let m = model(&scan, "tiny-frog");
    assert_eq!((m["name"].as_str(), m["creator"].as_str()), (Some("Tiny Frog"), Some("Ann Maker")), "{m:#}");
    assert_eq!(m["license"], "CC-BY-NC-SA-4.0");
    assert_eq!(m["notes"], "A **tiny** frog.\n\n- No supports\n- PLA & PETG");
    assert_eq!(m["preview_file"], "tiny-frog-preview.png", "the plate thumbnail");
}

/// A Thingiverse download: the README's "X by Y on Thingiverse" line gives title, creator and
/// link; the LICENSE.txt boilerplate ("This thing was created by Thingiverse user ...") gives
/// only the licence, never the title.
#[test]
fn a_thingiverse_zip_takes_title_from_the_readme_and_licence_from_the_licence_text() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("tiny_frog-4242");
    write_tree(
        &input,
        &[
            ("files/frog.stl", mesh(0)),
            ("LICENSE.txt", fixture("manyfold_thingiverse_LICENSE.txt")),
            ("README.txt", fixture("manyfold_thingiverse_README.txt")),
        ],
    );
    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("lib"), &[]);
    // Named after the README's title, not the download's folder.
    let m = model(&scan, "tiny-frog");
    assert_eq!(m["name"], "Tiny Frog", "{m:#}");
    assert_eq!(m["license"], "CC-BY-SA-4.0");
    assert_eq!(m["notes"], "A frog that fits in a matchbox.");
    assert_eq!(m["links"][0]["url"], "https://www.thingiverse.com/thing:4242");
    assert_eq!(m["creator"], "ann_maker");
}

/// A Printables "download all" zip: model files under `files/`, pictures under `images/`;
/// the title comes from the folder and the preview is one of its pictures.
#[test]
fn a_printables_zip_keeps_its_picture_as_preview() {
    let Some(tool) = importer() else { return };
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("Tiny Frog");
    let png = to3mf::write::thumbnail::render_png(&[], 8);
    write_tree(&input, &[("files/frog.stl", mesh(0)), ("images/frog_photo.png", png)]);
    let (scan, _) = process_and_scan(&tool, &input, &t.path().join("lib"), &["--creator", "Ann Maker"]);
    let m = model(&scan, "tiny-frog");
    assert_eq!((m["name"].as_str(), m["creator"].as_str()), (Some("Tiny Frog"), Some("Ann Maker")));
    assert_eq!(m["preview_file"], "images/frog_photo.png");
}

/// The licence ids written are exactly those of the `spdx` gem Manyfold validates with.
#[test]
fn the_licence_list_is_the_one_manyfold_validates_with() {
    let Some(tool) = importer() else { return };
    let gem = tool.parent().unwrap().join("vendor/spdx/licenses.json");
    let list: Value = serde_json::from_slice(&std::fs::read(gem).unwrap()).unwrap();
    let mut theirs: Vec<&str> =
        list["licenses"].as_array().unwrap().iter().map(|l| l["licenseId"].as_str().unwrap()).collect();
    theirs.sort();
    let ours = std::fs::read_to_string(fixtures().join("../../src/manyfold/manyfold_licenses.txt")).unwrap();
    assert_eq!(ours.lines().collect::<Vec<_>>(), theirs);
}

//! Writing planned models: the files of each model folder and every field of its
//! datapackage.json, checked against Manyfold's profile as its importer reads it.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use to3mf::manyfold::folder::{write_model, ProcessOptions, Sink, ZipSink};
use to3mf::manyfold::plan::{plan, Root, SourceFile};

#[derive(Default)]
struct MemorySink(BTreeMap<String, Vec<u8>>);

impl Sink for MemorySink {
    fn put(&mut self, path: &str, write: &mut dyn FnMut(&mut dyn Write) -> to3mf::Result<()>) -> to3mf::Result<()> {
        let mut buf = Vec::new();
        write(&mut buf)?;
        assert!(self.0.insert(path.to_string(), buf).is_none(), "{path} written twice");
        Ok(())
    }
}

fn read(corpus: &Path, path: &str) -> Vec<u8> {
    std::fs::read(corpus.join(path)).unwrap()
}

/// A release folder: meshes in `stl/` and `presupported/`, a broken mesh, a picture, a
/// slicer 3MF, a README and an old datapackage.json.
fn release(corpus: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    files.insert("Gear Set/stl/gear_small.stl".to_string(), read(corpus, "trimesh/unit_cube.STL"));
    files.insert("Gear Set/stl/gear_big.obj".to_string(), read(corpus, "trimesh/fandisk.obj"));
    files.insert("Gear Set/presupported/gear_small_sup.stl".to_string(), read(corpus, "trimesh/angle_block.STL"));
    files.insert(
        "Gear Set/stl/broken.stl".to_string(),
        b"solid x\nfacet normal 0 0 1\nouter loop\nvertex 1 2\n".to_vec(),
    );
    files.insert("Gear Set/images/gear_preview.png".to_string(), b"\x89PNG\r\n\x1a\nfake".to_vec());
    files.insert("Gear Set/gear set.3mf".to_string(), project_3mf(corpus));
    files.insert(
        "Gear Set/README.txt".to_string(),
        b"Gear Set by Yan on Thingiverse: https://www.thingiverse.com/thing:42\n\nSummary:\nInterlocking gears.\n\nPrint Settings\nPrint at 0.2 mm\n".to_vec(),
    );
    files.insert(
        "Gear Set/datapackage.json".to_string(),
        br#"{"title": "Old title", "description": "Gears that mesh.", "keywords": ["gear"], "contributors": [{"title": "Ann"}]}"#.to_vec(),
    );
    files.insert("Gear Set/.DS_Store".to_string(), b"junk".to_vec());
    files
}

/// A 3MF as a slicer or another tool left it, with its own metadata.
fn project_3mf(corpus: &Path) -> Vec<u8> {
    let bytes = read(corpus, "trimesh/unit_cube.STL");
    let mut options = to3mf::Options::default();
    options.metadata.title = Some("Gear Set Deluxe".into());
    options.metadata.designer = Some("Zed".into());
    options.metadata.license_terms = Some("MIT".into());
    let input = to3mf::read_input("cube.stl", &bytes[..], None, &options).unwrap();
    let mut out = Vec::new();
    to3mf::write_3mf(&mut out, &input.meshes.iter().collect::<Vec<_>>(), None, &options, &mut |_, _| {}).unwrap();
    out
}

fn run(
    files: &BTreeMap<String, Vec<u8>>,
    options: &ProcessOptions,
) -> (Vec<to3mf::manyfold::folder::ModelReport>, Vec<MemorySink>) {
    let root = Root {
        name: "gear-set.zip".into(),
        files: files.iter().map(|(p, b)| SourceFile { path: p.clone(), size: b.len() as u64 }).collect(),
        loose: false,
    };
    let plans = plan(&[root]);
    let mut reports = Vec::new();
    let mut sinks = Vec::new();
    for p in &plans {
        let mut sink = MemorySink::default();
        let mut open = |f: &to3mf::manyfold::plan::ModelFile, consume: &mut to3mf::manyfold::folder::Consume| {
            let bytes = &files[&f.path];
            consume(&mut &bytes[..], Some(bytes.len() as u64))
        };
        reports.push(write_model(p, &mut open, &mut sink, options).unwrap());
        sinks.push(sink);
    }
    (reports, sinks)
}

#[test]
fn a_release_becomes_one_model_folder_with_its_datapackage() {
    let Some(corpus) = common::corpus_dir() else { return };
    // The licence typed "for all" overrides the 3MF's own.
    let options = ProcessOptions { license: Some("CC-BY-4.0".into()), override_all: true, ..ProcessOptions::default() };
    let (reports, sinks) = run(&release(&corpus), &options);
    assert_eq!(reports.len(), 1);
    let (r, files) = (&reports[0], &sinks[0].0);
    // The 3MF's own title beats the old datapackage.json's and the folder name; the folder
    // keeps the name's slug, as the plan showed it.
    assert_eq!((r.title.as_str(), r.slug.as_str()), ("Gear Set Deluxe", "gear-set"));
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "README-original.txt",
            "datapackage.json",
            "gear set.3mf",
            "gear-set-presupported.3mf",
            "gear-set.3mf",
            "images/gear_preview.png",
            "stl/broken.stl"
        ]
    );
    // The slicer 3MF and the broken mesh are kept byte for byte.
    assert_eq!(files["gear set.3mf"], release(&corpus)["Gear Set/gear set.3mf"]);
    assert_eq!(files["stl/broken.stl"], release(&corpus)["Gear Set/stl/broken.stl"]);
    assert!(
        r.warnings.iter().any(|w| w.contains("broken.stl: line 4") && w.contains("kept unconverted")),
        "{:?}",
        r.warnings
    );
    // Manyfold would take the README's title and creator over the datapackage's.
    assert_eq!(files["README-original.txt"], release(&corpus)["Gear Set/README.txt"]);
    assert!(r.warnings.iter().any(|w| w.contains("kept as README-original.txt")), "{:?}", r.warnings);

    // The converted package: two named objects, the title and licence as metadata.
    let model = common::parse_3mf(&files["gear-set.3mf"]);
    let objects: Vec<&str> = model.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(objects, ["gear_big", "gear_small"]);
    assert_eq!(model.metadata["Title"], "Gear Set Deluxe");
    assert_eq!(model.metadata["Designer"], "Zed");
    assert_eq!(model.metadata["Description"], "Interlocking gears.");
    assert_eq!(model.metadata["LicenseTerms"], "CC-BY-4.0");

    let dp: serde_json::Value = serde_json::from_slice(&files["datapackage.json"]).unwrap();
    assert_eq!(dp["$schema"], "https://manyfold.app/profiles/0.0/datapackage.json");
    assert_eq!(dp["name"], "gear-set");
    assert_eq!(dp["title"], "Gear Set Deluxe");
    assert_eq!(dp["description"], "Interlocking gears.", "the README beats the old datapackage.json");
    assert_eq!(dp["keywords"], serde_json::json!(["gear"]), "merged from the old datapackage.json");
    assert_eq!(
        dp["links"],
        serde_json::json!([{"path": "https://www.thingiverse.com/thing:42", "text": "Thingiverse"}])
    );
    assert_eq!(
        dp["licenses"],
        serde_json::json!([{"name": "CC-BY-4.0", "path": "https://spdx.org/licenses/CC-BY-4.0.html"}])
    );
    assert_eq!(
        dp["contributors"],
        serde_json::json!([{"title": "Zed", "roles": ["creator"]}]),
        "the 3MF's designer beats the old file"
    );
    assert_eq!(dp["image"], "images/gear_preview.png");
    assert!(files.contains_key(dp["image"].as_str().unwrap()), "image names a file exactly");
    assert!(dp.get("sensitive").is_none());
    let resources = dp["resources"].as_array().unwrap();
    let paths: Vec<&str> = resources.iter().map(|r| r["path"].as_str().unwrap()).collect();
    let mut written: Vec<&str> = names.iter().copied().filter(|n| *n != "datapackage.json").collect();
    written.sort();
    let mut listed = paths.clone();
    listed.sort();
    assert_eq!(listed, written, "every file is a resource");
    for r in resources {
        assert!(r["name"].as_str().is_some_and(|n| !n.is_empty()) && r["mediatype"].is_string(), "{r}");
        assert_ne!(r["presupported"], false, "presupported is never written as false");
    }
    let by_path = |p: &str| resources.iter().find(|r| r["path"] == p).unwrap();
    assert_eq!(by_path("gear-set.3mf")["mediatype"], "model/3mf");
    assert_eq!(by_path("gear-set.3mf")["up"], "+z");
    assert_eq!(by_path("gear-set-presupported.3mf")["presupported"], true);
    assert_eq!(by_path("images/gear_preview.png")["mediatype"], "image/png");
}

#[test]
fn for_all_values_fill_only_what_the_files_leave_open_and_an_invalid_licence_is_not_used() {
    let Some(corpus) = common::corpus_dir() else { return };
    let options = ProcessOptions {
        license: Some("Creative Commons".into()),
        creator: Some("Bob".into()),
        ..ProcessOptions::default()
    };
    let (reports, sinks) = run(&release(&corpus), &options);
    let dp: serde_json::Value = serde_json::from_slice(&sinks[0].0["datapackage.json"]).unwrap();
    assert_eq!(dp["licenses"][0]["name"], "MIT", "the 3MF's own licence");
    assert_eq!(dp["contributors"], serde_json::json!([{"title": "Zed", "roles": ["creator"]}]), "the 3MF's designer");
    assert!(reports[0].warnings.iter().any(|w| w.contains("not an SPDX licence id that Manyfold accepts")));
}

#[test]
fn zip_sink_puts_each_model_in_its_folder() {
    let mut zip = ZipSink::new(Vec::new());
    zip.set_folder("gear-set");
    zip.put("a/b.txt", &mut |w| Ok(w.write_all(b"hello")?)).unwrap();
    zip.put("../../evil.txt", &mut |w| Ok(w.write_all(b"no escape")?)).unwrap();
    let (bytes, _) = zip.finish().unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> =
        (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
    assert_eq!(names, ["gear-set/a/b.txt", "gear-set/evil.txt"]);
}

#[test]
fn a_lone_3mf_lends_its_own_thumbnail_as_the_preview() {
    let Some(corpus) = common::corpus_dir() else { return };
    let png = to3mf::write::thumbnail::render_png(&[], 16);
    let bytes = read(&corpus, "trimesh/unit_cube.STL");
    let input = to3mf::read_input("cube.stl", &bytes[..], None, &to3mf::Options::default()).unwrap();
    let mut project = Vec::new();
    to3mf::write_3mf(
        &mut project,
        &input.meshes.iter().collect::<Vec<_>>(),
        Some(&png),
        &to3mf::Options::default(),
        &mut |_, _| {},
    )
    .unwrap();
    let mut files = BTreeMap::new();
    files.insert("Widget/widget.3mf".to_string(), project.clone());
    let (reports, sinks) = run(&files, &ProcessOptions::default());
    let out = &sinks[0].0;
    assert_eq!(
        out.keys().map(String::as_str).collect::<Vec<_>>(),
        ["datapackage.json", "widget-preview.png", "widget.3mf"]
    );
    assert_eq!(out["widget-preview.png"], png, "the 3MF's own thumbnail, not a render");
    assert_eq!(out["widget.3mf"], project);
    let dp: serde_json::Value = serde_json::from_slice(&out["datapackage.json"]).unwrap();
    assert_eq!(dp["image"], "widget-preview.png");
    assert!(reports[0].warnings.is_empty(), "{:?}", reports[0].warnings);
}

#[test]
fn reencoding_puts_a_3mf_inputs_objects_into_the_models_own_3mf() {
    let Some(corpus) = common::corpus_dir() else { return };
    let options = ProcessOptions { reencode_3mf: true, ..ProcessOptions::default() };
    let (reports, sinks) = run(&release(&corpus), &options);
    let files = &sinks[0].0;
    assert!(!files.contains_key("gear set.3mf"), "the input 3MF is not copied: {:?}", files.keys());
    let model = common::parse_3mf(&files["gear-set.3mf"]);
    let objects: Vec<&str> = model.objects.iter().map(|o| o.name.as_str()).collect();
    // The 3MF's object (named after the STL it was made from) joins the two meshes.
    assert_eq!(objects, ["cube", "gear_big", "gear_small"]);
    assert!(reports[0].inputs.iter().any(|i| i.name == "gear set.3mf" && i.format == "3mf" && i.error.is_none()));
    // Its metadata still leads.
    assert_eq!(model.metadata["Title"], "Gear Set Deluxe");
}

#[test]
fn a_thingiverse_download_gets_title_creator_licence_and_link_from_its_texts() {
    let Some(corpus) = common::corpus_dir() else { return };
    let mut files = BTreeMap::new();
    files.insert("thing_42/files/clip.stl".to_string(), read(&corpus, "trimesh/unit_cube.STL"));
    files.insert(
        "thing_42/README.txt".to_string(),
        b"Cable Clip by Ann on Thingiverse: https://www.thingiverse.com/thing:42\n\nSummary:\nHolds a cable.\n"
            .to_vec(),
    );
    files.insert(
        "thing_42/LICENSE.txt".to_string(),
        b"Cable Clip by Ann is licensed under the Creative Commons - Attribution - Share Alike license.\nhttp://creativecommons.org/licenses/by-sa/3.0/\n".to_vec(),
    );
    let (reports, sinks) = run(&files, &ProcessOptions::default());
    assert_eq!((reports[0].title.as_str(), reports[0].slug.as_str()), ("Cable Clip", "thing-42"));
    let dp: serde_json::Value = serde_json::from_slice(&sinks[0].0["datapackage.json"]).unwrap();
    assert_eq!(dp["title"], "Cable Clip");
    assert_eq!(dp["description"], "Holds a cable.");
    assert_eq!(dp["contributors"], serde_json::json!([{"title": "Ann", "roles": ["creator"]}]));
    assert_eq!(
        dp["licenses"],
        serde_json::json!([{"name": "CC-BY-SA-3.0", "path": "https://spdx.org/licenses/CC-BY-SA-3.0.html"}])
    );
    assert_eq!(dp["links"][0]["path"], "https://www.thingiverse.com/thing:42");
    // The texts are still copied as they are.
    assert!(sinks[0].0.contains_key("README.txt") && sinks[0].0.contains_key("LICENSE.txt"));
}

/// A zip of `entries`, directory entries for names ending in `/`.
fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    let opts = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        match name.strip_suffix('/') {
            Some(dir) => z.add_directory(dir, opts).unwrap(),
            None => {
                z.start_file(*name, opts).unwrap();
                z.write_all(bytes).unwrap();
            }
        }
    }
    z.finish().unwrap();
    out.into_inner()
}

const TRIANGLE: &[u8] =
    b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";

fn list(name: &str, entries: &[(&str, &[u8])]) -> to3mf::Result<Root> {
    let limits = to3mf::manyfold::archive::ArchiveLimits::default();
    to3mf::manyfold::archive::list_archive(name, std::io::Cursor::new(zip_with(entries)), &limits).map(|(r, _)| r)
}

#[test]
fn titles_and_folders_come_from_real_names_not_the_parts_of_a_hostile_path() {
    let summary = |name: &str, entries: &[&str]| -> Vec<(String, Vec<String>)> {
        let entries: Vec<(&str, &[u8])> = entries.iter().map(|e| (*e, TRIANGLE)).collect();
        plan(&[list(name, &entries).unwrap()])
            .into_iter()
            .map(|m| (m.title, m.files.into_iter().map(|f| f.target).collect()))
            .collect()
    };
    let one =
        |title: &str, targets: &[&str]| vec![(title.to_string(), targets.iter().map(|t| t.to_string()).collect())];
    assert_eq!(summary("up.zip", &["../../x/model.stl"]), one("x", &["model.stl"]));
    assert_eq!(summary("dot.zip", &["./part.stl"]), one("dot", &["part.stl"]));
    assert_eq!(summary("drive.zip", &["C:\\evil\\part.stl"]), one("evil", &["part.stl"]));
    assert_eq!(summary("bare.zip", &["C:/part.stl", "C:/b.stl"]), one("bare", &["b.stl", "part.stl"]));
    assert_eq!(summary("root.zip", &["/abs/part.stl"]), one("abs", &["part.stl"]));
    // Model folders found under a hostile prefix are still found, and named by themselves.
    assert_eq!(
        summary("pack.zip", &["../a/m.stl", "./../b/n.stl"]),
        [("a".to_string(), vec!["m.stl".to_string()]), ("b".to_string(), vec!["n.stl".to_string()])]
    );
    for name in [".", "..", "C:", "/", "a/./", "x/C:"] {
        assert_ne!(to3mf::manyfold::plan::title_from_name(name), name.trim_end_matches('/'), "{name}");
    }
}

#[test]
fn an_archive_without_files_is_refused_by_name() {
    let e = list("empty.zip", &[("Gear Set/", b""), ("Gear Set/stl/", b"")]).unwrap_err();
    assert_eq!(e.code(), "no_geometry");
    assert!(e.to_string().starts_with("empty.zip: the archive holds no files (only 2 empty folders)"), "{e}");
    let e = list("nothing.zip", &[]).unwrap_err();
    assert!(e.to_string().starts_with("nothing.zip: the archive holds no files (nothing at all)"), "{e}");
}

#[test]
fn no_model_folder_holds_nothing_but_a_datapackage() {
    // Only ignored files: no model at all.
    let root = |paths: &[&str]| Root {
        name: "x.zip".into(),
        files: paths.iter().map(|p| SourceFile { path: p.to_string(), size: 2 }).collect(),
        loose: false,
    };
    assert!(plan(&[root(&["__MACOSX/._a.stl", "a/.DS_Store"])]).is_empty());
    // Only an old datapackage.json: refused before anything is written.
    let plans = plan(&[root(&["Gear/datapackage.json"])]);
    assert_eq!(plans.len(), 1);
    let mut sink = MemorySink::default();
    let mut open = |_: &to3mf::manyfold::plan::ModelFile, consume: &mut to3mf::manyfold::folder::Consume| {
        consume(&mut &b"{}"[..], Some(2))
    };
    let e = write_model(&plans[0], &mut open, &mut sink, &ProcessOptions::default()).unwrap_err();
    assert!(e.to_string().contains("no file but a datapackage.json: there is nothing to make a model of"), "{e}");
    assert!(sink.0.is_empty(), "{:?}", sink.0.keys());
}

#[test]
fn kept_files_land_where_manyfold_keeps_them_under_its_names() {
    let stl = b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
    let mut files = BTreeMap::new();
    for (path, bytes) in [
        ("Set/part.stl", &stl[..]),
        ("Set/docs/manual.pdf", b"%PDF"),
        ("Set/photos/printed.jpg", b"\xff\xd8\xff"),
        ("Set/images/renders/manual.pdf", b"%PDF again"),
        ("Set/images/renders/render.png", b"\x89PNG"),
        ("Set/Supported files/part.3mf", b"PK not really"),
        ("Set/ what?.txt", b"x"),
    ] {
        files.insert(path.to_string(), bytes.to_vec());
    }
    let root = Root {
        name: "set.zip".into(),
        files: files.iter().map(|(p, b)| SourceFile { path: p.clone(), size: b.len() as u64 }).collect(),
        loose: false,
    };
    let mut plans = plan(&[root]);
    plans[0].title = "Ü".repeat(300);
    plans[0].edited = true;
    let mut sink = MemorySink::default();
    let mut open = |f: &to3mf::manyfold::plan::ModelFile, consume: &mut to3mf::manyfold::folder::Consume| {
        let bytes = &files[&f.path];
        consume(&mut &bytes[..], Some(bytes.len() as u64))
    };
    let r = write_model(&plans[0], &mut open, &mut sink, &ProcessOptions::default()).unwrap();
    let names: Vec<&str> = sink.0.keys().map(String::as_str).collect();
    let slug = "u".repeat(200);
    assert_eq!(
        names,
        [
            "datapackage.json",
            "manual-2.pdf",
            "manual.pdf",
            "presupported/part.3mf",
            "printed.jpg",
            "render.png",
            &format!("{slug}.3mf"),
            "what.txt"
        ],
        "the root or a fold-in folder, `-2` on a clash, Zaru's names"
    );
    let dp: serde_json::Value = serde_json::from_slice(&sink.0["datapackage.json"]).unwrap();
    assert_eq!(dp["title"].as_str().unwrap().chars().count(), 225, "capped on a character boundary");
    assert_eq!(dp["name"], slug.as_str());
    assert!(sink.0.contains_key(dp["image"].as_str().unwrap()), "the preview resolves: {}", dp["image"]);
    let sup: Vec<&str> = dp["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["presupported"] == true)
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(sup, ["presupported/part.3mf"]);
    assert!(r.warnings.iter().any(|w| w.contains("the title is over 225 characters")), "{:?}", r.warnings);
    assert!(r.warnings.iter().any(|w| w.contains("folder name shortened")), "{:?}", r.warnings);
}

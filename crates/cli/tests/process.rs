//! `to3mf process` on piles built from ../shared/corpus: the models found, the files in
//! each folder, every field of each datapackage.json, and every 3MF through the validator.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "../../../tests/common/shared.rs"]
mod shared;

fn to3mf(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_to3mf")).args(args).output().unwrap()
}

fn os<S: AsRef<std::ffi::OsStr> + ?Sized>(s: &S) -> &std::ffi::OsStr {
    s.as_ref()
}

fn zip_of(path: &Path, entries: &[(&str, PathBuf)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, src) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(&std::fs::read(src).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out)
            } else {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned())
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn datapackage(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Checks what Manyfold's importer relies on, for every datapackage.json under `dir`.
fn check_profile(dir: &Path) -> usize {
    let mut n = 0;
    for f in listing(dir).iter().filter(|f| f.ends_with("datapackage.json")) {
        let path = dir.join(f);
        let model_dir = path.parent().unwrap();
        let dp = datapackage(&path);
        assert_eq!(dp["$schema"], "https://manyfold.app/profiles/0.0/datapackage.json", "{f}");
        let name = dp["name"].as_str().unwrap();
        assert!(
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
            "{f}: {name}"
        );
        assert!(dp["title"].as_str().is_some_and(|t| !t.is_empty()), "{f}");
        if let Some(image) = dp.get("image") {
            assert!(model_dir.join(image.as_str().unwrap()).is_file(), "{f}: image {image} must name a file");
        }
        for c in dp.get("contributors").and_then(|c| c.as_array()).into_iter().flatten() {
            assert!(c["roles"].as_array().is_some_and(|r| !r.is_empty()), "{f}: a contributor needs roles");
        }
        for l in dp.get("licenses").and_then(|c| c.as_array()).into_iter().flatten() {
            assert!(l["path"].as_str().unwrap().starts_with("https://spdx.org/licenses/"), "{f}");
        }
        assert!(dp.get("sensitive").is_none_or(|s| s == true));
        for r in dp["resources"].as_array().unwrap() {
            assert!(model_dir.join(r["path"].as_str().unwrap()).is_file(), "{f}: resource {r}");
            assert!(r["mediatype"].is_string() && r["name"].is_string(), "{f}: {r}");
            assert_ne!(r["presupported"], false);
        }
        n += 1;
    }
    n
}

fn validate(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let out = Command::new(shared::validator()).arg("--json").args(files).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> =
        text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), files.len(), "{text}");
    for l in &lines {
        assert_eq!(l["ok"], true, "{l}");
    }
    lines
}

#[test]
fn a_loose_pile_a_printables_zip_a_zip_of_three_models_and_a_slicer_folder() {
    let Some(corpus) = shared::corpus_dir() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // Loose pile: two parts of one thing, a model with its picture, a lone picture.
    let pile = d.join("pile");
    std::fs::create_dir(&pile).unwrap();
    std::fs::copy(corpus.join("trimesh/unit_cube.STL"), pile.join("bracket_part1.stl")).unwrap();
    std::fs::copy(corpus.join("trimesh/angle_block.STL"), pile.join("bracket_part2.stl")).unwrap();
    std::fs::copy(corpus.join("trimesh/fandisk.obj"), pile.join("fan_disk.obj")).unwrap();
    std::fs::write(pile.join("fan_disk_preview.jpg"), b"\xff\xd8\xff\xe0 not a real jpeg").unwrap();
    // A Printables-style zip: one top folder, images/ and stl/ inside, a real PNG photo.
    std::fs::write(d.join("photo.png"), to3mf::write::thumbnail::render_png(&[], 8)).unwrap();
    zip_of(
        &d.join("Desk_Organizer+v2.zip"),
        &[
            ("Desk Organizer/stl/tray.stl", corpus.join("trimesh/plate_holes.STL")),
            ("Desk Organizer/stl/lid.stl", corpus.join("trimesh/20mm-xyz-cube.stl")),
            ("Desk Organizer/images/photo.png", d.join("photo.png")),
            ("Desk Organizer/instructions.pdf", corpus.join("trimesh/LICENSE-trimesh.txt")),
            ("__MACOSX/Desk Organizer/._tray.stl", corpus.join("trimesh/LICENSE-trimesh.txt")),
        ],
    );
    // A zip holding three model folders.
    zip_of(
        &d.join("three.zip"),
        &[
            ("Rook/rook.stl", corpus.join("trimesh/torus.STL")),
            ("Pawn/stl/pawn.stl", corpus.join("trimesh/round.stl")),
            ("Queen/queen.obj", corpus.join("trimesh/ico4.obj")),
        ],
    );
    // A folder with a 3MF project from a slicer, kept byte for byte.
    let project = d.join("Cura Project");
    std::fs::create_dir(&project).unwrap();
    let cura = corpus
        .join("slicer-test-models/cura_projects")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "3mf"))
        .unwrap();
    std::fs::copy(&cura, project.join("project.3mf")).unwrap();

    let out = d.join("out");
    let r = to3mf(&[
        os("process"),
        os(&pile.join("bracket_part1.stl")),
        os(&pile.join("bracket_part2.stl")),
        os(&pile.join("fan_disk.obj")),
        os(&pile.join("fan_disk_preview.jpg")),
        os(&d.join("Desk_Organizer+v2.zip")),
        os(&d.join("three.zip")),
        os(&project),
        os("--out-dir"),
        os(&out),
        os("--license"),
        os("CC-BY-SA-4.0"),
        os("--creator"),
        os("Maker Jane"),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", String::from_utf8_lossy(&r.stderr));
    let mut models: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    models.sort();
    assert_eq!(models, ["bracket", "cura-project", "desk-organizer", "fan-disk", "pawn", "queen", "rook"]);
    assert_eq!(listing(&out.join("bracket")), ["bracket-preview.png", "bracket.3mf", "datapackage.json"]);
    assert_eq!(listing(&out.join("fan-disk")), ["datapackage.json", "fan-disk.3mf", "fan_disk_preview.jpg"]);
    assert_eq!(
        listing(&out.join("desk-organizer")),
        ["datapackage.json", "desk-organizer.3mf", "images/photo.png", "instructions.pdf"]
    );
    assert_eq!(listing(&out.join("cura-project")), ["datapackage.json", "project.3mf"]);
    assert_eq!(std::fs::read(out.join("cura-project/project.3mf")).unwrap(), std::fs::read(&cura).unwrap());

    let dp = datapackage(&out.join("desk-organizer/datapackage.json"));
    assert_eq!(dp["title"], "Desk Organizer");
    assert_eq!(dp["image"], "images/photo.png");
    assert_eq!(dp["licenses"][0]["name"], "CC-BY-SA-4.0");
    assert_eq!(dp["contributors"][0], serde_json::json!({"title": "Maker Jane", "roles": ["creator"]}));
    assert_eq!(datapackage(&out.join("fan-disk/datapackage.json"))["image"], "fan_disk_preview.jpg");
    let bracket = datapackage(&out.join("bracket/datapackage.json"));
    assert_eq!(
        (bracket["title"].as_str(), bracket["image"].as_str()),
        (Some("Bracket"), Some("bracket-preview.png")),
        "a loose file's title as Manyfold title-cases it"
    );
    // The rendered preview is a real picture of the mesh: many pixels, many shades.
    let png = std::fs::read(out.join("bracket/bracket-preview.png")).unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
    let mut rgba = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut rgba).unwrap();
    let covered: Vec<&[u8]> = rgba.chunks(4).filter(|p| p[3] == 255).collect();
    assert!(covered.len() > rgba.len() / 4 / 20, "the mesh covers a good part of the picture");
    let mean = covered.iter().map(|p| p[2] as f64).sum::<f64>() / covered.len() as f64;
    let variance = covered.iter().map(|p| (p[2] as f64 - mean).powi(2)).sum::<f64>() / covered.len() as f64;
    assert!(variance > 50.0, "shaded, not flat: variance {variance}");
    // Pictures of the release are used as they are: no render when there is one.
    assert!(!out.join("desk-organizer/desk-organizer-preview.png").exists());
    assert_eq!(check_profile(&out), 7);

    let packages: Vec<PathBuf> = listing(&out)
        .iter()
        .filter(|f| f.ends_with(".3mf") && !f.starts_with("cura-project"))
        .map(|f| out.join(f))
        .collect();
    assert_eq!(packages.len(), 6);
    let verdicts = validate(&packages);
    let today = String::from_utf8(Command::new("date").args(["-u", "+%F"]).output().unwrap().stdout).unwrap();
    for v in &verdicts {
        assert_eq!(v["metadata"]["CreationDate"], today.trim(), "{v}");
    }
    let thumbnailed: Vec<bool> = verdicts.iter().map(|v| v["package_thumbnail"] == true).collect();
    assert_eq!(thumbnailed, [true; 6], "every 3MF has its thumbnail: {packages:?}");
    // The model's own PNG picture is its thumbnail; a JPEG one (here not even a real one) is
    // not, the part being a PNG: a render at the thumbnail's size instead; without any, the
    // preview rendered beside.
    let thumbnail = |p: &str| {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(out.join(p)).unwrap()).unwrap();
        let mut png = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name("Metadata/thumbnail.png").unwrap(), &mut png).unwrap();
        png
    };
    let photo = std::fs::read(out.join("desk-organizer/images/photo.png")).unwrap();
    assert_eq!(thumbnail("desk-organizer/desk-organizer.3mf"), photo);
    let rendered = thumbnail("fan-disk/fan-disk.3mf");
    let side = |png: &[u8], at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    assert_eq!((side(&rendered, 16), side(&rendered, 20)), (256, 256));
    let beside = std::fs::read(out.join("bracket/bracket-preview.png")).unwrap();
    assert_eq!(thumbnail("bracket/bracket.3mf"), beside, "the preview beside it");
    let info = Command::new("prusa-slicer").arg("--info").arg(out.join("bracket/bracket.3mf")).output().unwrap();
    assert!(info.status.success());
    let objects = String::from_utf8_lossy(&info.stdout).lines().filter(|l| l.ends_with(".3mf]")).count();
    assert_eq!(objects, 2, "the two parts of the bracket are two objects of one package");

    // Run again: nothing is overwritten, the new folders get a suffix.
    let again = to3mf(&[os("process"), os(&d.join("three.zip")), os("--out-dir"), os(&out)]);
    assert_eq!(again.status.code(), Some(0));
    assert!(out.join("rook-2/rook.3mf").is_file() && out.join("rook/rook.3mf").is_file());
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let Some(corpus) = shared::corpus_dir() else { return };
    let t = tempfile::tempdir().unwrap();
    zip_of(
        &t.path().join("three.zip"),
        &[("Rook/rook.stl", corpus.join("trimesh/torus.STL")), ("Pawn/pawn.stl", corpus.join("trimesh/round.stl"))],
    );
    let out = t.path().join("out");
    let r = to3mf(&[os("process"), os(&t.path().join("three.zip")), os("--out-dir"), os(&out), os("--dry-run")]);
    assert_eq!(r.status.code(), Some(0));
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("Rook → rook/\n  Rook/rook.stl (into rook.3mf)"), "{text}");
    assert!(text.contains("Pawn → pawn/"), "{text}");
    assert!(!out.exists() || listing(&out).is_empty());

    // Edits from flags: a rename, a file left out, a file moved into a new model.
    zip_of(
        &t.path().join("set.zip"),
        &[
            ("Rook/rook.stl", corpus.join("trimesh/torus.STL")),
            ("Rook/base.stl", corpus.join("trimesh/round.stl")),
            ("Pawn/pawn.stl", corpus.join("trimesh/round.stl")),
            ("Pawn/notes.txt", corpus.join("trimesh/LICENSE-trimesh.txt")),
        ],
    );
    let flags = ["--title", "rook=Castle", "--exclude", "*notes.txt", "--move", "Rook/base.stl=Plinth"];
    let set = t.path().join("set.zip");
    let mut args = vec![os("process"), os(&set), os("--out-dir"), os(&out), os("--dry-run")];
    args.extend(flags.iter().map(os));
    let edited = to3mf(&args);
    let text = String::from_utf8_lossy(&edited.stdout);
    assert_eq!(edited.status.code(), Some(0), "{}", String::from_utf8_lossy(&edited.stderr));
    assert!(text.contains("Castle → castle/\n  Rook/rook.stl (into castle.3mf)\n"), "{text}");
    assert!(text.contains("Plinth → plinth/\n  Rook/base.stl (into plinth.3mf)\n"), "{text}");
    assert!(!text.contains("notes.txt"), "{text}");
    let bad = to3mf(&[os("process"), os(&set), os("--out-dir"), os(&out), os("--title"), os("king=K")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no proposed model is called 'king'"));

    // A 3MF is kept as it is, unless re-encoding is asked for.
    let tmf = corpus.join("slicer-test-models/3mf/translated.3mf");
    let kept = to3mf(&[os("process"), os(&tmf), os("--out-dir"), os(&out), os("--dry-run")]);
    assert!(
        String::from_utf8_lossy(&kept.stdout).contains("translated.3mf (as translated.3mf)"),
        "{}",
        String::from_utf8_lossy(&kept.stdout)
    );
    let re = to3mf(&[os("process"), os(&tmf), os("--out-dir"), os(&out), os("--dry-run"), os("--reencode-3mf")]);
    assert!(
        String::from_utf8_lossy(&re.stdout).contains("translated.3mf (into translated.3mf)"),
        "{}",
        String::from_utf8_lossy(&re.stdout)
    );
}

#[test]
fn zip_outputs_and_unsupported_archives() {
    let Some(corpus) = shared::corpus_dir() else { return };
    let t = tempfile::tempdir().unwrap();
    zip_of(
        &t.path().join("three.zip"),
        &[("Rook/rook.stl", corpus.join("trimesh/torus.STL")), ("Pawn/pawn.stl", corpus.join("trimesh/round.stl"))],
    );
    std::fs::write(t.path().join("old.rar"), b"Rar!\x1a\x07\x00 rest").unwrap();
    let out = t.path().join("zips");
    let r = to3mf(&[
        os("process"),
        os(&t.path().join("three.zip")),
        os(&t.path().join("old.rar")),
        os("--out-dir"),
        os(&out),
        os("--zip-per-model"),
    ]);
    assert_eq!(r.status.code(), Some(1), "the RAR failed, the rest was written");
    assert!(String::from_utf8_lossy(&r.stderr).contains("old.rar: this is a RAR archive: extract it first"));
    assert_eq!(listing(&out), ["pawn.zip", "rook.zip"]);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(out.join("rook.zip")).unwrap()).unwrap();
    let mut names: Vec<String> =
        (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        ["datapackage.json", "rook-preview.png", "rook.3mf"],
        "a model's zip holds its files at the root"
    );

    let one = t.path().join("one");
    let r = to3mf(&[os("process"), os(&t.path().join("three.zip")), os("--out-dir"), os(&one), os("--zip")]);
    assert_eq!(r.status.code(), Some(0));
    let mut archive = zip::ZipArchive::new(std::fs::File::open(one.join("models.zip")).unwrap()).unwrap();
    let mut names: Vec<String> =
        (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "pawn/datapackage.json",
            "pawn/pawn-preview.png",
            "pawn/pawn.3mf",
            "rook/datapackage.json",
            "rook/rook-preview.png",
            "rook/rook.3mf"
        ]
    );
}

#[test]
fn an_archive_over_the_limits_is_refused_and_the_rest_still_processed() {
    let Some(corpus) = shared::corpus_dir() else { return };
    let t = tempfile::tempdir().unwrap();
    let flood = t.path().join("flood.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&flood).unwrap());
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for i in 0..50_001 {
            z.start_file(format!("f{i}.txt"), opts).unwrap();
        }
        z.finish().unwrap();
    }
    zip_of(&t.path().join("ok.zip"), &[("Rook/rook.stl", corpus.join("trimesh/torus.STL"))]);
    let out = t.path().join("out");
    let r = to3mf(&[os("process"), os(&flood), os(&t.path().join("ok.zip")), os("--out-dir"), os(&out)]);
    assert_eq!(r.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("flood.zip: 50001 entries, more than the limit of 50000"), "{stderr}");
    assert!(out.join("rook/rook.3mf").is_file());
}

/// A solid 7z archive of `files`, written with sevenz-rust2's encoder.
fn seven_zip_of(path: &Path, files: &[(&str, Vec<u8>)]) {
    use sevenz_rust2::{ArchiveEntry, ArchiveWriter, SourceReader};
    let mut w = ArchiveWriter::create(path).unwrap();
    let entries = files.iter().map(|(n, _)| ArchiveEntry::new_file(n)).collect();
    let readers = files.iter().map(|(_, b)| SourceReader::new(std::io::Cursor::new(b.clone()))).collect();
    w.push_archive_entries(entries, readers).unwrap();
    w.finish().unwrap();
}

#[test]
fn a_7z_release_is_read_like_a_zip_and_a_broken_one_says_so() {
    let Some(corpus) = shared::corpus_dir() else { return };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let release = d.join("Gear_Set.7z");
    seven_zip_of(
        &release,
        &[
            ("Gear Set/stl/gear.stl", std::fs::read(corpus.join("trimesh/unit_cube.STL")).unwrap()),
            ("Gear Set/stl/axle.stl", std::fs::read(corpus.join("trimesh/round.stl")).unwrap()),
            ("Gear Set/README.md", b"# Gear Set\n\nTwo parts that turn.\n".to_vec()),
        ],
    );
    assert!(std::fs::read(&release).unwrap().starts_with(b"7z\xbc\xaf\x27\x1c"));
    std::fs::write(d.join("broken.7z"), b"7z\xbc\xaf\x27\x1c\x00\x04 not really").unwrap();
    let out = d.join("out");
    let r = to3mf(&[os("process"), os(&release), os(&d.join("broken.7z")), os("--out-dir"), os(&out)]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken.7z: not a readable 7z archive"), "{stderr}");
    // Manyfold would show the whole README as notes, not the description written.
    assert_eq!(
        listing(&out.join("gear-set")),
        ["README-original.md", "datapackage.json", "gear-set-preview.png", "gear-set.3mf"]
    );
    let dp = datapackage(&out.join("gear-set/datapackage.json"));
    assert_eq!((dp["title"].as_str(), dp["description"].as_str()), (Some("Gear Set"), Some("Two parts that turn.")));
    let verdicts = validate(&[out.join("gear-set/gear-set.3mf")]);
    assert_eq!(verdicts[0]["ok"], true, "{}", verdicts[0]);
    assert_eq!(verdicts[0]["objects"].as_array().unwrap().len(), 2);
}

/// Two dropped folders of one name are two models, each made of its own files (not the
/// first folder's files twice).
#[test]
fn two_folders_of_one_name_stay_two_models() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, out) = (dir.path().join("a/parts"), dir.path().join("b/parts"), dir.path().join("out"));
    for (parts, z) in [(&a, 7), (&b, 9)] {
        std::fs::create_dir_all(parts).unwrap();
        let stl = format!(
            "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 {z}\nvertex 1 0 {z}\nvertex 0 1 {z}\nendloop\nendfacet\nendsolid s\n"
        );
        std::fs::write(parts.join("model.stl"), stl).unwrap();
    }
    let o = to3mf(&[os("process"), os(&a), os(&b), os("--out-dir"), os(&out), os("--layout"), os("keep")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let files = listing(&out);
    let mut heights = Vec::new();
    for p in files.iter().filter(|f| f.ends_with(".3mf")) {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(out.join(p)).unwrap()).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("3D/3dmodel.model").unwrap(), &mut xml).unwrap();
        heights.push([7, 9].into_iter().find(|z| xml.contains(&format!("z=\"{z}\""))));
    }
    heights.sort();
    assert_eq!(heights, [Some(7), Some(9)], "each model holds its own folder's mesh: {files:?}");
}

/// Folder `dir` made with one small ASCII STL in it, named `file`; returns `dir`.
fn wedge_in(dir: &Path, file: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let stl = "solid s\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 9 0 0\nvertex 0 9 3\nendloop\nendfacet\nendsolid s\n";
    std::fs::write(dir.join(file), stl).unwrap();
    dir.to_path_buf()
}

/// `--no-thumbnail` leaves the thumbnail out of every 3MF; a model without pictures still
/// gets its rendered preview beside it, as Manyfold's preview.
#[test]
fn no_thumbnail_leaves_it_out_of_the_3mf_only() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (wedge_in(&dir.path().join("Wedge"), "wedge.stl"), dir.path().join("out"));
    for (flag, thumbnail) in [(None, true), (Some("--no-thumbnail"), false)] {
        let out = out.join(if thumbnail { "with" } else { "without" });
        let mut args = vec![os("process"), os(&input), os("--out-dir"), os(&out)];
        args.extend(flag.map(os));
        let o = to3mf(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(listing(&out.join("wedge")), ["datapackage.json", "wedge-preview.png", "wedge.3mf"]);
        let zip = zip::ZipArchive::new(std::fs::File::open(out.join("wedge/wedge.3mf")).unwrap()).unwrap();
        assert_eq!(zip.index_for_name("Metadata/thumbnail.png").is_some(), thumbnail, "{flag:?}");
    }
}

/// A model's own picture is its 3MF's thumbnail only when it is a PNG that decodes, not too
/// big: one that only starts like a PNG, or a huge one, gives way to a render.
#[test]
fn only_a_sound_small_png_of_the_users_becomes_the_thumbnail() {
    let dir = tempfile::tempdir().unwrap();
    let good = to3mf::write::thumbnail::render_png(&[], 8);
    let mut broken = good[..40].to_vec();
    broken.extend_from_slice(b"not the rest of a PNG");
    let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
    huge.resize((1 << 20) + 10, 0);
    for (name, photo, used) in [("good", &good, true), ("broken", &broken, false), ("huge", &huge, false)] {
        let input = wedge_in(&dir.path().join(name), "part.stl");
        std::fs::write(input.join("photo.png"), photo).unwrap();
        let out = dir.path().join("out").join(name);
        let o = to3mf(&[os("process"), os(&input), os("--out-dir"), os(&out)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let mut zip =
            zip::ZipArchive::new(std::fs::File::open(out.join(name).join(format!("{name}.3mf"))).unwrap()).unwrap();
        let mut png = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name("Metadata/thumbnail.png").unwrap(), &mut png).unwrap();
        assert_eq!(&png == photo, used, "{name}");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width, if used { 8 } else { 256 }, "{name}");
    }
}

/// A model is named after the title its files give it (here a README's), in `--dry-run`, its
/// folder and its datapackage; edits may call it by that name or by its folder's.
#[test]
fn a_model_is_named_by_its_readme_title_and_edits_find_it_by_either_name() {
    let dir = tempfile::tempdir().unwrap();
    let (input, out) = (wedge_in(&dir.path().join("Gantry Set"), "gantry.stl"), dir.path().join("out"));
    std::fs::write(input.join("README.md"), "# XL Gantry\n\nA gantry for the XL.\n").unwrap();
    let edits = ["--set", "XL Gantry:license=MIT", "--set", "Gantry Set:creator=Ann Maker"];
    let mut args = vec![os("process"), os(&input), os("--out-dir"), os(&out), os("--dry-run")];
    args.extend(edits.iter().map(os));
    let dry = to3mf(&args);
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    let shown = String::from_utf8_lossy(&dry.stdout);
    assert!(shown.contains("XL Gantry") && shown.contains("xl-gantry/"), "{shown}");
    args.retain(|a| *a != "--dry-run");
    let o = to3mf(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let dp = datapackage(&out.join("xl-gantry/datapackage.json"));
    assert_eq!(dp["title"], "XL Gantry");
    assert_eq!(dp["licenses"][0]["name"], "MIT");
    assert_eq!(dp["contributors"][0]["title"], "Ann Maker");
    assert!(out.join("xl-gantry/xl-gantry.3mf").is_file());
    // A name no model has is still an error.
    let bad = to3mf(&[os("process"), os(&input), os("--out-dir"), os(&out), os("--set"), os("Gantry XL:license=MIT")]);
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
}

/// A zip of `entries` (name, bytes), directory entries for names ending in `/`.
fn zip_bytes_of(path: &Path, entries: &[(&str, &[u8])]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        if let Some(dir) = name.strip_suffix('/') {
            z.add_directory(dir, opts).unwrap();
        } else {
            z.start_file(*name, opts).unwrap();
            z.write_all(bytes).unwrap();
        }
    }
    z.finish().unwrap();
}

const TRIANGLE: &[u8] =
    b"solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";

/// Zip-slip paths are made safe when written; the parts that made them hostile (`..`, `.`,
/// a drive letter, a root) name no model either: the first real folder does, or the archive.
#[test]
fn hostile_archive_paths_name_models_by_real_folders_or_the_archive() {
    let t = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[&str], &str)] = &[
        ("up.zip", &["../../x/model.stl"], "x → x/\n  ../../x/model.stl (into x.3mf)\n  title: x (folder)"),
        ("dot.zip", &["./part.stl"], "dot → dot/\n  ./part.stl (into dot.3mf)\n  title: dot (folder)"),
        (
            "drive.zip",
            &["C:\\evil\\part.stl"],
            "evil → evil/\n  C:/evil/part.stl (into evil.3mf)\n  title: evil (folder)",
        ),
        (
            "bare_drive.zip",
            &["C:\\part.stl"],
            "bare drive → bare-drive/\n  C:/part.stl (into bare-drive.3mf)\n  title: bare drive (folder)",
        ),
        ("root.zip", &["/abs/part.stl"], "abs → abs/\n  /abs/part.stl (into abs.3mf)\n  title: abs (folder)"),
    ];
    for (name, entries, want) in cases {
        let zip = t.path().join(name);
        let entries: Vec<(&str, &[u8])> = entries.iter().map(|e| (*e, TRIANGLE)).collect();
        zip_bytes_of(&zip, &entries);
        let r = to3mf(&[os("process"), os(&zip), os("--out-dir"), os(&t.path().join("out")), os("--dry-run")]);
        assert!(r.status.success(), "{name}: {}", String::from_utf8_lossy(&r.stderr));
        assert_eq!(String::from_utf8_lossy(&r.stdout).trim_end(), *want, "{name}");
    }
    // Written for real: the model's folder, title and files all come from real names.
    let out = t.path().join("written");
    let r = to3mf(&[os("process"), os(&t.path().join("up.zip")), os("--out-dir"), os(&out)]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(listing(&out), ["x/datapackage.json", "x/x-preview.png", "x/x.3mf"]);
    assert_eq!(datapackage(&out.join("x/datapackage.json"))["title"], "x");
}

/// An archive of empty folders is refused by name, and no model folder is left behind;
/// the other inputs are still processed.
#[test]
fn an_archive_of_empty_folders_is_an_error_and_writes_no_model() {
    let t = tempfile::tempdir().unwrap();
    let (empty, ok, out) = (t.path().join("empty.zip"), t.path().join("ok.zip"), t.path().join("out"));
    zip_bytes_of(&empty, &[("Gear Set/", b""), ("Gear Set/stl/", b"")]);
    zip_bytes_of(&ok, &[("Rook/rook.stl", TRIANGLE)]);
    let r = to3mf(&[os("process"), os(&empty), os("--out-dir"), os(&out)]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("empty.zip: the archive holds no files (only 2 empty folders)"), "{stderr}");
    assert!(!out.exists() || listing(&out).is_empty(), "{:?}", listing(&out));
    let r = to3mf(&[os("process"), os(&empty), os(&ok), os("--out-dir"), os(&out)]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("empty.zip: the archive holds no files"), "{stderr}");
    assert_eq!(listing(&out), ["rook/datapackage.json", "rook/rook-preview.png", "rook/rook.3mf"]);
}

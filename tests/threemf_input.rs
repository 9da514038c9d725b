//! 3MF packages as inputs (re-encoding): every 3MF of `../shared/corpus` read by our reader
//! and by lib3mf (the 3MF Consortium's reference library, through
//! `tests/tools/lib3mf_reference.py`): the same build items, triangle counts and bounding
//! boxes after transforms and units; and the packages we write from them pass the strict
//! validator. Hand-made packages cover the edge cases one by one.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{corpus_dir, read as read_fixture, validate};
use to3mf::Options;

fn all_3mf(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_3mf(&p, out);
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("3mf")) && p.metadata().unwrap().len() < 8 << 20
        {
            out.push(p);
        }
    }
}

/// lib3mf's reading of each file: `None` when lib3mf refuses it.
fn reference(files: &[PathBuf]) -> Vec<Option<Vec<serde_json::Value>>> {
    // The validator creates the virtualenv holding lib3mf on its first run.
    validate(&files[..1]);
    let home = std::env::var("HOME").unwrap();
    let venv = std::env::var("VALIDATE3MF_VENV").unwrap_or(format!("{home}/.cache/validate3mf-venv"));
    let out = std::process::Command::new(format!("{venv}/bin/python"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/lib3mf_reference.py"))
        .args(files)
        .output()
        .expect("lib3mf from the validate3mf virtualenv");
    let lines: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), files.len(), "{}", String::from_utf8_lossy(&out.stderr));
    lines.into_iter().map(|l| l["items"].as_array().cloned()).collect()
}

#[test]
fn corpus_3mf_files_read_as_lib3mf_reads_them() {
    let Some(root) = corpus_dir() else { return };
    let mut files = Vec::new();
    all_3mf(&root, &mut files);
    files.sort();
    let refs = reference(&files);
    let dir = tempfile::tempdir().unwrap();
    let (mut compared, mut written, mut strict) = (0, Vec::new(), Vec::new());
    for (f, reference) in files.iter().zip(&refs) {
        let bytes = std::fs::read(f).unwrap();
        let ours = to3mf::read_input("in.3mf", &bytes[..], Some(bytes.len() as u64), &Options::default());
        let Some(items) = reference else { continue };
        let printable: Vec<&serde_json::Value> =
            items.iter().filter(|i| matches!(i["type"].as_str(), Some("model" | "solidsupport"))).collect();
        let with_triangles = printable.iter().filter(|i| i["triangles"].as_u64() > Some(0)).count();
        let input = match ours {
            Ok(input) => input,
            // lib3mf reads it too, so only a package with nothing to print may be refused, or one
            // that breaks a rule lib3mf enforces when strict (checked below).
            Err(e) => {
                if with_triangles > 0 {
                    eprintln!("refused, though lib3mf reads it when lenient: {}: {e}", f.display());
                    strict.push(f.clone());
                }
                continue;
            }
        };
        let objects: Vec<_> = input.report.objects.iter().collect();
        assert_eq!(objects.len(), with_triangles, "{}: build items", f.display());
        for (o, r) in objects.iter().zip(printable.iter().filter(|i| i["triangles"].as_u64() > Some(0))) {
            assert_eq!(Some(o.triangles_read), r["triangles"].as_u64(), "{}: {}", f.display(), o.name);
            let b = o.bounds.as_ref().unwrap();
            for (k, (ours, theirs)) in b
                .min
                .iter()
                .zip(r["min"].as_array().unwrap())
                .chain(b.max.iter().zip(r["max"].as_array().unwrap()))
                .enumerate()
            {
                let theirs = theirs.as_f64().unwrap();
                let tol = 1e-4 * theirs.abs().max(1.0);
                assert!(
                    (*ours as f64 - theirs).abs() <= tol,
                    "{}: {} bound {k}: {ours} vs lib3mf {theirs}",
                    f.display(),
                    o.name
                );
            }
        }
        compared += 1;
        let out = dir.path().join(format!("{}.3mf", written.len()));
        let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
        to3mf::write_3mf(std::fs::File::create(&out).unwrap(), &meshes, None, &Options::default(), &mut |_, _| {})
            .unwrap();
        written.push(out);
    }
    eprintln!("{} 3MF files, {compared} read and compared with lib3mf", files.len());
    assert!(compared > 150, "only {compared} compared");
    for v in validate(&written) {
        assert_eq!(v["ok"], true, "{v}");
    }
    // What we refuse and lib3mf reads, lib3mf refuses in strict mode (where every warning is an error).
    for v in validate(&strict) {
        let errors = v["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e.as_str().is_some_and(|e| e.starts_with("lib3mf strict:"))), "{v}");
    }
    assert!(strict.len() <= 5, "{} refused that lib3mf reads: {strict:?}", strict.len());
}

/// A 3MF package with the given model part (and further parts).
fn package(model: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    zip.start_file("_rels/.rels", o).unwrap();
    zip.write_all(br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#).unwrap();
    zip.start_file("3D/3dmodel.model", o).unwrap();
    zip.write_all(model.as_bytes()).unwrap();
    for (path, text) in extra {
        zip.start_file(*path, o).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

const TETRA: &str = r#"<mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/><vertex x="0" y="10" z="0"/><vertex x="0" y="0" z="10"/></vertices>
    <triangles><triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/></triangles></mesh>"#;

fn model(unit: &str, resources: &str, build: &str) -> String {
    format!(
        r#"<?xml version="1.0"?><model unit="{unit}" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02" xmlns:p="http://schemas.microsoft.com/3dmanufacturing/production/2015/06"><resources>{resources}</resources><build>{build}</build></model>"#
    )
}

fn read(bytes: &[u8]) -> to3mf::Result<to3mf::Input> {
    to3mf::read_input("in.3mf", bytes, None, &Options::default())
}

#[test]
fn components_and_items_are_flattened_with_their_transforms() {
    let xml = model(
        "centimeter",
        &format!(
            r#"<object id="1" type="model">{TETRA}</object><object id="2" name="pair"><components><component objectid="1"/><component objectid="1" transform="1 0 0 0 1 0 0 0 1 100 0 0"/></components></object>"#
        ),
        r#"<item objectid="2" transform="0 1 0 -1 0 0 0 0 1 0 0 5"/><item objectid="1"/>"#,
    );
    let input = read(&package(&xml, &[])).unwrap();
    let o = &input.report.objects;
    assert_eq!(o.len(), 2);
    assert_eq!((o[0].name.as_str(), o[0].triangles_read, o[0].vertices), ("pair", 8, 8));
    // Rotated 90° about z, then lifted 5 cm: x' = -y, y' = x (row vectors), in millimetres.
    let b = o[0].bounds.as_ref().unwrap();
    assert_eq!((b.min, b.max), ([-100.0, 0.0, 50.0], [0.0, 1100.0, 150.0]));
    assert_eq!(o[1].name, "in-2");
    assert_eq!(o[1].bounds.as_ref().unwrap().max, [100.0, 100.0, 100.0]);
}

/// Six times the signed volume of the closed mesh of `input`'s object `k`: positive when its
/// faces point outwards (counter-clockwise seen from outside).
fn signed_volume(input: &to3mf::Input, k: usize) -> f64 {
    let m = &input.meshes[k];
    m.triangles
        .iter()
        .map(|t| {
            let [a, b, c] = t.map(|i| m.vertices[i as usize].map(f64::from));
            a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0])
        })
        .sum()
}

/// A mirroring transform (an item's, a component's) would turn the faces inside out; they
/// are turned back, so slicers see the outside where it is. Two mirrors make none.
#[test]
fn mirrored_objects_keep_their_faces_outwards() {
    let mirror = "-1 0 0 0 1 0 0 0 1 0 0 0";
    let xml = model(
        "millimeter",
        &format!(
            r#"<object id="1" type="model">{TETRA}</object><object id="2" name="mirrored part"><components><component objectid="1" transform="{mirror}"/></components></object>"#
        ),
        &format!(
            r#"<item objectid="1"/><item objectid="1" transform="{mirror}"/><item objectid="2"/><item objectid="2" transform="{mirror}"/>"#
        ),
    );
    let input = read(&package(&xml, &[])).unwrap();
    let volumes: Vec<f64> = (0..4).map(|k| signed_volume(&input, k)).collect();
    // The tetrahedron's volume is 1000/6 mm³.
    for v in &volumes {
        assert!((v - 1000.0).abs() < 1e-6, "{volumes:?}");
    }
    // And mirrored they are: the mirrored item lies at negative x.
    let b = input.report.objects[1].bounds.as_ref().unwrap();
    assert_eq!((b.min[0], b.max[0]), (-10.0, 0.0));
}

#[test]
fn objects_in_other_model_parts_are_found_by_path() {
    let part = model("millimeter", &format!(r#"<object id="7" name="gear">{TETRA}</object>"#), "");
    let xml = model(
        "millimeter",
        r#"<object id="1" name="plate"><components><component p:path="/3D/Objects/gear.model" objectid="7"/></components></object>"#,
        r#"<item objectid="1"/>"#,
    );
    let input = read(&package(&xml, &[("3D/Objects/gear.model", &part)])).unwrap();
    assert_eq!((input.report.objects[0].name.as_str(), input.report.objects[0].triangles_read), ("plate", 4));
    let e = read(&package(&xml, &[])).unwrap_err();
    assert!(e.to_string().contains("/3D/Objects/gear.model is missing"), "{e}");
}

#[test]
fn a_cycle_of_components_is_an_error_not_a_hang() {
    let xml = model(
        "millimeter",
        r#"<object id="1"><components><component objectid="2"/></components></object><object id="2"><components><component objectid="1"/></components></object>"#,
        r#"<item objectid="1"/>"#,
    );
    let e = read(&package(&xml, &[])).unwrap_err();
    assert_eq!(e.code(), "limit");
    assert!(e.to_string().contains("nested more than 32 deep"), "{e}");
}

/// Objects `2..=n`, each holding 4 components of the one before, over `first` (object 1).
fn fanout(first: &str, n: u32) -> String {
    let mut resources = format!(r#"<object id="1">{first}</object>"#);
    for k in 2..=n {
        let c = format!(r#"<component objectid="{}"/>"#, k - 1).repeat(4);
        resources += &format!(r#"<object id="{k}"><components>{c}</components></object>"#);
    }
    resources
}

#[test]
fn the_triangle_limit_counts_every_build_item_flattened() {
    let xml = model("millimeter", &fanout(TETRA, 2), r#"<item objectid="2"/><item objectid="1"/><item objectid="2"/>"#);
    let tight = Options { max_triangles: 35, ..Options::default() };
    let e = to3mf::read_input("in.3mf", &package(&xml, &[])[..], None, &tight).unwrap_err();
    assert_eq!(e.code(), "limit");
    assert_eq!(
        e.to_string(),
        "the 3 build items would make 36 triangles once their components are flattened, more than the limit of 35; \
         raise the triangle limit to convert this file"
    );
    let enough = Options { max_triangles: 36, ..tight };
    let input = to3mf::read_input("in.3mf", &package(&xml, &[])[..], None, &enough).unwrap();
    let read: Vec<u64> = input.report.objects.iter().map(|o| o.triangles_read).collect();
    assert_eq!(read, [16, 4, 16]);
}

#[test]
fn components_without_triangles_are_not_followed_however_often_placed() {
    // An empty object placed 4^30 times: nothing to make, and no time spent making it.
    let xml = model("millimeter", &fanout("<mesh><vertices/><triangles/></mesh>", 31), r#"<item objectid="31"/>"#);
    let started = std::time::Instant::now();
    let e = read(&package(&xml, &[])).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(e.code(), "no_geometry");
}

#[test]
fn an_object_counted_once_is_still_held_to_the_nesting_limit_wherever_placed() {
    // Object 33 is 32 levels above the tetrahedron: allowed as a build item, one level too
    // deep as a component of object 34.
    let mut resources = format!(r#"<object id="1">{TETRA}</object>"#);
    for k in 2..=34 {
        resources +=
            &format!(r#"<object id="{k}"><components><component objectid="{}"/></components></object>"#, k - 1);
    }
    let alone = model("millimeter", &resources, r#"<item objectid="33"/>"#);
    assert_eq!(read(&package(&alone, &[])).unwrap().report.objects[0].triangles_read, 4);
    let both = model("millimeter", &resources, r#"<item objectid="33"/><item objectid="34"/>"#);
    let e = read(&package(&both, &[])).unwrap_err();
    assert_eq!(e.code(), "limit");
    assert!(e.to_string().contains("nested more than 32 deep"), "{e}");
}

#[test]
fn a_vertex_index_out_of_range_names_the_object_and_triangle() {
    let xml = model(
        "millimeter",
        r#"<object id="3"><mesh><vertices><vertex x="0" y="0" z="0"/></vertices><triangles><triangle v1="0" v2="1" v3="2"/></triangles></mesh></object>"#,
        r#"<item objectid="3"/>"#,
    );
    let e = read(&package(&xml, &[])).unwrap_err();
    assert!(e.to_string().contains("object 3, triangle 1: vertex index 1 but the object has 1 vertices"), "{e}");
    assert!(
        matches!(e.position(), to3mf::Position::Entry { ref entry, byte } if entry == "3D/3dmodel.model" && byte > 0)
    );
}

#[test]
fn support_objects_are_left_out_with_a_warning() {
    let xml = model(
        "millimeter",
        &format!(r#"<object id="1">{TETRA}</object><object id="2" type="support">{TETRA}</object>"#),
        r#"<item objectid="1"/><item objectid="2"/>"#,
    );
    let input = read(&package(&xml, &[])).unwrap();
    assert_eq!(input.meshes.len(), 1);
    assert!(
        input.report.warnings.iter().any(|w| w.contains("build item 2 left out") && w.contains("'support'")),
        "{:?}",
        input.report.warnings
    );
}

#[test]
fn nan_coordinates_and_empty_builds_are_errors() {
    let nan = model(
        "millimeter",
        r#"<object id="1"><mesh><vertices><vertex x="NaN" y="0" z="0"/></vertices></mesh></object>"#,
        r#"<item objectid="1"/>"#,
    );
    assert_eq!(read(&package(&nan, &[])).unwrap_err().code(), "non_finite");
    let empty = model("millimeter", &format!(r#"<object id="1">{TETRA}</object>"#), "");
    assert!(read(&package(&empty, &[])).unwrap_err().to_string().contains("no build items"));
}

#[test]
fn a_missing_or_non_xml_model_part_and_a_plain_zip_say_what_is_wrong() {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("model.stl", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"solid x\nendsolid x\n").unwrap();
    let plain = zip.finish().unwrap().into_inner();
    assert!(read(&plain).unwrap_err().to_string().contains("not a 3MF package (no _rels/.rels): extract it first"));
    let missing = package("", &[]);
    let mut no_model = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(missing)).unwrap();
    no_model.raw_copy_file(src.by_name("_rels/.rels").unwrap()).unwrap();
    let e = read(&no_model.finish().unwrap().into_inner()).unwrap_err();
    assert!(e.to_string().contains("the model part /3D/3dmodel.model is missing"), "{e}");
    let e = read(&package("\u{1}\u{2} this is not XML <<<", &[])).unwrap_err();
    assert!(e.to_string().starts_with("3D/3dmodel.model, byte "), "{e}");
}

#[test]
fn a_billion_laughs_in_a_model_is_never_expanded() {
    let xml = r#"<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
        <model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><metadata name="Title">&c;</metadata><resources><object id="1" name="&c;">TETRA</object></resources><build><item objectid="1"/></build></model>"#;
    let input = read(&package(&xml.replace("TETRA", TETRA), &[])).unwrap();
    // The name is an unknown entity reference: left aside, never expanded.
    assert_eq!(input.report.objects[0].name, "in-1");
    assert_eq!(input.report.objects[0].triangles_read, 4);
}

/// The error a fixture of `tests/fixtures` (written by `make_3mf_fixtures.py`) gives.
fn refused(name: &str) -> to3mf::Error {
    match read_fixture(name, &Options::default()) {
        Ok(_) => panic!("{name} should be refused"),
        Err(e) => e,
    }
}

/// The warnings of a fixture that converts, and its objects' triangle counts.
fn converted(name: &str) -> (Vec<String>, Vec<u64>) {
    let input = read_fixture(name, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (input.report.warnings, input.report.objects.iter().map(|o| o.triangles_written).collect())
}

#[track_caller]
fn says(e: &to3mf::Error, words: &[&str]) {
    for w in words {
        assert!(e.to_string().contains(w), "'{w}' not in: {e}");
    }
}

#[test]
fn two_entries_of_one_name_make_an_ambiguous_package_named_by_the_entry() {
    let e = refused("3mf_duplicate_model_entry.3mf");
    says(&e, &["an ambiguous 3MF package", "two entries named '3D/3dmodel.model'"]);
    says(&refused("3mf_duplicate_rels_entry.3mf"), &["ambiguous", "two entries named '_rels/.rels'"]);
    // OPC compares part names without regard to case.
    says(&refused("3mf_duplicate_entry_case.3mf"), &["ambiguous", "'3D/3DModel.model' but for upper and lower case"]);
    let e = refused("3mf_two_model_relationships.3mf");
    says(&e, &["ambiguous", "name two 3D model parts", "the 3MF specification allows only one"]);
}

#[test]
fn a_required_extension_must_be_declared_and_understood() {
    let e = refused("3mf_required_unknown_extension.3mf");
    assert_eq!(e.code(), "unsupported");
    says(&e, &["requires the extension http://example.com/3mf/unknown-extension/2024/01 (prefix 'x')", "forbids"]);
    let e = refused("3mf_required_undeclared_prefix.3mf");
    says(&e, &["lists 'q' as a required extension, but declares no namespace for that prefix"]);
    says(
        &refused("3mf_required_implicit.3mf"),
        &["implicit/2023/12", "by functions over space (volumetric data, level"],
    );
    // Materials only colour the shape: required or not, the triangles are the same.
    assert_eq!(converted("3mf_required_materials.3mf"), (vec![], vec![4]));
}

#[test]
fn the_model_element_must_be_in_the_core_namespace() {
    says(&refused("3mf_no_core_namespace.3mf"), &["<model> element has no namespace", "core/2015/02"]);
    says(
        &refused("3mf_wrong_core_namespace.3mf"),
        &["in the namespace 'http://schemas.microsoft.com/3dmanufacturing/core/2099/01'"],
    );
    // As Cura writes it: the core namespace declared for a prefix no element uses.
    let (warnings, triangles) = converted("3mf_core_namespace_on_a_prefix.3mf");
    assert_eq!(triangles, [4]);
    assert!(warnings[0].contains("not in the 3MF core namespace") && warnings[0].contains("'cura'"), "{warnings:?}");
}

#[test]
fn an_object_is_a_mesh_or_components_never_both() {
    let e = refused("3mf_mesh_and_components.3mf");
    assert_eq!(e.code(), "syntax");
    says(&e, &["3D/3dmodel.model, byte", "object 2 has both a mesh and components"]);
}

#[test]
fn a_singular_transform_is_converted_with_a_warning() {
    let (warnings, triangles) = converted("3mf_singular_item_transform.3mf");
    assert!(warnings[0].starts_with("build item 1 has a singular transform (determinant 0)"), "{warnings:?}");
    assert_eq!(triangles, [2]);
    let (warnings, triangles) = converted("3mf_singular_component_transform.3mf");
    assert!(warnings[0].contains("a component of object 2 has a singular transform"), "{warnings:?}");
    // The collapsed copy's triangles are degenerate; the other copy is whole.
    assert_eq!(triangles, [4]);
}

#[test]
fn a_model_part_that_is_empty_utf16_or_not_xml_is_called_so() {
    says(&refused("3mf_model_part_empty.3mf"), &["the model part /3D/3dmodel.model is empty"]);
    says(&refused("3mf_model_part_utf16.3mf"), &["is UTF-16 text, but the 3MF specification requires UTF-8"]);
    says(&refused("3mf_model_part_not_xml.3mf"), &["the model part /3D/3dmodel.model is not XML"]);
}

#[test]
fn a_build_without_triangles_says_what_it_holds() {
    let e = refused("3mf_levelset_items.3mf");
    assert_eq!(e.code(), "no_geometry");
    says(&e, &["the build holds a volumetric (level-set) object, which has no triangles to convert"]);
    says(
        &refused("3mf_other_type_items.3mf"),
        &["the build holds an object of type 'other', which is not a printable"],
    );
    let (warnings, triangles) = converted("3mf_beam_lattice.3mf");
    assert_eq!(triangles, [4]);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("its 2 beams (beam lattice extension) are left out"), "{warnings:?}");
    assert!(warnings[1].contains("build item 2 ('lattice') left out: it is a beam lattice"), "{warnings:?}");
}

/// The model XML of a package written by `to3mf::convert` from `inputs`.
fn converted_model(inputs: Vec<(String, &[u8], Option<u64>)>, options: &Options) -> String {
    let mut out = Vec::new();
    let report = to3mf::convert(inputs, std::io::Cursor::new(&mut out), options, &mut |_, _| {});
    assert!(report.error.is_none(), "{:?}", report.error);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(out)).unwrap();
    std::io::read_to_string(zip.by_name("3D/3dmodel.model").unwrap()).unwrap()
}

#[test]
fn a_3mf_keeps_its_own_metadata_under_what_the_user_sets() {
    let own = r#"<metadata name="Title">Tiny Frog</metadata><metadata name="Designer">Ann Maker</metadata><metadata name="LicenseTerms">CC-BY-4.0</metadata>"#;
    let part =
        model("millimeter", &format!(r#"<object id="1" type="model">{TETRA}</object>"#), r#"<item objectid="1"/>"#)
            .replacen("<resources>", &format!("{own}<resources>"), 1);
    let bytes = package(&part, &[]);
    assert_eq!(read(&bytes).unwrap().metadata.title.as_deref(), Some("Tiny Frog"));

    let xml = converted_model(vec![("frog.3mf".into(), &bytes[..], None)], &Options::default());
    for line in ["Title\">Tiny Frog<", "Designer\">Ann Maker<", "LicenseTerms\">CC-BY-4.0<"] {
        assert!(xml.contains(line), "{line} kept: {xml}");
    }
    // What the user sets wins, field by field; the rest is still the file's.
    let mut options = Options::default();
    options.metadata.title = Some("My Frog".into());
    let xml = converted_model(vec![("frog.3mf".into(), &bytes[..], None)], &options);
    assert!(xml.contains("Title\">My Frog<") && xml.contains("Designer\">Ann Maker<"), "{xml}");
    // Several files in one package: no one file's metadata speaks for the package.
    let stl = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ascii_quad_facet.stl")).unwrap();
    let xml = converted_model(
        vec![("frog.3mf".into(), &bytes[..], None), ("quad.stl".into(), &stl[..], None)],
        &Options::default(),
    );
    assert!(!xml.contains("Tiny Frog") && !xml.contains("Ann Maker"), "{xml}");
}

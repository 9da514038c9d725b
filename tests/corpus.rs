//! Every STL and OBJ of `../shared/corpus`: converted to a 3MF that passes the strict
//! validator and loads in PrusaSlicer, with triangles and coordinates checked against an
//! independent reading of the input; or refused with the error expected for that file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{corpus_dir, parse_3mf, validate};
use to3mf::{Layout, Options};

/// Corpus files that must fail, with the error kind each must give.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    ("assimp/OBJ/number_formats.obj", "syntax"), // `3.1+e2` is not a number
    ("assimp/OBJ/point_cloud.obj", "no_geometry"),
    ("assimp/OBJ/testline.obj", "no_geometry"),
    ("assimp/OBJ/testpoints.obj", "no_geometry"),
    ("assimp/invalid/empty.obj", "no_geometry"),
    ("assimp/invalid/malformed.obj", "syntax"),
    ("slicer-test-models/broken/empty_file.stl", "no_geometry"),
    ("slicer-test-models/broken/invalid_stl_ascii.stl", "syntax"),
    ("slicer-test-models/broken/random_bits.obj", "unsupported"), // binary bytes named .obj: not an OBJ, never "a truncated STL"
    ("slicer-test-models/broken/random_bits.stl", "truncated"),
    ("slicer-test-models/broken/text_file.stl", "unsupported"),
    ("slicer-test-models/broken/vertical_line.stl", "no_geometry"),
    ("slicer-test-models/broken/zero_size_cube.stl", "no_geometry"),
    ("trimesh/empty.obj", "no_geometry"),
    ("trimesh/empty.stl", "no_geometry"),
    ("trimesh/emptyIO/obj_empty.obj", "no_geometry"),
    ("trimesh/emptyIO/obj_points.obj", "no_geometry"),
    ("trimesh/emptyIO/obj_wireframe.obj", "no_geometry"),
    ("trimesh/emptyIO/stl_empty_ascii.stl", "no_geometry"),
    ("trimesh/emptyIO/stl_empty_bin.stl", "no_geometry"),
    ("trimesh/face_in_group_name.obj", "no_geometry"),
];

/// Binary STLs whose 80-byte header starts with `solid` (SOURCES.md's quick index).
const SOLID_HEADER_BINARIES: &[&str] = &[
    "trimesh/angle_block.STL",
    "trimesh/idler_riser.STL",
    "trimesh/origin_inside.STL",
    "trimesh/plate_holes.STL",
    "trimesh/torus.STL",
    "trimesh/unit_cube.STL",
    "trimesh/octagonal_pocket.stl",
];

fn mesh_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            mesh_files(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref(),
            Some("stl" | "obj")
        ) {
            out.push(p);
        }
    }
}

type Tri = [[f32; 3]; 3];

/// An independent, simple reading of an input's triangles in file order, for comparison.
fn reference_triangles(bytes: &[u8], format: &str) -> Vec<Tri> {
    // UTF-16 text, decoded with the standard library.
    let decoded: Vec<u8>;
    let bytes = match bytes {
        [0xfe, 0xff, rest @ ..] | [0xff, 0xfe, rest @ ..] => {
            let be = bytes[0] == 0xfe;
            let units = rest.chunks_exact(2).map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            });
            decoded = char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect::<String>().into_bytes();
            &decoded[..]
        }
        _ => bytes,
    };
    let fold = |v: [f32; 3]| [v[0] + 0.0, v[1] + 0.0, v[2] + 0.0];
    let mut tris = Vec::new();
    match format {
        "binary-stl" => {
            let n = u32::from_le_bytes(bytes[80..84].try_into().unwrap()) as usize;
            let n = if n == 0 { (bytes.len() - 84) / 50 } else { n };
            for r in bytes[84..84 + 50 * n].chunks(50) {
                let f = |i: usize| f32::from_le_bytes(r[i..i + 4].try_into().unwrap());
                tris.push([fold([f(12), f(16), f(20)]), fold([f(24), f(28), f(32)]), fold([f(36), f(40), f(44)])]);
            }
        }
        "ascii-stl" => {
            let text = String::from_utf8_lossy(bytes);
            let mut poly: Vec<[f32; 3]> = Vec::new();
            let mut words = text.split_ascii_whitespace().peekable();
            while let Some(w) = words.next() {
                let w = w.to_ascii_lowercase();
                if w == "vertex" {
                    let v: Vec<f32> = (0..3).map(|_| words.next().unwrap().parse().unwrap()).collect();
                    poly.push(fold([v[0], v[1], v[2]]));
                } else if w == "endloop" || (w == "endfacet" && !poly.is_empty()) {
                    for k in 1..poly.len().saturating_sub(1) {
                        tris.push([poly[0], poly[k], poly[k + 1]]);
                    }
                    poly.clear();
                }
            }
        }
        _ => {
            let text = String::from_utf8_lossy(bytes).replace("\\\r\n", " ").replace("\\\n", " ");
            let mut v: Vec<[f32; 3]> = Vec::new();
            for line in text.lines() {
                let mut t = line.split_ascii_whitespace();
                match t.next() {
                    Some("v") => {
                        let c: Vec<f32> = t.take(3).map(|x| x.parse().unwrap()).collect();
                        v.push(fold([c[0], c[1], c[2]]));
                    }
                    Some("f") => {
                        let idx: Vec<usize> = t
                            .map(|c| {
                                let i: i64 = c.split('/').next().unwrap().parse().unwrap();
                                if i < 0 {
                                    (v.len() as i64 + i) as usize
                                } else {
                                    i as usize - 1
                                }
                            })
                            .collect();
                        for k in 1..idx.len().saturating_sub(1) {
                            tris.push([v[idx[0]], v[idx[k]], v[idx[k + 1]]]);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    tris
}

fn degenerate(t: &Tri) -> bool {
    let b = |v: [f32; 3]| v.map(f32::to_bits);
    b(t[0]) == b(t[1]) || b(t[1]) == b(t[2]) || b(t[0]) == b(t[2])
}

/// Every binary STL of the corpus, fed in pieces as the page's file streams give them, reads
/// as it does whole (meshes, report, or error).
#[test]
fn corpus_binary_stls_fed_in_pieces_read_as_whole() {
    let Some(root) = corpus_dir() else { return };
    let mut files = Vec::new();
    mesh_files(&root, &mut files);
    let options = Options::default();
    let mut fed = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        if !to3mf::is_binary_stl(&bytes[..bytes.len().min(4096)]) {
            continue;
        }
        let name = path.to_string_lossy();
        let whole = to3mf::read_input(&name, &bytes[..], Some(bytes.len() as u64), &options);
        common::same_as_fed(&name, &bytes, 65_536 + 7, &whole, &options);
        fed += 1;
    }
    assert!(fed > 60, "only {fed} binary STLs in the corpus");
}

#[test]
fn every_corpus_mesh_converts_exactly_or_fails_as_expected() {
    let Some(root) = corpus_dir() else { return };
    let mut files = Vec::new();
    mesh_files(&root, &mut files);
    assert!(files.len() > 150, "corpus has {} meshes", files.len());
    let expected: BTreeMap<&str, &str> = EXPECTED_FAILURES.iter().copied().collect();
    let out_dir = tempfile::tempdir().unwrap();
    let options = Options { layout: Layout::Keep, ..Options::default() };
    let mut written = Vec::new();
    let mut problems = Vec::new();
    for (n, path) in files.iter().enumerate() {
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let bytes = std::fs::read(path).unwrap();
        let result = to3mf::read_input(&rel, &bytes[..], Some(bytes.len() as u64), &options);
        match (result, expected.get(rel.as_str())) {
            (Err(e), Some(code)) => {
                if e.code() != *code {
                    problems.push(format!("{rel}: expected a '{code}' error, got {}: {e}", e.code()));
                }
            }
            (Err(e), None) => problems.push(format!("{rel}: unexpected error: {e}")),
            (Ok(_), Some(code)) => problems.push(format!("{rel}: expected a '{code}' error, but it converted")),
            (Ok(input), None) => {
                if SOLID_HEADER_BINARIES.contains(&rel.as_str()) {
                    assert_eq!(input.report.format, "binary-stl", "{rel}");
                }
                let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
                let bytes_out = common::package(&meshes, &options);
                let model = parse_3mf(&bytes_out);
                // Triangles in order, corner coordinates bit-exact, minus degenerate ones.
                let want: Vec<Tri> =
                    reference_triangles(&bytes, &input.report.format).into_iter().filter(|t| !degenerate(t)).collect();
                let got: Vec<Tri> = model.meshes().flat_map(|o| model.corners(o)).collect();
                let same = want.len() == got.len()
                    && want.iter().zip(&got).all(|(a, b)| {
                        a.iter().flatten().zip(b.iter().flatten()).all(|(x, y)| x.to_bits() == y.to_bits())
                    });
                if !same {
                    problems.push(format!(
                        "{rel}: {} triangles written, {} expected, or coordinates differ",
                        got.len(),
                        want.len()
                    ));
                }
                let r = &input.report;
                let dropped: u64 = r.objects.iter().map(|o| o.dropped_degenerate).sum();
                assert_eq!(r.triangles_written(), r.triangles_read() - dropped, "{rel}");
                assert_eq!(r.triangles_written(), got.len() as u64, "{rel}");
                let file = out_dir.path().join(format!("{n:03}.3mf"));
                std::fs::write(&file, &bytes_out).unwrap();
                written.push((rel, file, model.meshes().count(), got.len()));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert!(written.len() > 120, "only {} converted", written.len());

    let files: Vec<PathBuf> = written.iter().map(|w| w.1.clone()).collect();
    let verdicts = validate(&files);
    for ((rel, _, objects, triangles), v) in written.iter().zip(&verdicts) {
        assert_eq!(v["ok"], true, "{rel}: {v}");
        let objs = v["objects"].as_array().unwrap();
        assert_eq!(objs.len(), *objects, "{rel}");
        let t: u64 = objs.iter().map(|o| o["triangles"].as_u64().unwrap()).sum();
        assert_eq!(t, *triangles as u64, "{rel}");
    }
}

#[test]
fn prusaslicer_loads_our_packages_with_the_expected_objects() {
    let Some(root) = corpus_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], Layout, usize)] = &[
        // (inputs, layout, objects PrusaSlicer must see)
        (&["trimesh/multibody.stl"], Layout::Arrange, 2),
        (&["trimesh/rabbit.obj"], Layout::Arrange, 9),
        (&["trimesh/unit_cube.STL", "trimesh/ADIS16480.STL", "trimesh/fandisk.obj"], Layout::Arrange, 3),
        (&["prusaslicer/tests/data/test_stl/ASCII/20mmbox-CR.stl"], Layout::Arrange, 1),
        // PrusaSlicer 2.x turns each component of a core-spec assembly into an object of its
        // own (its importer only builds parts from its own Slic3r_PE_model.config); Bambu
        // Studio, OrcaSlicer and Cura load the components as parts of one object.
        (&["trimesh/multibody.stl", "trimesh/unit_cube.STL"], Layout::Assembly, 3),
        (&["trimesh/multibody.stl", "trimesh/unit_cube.STL"], Layout::Keep, 3),
    ];
    for (k, (inputs, layout, objects)) in cases.iter().enumerate() {
        let options = Options { layout: *layout, ..Options::default() };
        let read: Vec<to3mf::Input> = inputs
            .iter()
            .map(|i| {
                let bytes = std::fs::read(root.join(i)).unwrap();
                to3mf::read_input(i, &bytes[..], None, &options).unwrap()
            })
            .collect();
        let meshes: Vec<&to3mf::Mesh> = read.iter().flat_map(|i| i.meshes.iter()).collect();
        let file = dir.path().join(format!("case{k}.3mf"));
        std::fs::write(&file, common::package(&meshes, &options)).unwrap();
        let out = std::process::Command::new("prusa-slicer")
            .arg("--info")
            .arg(&file)
            .output()
            .expect("prusa-slicer must be installed (apt-get install prusa-slicer; .ci/run does it)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{inputs:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
        let sections = text.lines().filter(|l| l.starts_with('[') && l.ends_with(".3mf]")).count();
        assert_eq!(sections, *objects, "{inputs:?}: {text}");
        let facets: usize = text
            .lines()
            .filter_map(|l| l.strip_prefix("number_of_facets = "))
            .map(|n| n.trim().parse::<usize>().unwrap())
            .sum();
        assert_eq!(facets, meshes.iter().map(|m| m.triangles.len()).sum::<usize>(), "{inputs:?}");
        // Arranged objects each rest on the bed; an assembly rests on it as a whole.
        let min_z: Vec<f64> =
            text.lines().filter_map(|l| l.strip_prefix("min_z = ")).map(|z| z.trim().parse().unwrap()).collect();
        match layout {
            Layout::Arrange => assert!(min_z.iter().all(|z| z.abs() < 1e-4), "{inputs:?}: {min_z:?}"),
            Layout::Assembly => assert!(min_z.iter().copied().fold(f64::MAX, f64::min).abs() < 1e-4, "{min_z:?}"),
            Layout::Keep => {}
        }
    }
}

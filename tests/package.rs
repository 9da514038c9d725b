//! The 3MF package as written: parts, metadata, numbers, placement, determinism.

mod common;

use common::{package, parse_3mf, read, translation};
use to3mf::{Layout, Mesh, ModelChunks, Options};

fn meshes_of(names: &[&str], options: &Options) -> Vec<Mesh> {
    names.iter().flat_map(|n| read(n, options).unwrap().meshes).collect()
}

fn refs(m: &[Mesh]) -> Vec<&Mesh> {
    m.iter().collect()
}

#[test]
fn parts_relationships_and_content_types() {
    let m = meshes_of(&["ascii_quad_facet.stl"], &Options::default());
    let model = parse_3mf(&package(&refs(&m), &Options::default()));
    assert_eq!(model.parts, ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model"]);
    assert!(model.rels.contains(r#"Target="/3D/3dmodel.model""#));
    assert!(!model.rels.contains("thumbnail"), "no relationship without its part");
    for ext in ["rels", "model", "png", "jpeg"] {
        assert!(model.content_types.contains(&format!(r#"Extension="{ext}""#)), "{ext}");
    }
    assert_eq!(model.unit, "millimeter");
}

#[test]
fn thumbnail_gets_its_part_and_relationship() {
    let m = meshes_of(&["ascii_quad_facet.stl"], &Options::default());
    let png = b"\x89PNG\r\n\x1a\nnot really a picture";
    let mut out = Vec::new();
    to3mf::write_3mf(&mut out, &refs(&m), Some(png), &Options::default(), &mut |_, _| {}).unwrap();
    let model = parse_3mf(&out);
    assert!(model.parts.contains(&"Metadata/thumbnail.png".to_string()));
    assert!(model.rels.contains(r#"Target="/Metadata/thumbnail.png""#));
}

#[test]
fn metadata_uses_well_known_names_once_and_is_escaped() {
    let mut options = Options::default();
    options.metadata.title = Some("Gear <v2> & \"friends\"".into());
    options.metadata.designer = Some("Ann".into());
    let m = meshes_of(&["ascii_quad_facet.stl"], &options);
    let model = parse_3mf(&package(&refs(&m), &options));
    assert_eq!(model.metadata["Title"], "Gear <v2> & \"friends\"");
    assert_eq!(model.metadata["Designer"], "Ann");
    assert!(model.metadata["Application"].starts_with("to3mf "));
    let known = [
        "Title",
        "Designer",
        "Description",
        "Copyright",
        "LicenseTerms",
        "Rating",
        "CreationDate",
        "ModificationDate",
        "Application",
    ];
    assert!(model.metadata.keys().all(|k| known.contains(&k.as_str())));
}

#[test]
fn numbers_are_plain_shortest_and_round_trip_bit_exact() {
    let m = meshes_of(&["ascii_exponents.stl", "binary_negative_zero.stl"], &Options::default());
    let model = parse_3mf(&package(&refs(&m), &Options { layout: Layout::Keep, ..Options::default() }));
    for (o, mesh) in model.meshes().zip(&m) {
        assert_eq!(o.vertices.len(), mesh.vertices.len());
        for (a, b) in o.vertices.iter().flatten().zip(mesh.vertices.iter().flatten()) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        for t in &o.texts {
            assert!(!t.contains(['e', 'E']) && !t.ends_with('.') && t != "-0", "{t}");
        }
    }
    let texts: Vec<&str> = model.objects[0].texts.iter().map(String::as_str).collect();
    assert_eq!(texts[..3], ["12.5", "-0.25", "0"]);
    assert!(texts.contains(&"0.000000000000000000000000000000001"), "{texts:?}");
}

#[test]
fn arranged_objects_rest_on_the_plate_apart_from_each_other() {
    let m = meshes_of(
        &["ascii_multi_solid.stl", "obj_groups.obj", "obj_ngon.obj", "binary_degenerate.stl"],
        &Options::default(),
    );
    let model = parse_3mf(&package(&refs(&m), &Options::default()));
    assert_eq!(model.items.len(), m.len());
    let mut boxes = Vec::new();
    for (id, t) in &model.items {
        let o = model.objects.iter().find(|o| o.id == *id).unwrap();
        let t = translation(t);
        let mut min = [f64::MAX; 3];
        let mut max = [f64::MIN; 3];
        for v in &o.vertices {
            for k in 0..3 {
                min[k] = min[k].min(v[k] as f64 + t[k]);
                max[k] = max[k].max(v[k] as f64 + t[k]);
            }
        }
        assert!(min[2].abs() < 1e-6 && min[0] >= -1e-6 && min[1] >= -1e-6, "{} at {min:?}", o.name);
        boxes.push((min, max));
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let apart = a.1[0] < b.0[0] || b.1[0] < a.0[0] || a.1[1] < b.0[1] || b.1[1] < a.0[1];
            assert!(apart, "{a:?} and {b:?} touch");
        }
    }
}

#[test]
fn keep_writes_no_transform() {
    let m = meshes_of(&["ascii_multi_solid.stl"], &Options::default());
    let model = parse_3mf(&package(&refs(&m), &Options { layout: Layout::Keep, ..Options::default() }));
    assert_eq!(model.items.len(), 2);
    assert!(model.items.iter().all(|(_, t)| t.is_none()));
}

#[test]
fn assembly_is_one_object_with_a_component_per_mesh() {
    let options = Options { layout: Layout::Assembly, ..Options::default() };
    let m = meshes_of(&["ascii_multi_solid.stl", "obj_ngon.obj"], &options);
    let model = parse_3mf(&package(&refs(&m), &options));
    assert_eq!(model.items.len(), 1);
    let whole = model.objects.iter().find(|o| o.id == model.items[0].0).unwrap();
    assert_eq!(whole.components, [1, 2, 3]);
    // One translation for all parts: they keep their relative placement.
    let t = translation(&model.items[0].1);
    let lowest = model.meshes().flat_map(|o| o.vertices.iter()).map(|v| v[2] as f64 + t[2]).fold(f64::MAX, f64::min);
    assert!(lowest.abs() < 1e-6);
}

#[test]
fn object_names_are_escaped() {
    let mesh = Mesh {
        name: "a<b & \"c\"".into(),
        vertices: vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        triangles: vec![[0, 1, 2]],
    };
    let model = parse_3mf(&package(&[&mesh], &Options::default()));
    assert_eq!(model.objects[0].name, "a<b & \"c\"");
}

#[test]
fn writing_nothing_is_an_error() {
    let e = to3mf::write_3mf(Vec::new(), &[], None, &Options::default(), &mut |_, _| {}).unwrap_err();
    assert_eq!(e.code(), "no_geometry");
}

#[test]
fn large_mesh_spans_many_compression_chunks_and_reads_back_exactly() {
    // A 400×400 grid: ~12 MB of XML, so many 1 MiB chunks through the parallel compressor.
    let n = 400u32;
    let mut b = to3mf::MeshBuilder::new("grid", 1.0, 0);
    for i in 0..n {
        for j in 0..n {
            let (x, y) = (i as f32 * 0.1, j as f32 * 0.37);
            let (x1, y1) = ((i + 1) as f32 * 0.1, (j + 1) as f32 * 0.37);
            b.add([[x, y, 0.0], [x1, y, 0.0], [x, y1, 0.0]], || to3mf::Position::Whole).unwrap();
            b.add([[x1, y, 0.0], [x1, y1, 0.0], [x, y1, 0.0]], || to3mf::Position::Whole).unwrap();
        }
    }
    let (mesh, _) = b.finish();
    let bytes = package(&[&mesh], &Options { threads: 2, ..Options::default() });
    let model = parse_3mf(&bytes);
    let o = &model.objects[0];
    assert_eq!(o.triangles, mesh.triangles);
    assert!(o.vertices.iter().flatten().zip(mesh.vertices.iter().flatten()).all(|(a, b)| a.to_bits() == b.to_bits()));
}

/// A `Write` into a buffer the test can also append to between the package's two calls.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_split_package_compressed_elsewhere_is_the_same_bytes() {
    // A real mesh whose model XML spans several chunks.
    let Some(corpus) = common::corpus_dir() else { return };
    let bytes = std::fs::read(corpus.join("trimesh/counter.unitsmm.STL")).unwrap();
    let input = to3mf::read_input("counter.stl", &bytes[..], None, &Options::default()).unwrap();
    let meshes = refs(&input.meshes);
    for level in [1, 2, 6] {
        let options = Options { compression_level: level, ..Options::default() };
        let whole = package(&meshes, &options);
        let out = Shared::default();
        let split = to3mf::write_3mf_head(out.clone(), &meshes, None, &options).unwrap();
        // Two "workers" take every other chunk; the parts are placed in order afterwards.
        let (mut even, mut odd) =
            (ModelChunks::new(&meshes, &options).unwrap(), ModelChunks::new(&meshes, &options).unwrap());
        let n = even.len();
        assert!(n >= 3, "{n} chunks");
        let parts: Vec<_> =
            (0..n).map(|i| if i % 2 == 0 { even.compress(&meshes, i) } else { odd.compress(&meshes, i) }).collect();
        for (bytes, sums) in &parts {
            assert_eq!(sums.compressed_bytes, bytes.len() as u64);
            out.0.borrow_mut().extend_from_slice(bytes);
        }
        let elements: u64 = (0..n).map(|i| even.elements(i)).sum();
        assert_eq!(elements as usize, meshes[0].vertices.len() + meshes[0].triangles.len());
        let stats = split.finish(parts.iter().map(|p| p.1)).unwrap();
        assert_eq!(*out.0.borrow(), whole, "level {level}");
        assert_eq!(stats.package_bytes, whole.len() as u64);
    }
}

/// Three corners.
type Triangle = [[f32; 3]; 3];

/// A binary STL of `tris`.
fn binary_stl(tris: &[Triangle]) -> Vec<u8> {
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(tris.len() as u32).to_le_bytes());
    for t in tris {
        out.extend_from_slice(&[0u8; 12]);
        for x in t.as_flattened() {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&[0u8; 2]);
    }
    out
}

/// An ASCII STL of `tris`, each number in its shortest round-trip form.
fn ascii_stl(tris: &[Triangle]) -> Vec<u8> {
    let mut out = String::from("solid part\n");
    for t in tris {
        out += " facet normal 0 0 0\n  outer loop\n";
        for v in t {
            out += &format!("   vertex {:?} {:?} {:?}\n", v[0], v[1], v[2]);
        }
        out += "  endloop\n endfacet\n";
    }
    (out + "endsolid part\n").into_bytes()
}

/// The corpus counter's triangles, and three counters side by side: about 250,000 triangles
/// and 125,000 vertices, so both runs have several chunks that end before the run does.
fn counters(corpus: &std::path::Path) -> (Vec<Triangle>, Vec<Triangle>) {
    let counter = std::fs::read(corpus.join("trimesh/counter.unitsmm.STL")).unwrap();
    let tris: Vec<Triangle> = counter[84..]
        .chunks_exact(50)
        .map(|r| {
            let f = |i: usize| f32::from_le_bytes(r[i..i + 4].try_into().unwrap());
            [[f(12), f(16), f(20)], [f(24), f(28), f(32)], [f(36), f(40), f(44)]]
        })
        .collect();
    let tripled =
        (0..3).flat_map(|i| tris.iter().map(move |t| t.map(|v| [v[0] + 500.0 * i as f32, v[1], v[2]]))).collect();
    (tris, tripled)
}

/// Compressing the model XML while reading (what the CLI does) gives the very bytes of
/// reading and then writing, with one thread or two, binary or ASCII, alone or beside
/// another input; and chunks really were compressed early.
#[test]
fn compressing_while_reading_gives_the_same_package() {
    let Some(corpus) = common::corpus_dir() else { return };
    let (tris, tripled) = counters(&corpus);
    let inputs = [("tripled.stl", binary_stl(&tripled)), ("part.stl", ascii_stl(&tris[..70_000]))];
    let one = Options { threads: 1, ..Options::default() };
    let two = Options { threads: 2, ..Options::default() };
    let mut read = Vec::new();
    for (name, data) in &inputs {
        let size = Some(data.len() as u64);
        let plain = to3mf::read_input(name, &data[..], size, &one).unwrap();
        assert!(plain.early.is_empty());
        let early = to3mf::read_input_compressing(name, &data[..], size, &two).unwrap();
        assert!(!early.early.is_empty(), "{name}: nothing was compressed while reading");
        assert_eq!(early.report, plain.report, "{name}");
        let expected = package(&refs(&plain.meshes), &one);
        // Chunks made at level 1 are not taken by a writer at another level.
        let compact = Options { compression_level: 2, ..two.clone() };
        let mut out = Vec::new();
        to3mf::write_3mf_inputs(&mut out, &[&early], &compact, &mut |_, _| {}).unwrap();
        assert!(out == package(&refs(&plain.meshes), &compact), "{name}: level 2 from chunks made at level 1");
        for options in [&one, &two] {
            let mut out = Vec::new();
            to3mf::write_3mf_inputs(&mut out, &[&early], options, &mut |_, _| {}).unwrap();
            assert!(out == expected, "{name}, {} thread(s): not the same bytes", options.threads);
        }
        read.push((plain, early));
    }
    // Both inputs in one package, the early chunks of the second found behind the first's meshes.
    let meshes: Vec<&Mesh> = read.iter().flat_map(|(plain, _)| plain.meshes.iter()).collect();
    let mut out = Vec::new();
    to3mf::write_3mf_inputs(&mut out, &[&read[0].1, &read[1].1], &two, &mut |_, _| {}).unwrap();
    assert!(out == package(&meshes, &one), "two inputs: not the same bytes");
}

/// The split conversion the page uses: chunks sealed while reading (sent as elements to be
/// compressed elsewhere), chunks given as runs after reading and chunks made in place make
/// the same package as `write_3mf`, byte for byte; two inputs (the second's long mesh behind
/// a left-out one) and a full channel that drops seals included.
#[test]
fn sealed_and_run_chunks_make_the_same_package() {
    let Some(corpus) = common::corpus_dir() else { return };
    let (tris, tripled) = counters(&corpus);
    // A solid whose only triangle is degenerate is left out; its neighbours are kept.
    let mut ascii = b"solid gone\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 0 0 0\nvertex 1 1 1\nendloop\nendfacet\nendsolid gone\n".to_vec();
    ascii.extend(ascii_stl(&tris[..70_000]));
    let inputs = [("tripled.stl", binary_stl(&tripled)), ("part.stl", ascii)];
    let options = Options::default();
    for capacity in [1000, 2] {
        let (tx, rx) = std::sync::mpsc::sync_channel(capacity);
        let readers = inputs.iter().map(|(name, data)| (name.to_string(), &data[..], Some(data.len() as u64)));
        let out = Shared::default();
        let (report, split) = to3mf::convert_split(readers, out.clone(), &options, Some(tx));
        let split = split.expect("a package");
        let sealed: Vec<to3mf::Sealed> = rx.try_iter().collect();
        assert_eq!(report.inputs.len(), 2);
        let meshes = refs(&split.meshes);
        let expected = package(&meshes, &options);
        let n = split.chunks.len();
        let mut bytes: Vec<Option<Vec<u8>>> = vec![None; n];
        let mut sums = vec![None; n];
        for run in &sealed {
            let k = split.chunk_of(run).expect("every sealed chunk belongs to a kept mesh");
            assert!(bytes[k].is_none(), "chunk {k} sealed twice");
            let (b, s) = run.elements.compress(options.compression_level);
            (bytes[k], sums[k]) = (Some(b), Some(s));
        }
        if capacity > 2 {
            assert!(sealed.len() > n / 2, "only {} of {n} chunks sealed", sealed.len());
        } else {
            assert!(sealed.len() < n / 2, "a full channel drops seals: {} of {n}", sealed.len());
        }
        let mut chunks = to3mf::ModelChunks::new(&meshes, &options).unwrap();
        let mut runs = 0;
        for k in 0..n {
            if bytes[k].is_some() {
                continue;
            }
            let (b, s) = match chunks.run(&meshes, k) {
                Some(elements) if k % 2 == 0 => {
                    runs += 1;
                    elements.compress(options.compression_level)
                }
                _ => chunks.compress(&meshes, k),
            };
            (bytes[k], sums[k]) = (Some(b), Some(s));
        }
        assert!(runs > 0 || capacity > 2);
        for b in bytes {
            out.0.borrow_mut().extend_from_slice(&b.unwrap());
        }
        split.package.finish(sums.into_iter().map(|s| s.unwrap())).unwrap();
        assert!(*out.0.borrow() == expected, "channel of {capacity}: not the same bytes");
    }
}

/// A model whose XML passes 4 GiB takes the ZIP64 path for real: sizes in the local header's
/// ZIP64 field, the data descriptor and the directory. The slowest test here (about 20 s in
/// release, 1.2 GB of memory).
#[test]
fn a_model_over_4_gib_reads_back_through_zip64() {
    use std::io::Read;
    // A 5,700 × 5,700 grid: 32.5 M vertices, 65 M triangles, about 4.4 GB of XML.
    let n = 5_700u32;
    let mut mesh = Mesh { name: "big".into(), ..Mesh::default() };
    for i in 0..n {
        for j in 0..n {
            mesh.vertices.push([i as f32 * 0.37, j as f32 * 0.53, ((i * 7 + j * 3) % 101) as f32 * 0.01]);
        }
    }
    for i in 0..n - 1 {
        for j in 0..n - 1 {
            let (a, b, c, d) = (i * n + j, i * n + j + 1, (i + 1) * n + j, (i + 1) * n + j + 1);
            mesh.triangles.push([a, c, b]);
            mesh.triangles.push([b, c, d]);
        }
    }
    let file = tempfile::tempfile().unwrap();
    let mut out = std::io::BufWriter::new(file);
    let stats = to3mf::write_3mf(&mut out, &[&mesh], None, &Options::default(), &mut |_, _| {}).unwrap();
    assert!(stats.model_bytes > 1 << 32, "{} bytes of XML", stats.model_bytes);
    let mut file = out.into_inner().unwrap();
    std::io::Seek::rewind(&mut file).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut model = archive.by_name("3D/3dmodel.model").unwrap();
    assert_eq!(model.size(), stats.model_bytes);
    // Reading to the end checks the CRC-32; count the vertices and triangles on the way.
    let (mut total, mut vertices, mut triangles) = (0u64, 0u64, 0u64);
    let mut buf = vec![0u8; 1 << 20];
    let mut carry = Vec::new();
    loop {
        let got = model.read(&mut buf).unwrap();
        if got == 0 {
            break;
        }
        total += got as u64;
        carry.extend_from_slice(&buf[..got]);
        // Count the tags that start before the last 9 bytes; those are kept for the next read.
        let keep = carry.len().saturating_sub(9);
        let count = |tag: &[u8]| carry.windows(tag.len()).take(keep).filter(|w| *w == tag).count() as u64;
        vertices += count(b"<vertex ");
        triangles += count(b"<triangle ");
        carry.drain(..keep);
    }
    assert_eq!(total, stats.model_bytes);
    assert_eq!((vertices, triangles), (mesh.vertices.len() as u64, mesh.triangles.len() as u64));
}

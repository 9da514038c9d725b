//! 3MF models built from a structured description: objects holding meshes and components of
//! each other (fan-outs, cycles, dangling references), transforms (singular, mirrored, huge),
//! coordinates from tiny to beyond what readers accept, units, namespaces and required
//! extensions. Byte-level mutation rarely makes such models; these hit the reader's rules.
//!
//! Whatever the model, reading must end in meshes or an error within the limits, and what
//! was read must be written as a package whose every coordinate, once placed, is one a 3MF
//! reader accepts.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Model {
    unit: u8,
    namespace: u8,
    required: Vec<u8>,
    objects: Vec<Object>,
    build: Vec<Ref>,
    layout: u8,
}

#[derive(Arbitrary, Debug)]
struct Object {
    kind: u8,
    vertices: Vec<[Coord; 3]>,
    triangles: Vec<[u8; 3]>,
    components: Vec<Ref>,
}

#[derive(Arbitrary, Debug)]
struct Ref {
    object: u8,
    transform: Option<[Coord; 12]>,
}

#[derive(Arbitrary, Debug)]
enum Coord {
    Small(i8),
    Int(i32),
    /// The largest magnitudes: around 1e9 (the readers' bound), f32::MAX, infinity.
    Edge(u8, bool),
    Bits(u32),
}

impl Coord {
    fn text(&self) -> String {
        match self {
            Coord::Small(v) => format!("{}", *v as f32 / 4.0),
            Coord::Int(v) => format!("{v}"),
            Coord::Edge(k, negative) => {
                let v = ["1e9", "1000000001", "999999999.9", "3.4e38", "3.5e38", "INF", "NaN", "0"][*k as usize % 8];
                format!("{}{v}", if *negative { "-" } else { "" })
            }
            Coord::Bits(b) => format!("{}", f32::from_bits(*b)),
        }
    }
}

const UNITS: [&str; 8] = ["millimeter", "micron", "centimeter", "inch", "foot", "meter", "parsec", ""];
const NAMESPACES: [&str; 4] = [
    "http://schemas.microsoft.com/3dmanufacturing/core/2015/02",
    "http://schemas.microsoft.com/3dmanufacturing/2013/01",
    "http://example.com/not-3mf",
    "",
];
/// Prefixes a model may list as required, declared or not.
const EXTENSIONS: [(&str, Option<&str>); 5] = [
    ("p", Some("http://schemas.microsoft.com/3dmanufacturing/production/2015/06")),
    ("m", Some("http://schemas.microsoft.com/3dmanufacturing/material/2015/02")),
    ("v", Some("http://schemas.3mf.io/3dmanufacturing/volumetric/2022/01")),
    ("x", Some("http://example.com/unknown-extension")),
    ("q", None),
];

fn transform(t: &Option<[Coord; 12]>) -> String {
    match t {
        None => String::new(),
        Some(t) => format!(" transform=\"{}\"", t.iter().map(Coord::text).collect::<Vec<_>>().join(" ")),
    }
}

/// The model part's XML, with at most 40 objects of at most 64 vertices and triangles and
/// 6 components each, and 8 build items; references may point anywhere, itself included.
fn render(m: &Model) -> String {
    let objects = &m.objects[..m.objects.len().min(40)];
    let id = |r: &Ref| r.object as usize % (objects.len() + 2) + 1;
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model");
    let unit = UNITS[m.unit as usize % UNITS.len()];
    if !unit.is_empty() {
        x += &format!(" unit=\"{unit}\"");
    }
    let ns = NAMESPACES[m.namespace as usize % NAMESPACES.len()];
    if !ns.is_empty() {
        x += &format!(" xmlns=\"{ns}\"");
    }
    let required: Vec<(&str, Option<&str>)> =
        m.required.iter().take(3).map(|r| EXTENSIONS[*r as usize % EXTENSIONS.len()]).collect();
    for (prefix, uri) in &required {
        if let Some(uri) = uri {
            x += &format!(" xmlns:{prefix}=\"{uri}\"");
        }
    }
    if !required.is_empty() {
        x += &format!(" requiredextensions=\"{}\"", required.iter().map(|r| r.0).collect::<Vec<_>>().join(" "));
    }
    x += "><resources>";
    for (i, o) in objects.iter().enumerate() {
        let kind = ["model", "support", "solidsupport", "other", "surface"][o.kind as usize % 5];
        x += &format!("<object id=\"{}\" type=\"{kind}\">", i + 1);
        let vertices = &o.vertices[..o.vertices.len().min(64)];
        if !vertices.is_empty() || o.components.is_empty() {
            x += "<mesh><vertices>";
            for v in vertices {
                x += &format!("<vertex x=\"{}\" y=\"{}\" z=\"{}\"/>", v[0].text(), v[1].text(), v[2].text());
            }
            x += "</vertices><triangles>";
            for t in o.triangles.iter().take(64) {
                // Indices mostly in range, a few past it.
                let n = vertices.len() + 1;
                x += &format!(
                    "<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>",
                    t[0] as usize % n,
                    t[1] as usize % n,
                    t[2] as usize % n
                );
            }
            x += "</triangles></mesh>";
        }
        if !o.components.is_empty() {
            x += "<components>";
            for c in o.components.iter().take(6) {
                x += &format!("<component objectid=\"{}\"{}/>", id(c), transform(&c.transform));
            }
            x += "</components>";
        }
        x += "</object>";
    }
    x += "</resources><build>";
    for b in m.build.iter().take(8) {
        x += &format!("<item objectid=\"{}\"{}/>", id(b), transform(&b.transform));
    }
    x + "</build></model>\n"
}

const RELS: &[u8] = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#;

fuzz_target!(|m: Model| {
    let xml = render(&m);
    let mut package = Vec::new();
    let entries = [
        ("_rels/.rels".to_string(), RELS, RELS.len() as u64),
        ("3D/3dmodel.model".to_string(), xml.as_bytes(), xml.len() as u64),
    ];
    to3mf::write_zip(&mut package, entries).expect("a zip in memory");
    let layout = [to3mf::Layout::Arrange, to3mf::Layout::Keep, to3mf::Layout::Assembly][m.layout as usize % 3];
    let options = to3mf::Options { threads: 1, max_triangles: 1 << 16, layout, ..to3mf::Options::default() };
    let Ok(input) = to3mf::read_input("graph.3mf", &package[..], None, &options) else { return };
    let triangles: usize = input.meshes.iter().map(|m| m.triangles.len()).sum();
    assert!(triangles as u64 <= options.max_triangles, "{triangles} triangles read past the limit");
    for mesh in &input.meshes {
        assert!(mesh.vertices.iter().flatten().all(|c| c.abs() <= 1e9), "a vertex beyond ±1e9 mm was read");
    }
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let mut out = Vec::new();
    match to3mf::write_3mf(&mut out, &meshes, None, &options, &mut |_, _| {}) {
        Ok(_) => {
            // Every placed corner within range: the translations are the only thing added.
            for (mesh, t) in meshes.iter().zip(to3mf::layout::placements(&meshes, layout, options.spacing_mm).unwrap()) {
                let b = mesh.bounds().expect("a written mesh has vertices");
                for k in 0..3 {
                    assert!((b.min[k] + t[k]).abs() <= 1e9 && (b.max[k] + t[k]).abs() <= 1e9, "placed beyond ±1e9 mm");
                }
            }
        }
        Err(e) => assert_eq!(e.code(), "limit", "a read mesh is written, or refused by a limit: {e}"),
    }
});

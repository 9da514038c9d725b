//! Helpers shared by the integration tests: reading fixtures and reading our 3MF back
//! with independent code (the `zip` crate and quick-xml), never with the writer's own.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use quick_xml::events::Event;

mod shared;
#[allow(unused_imports)]
pub use shared::{corpus_dir, validator};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Reads a fixture twice, once with its size known and once as a pure stream, and checks
/// that both ways agree before returning the result.
pub fn read(name: &str, options: &to3mf::Options) -> to3mf::Result<to3mf::Input> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let sized = to3mf::read_input(name, &bytes[..], Some(bytes.len() as u64), options);
    let streamed = to3mf::read_input(name, OneByteAtATime(&bytes[..]), None, options);
    match (&sized, &streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.meshes, b.meshes, "{name}: sized and streamed reads differ");
            assert_eq!(a.report.objects, b.report.objects);
        }
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{name}: {a} / {b}"),
        (a, b) => panic!("{name}: sized read gave {:?}, streamed {:?}", a.as_ref().err(), b.as_ref().err()),
    }
    if to3mf::is_binary_stl(&bytes[..bytes.len().min(4096)]) {
        for piece in [7, 50, 4096 + 13, bytes.len().max(1)] {
            same_as_fed(name, &bytes, piece, &sized, options);
        }
    }
    sized
}

/// Checks that a binary STL fed to a `BinaryStlFeed` in pieces of `piece` bytes gives what
/// `read_input` gave for the whole file: the same meshes and report, or the same error.
pub fn same_as_fed(
    name: &str,
    bytes: &[u8],
    piece: usize,
    read: &to3mf::Result<to3mf::Input>,
    options: &to3mf::Options,
) {
    let mut feed = to3mf::BinaryStlFeed::new(name, Some(bytes.len() as u64), options, None);
    let fed = bytes.chunks(piece).try_for_each(|p| feed.push(p)).and_then(|()| feed.finish());
    match (read, &fed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.meshes, b.meshes, "{name}: fed in pieces of {piece}: other meshes");
            assert_eq!(a.report, b.report, "{name}: fed in pieces of {piece}: another report");
        }
        (Err(a), Err(b)) => assert_eq!(
            (a.code(), a.position(), a.to_string()),
            (b.code(), b.position(), b.to_string()),
            "{name}, pieces of {piece}"
        ),
        (a, b) => {
            panic!("{name}: read whole gave {:?}, fed in pieces of {piece} {:?}", a.as_ref().err(), b.as_ref().err())
        }
    }
}

/// A reader that hands out a few bytes per call, as slow streams do.
pub struct OneByteAtATime<'a>(pub &'a [u8]);

impl Read for OneByteAtATime<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.0.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

pub fn package(meshes: &[&to3mf::Mesh], options: &to3mf::Options) -> Vec<u8> {
    let mut out = Vec::new();
    to3mf::write_3mf(&mut out, meshes, None, options, &mut |_, _| {}).unwrap();
    out
}

#[derive(Debug, Default)]
pub struct Object {
    pub id: u32,
    pub name: String,
    pub vertices: Vec<[f32; 3]>,
    /// The text of each coordinate, as written.
    pub texts: Vec<String>,
    pub triangles: Vec<[u32; 3]>,
    pub components: Vec<u32>,
}

#[derive(Debug, Default)]
pub struct Model {
    pub parts: Vec<String>,
    pub content_types: String,
    pub rels: String,
    pub unit: String,
    pub metadata: BTreeMap<String, String>,
    pub objects: Vec<Object>,
    /// (objectid, transform attribute if any)
    pub items: Vec<(u32, Option<String>)>,
}

impl Model {
    /// Triangles of an object as corner coordinates.
    pub fn corners(&self, o: &Object) -> Vec<[[f32; 3]; 3]> {
        o.triangles
            .iter()
            .map(|t| [o.vertices[t[0] as usize], o.vertices[t[1] as usize], o.vertices[t[2] as usize]])
            .collect()
    }

    /// Every object with a mesh.
    pub fn meshes(&self) -> impl Iterator<Item = &Object> {
        self.objects.iter().filter(|o| o.components.is_empty())
    }
}

pub fn parse_3mf(bytes: &[u8]) -> Model {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip archive");
    let mut m = Model::default();
    for i in 0..zip.len() {
        m.parts.push(zip.by_index(i).unwrap().name().unwrap().to_string());
    }
    let mut text = |name: &str| {
        let mut s = String::new();
        zip.by_name(name).unwrap_or_else(|_| panic!("part {name}")).read_to_string(&mut s).unwrap();
        s
    };
    m.content_types = text("[Content_Types].xml");
    m.rels = text("_rels/.rels");
    let model = text("3D/3dmodel.model");
    let mut reader = quick_xml::Reader::from_str(&model);
    let mut current_meta: Option<String> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attrs: BTreeMap<String, String> = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), a.unescape_value().unwrap().into_owned())
                    })
                    .collect();
                match e.name().as_ref() {
                    b"model" => m.unit = attrs["unit"].clone(),
                    b"metadata" => current_meta = Some(attrs["name"].clone()),
                    b"object" => m.objects.push(Object {
                        id: attrs["id"].parse().unwrap(),
                        name: attrs.get("name").cloned().unwrap_or_default(),
                        ..Object::default()
                    }),
                    b"vertex" => {
                        let o = m.objects.last_mut().unwrap();
                        let mut v = [0f32; 3];
                        for (k, axis) in ["x", "y", "z"].iter().enumerate() {
                            v[k] = attrs[*axis].parse().unwrap();
                            o.texts.push(attrs[*axis].clone());
                        }
                        o.vertices.push(v);
                    }
                    b"triangle" => {
                        let t = ["v1", "v2", "v3"].map(|k| attrs[k].parse().unwrap());
                        m.objects.last_mut().unwrap().triangles.push(t);
                    }
                    b"component" => m.objects.last_mut().unwrap().components.push(attrs["objectid"].parse().unwrap()),
                    b"item" => m.items.push((attrs["objectid"].parse().unwrap(), attrs.get("transform").cloned())),
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let Some(name) = current_meta.take() {
                    m.metadata.insert(name, t.unescape().unwrap().into_owned());
                }
            }
            Event::End(_) => current_meta = None,
            _ => {}
        }
    }
    m
}

/// The translation part of a `transform` attribute.
pub fn translation(t: &Option<String>) -> [f64; 3] {
    match t {
        None => [0.0; 3],
        Some(s) => {
            let n: Vec<f64> = s.split(' ').map(|x| x.parse().unwrap()).collect();
            assert_eq!(&n[..9], &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], "only translations are written");
            [n[9], n[10], n[11]]
        }
    }
}

/// Runs the strict validator on many packages at once; returns its JSON line per file.
pub fn validate(files: &[PathBuf]) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for batch in files.chunks(200) {
        let out = std::process::Command::new(validator())
            .arg("--json")
            .args(batch)
            .output()
            .expect("run ../shared/tools/validate3mf");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<serde_json::Value> =
            stdout.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), batch.len(), "validator output: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        all.extend(lines);
    }
    all
}

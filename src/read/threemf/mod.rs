//! Reading a 3MF package as meshes, to re-encode it: each build item becomes one object, its
//! components (in the same model part or, with the production extension, in other parts)
//! flattened with their transforms into one mesh. Colours, materials and slicer settings are
//! not carried over: that is what re-encoding means.

use std::collections::HashMap;
use std::io::{BufReader, Read, Seek};

use quick_xml::events::{BytesStart, Event};

use super::reading::Reading;
use super::text::parse_f32;
use crate::error::{Error, ErrorKind, Position, Result};
use crate::mesh::{no_memory, try_push, MeshBuilder};
use crate::options::Unit;
use package::{model_part, open_package};
use xml::{attr, Xml};

pub(crate) mod metadata;
mod package;
mod spec;
pub(crate) mod xml;

/// A 3MF transform as its 12 numbers `m00 m01 m02 m10 m11 m12 m20 m21 m22 m30 m31 m32`
/// (row vectors: `p' = p · M`), in f64 so that chains of components lose nothing.
type Transform = [f64; 12];

const IDENTITY: Transform = [1., 0., 0., 0., 1., 0., 0., 0., 1., 0., 0., 0.];

/// Deepest chain of components followed (a cycle would never end).
const MAX_COMPONENT_DEPTH: usize = 32;

/// A reference to an object: a build item or a component.
struct Ref {
    object: u32,
    /// The model part holding the object (production extension), if not the current one.
    path: Option<String>,
    transform: Transform,
}

#[derive(Default)]
struct Object {
    name: Option<String>,
    kind: Option<String>,
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
    components: Vec<Ref>,
    /// What the object holds besides triangles and components (see [`spec`]).
    holds: spec::Holds,
}

#[derive(Default)]
struct Part {
    unit: Option<String>,
    objects: HashMap<u32, Object>,
    build: Vec<Ref>,
    /// Warnings about the part: rules it bends that do not stop it being read.
    warnings: Vec<String>,
}

/// Reads the 3MF package in `reader` into `reading`, one mesh per build item.
pub(crate) fn read<R: Read + Seek>(reader: R, reading: &mut Reading) -> Result<()> {
    let mut zip = open_package(reader)?;
    let (_, root) = model_part(&mut zip)?;
    let mut budget = Budget { triangles: 0, vertices: 0, max: reading.options.max_triangles };
    let mut parts: HashMap<String, Part> = HashMap::new();
    let mut queue = vec![root.clone()];
    // Every part a component names is read once, before anything is emitted.
    while let Some(path) = queue.pop() {
        if parts.contains_key(&path) {
            continue;
        }
        let entry = zip
            .by_name(&path)
            .map_err(|_| Error::unsupported(format!("the model part /{path} is missing from the package")))?;
        let part = read_part(BufReader::new(entry), &path, &mut budget)?;
        for r in part.objects.values().flat_map(|o| &o.components).chain(&part.build) {
            if let Some(p) = &r.path {
                queue.push(p.clone());
            }
        }
        parts.insert(path, part);
    }
    let mut paths: Vec<&String> = parts.keys().collect();
    paths.sort_by_key(|p| (**p != root, *p));
    for w in paths.into_iter().flat_map(|p| &parts[p].warnings) {
        reading.warn(w.clone());
    }
    // The package's own metadata (what precedes <resources> in the root part), read again from
    // the part's start: cheap, and it keeps read_part to the geometry.
    if let Ok(entry) = zip.by_name(&root) {
        let xml = &mut Xml::new(BufReader::new(entry), &root);
        reading.metadata = metadata::read_metadata_until(xml, b"resources", &mut |_, _| {}).unwrap_or_default();
    }
    let main = &parts[&root];
    if let Some(unit) = &main.unit {
        reading.scale = Unit::from_3mf(unit)
            .map(Unit::to_mm)
            .ok_or_else(|| Error::unsupported(format!("unknown 3MF unit '{unit}'")))?;
    }
    if main.build.is_empty() {
        return Err(Error::no_geometry("the 3MF package has no build items: nothing is on the plate"));
    }
    let mut left = spec::LeftOut::default();
    // What each printable item makes once flattened, counted before anything is made: a few
    // objects that each hold several copies of the one before make exponentially many.
    let mut flat = Flattening { parts: &parts, memo: HashMap::new() };
    let mut items = Vec::new();
    for (i, item) in main.build.iter().enumerate() {
        let part = item.path.as_deref().unwrap_or(&root);
        let object = find(&parts, part, item.object)?;
        if let Some(kind) = object.kind.as_deref().filter(|k| !matches!(*k, "model" | "solidsupport")) {
            reading
                .warn(format!("build item {} left out: its object is of type '{kind}', not a printable model", i + 1));
            left.add(spec::Kind::Type(kind.to_string()));
            continue;
        }
        if let Some(w) = spec::singular(&item.transform, &format!("build item {}", i + 1)) {
            reading.warn(w);
        }
        items.push((i, item, part, object, flat.triangles(part, item.object, 0)?));
    }
    let max = reading.options.max_triangles;
    let total = items.iter().fold(0u64, |n, &(.., triangles)| n.saturating_add(triangles));
    if total > max {
        let message = match items.iter().find(|&&(.., triangles)| triangles > max) {
            Some((i, item, .., triangles)) => format!(
                "build item {} (object {}) would make {} triangles once its components are flattened, more than the limit of {max}; raise the triangle limit to convert this file",
                i + 1,
                item.object,
                amount(*triangles)
            ),
            None => format!(
                "the {} build items would make {} triangles once their components are flattened, more than the limit of {max}; raise the triangle limit to convert this file",
                items.len(),
                amount(total)
            ),
        };
        return Err(Error::limit(Position::Whole, message));
    }
    for (i, item, part, object, triangles) in items {
        let name = object.name.clone().unwrap_or_else(|| format!("{}-{}", reading.stem, i + 1));
        let holds = holds(&parts, part, item.object);
        if let Some(kind) = spec::describe(i + 1, &name, triangles, &holds, reading) {
            left.add(kind);
        }
        let mut mesh = reading.builder(name, triangles.min(1 << 24) as usize);
        mesh.reserve(triangles)?;
        emit(&flat, part, item.object, &item.transform, 0, &mut mesh)?;
        reading.push(mesh)?;
    }
    match left.message() {
        Some(why) if reading.meshes.is_empty() && reading.report.objects.is_empty() => Err(Error::no_geometry(why)),
        _ => Ok(()),
    }
}

/// What object `id` of `part` and its components hold besides triangles: each object
/// counted once, however many times it is used, so that this takes no longer than the
/// objects are many.
fn holds(parts: &HashMap<String, Part>, part: &str, id: u32) -> spec::Holds {
    let mut seen = std::collections::HashSet::new();
    let mut todo = vec![(part, id)];
    let mut all = spec::Holds::default();
    while let Some((part, id)) = todo.pop() {
        let Some(o) = parts[part].objects.get(&id).filter(|_| seen.insert((part, id))) else { continue };
        all = all.with(o.holds);
        todo.extend(o.components.iter().map(|c| (c.path.as_deref().unwrap_or(part), c.object)));
    }
    all
}

/// A count that may have saturated, in words.
fn amount(n: u64) -> String {
    if n == u64::MAX {
        format!("{n} or more")
    } else {
        n.to_string()
    }
}

fn find<'a>(parts: &'a HashMap<String, Part>, part: &str, id: u32) -> Result<&'a Object> {
    parts[part].objects.get(&id).ok_or_else(|| {
        Error::syntax(
            Position::Whole,
            format!("/{part}: no object with id {id}, though a build item or component names it"),
        )
    })
}

/// What objects make once flattened, each counted once.
struct Flattening<'a> {
    parts: &'a HashMap<String, Part>,
    /// Each object counted so far: its triangles with all its components' (each as many
    /// times as it is placed), and how many levels of components lie below it.
    memo: HashMap<(&'a str, u32), (u64, usize)>,
}

impl<'a> Flattening<'a> {
    /// The triangles object `id` of `part` makes, its components flattened, when reached
    /// `depth` components deep; an error for a broken reference or components nested too deep.
    /// Each object is counted once, so this takes time in proportion to the objects and
    /// components listed, however many times they are placed.
    fn triangles(&mut self, part: &'a str, id: u32, depth: usize) -> Result<u64> {
        Ok(self.count(part, id, depth)?.0)
    }

    fn count(&mut self, part: &'a str, id: u32, depth: usize) -> Result<(u64, usize)> {
        if let Some(&(triangles, below)) = self.memo.get(&(part, id)) {
            if depth + below > MAX_COMPONENT_DEPTH {
                return Err(too_deep(part, id));
            }
            return Ok((triangles, below));
        }
        if depth > MAX_COMPONENT_DEPTH {
            return Err(too_deep(part, id));
        }
        let object = find(self.parts, part, id)?;
        let (mut triangles, mut below) = (object.triangles.len() as u64, 0);
        for c in &object.components {
            let (n, levels) = self.count(c.path.as_deref().unwrap_or(part), c.object, depth + 1)?;
            triangles = triangles.saturating_add(n);
            below = below.max(levels + 1);
        }
        self.memo.insert((part, id), (triangles, below));
        Ok((triangles, below))
    }
}

fn too_deep(part: &str, id: u32) -> Error {
    Error::limit(
        Position::Whole,
        format!("/{part}: components nested more than {MAX_COMPONENT_DEPTH} deep at object {id} (a cycle?)"),
    )
}

/// Adds the triangles of object `id` of `part`, and those of its components, moved by `t`
/// (all counted by `flat` first: components without a triangle are not followed).
fn emit(flat: &Flattening, part: &str, id: u32, t: &Transform, depth: usize, mesh: &mut MeshBuilder) -> Result<()> {
    if depth > MAX_COMPONENT_DEPTH {
        return Err(too_deep(part, id));
    }
    let object = find(flat.parts, part, id)?;
    let v = &object.vertices;
    // A mirroring transform turns every triangle's winding around: turned back, so the
    // faces still point outwards (slicers read the winding as which side is outside).
    let mirrored = spec::determinant(t) < 0.0;
    for (n, tri) in object.triangles.iter().enumerate() {
        let [a, b, c] = tri.map(|i| apply(t, v[i as usize]));
        let corners = if mirrored { [a, c, b] } else { [a, b, c] };
        mesh.add(corners, || Position::Triangle(n as u64 + 1))?;
    }
    for c in &object.components {
        let part = c.path.as_deref().unwrap_or(part);
        if flat.memo.get(&(part, c.object)).is_some_and(|&(triangles, _)| triangles > 0) {
            emit(flat, part, c.object, &compose(&c.transform, t), depth + 1, mesh)?;
        }
    }
    Ok(())
}

fn apply(t: &Transform, p: [f32; 3]) -> [f32; 3] {
    if *t == IDENTITY {
        return p;
    }
    let [x, y, z] = p.map(f64::from);
    [
        (x * t[0] + y * t[3] + z * t[6] + t[9]) as f32,
        (x * t[1] + y * t[4] + z * t[7] + t[10]) as f32,
        (x * t[2] + y * t[5] + z * t[8] + t[11]) as f32,
    ]
}

/// `inner` then `outer`, as one transform.
fn compose(inner: &Transform, outer: &Transform) -> Transform {
    let mut m = [0.0; 12];
    for r in 0..4 {
        for c in 0..3 {
            let mut s = if r == 3 { outer[9 + c] } else { 0.0 };
            for k in 0..3 {
                s += inner[r * 3 + k] * outer[k * 3 + c];
            }
            m[r * 3 + c] = s;
        }
    }
    m
}

/// Counts what all parts hold against the triangle limit (vertices too, since they are
/// held before welding).
struct Budget {
    triangles: u64,
    vertices: u64,
    max: u64,
}

fn read_part<R: std::io::BufRead>(mut input: R, path: &str, budget: &mut Budget) -> Result<Part> {
    spec::check_encoding(input.fill_buf()?, path)?;
    let mut xml = Xml::new(input, path);
    let mut buf = Vec::new();
    let mut part = Part::default();
    let mut current: Option<(u32, Object)> = None;
    let mut in_build = false;
    let mut root = false;
    loop {
        let event = xml.next(&mut buf).map_err(|e| if root { e } else { spec::not_xml(e, path) })?;
        if let Event::Start(e) | Event::Empty(e) = &event {
            if !std::mem::replace(&mut root, true) {
                spec::check_model(&xml, e, path, &mut part.warnings)?;
            }
        }
        let (e, empty) = match event {
            Event::Eof if !root => return Err(spec::no_model(path)),
            Event::Eof => break,
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    b"object" => {
                        if let Some((id, object)) = current.take() {
                            spec::check_object(&xml, id, &object.holds)?;
                            if part.objects.insert(id, object).is_some() {
                                return Err(xml.error(format!("two objects with id {id}")));
                            }
                        }
                    }
                    b"build" => in_build = false,
                    _ => {}
                }
                continue;
            }
            _ => continue,
        };
        match e.local_name().as_ref() {
            b"model" => part.unit = attr(&e, b"unit"),
            b"object" => {
                let id = id_attr(&xml, &e, b"id")?;
                let holds = spec::Holds::of_object(&e);
                let object = Object { name: attr(&e, b"name"), kind: attr(&e, b"type"), holds, ..Object::default() };
                if empty {
                    part.objects.insert(id, object);
                } else {
                    current = Some((id, object));
                }
            }
            b"vertex" => {
                let Some((_, o)) = current.as_mut() else { continue };
                budget.vertices += 1;
                if budget.vertices > budget.max {
                    return Err(Error::limit(
                        xml.position(),
                        format!("more than {} vertices; raise the limit to read this file", budget.max),
                    ));
                }
                let mut p = [0f32; 3];
                for (k, name) in ["x", "y", "z"].into_iter().enumerate() {
                    p[k] = number(&e, name.as_bytes()).ok_or_else(|| {
                        xml.error(format!("vertex {}: missing or malformed {name}", o.vertices.len() + 1))
                    })?;
                    if !p[k].is_finite() {
                        return Err(Error::new(ErrorKind::NonFinite { pos: xml.position() }));
                    }
                }
                try_push(&mut o.vertices, p)
                    .map_err(|_| no_memory(xml.position(), format!("the {} vertices read so far", budget.vertices)))?;
            }
            b"triangle" => {
                let Some((id, o)) = current.as_mut() else { continue };
                budget.triangles += 1;
                if budget.triangles > budget.max {
                    return Err(Error::limit(
                        xml.position(),
                        format!("more than {} triangles; raise the triangle limit to convert this file", budget.max),
                    ));
                }
                let mut t = [0u32; 3];
                for (k, name) in [&b"v1"[..], b"v2", b"v3"].iter().enumerate() {
                    t[k] = id_attr(&xml, &e, name)?;
                    if t[k] as usize >= o.vertices.len() {
                        return Err(xml.error(format!(
                            "object {id}, triangle {}: vertex index {} but the object has {} vertices",
                            o.triangles.len() + 1,
                            t[k],
                            o.vertices.len()
                        )));
                    }
                }
                try_push(&mut o.triangles, t).map_err(|_| {
                    no_memory(xml.position(), format!("the {} triangles read so far", budget.triangles))
                })?;
            }
            b"component" => {
                let Some((id, o)) = current.as_mut() else { continue };
                let c = reference(&xml, &e)?;
                if let Some(w) = spec::singular(&c.transform, &format!("/{path}: a component of object {id}")) {
                    part.warnings.push(w);
                }
                o.components.push(c);
            }
            name @ (b"mesh" | b"components" | b"beam" | b"levelset") => {
                if let Some((_, o)) = current.as_mut() {
                    o.holds.element(name);
                }
            }
            b"build" => in_build = !empty,
            b"item" if in_build => part.build.push(reference(&xml, &e)?),
            _ => {}
        }
    }
    Ok(part)
}

fn number(e: &BytesStart, name: &[u8]) -> Option<f32> {
    let a = e.attributes().flatten().find(|a| a.key.local_name().as_ref() == name)?;
    parse_f32(a.value.as_ref().trim_ascii())
}

fn id_attr<R: std::io::BufRead>(xml: &Xml<R>, e: &BytesStart, name: &[u8]) -> Result<u32> {
    attr(e, name).and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        xml.error(format!(
            "<{}>: missing or malformed {}",
            String::from_utf8_lossy(e.local_name().as_ref()),
            String::from_utf8_lossy(name)
        ))
    })
}

fn reference<R: std::io::BufRead>(xml: &Xml<R>, e: &BytesStart) -> Result<Ref> {
    let object = id_attr(xml, e, b"objectid")?;
    let path = attr(e, b"path").map(|p| p.trim_start_matches('/').to_string());
    let transform = match attr(e, b"transform") {
        None => IDENTITY,
        Some(s) => {
            let v: Vec<f64> = s.split_ascii_whitespace().filter_map(|n| n.parse().ok()).collect();
            match <Transform>::try_from(v) {
                Ok(t) if t.iter().all(|x| x.is_finite()) => t,
                _ => return Err(xml.error(format!("malformed transform '{s}' (12 numbers expected)"))),
            }
        }
    };
    Ok(Ref { object, path, transform })
}

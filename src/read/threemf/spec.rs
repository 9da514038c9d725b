//! The rules of the 3MF core specification (1.4) and its extensions that a consumer must
//! follow: the model part is UTF-8 XML whose root is a `<model>` in the core namespace; every
//! extension it lists as required must be one this reader understands; an object holds a
//! mesh or components, not both. What the spec only advises against (a singular transform)
//! is read with a warning. And when nothing can be converted, what the build holds instead.

use quick_xml::events::BytesStart;

use super::xml::{attr, Xml};
use crate::error::{Error, Position, Result};
use crate::read::reading::Reading;

/// The 3MF core namespace, and the one of the 2013 drafts (0.93) that lib3mf still reads.
const CORE: &str = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02";
const CORE_DRAFT: &str = "http://schemas.microsoft.com/3dmanufacturing/2013/01";

/// Extensions a model may require that this reader understands, and why each is safe:
/// production (it follows `p:path` into other model parts), materials (colours and
/// materials, which re-encoding leaves out and the shape does not depend on), triangle sets
/// (groups of triangles), slices (it reads the mesh, and says so when the mesh is only a
/// low-resolution stand-in for the slices), beam lattices (it reads the triangles and says
/// which beams are left out), secure content (an encrypted part cannot be read as XML, so
/// it is refused, never misread).
const UNDERSTOOD: [&str; 8] = [
    "http://schemas.microsoft.com/3dmanufacturing/production/2015/06",
    "http://schemas.microsoft.com/3dmanufacturing/material/2015/02",
    "http://schemas.microsoft.com/3dmanufacturing/trianglesets/2021/07",
    "http://schemas.microsoft.com/3dmanufacturing/slice/2015/07",
    "http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02",
    "http://schemas.microsoft.com/3dmanufacturing/beamlattice/balls/2020/07",
    "http://schemas.microsoft.com/3dmanufacturing/securecontent/2019/04",
    "http://schemas.microsoft.com/3dmanufacturing/securecontent/2019/07",
];

/// Refuses a model part that is empty or UTF-16 (`head` is its first bytes).
pub(super) fn check_encoding(head: &[u8], path: &str) -> Result<()> {
    if head.is_empty() {
        return Err(Error::syntax(
            Position::Whole,
            format!("the model part /{path} is empty: the package holds no model (it is damaged or was cut short)"),
        ));
    }
    let utf16 = head.starts_with(&[0xff, 0xfe])
        || head.starts_with(&[0xfe, 0xff])
        || (head.len() >= 2 && (head[0] == 0) != (head[1] == 0));
    if utf16 {
        return Err(Error::syntax(
            Position::Whole,
            format!(
                "the model part /{path} is UTF-16 text, but the 3MF specification requires UTF-8: \
                 export the model again, or save that part as UTF-8"
            ),
        ));
    }
    Ok(())
}

/// An XML error before the root element: the part is not XML at all.
pub(super) fn not_xml(e: Error, path: &str) -> Error {
    match e.kind() {
        crate::error::ErrorKind::Syntax { pos, message } => Error::syntax(
            pos.clone(),
            format!("the model part /{path} is not XML ({message}): the package is damaged or not a 3MF file"),
        ),
        _ => e,
    }
}

/// A part that ends before any element.
pub(super) fn no_model(path: &str) -> Error {
    Error::syntax(
        Position::Whole,
        format!(
            "the model part /{path} is not XML (no <model> element in it): the package is damaged or not a 3MF file"
        ),
    )
}

/// Checks the root element of a model part: a `<model>` in the core namespace, whose
/// required extensions are declared and understood.
pub(super) fn check_model<R: std::io::BufRead>(
    xml: &Xml<R>,
    e: &BytesStart,
    path: &str,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let name = e.name();
    let plausible = name.as_ref().first().is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && name.as_ref().iter().all(|c| c.is_ascii_alphanumeric() || b"_-.:".contains(c));
    if !plausible {
        // Bytes that only look like a tag: compressed, encrypted (secure content) or damaged.
        return Err(xml.error(format!(
            "the model part /{path} is not XML (it may be damaged, or encrypted): the package cannot be read"
        )));
    }
    let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    if local != "model" {
        return Err(xml
            .error(format!("the model part's first element is <{local}>, not <model>: this part is not a 3MF model")));
    }
    // The namespaces declared on <model>: the root, so no other declaration is in scope.
    let declared: Vec<(Option<String>, String)> = e
        .attributes()
        .flatten()
        .filter_map(|a| {
            let key = a.key.as_ref();
            let prefix = match key.strip_prefix(b"xmlns") {
                Some([]) => None,
                Some([b':', p @ ..]) => Some(String::from_utf8_lossy(p).into_owned()),
                _ => return None,
            };
            Some((prefix, a.unescape_value().ok()?.into_owned()))
        })
        .collect();
    let namespace = |prefix: Option<&str>| declared.iter().find(|(p, _)| p.as_deref() == prefix).map(|(_, n)| n);
    let own = e.name().prefix().map(|p| String::from_utf8_lossy(p.as_ref()).into_owned());
    match namespace(own.as_deref()) {
        Some(ns) if ns == CORE || ns == CORE_DRAFT => {}
        found => {
            if let Some((Some(p), _)) = declared.iter().find(|(_, n)| n == CORE) {
                // Some Cura versions write the core namespace under a prefix and their own as
                // the default one: the elements are plainly meant as 3MF core.
                warnings.push(format!(
                    "/{path}: the <model> element is not in the 3MF core namespace (it is declared, but \
                     for the prefix '{p}', which no element uses): read as a 3MF model all the same"
                ));
            } else {
                let what = match found {
                    Some(ns) => format!("is in the namespace '{ns}'"),
                    None => "has no namespace".to_string(),
                };
                return Err(xml.error(format!(
                    "the <model> element {what}, but the 3MF specification requires the core namespace \
                     {CORE}: this is not a 3MF model, or the program that wrote it made a mistake"
                )));
            }
        }
    }
    for prefix in attr(e, b"requiredextensions").unwrap_or_default().split_ascii_whitespace() {
        let Some(ns) = namespace(Some(prefix)) else {
            return Err(xml.error(format!(
                "<model> lists '{prefix}' as a required extension, but declares no namespace for that prefix, \
                 as the 3MF specification requires: the file is damaged or was written by a faulty program"
            )));
        };
        if ns == CORE || ns == CORE_DRAFT || UNDERSTOOD.contains(&ns.as_str()) {
            continue;
        }
        let what = if ns.contains("/volumetric/") || ns.contains("/implicit/") {
            "it describes shapes or their properties by functions over space (volumetric data, level sets), \
             which to3mf does not evaluate"
                .to_string()
        } else if ns.contains("/displacement/") {
            "its surfaces are moved by displacement maps, which to3mf does not apply".to_string()
        } else {
            "to3mf does not implement that extension".to_string()
        };
        return Err(Error::unsupported(format!(
            "/{path} requires the extension {ns} (prefix '{prefix}'): {what}. The 3MF specification forbids \
             converting a model without an extension it requires, since the shape could come out wrong"
        )));
    }
    Ok(())
}

/// What an object holds besides triangles and components: which of its elements were seen.
#[derive(Default, Clone, Copy)]
pub(super) struct Holds {
    mesh: bool,
    components: bool,
    /// Beams of a beam lattice (beam lattice extension): shape this reader leaves out.
    beams: u64,
    /// A level set (volumetric extension): a shape defined by a function.
    levelset: bool,
    /// A mesh marked as a low-resolution stand-in for the slices (slice extension).
    lowres: bool,
}

impl Holds {
    /// What the `<object>` tag itself says.
    pub(super) fn of_object(e: &BytesStart) -> Holds {
        Holds { lowres: attr(e, b"meshresolution").is_some_and(|r| r == "lowres"), ..Holds::default() }
    }

    /// Notes an element met inside the object.
    pub(super) fn element(&mut self, name: &[u8]) {
        match name {
            b"mesh" => self.mesh = true,
            b"components" => self.components = true,
            b"beam" => self.beams += 1,
            b"levelset" => self.levelset = true,
            _ => {}
        }
    }

    /// What an object and a component of it hold together.
    pub(super) fn with(self, other: Holds) -> Holds {
        Holds {
            mesh: self.mesh | other.mesh,
            components: self.components | other.components,
            beams: self.beams.saturating_add(other.beams),
            levelset: self.levelset | other.levelset,
            lowres: self.lowres | other.lowres,
        }
    }
}

/// Refuses an object with both a mesh and components (at its end tag).
pub(super) fn check_object<R: std::io::BufRead>(xml: &Xml<R>, id: u32, holds: &Holds) -> Result<()> {
    if holds.mesh && holds.components {
        return Err(xml.error(format!(
            "object {id} has both a mesh and components, but the 3MF specification allows an object \
             only one of the two: the file is damaged or was written by a faulty program"
        )));
    }
    Ok(())
}

/// The determinant of a transform's linear part: negative for one that mirrors.
pub(super) fn determinant(t: &[f64; 12]) -> f64 {
    t[0] * (t[4] * t[8] - t[5] * t[7]) - t[1] * (t[3] * t[8] - t[5] * t[6]) + t[2] * (t[3] * t[7] - t[4] * t[6])
}

/// A warning when `t` (what `what` names) is singular: the spec advises against it, since it
/// flattens the object (into a sheet, a line or a point).
pub(super) fn singular(t: &[f64; 12], what: &str) -> Option<String> {
    let det = determinant(t);
    let norms: f64 = (0..3).map(|r| (t[r * 3].powi(2) + t[r * 3 + 1].powi(2) + t[r * 3 + 2].powi(2)).sqrt()).product();
    (det.abs() <= f64::EPSILON * norms).then(|| {
        format!(
            "{what} has a singular transform (determinant 0), which the 3MF specification advises against: \
             it flattens the object into a sheet, a line or a point"
        )
    })
}

/// Why a build item gives no triangles (or fewer than its shape has), as a warning; and
/// what it is when it gives none.
pub(super) fn describe(item: usize, name: &str, triangles: u64, holds: &Holds, reading: &mut Reading) -> Option<Kind> {
    if triangles > 0 {
        if holds.beams > 0 {
            reading.warn(format!(
                "build item {item} ('{name}'): its {} beams (beam lattice extension) are left out, \
                 only its triangles are converted",
                holds.beams
            ));
        }
        if holds.lowres {
            reading.warn(format!(
                "build item {item} ('{name}'): its mesh is marked as a low-resolution stand-in for its slices \
                 (slice extension), which are the real shape and are not converted"
            ));
        }
        return None;
    }
    Some(if holds.levelset {
        reading.warn(format!(
            "build item {item} ('{name}') left out: it is a volumetric (level-set) object, which has no triangles"
        ));
        Kind::LevelSet
    } else if holds.beams > 0 {
        reading.warn(format!(
            "build item {item} ('{name}') left out: it is a beam lattice ({} beams), which to3mf cannot turn into \
             triangles",
            holds.beams
        ));
        Kind::Lattice
    } else {
        Kind::Empty
    })
}

/// What a build item without triangles is.
#[derive(PartialEq)]
pub(super) enum Kind {
    /// An object of a type that is not printed.
    Type(String),
    LevelSet,
    Lattice,
    Empty,
}

/// The build items that gave no triangles, by kind.
#[derive(Default)]
pub(super) struct LeftOut(Vec<(Kind, usize)>);

impl LeftOut {
    pub(super) fn add(&mut self, kind: Kind) {
        match self.0.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.0.push((kind, 1)),
        }
    }

    /// What the build holds instead of triangles, if any item was left out.
    pub(super) fn message(&self) -> Option<String> {
        let phrases: Vec<String> = self
            .0
            .iter()
            .map(|(kind, n)| {
                let (a, s) = if *n == 1 { ("a".to_string(), "") } else { (n.to_string(), "s") };
                match kind {
                    Kind::Type(t) if *n == 1 => format!("an object of type '{t}', which is not a printable model"),
                    Kind::Type(t) => format!("{n} objects of type '{t}', which are not printable models"),
                    Kind::LevelSet => format!(
                        "{a} volumetric (level-set) object{s}, which {} no triangles to convert",
                        if *n == 1 { "has" } else { "have" }
                    ),
                    Kind::Lattice => format!(
                        "{a} beam lattice{}, which to3mf cannot turn into triangles",
                        if *n == 1 { "" } else { "s" }
                    ),
                    Kind::Empty if *n == 1 => "an object with no triangles".to_string(),
                    Kind::Empty => format!("{n} objects with no triangles"),
                }
            })
            .collect();
        (!phrases.is_empty()).then(|| format!("nothing to convert: the build holds {}", phrases.join(", and ")))
    }
}

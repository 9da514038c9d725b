//! Grouping what the user dropped into roots: each archive is a root, each dropped folder
//! another, and the files dropped alone share one. The CLI and the page describe their inputs
//! as [`Dropped`] and read the files back through each root's [`RootSource`].

use std::collections::HashMap;

use super::plan::{Root, SourceFile};
use crate::error::Error;

/// What a dropped file is to the grouping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DroppedKind {
    /// A zip or 7z archive, listed as a root of its own.
    Archive,
    /// A RAR archive, which is not read.
    Rar,
    /// Any other file.
    File,
}

impl DroppedKind {
    /// The kind of the file `name`: by its first bytes when they are known (a zip not named
    /// `.3mf`, a 7z, a RAR), otherwise by its name (`.zip`, `.7z`, `.rar`).
    pub fn of(name: &str, head: Option<&[u8]>) -> DroppedKind {
        let lower = name.to_ascii_lowercase();
        let archive = match head {
            Some(h) => {
                (h.starts_with(b"PK\x03\x04") && !lower.ends_with(".3mf")) || h.starts_with(b"7z\xbc\xaf\x27\x1c")
            }
            None => lower.ends_with(".zip") || lower.ends_with(".7z"),
        };
        let rar = match head {
            Some(h) => h.starts_with(b"Rar!"),
            None => lower.ends_with(".rar"),
        };
        if archive {
            DroppedKind::Archive
        } else if rar {
            DroppedKind::Rar
        } else {
            DroppedKind::File
        }
    }
}

/// A dropped folder: the files with the same `id` make one root, named `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// Tells folders apart (two dropped folders may share a name).
    pub id: usize,
    /// The folder's name, which the root takes.
    pub name: String,
}

/// One input as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// The folder it was dropped in, if any.
    pub folder: Option<Folder>,
    /// Its path in its root: inside its folder, or as given for a file dropped alone.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// What it is.
    pub kind: DroppedKind,
}

/// Where a root's files are read from.
#[derive(Debug)]
pub enum RootSource<A> {
    /// Dropped files: each file's index among the inputs, by its path in the root.
    Inputs(HashMap<String, usize>),
    /// The entries of one archive.
    Archive(A),
}

impl<A> RootSource<A> {
    /// The index among the inputs of the dropped file at `path` of this root.
    pub fn input(&self, path: &str) -> Option<usize> {
        match self {
            RootSource::Inputs(files) => files.get(path).copied(),
            RootSource::Archive(_) => None,
        }
    }
}

/// Dropped inputs as roots, with where each root's files are and what could not be read.
#[derive(Debug)]
pub struct Roots<A> {
    /// The roots, in the order their first input came; the loose files last.
    pub roots: Vec<Root>,
    /// Where the files of each root are (one per root).
    pub sources: Vec<RootSource<A>>,
    /// One message per input left out (RAR archives, archives that could not be listed).
    pub errors: Vec<String>,
}

/// Groups `inputs` into roots; `open(i, input)` lists the archive that input `i` is.
pub fn group<A>(
    inputs: impl IntoIterator<Item = Dropped>,
    mut open: impl FnMut(usize, &Dropped) -> crate::error::Result<(Root, A)>,
) -> Roots<A> {
    let mut out = Roots { roots: Vec::new(), sources: Vec::new(), errors: Vec::new() };
    let mut loose = (Root { name: String::new(), files: Vec::new(), loose: true }, HashMap::new());
    // The root of each folder id.
    let mut folders: HashMap<usize, usize> = HashMap::new();
    for (i, input) in inputs.into_iter().enumerate() {
        match input.kind {
            DroppedKind::Rar => {
                out.errors.push(format!("{}: this is a RAR archive: extract it first", input.path));
                continue;
            }
            DroppedKind::Archive => {
                match open(i, &input) {
                    Ok((root, archive)) => {
                        out.roots.push(root);
                        out.sources.push(RootSource::Archive(archive));
                    }
                    Err(e) => out.errors.push(named(&input.path, &e)),
                }
                continue;
            }
            DroppedKind::File => {}
        }
        let file = SourceFile { path: input.path.clone(), size: input.size };
        let Some(folder) = input.folder else {
            loose.0.files.push(file);
            loose.1.insert(input.path, i);
            continue;
        };
        let at = *folders.entry(folder.id).or_insert_with(|| {
            out.roots.push(Root { name: folder.name, files: Vec::new(), loose: false });
            out.sources.push(RootSource::Inputs(HashMap::new()));
            out.roots.len() - 1
        });
        out.roots[at].files.push(file);
        if let RootSource::Inputs(files) = &mut out.sources[at] {
            files.insert(input.path, i);
        }
    }
    if !loose.0.files.is_empty() {
        out.roots.push(loose.0);
        out.sources.push(RootSource::Inputs(loose.1));
    }
    out
}

/// The message of an archive that could not be listed, naming it once (by the name it
/// was listed under, or by its path).
fn named(path: &str, e: &Error) -> String {
    let message = e.to_string();
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    if message.starts_with(path) || message.starts_with(&format!("{base}: ")) {
        message
    } else {
        format!("{path}: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dropped(folder: Option<(usize, &str)>, path: &str, kind: DroppedKind) -> Dropped {
        let folder = folder.map(|(id, name)| Folder { id, name: name.to_string() });
        Dropped { folder, path: path.to_string(), size: 1, kind }
    }

    #[test]
    fn folders_archives_and_loose_files_become_roots_in_order() {
        let inputs = vec![
            dropped(None, "a.stl", DroppedKind::File),
            dropped(Some((0, "Boat")), "hull.stl", DroppedKind::File),
            dropped(None, "kit.zip", DroppedKind::Archive),
            dropped(None, "old.rar", DroppedKind::Rar),
            dropped(Some((0, "Boat")), "mast.stl", DroppedKind::File),
            dropped(Some((1, "Boat")), "hull.stl", DroppedKind::File),
            dropped(None, "broken.zip", DroppedKind::Archive),
            dropped(None, "b.stl", DroppedKind::File),
        ];
        let roots = group(inputs, |i, d| {
            if d.path == "broken.zip" {
                return Err(Error::unsupported("not a readable zip archive"));
            }
            Ok((
                Root { name: d.path.clone(), files: vec![SourceFile { path: "x.stl".into(), size: 1 }], loose: false },
                i,
            ))
        });
        let names: Vec<(&str, bool)> = roots.roots.iter().map(|r| (r.name.as_str(), r.loose)).collect();
        // Two folders of one name stay two roots, each file read from its own folder.
        assert_eq!(names, [("Boat", false), ("kit.zip", false), ("Boat", false), ("", true)]);
        assert_eq!(roots.roots[0].files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(), ["hull.stl", "mast.stl"]);
        assert_eq!(roots.sources[0].input("mast.stl"), Some(4));
        assert_eq!(roots.sources[0].input("hull.stl"), Some(1));
        assert_eq!(roots.sources[2].input("hull.stl"), Some(5));
        assert!(matches!(roots.sources[1], RootSource::Archive(2)));
        assert_eq!(roots.sources[3].input("b.stl"), Some(7));
        assert_eq!(
            roots.errors,
            ["old.rar: this is a RAR archive: extract it first", "broken.zip: not a readable zip archive"]
        );
    }

    #[test]
    fn kinds_by_content_when_known_else_by_name() {
        assert_eq!(DroppedKind::of("x.zip", None), DroppedKind::Archive);
        assert_eq!(DroppedKind::of("x.7Z", None), DroppedKind::Archive);
        assert_eq!(DroppedKind::of("x.rar", None), DroppedKind::Rar);
        assert_eq!(DroppedKind::of("x.3mf", None), DroppedKind::File);
        assert_eq!(DroppedKind::of("download", Some(b"PK\x03\x04rest")), DroppedKind::Archive);
        assert_eq!(DroppedKind::of("part.3mf", Some(b"PK\x03\x04rest")), DroppedKind::File);
        assert_eq!(DroppedKind::of("x.zip", Some(b"solid x")), DroppedKind::File);
        assert_eq!(DroppedKind::of("x", Some(b"Rar!\x1a\x07")), DroppedKind::Rar);
    }
}

//! From a pile of downloaded files to models, as Manyfold sees them: which files belong to
//! which model, and what each model is called. Only paths are looked at here; reading and
//! writing happen in [`folder`](super::folder).

use serde::{Deserialize, Serialize};

use crate::read::Format;

/// What a file is to the processor, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// An STL or OBJ: converted into the model's 3MF.
    Mesh,
    /// A 3MF: kept byte for byte (re-encoding a slicer project loses its settings).
    ThreeMf,
    /// A picture (JPEG, PNG, WebP, GIF).
    Picture,
    /// An existing `datapackage.json`: merged into the new one.
    DataPackage,
    /// Anything else a release carries (PDF, README, licence, slicer files): copied.
    Other,
}

impl FileKind {
    /// The kind of the file at `path`.
    pub fn of(path: &str) -> FileKind {
        let name = base(path).to_ascii_lowercase();
        if name == "datapackage.json" {
            return FileKind::DataPackage;
        }
        if let Some(ext) = Format::mesh_extension(&name) {
            return if ext == Format::ThreeMf.extension() { FileKind::ThreeMf } else { FileKind::Mesh };
        }
        match name.rsplit_once('.').map(|(_, e)| e) {
            Some("jpg" | "jpeg" | "png" | "webp" | "gif") => FileKind::Picture,
            _ => FileKind::Other,
        }
    }
}

/// Sub-folders Manyfold folds into their parent model (its `file_matcher.rb`).
pub(super) const FOLD_IN: &[&str] = &[
    "3mf",
    "fdm",
    "files",
    "images",
    "lychee",
    "lys",
    "model",
    "obj",
    "parts",
    "presupported",
    "resin",
    "stl",
    "sup",
    "supported",
    "unsupported",
];

/// One file of a root, by its path inside it (`/`-separated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Path inside the root.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// Something the user gave: a folder, an archive (already listed), or loose files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Root {
    /// The folder's or archive's name (for loose files, anything).
    pub name: String,
    /// Its files.
    pub files: Vec<SourceFile>,
    /// Loose files given one by one, grouped by name rather than by folder.
    pub loose: bool,
}

/// A file of a model: where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Index of its root.
    pub root: usize,
    /// Its path in that root.
    pub path: String,
    /// Its path inside the model folder (for copied files).
    pub target: String,
    /// What it is.
    pub kind: FileKind,
    /// It is a presupported variant (known from a folder or file name).
    pub presupported: bool,
}

/// A proposed model: shown to the user, editable, then written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPlan {
    /// Title, from the folder, archive or file name (`+` and `_` become spaces).
    pub title: String,
    /// The title was typed by the user (review step, flags): nothing in the files replaces it.
    #[serde(default)]
    pub edited: bool,
    /// Its files.
    pub files: Vec<ModelFile>,
    /// The metadata to write, each field with its source (filled by [`super::gather::gather`]).
    #[serde(default)]
    pub meta: super::meta::ModelMeta,
}

/// Files nobody wants in a model: macOS resource forks, Finder and Explorer litter, hidden
/// files.
pub fn ignored(path: &str) -> bool {
    // `.` and `..` are not hidden names: such a path is made safe when written, not dropped.
    let hidden = |c: &str| c.starts_with('.') && c != "." && c != "..";
    path.split('/').any(|c| {
        hidden(c) || c == "__MACOSX" || c.eq_ignore_ascii_case("Thumbs.db") || c.eq_ignore_ascii_case("desktop.ini")
    })
}

fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a path component is a real file or folder name, not one of the parts a hostile
/// archive puts in its paths: empty (a root or `//`), `.`, `..`, a drive letter (`C:`).
fn real_name(c: &str) -> bool {
    let drive = c.len() == 2 && c.ends_with(':') && c.as_bytes()[0].is_ascii_alphabetic();
    !(c.is_empty() || c == "." || c == ".." || drive)
}

/// `path` with only its real names (see [`real_name`]): `../../x/a.stl` → `x/a.stl`,
/// `C:/evil/a.stl` → `evil/a.stl`, `/abs/a.stl` → `abs/a.stl`.
fn real_path(path: &str) -> String {
    path.split('/').filter(|c| real_name(c)).collect::<Vec<_>>().join("/")
}

/// A title from a file or folder name (its last real name): extension stripped, `+` and `_`
/// as spaces.
pub fn title_from_name(name: &str) -> String {
    let base = name.rsplit('/').find(|c| real_name(c)).unwrap_or("");
    let stem = match base.rfind('.') {
        Some(i) if i > 0 && base.len() - i <= 5 => &base[..i],
        _ => base,
    };
    let spaced: String = stem.chars().map(|c| if c == '+' || c == '_' { ' ' } else { c }).collect();
    let title = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        "Untitled".to_string()
    } else {
        title
    }
}

/// Proposes models for `roots`. A folder or archive is one model, unless its top level holds
/// several model folders (each then a model, sharing the top level's other files). A single
/// top folder shared by every file is looked through, as Manyfold does. Loose files are
/// grouped by name: each mesh is a model with the pictures whose names share a word with it,
/// and meshes named alike with part suffixes (`gear_1`, `gear_2`, `box-a`) are one model.
pub fn plan(roots: &[Root]) -> Vec<ModelPlan> {
    let mut models = Vec::new();
    let mut loose: Vec<(usize, &SourceFile)> = Vec::new();
    for (r, root) in roots.iter().enumerate() {
        // Loose files are named by their own path, whose folders are the user's business.
        let files: Vec<&SourceFile> =
            root.files.iter().filter(|f| !ignored(if root.loose { base(&f.path) } else { &f.path })).collect();
        if root.loose {
            loose.extend(files.into_iter().map(|f| (r, f)));
        } else {
            models.extend(plan_folder(r, &root.name, &files));
        }
    }
    models.extend(plan_loose(&loose));
    models
}

/// A model's file. It is presupported when Manyfold would say so of its path inside the
/// model (the folders above are the model's own name, which never counts).
fn file(root: usize, path: &str, target: &str) -> ModelFile {
    ModelFile {
        root,
        path: path.to_string(),
        target: target.to_string(),
        kind: FileKind::of(path),
        presupported: super::names::has_support_word(target),
    }
}

fn plan_folder(r: usize, name: &str, files: &[&SourceFile]) -> Vec<ModelPlan> {
    // Nothing to make a model of: no folder holding only a datapackage.json.
    if files.is_empty() {
        return Vec::new();
    }
    // Look through a single top folder that holds everything. Folders and titles come from
    // real names only: a path made safe (`../../x/a.stl`, `C:\evil\a.stl`, `./a.stl`) is
    // placed and named as if those parts were not there.
    let mut title = title_from_name(name);
    let mut strip = 0;
    let real: Vec<String> = files.iter().map(|f| real_path(&f.path)).collect();
    if let Some(first) = real.first().and_then(|p| p.split_once('/')).map(|(top, _)| top) {
        if real.iter().all(|p| p.split_once('/').is_some_and(|(top, _)| top == first)) {
            title = title_from_name(first);
            strip = first.len() + 1;
        }
    }
    let rel = |f: &SourceFile| real_path(&f.path)[strip..].to_string();
    let has_model = |f: &&&SourceFile| matches!(FileKind::of(&f.path), FileKind::Mesh | FileKind::ThreeMf);
    // Top-level folders with meshes that Manyfold would not fold into the parent.
    let mut model_dirs: Vec<String> = Vec::new();
    for f in files.iter().filter(has_model) {
        if let Some((dir, _)) = rel(f).split_once('/') {
            if !FOLD_IN.contains(&dir.to_ascii_lowercase().as_str()) && !model_dirs.iter().any(|d| d == dir) {
                model_dirs.push(dir.to_string());
            }
        }
    }
    let loose_meshes = files.iter().filter(has_model).any(|f| {
        let p = rel(f);
        match p.split_once('/') {
            None => true,
            Some((dir, _)) => FOLD_IN.contains(&dir.to_ascii_lowercase().as_str()),
        }
    });
    if model_dirs.len() < 2 || loose_meshes {
        let files = files.iter().map(|f| file(r, &f.path, &rel(f))).collect();
        return vec![ModelPlan { title, edited: false, files, meta: Default::default() }];
    }
    // Several models: each folder's files, plus the shared files of the top level.
    let shared: Vec<&&SourceFile> =
        files.iter().filter(|f| !model_dirs.iter().any(|d| rel(f).starts_with(&format!("{d}/")))).collect();
    model_dirs
        .iter()
        .map(|d| {
            let prefix = format!("{d}/");
            let mut own: Vec<ModelFile> = files
                .iter()
                .filter(|f| rel(f).starts_with(&prefix))
                .map(|f| file(r, &f.path, &rel(f)[prefix.len()..]))
                .collect();
            own.extend(shared.iter().map(|f| file(r, &f.path, &rel(f))));
            ModelPlan { title: title_from_name(d), edited: false, files: own, meta: Default::default() }
        })
        .collect()
}

/// Words of a file name, lower case, without generic picture words and bare numbers.
fn words(path: &str) -> Vec<String> {
    const GENERIC: &[&str] = &[
        "preview",
        "image",
        "img",
        "photo",
        "pic",
        "picture",
        "render",
        "thumb",
        "thumbnail",
        "cover",
        "main",
        "print",
        "printed",
        "stl",
        "obj",
        "v",
    ];
    let b = base(path).to_ascii_lowercase();
    let stem = b.rsplit_once('.').map_or(b.as_str(), |(s, _)| s);
    stem.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()) && !GENERIC.contains(w))
        .map(str::to_string)
        .collect()
}

/// The name a mesh shares with the other parts of its model: the stem without a trailing
/// part number or letter (`gear_1` → `gear`, `box-part2` → `box`, `vase_b` → `vase`);
/// versions (`car_v2`) are kept apart.
fn part_key(path: &str) -> String {
    let b = base(path).to_ascii_lowercase();
    let stem = b.rsplit_once('.').map_or(b.as_str(), |(s, _)| s).to_string();
    let tokens: Vec<&str> = stem.split(['_', '-', ' ', '.', '+']).filter(|t| !t.is_empty()).collect();
    if tokens.len() < 2 {
        return stem;
    }
    let last = tokens[tokens.len() - 1];
    let is_version = last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit());
    let is_part = !is_version
        && (last.chars().all(|c| c.is_ascii_digit())
            || (last.len() == 1 && last.chars().all(|c| c.is_ascii_alphabetic()))
            || ["part", "pt", "p"]
                .iter()
                .any(|p| last.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))));
    if is_part {
        tokens[..tokens.len() - 1].join(" ")
    } else {
        tokens.join(" ")
    }
}

fn plan_loose(files: &[(usize, &SourceFile)]) -> Vec<ModelPlan> {
    let mut models: Vec<(String, ModelPlan)> = Vec::new();
    for (r, f) in files.iter().filter(|(_, f)| matches!(FileKind::of(&f.path), FileKind::Mesh | FileKind::ThreeMf)) {
        let key = part_key(&f.path);
        let target = base(&f.path).to_string();
        match models.iter_mut().find(|(k, _)| *k == key) {
            Some((_, m)) => m.files.push(file(*r, &f.path, &target)),
            None => {
                // Title-cased as Manyfold names an uploaded file's model.
                let title = super::names::careful_titleize(&if FileKind::of(&f.path) == FileKind::Mesh
                    && key != part_key_raw(&f.path)
                {
                    title_from_name(&key)
                } else {
                    title_from_name(&f.path)
                });
                models.push((
                    key,
                    ModelPlan {
                        title,
                        edited: false,
                        files: vec![file(*r, &f.path, &target)],
                        meta: Default::default(),
                    },
                ));
            }
        }
    }
    let extras: Vec<&(usize, &SourceFile)> =
        files.iter().filter(|(_, f)| !matches!(FileKind::of(&f.path), FileKind::Mesh | FileKind::ThreeMf)).collect();
    for (r, f) in extras {
        let w = words(&f.path);
        // The model whose meshes share the most words with this file's name.
        let best = models
            .iter()
            .enumerate()
            .map(|(i, (_, m))| {
                (
                    i,
                    m.files
                        .iter()
                        .filter(|mf| matches!(mf.kind, FileKind::Mesh | FileKind::ThreeMf))
                        .map(|mf| words(&mf.path).iter().filter(|x| w.contains(x)).count())
                        .max()
                        .unwrap_or(0),
                )
            })
            .filter(|&(_, score)| score > 0)
            .max_by_key(|&(i, score)| (score, std::cmp::Reverse(i)));
        let target = base(&f.path).to_string();
        match best {
            Some((i, _)) => models[i].1.files.push(file(*r, &f.path, &target)),
            // A file that matches no model is never dropped: it belongs to all of them.
            None => {
                for (_, m) in models.iter_mut() {
                    m.files.push(file(*r, &f.path, &target));
                }
            }
        }
    }
    models.into_iter().map(|(_, m)| m).collect()
}

/// The stem's words joined, without removing a part suffix.
fn part_key_raw(path: &str) -> String {
    let b = base(path).to_ascii_lowercase();
    let stem = b.rsplit_once('.').map_or(b.as_str(), |(s, _)| s).to_string();
    stem.split(['_', '-', ' ', '.', '+']).filter(|t| !t.is_empty()).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(name: &str, paths: &[&str], loose: bool) -> Root {
        Root {
            name: name.into(),
            files: paths.iter().map(|p| SourceFile { path: p.to_string(), size: 1 }).collect(),
            loose,
        }
    }

    fn summary(models: &[ModelPlan]) -> Vec<(String, Vec<String>)> {
        models.iter().map(|m| (m.title.clone(), m.files.iter().map(|f| f.target.clone()).collect())).collect()
    }

    #[test]
    fn a_printables_zip_is_one_model_with_its_sub_folders() {
        let r = root(
            "Fancy_Vase+v2.zip",
            &[
                "Fancy Vase/stl/vase.stl",
                "Fancy Vase/images/vase.jpg",
                "Fancy Vase/README.txt",
                "Fancy Vase/.DS_Store",
                "__MACOSX/Fancy Vase/._vase.stl",
            ],
            false,
        );
        let m = plan(&[r]);
        assert_eq!(
            summary(&m),
            [("Fancy Vase".to_string(), vec!["stl/vase.stl".into(), "images/vase.jpg".into(), "README.txt".into()])]
        );
    }

    #[test]
    fn a_zip_of_several_model_folders_is_several_models_sharing_the_top_level() {
        let r = root(
            "pack.zip",
            &[
                "Dragon/dragon.stl",
                "Dragon/dragon.png",
                "Castle/stl/castle.stl",
                "Castle/castle.jpg",
                "Knight/knight.obj",
                "LICENSE.txt",
            ],
            false,
        );
        let m = plan(&[r]);
        assert_eq!(
            summary(&m),
            [
                ("Dragon".to_string(), vec!["dragon.stl".into(), "dragon.png".into(), "LICENSE.txt".into()]),
                ("Castle".to_string(), vec!["stl/castle.stl".into(), "castle.jpg".into(), "LICENSE.txt".into()]),
                ("Knight".to_string(), vec!["knight.obj".into(), "LICENSE.txt".into()]),
            ]
        );
    }

    #[test]
    fn fold_in_folders_never_split_a_model() {
        let r = root("robot", &["stl/robot.stl", "presupported/robot_sup.stl", "images/a.jpg"], false);
        let m = plan(&[r]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].title, "robot");
        let sup: Vec<bool> = m[0].files.iter().map(|f| f.presupported).collect();
        assert_eq!(sup, [false, true, false]);
    }

    #[test]
    fn loose_files_group_by_name() {
        let r = root(
            "",
            &["car_v1.stl", "car_preview.jpg", "gear_1.stl", "gear_2.stl", "gear.png", "boat.3mf", "car_v2.stl"],
            true,
        );
        let m = plan(&[r]);
        assert_eq!(
            summary(&m),
            [
                ("Car V1".to_string(), vec!["car_v1.stl".into(), "car_preview.jpg".into()]),
                ("Gear".to_string(), vec!["gear_1.stl".into(), "gear_2.stl".into(), "gear.png".into()]),
                ("Boat".to_string(), vec!["boat.3mf".into()]),
                ("Car V2".to_string(), vec!["car_v2.stl".into()]),
            ]
        );
    }

    #[test]
    fn loose_files_in_hidden_folders_are_still_the_users_files() {
        let m = plan(&[root("", &["/home/u/.cache/dl/x.stl", "/home/u/.cache/dl/.DS_Store"], true)]);
        assert_eq!(summary(&m), [("X".to_string(), vec!["x.stl".into()])]);
    }

    #[test]
    fn one_unmatched_picture_belongs_to_every_loose_model() {
        let m = plan(&[root("", &["a.stl", "b.stl", "IMG_0001.jpg"], true)]);
        assert!(m.iter().all(|m| m.files.iter().any(|f| f.target == "IMG_0001.jpg")));
    }

    #[test]
    fn titles_and_presupported_names() {
        assert_eq!(title_from_name("My_Cool+Model.zip"), "My Cool Model");
        assert_eq!(title_from_name("folder/"), "folder");
        let sup = |p: &str| file(0, &format!("cable-sup-holder/{p}"), p).presupported;
        assert!(sup("x_presupported.stl") && sup("supported/x.stl") && sup("x (supported).stl") && sup("x_sup.stl"));
        assert!(!sup("unsupported/x.stl") && !sup("x.stl"), "the model's own folder name does not count");
        assert_eq!(FileKind::of("a/B.STL"), FileKind::Mesh);
        assert_eq!(FileKind::of("x/datapackage.json"), FileKind::DataPackage);
        assert!(ignored("__MACOSX/a") && ignored("a/.DS_Store") && ignored("Thumbs.db") && !ignored("a/b.stl"));
        assert!(!ignored("../../evil.txt") && !ignored("./a.stl"), "made safe when written, never dropped");
    }
}

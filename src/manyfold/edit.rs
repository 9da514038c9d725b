//! Edits to proposed models, as the page's review step makes them and the CLI takes them from
//! flags: rename a model, leave files out, move files to another (or a new) model, merge two
//! models, set a metadata field. Models are named by their title or their folder name (slug), in any case.

use super::datapackage::slug;
use super::meta::{Field, ModelMeta, Source};
use super::plan::ModelPlan;

/// One edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Give `model` the title `title` (it then wins over every title found in the files).
    Title {
        /// The model, by title or slug.
        model: String,
        /// Its new title.
        title: String,
    },
    /// Leave out every file whose path matches the glob `pattern` (`*`, `?`).
    Exclude(String),
    /// Move every file whose path matches `pattern` into `model`, made if no model has that name.
    Move {
        /// A glob on the files' paths.
        pattern: String,
        /// The model, by title or slug.
        model: String,
    },
    /// Move every file of `from` into `into`.
    Merge {
        /// The model emptied, by title or slug.
        from: String,
        /// The model that takes its files, by title or slug.
        into: String,
    },
    /// Set one metadata field of `model` (see [`set_field`]); `None` leaves the field out.
    Set {
        /// The model, by title or slug.
        model: String,
        /// The field's name, as in [`ModelMeta`]'s JSON.
        field: String,
        /// Its value (lists comma-separated, `sensitive` as true or false).
        value: Option<String>,
    },
}

/// The fields [`Edit::Set`] takes.
pub const FIELDS: &[&str] =
    &["title", "creator", "license", "description", "tags", "link", "collections", "sensitive", "preview"];

/// Sets `field` of `meta` to `value` from the user; `None` leaves the field out.
pub fn set_field(meta: &mut ModelMeta, field: &str, value: Option<&str>) -> Result<(), String> {
    fn user<T>(value: Option<T>) -> Option<Field<T>> {
        Some(Field { value, source: Source::User })
    }
    let text = || value.map(|v| v.trim().to_string());
    let list = || {
        value.map(|v: &str| {
            v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<String>>()
        })
    };
    match field {
        "title" => meta.title = user(text()),
        "creator" => meta.creator = user(text()),
        "license" => meta.license = user(text()),
        "description" => meta.description = user(text()),
        "link" => meta.link = user(text()),
        "preview" => meta.preview = user(text()),
        "tags" => meta.tags = user(list()),
        "collections" => meta.collections = user(list()),
        "sensitive" => {
            let v = match value.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
                None => None,
                Some("true" | "yes" | "1") => Some(true),
                Some("false" | "no" | "0") => Some(false),
                Some(other) => return Err(format!("sensitive must be true or false, not '{other}'")),
            };
            meta.sensitive = user(v);
        }
        _ => return Err(format!("'{field}' is not a metadata field; the fields are {}", FIELDS.join(", "))),
    }
    Ok(())
}

/// Applies `edits` in order. Models left without files are dropped. An edit that names no
/// model or matches no file is an error that says so (nothing is edited silently wrong).
pub fn apply(plans: &mut Vec<ModelPlan>, edits: &[Edit]) -> Result<(), String> {
    for edit in edits {
        match edit {
            Edit::Title { model, title } => {
                let m = find(plans, model)?;
                plans[m].title = title.clone();
                plans[m].edited = true;
                plans[m].meta.title = Some(Field::new(title.clone(), Source::User));
            }
            Edit::Set { model, field, value } => {
                let m = find(plans, model)?;
                set_field(&mut plans[m].meta, field, value.as_deref())?;
            }
            Edit::Exclude(pattern) => {
                take(plans, pattern)?;
            }
            Edit::Move { pattern, model } => {
                let files = take(plans, pattern)?;
                let m = find(plans, model).unwrap_or_else(|_| {
                    plans.push(ModelPlan {
                        title: model.clone(),
                        edited: true,
                        files: Vec::new(),
                        meta: ModelMeta::default(),
                    });
                    plans.len() - 1
                });
                plans[m].files.extend(files);
            }
            Edit::Merge { from, into } => {
                let (f, i) = (find(plans, from)?, find(plans, into)?);
                if f != i {
                    let files = std::mem::take(&mut plans[f].files);
                    plans[i].files.extend(files);
                }
            }
        }
        plans.retain(|p| !p.files.is_empty());
    }
    Ok(())
}

/// Whether a model titled `title` is the one `name` names: by its title or its slug, in any case.
pub fn names(name: &str, title: &str) -> bool {
    title.eq_ignore_ascii_case(name) || slug(title) == slug(name)
}

fn find(plans: &[ModelPlan], name: &str) -> Result<usize, String> {
    plans
        .iter()
        .position(|p| names(name, &p.title))
        .ok_or_else(|| format!("no proposed model is called '{name}' (see --dry-run for the models)"))
}

/// Removes and returns the files whose path matches `pattern`.
fn take(plans: &mut [ModelPlan], pattern: &str) -> Result<Vec<super::plan::ModelFile>, String> {
    let mut taken = Vec::new();
    for p in plans.iter_mut() {
        let (hit, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut p.files).into_iter().partition(|f| glob(pattern, &f.path));
        p.files = keep;
        taken.extend(hit);
    }
    if taken.is_empty() {
        return Err(format!("no file matches '{pattern}' (see --dry-run for the files)"));
    }
    Ok(taken)
}

/// `*` matches any run of characters (`/` included), `?` any one; case-insensitive. A pattern
/// without `/` may also match the file name alone.
pub fn glob(pattern: &str, path: &str) -> bool {
    fn at(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| at(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && at(rest, &s[1..]),
            Some((c, rest)) => s.first().is_some_and(|d| d.to_lowercase().eq(c.to_lowercase())) && at(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let full: Vec<char> = path.chars().collect();
    let name: Vec<char> = path.rsplit('/').next().unwrap_or(path).chars().collect();
    at(&p, &full) || (!pattern.contains('/') && at(&p, &name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manyfold::plan::{plan, Root, SourceFile};

    fn pile() -> Vec<ModelPlan> {
        let files = ["rook.stl", "rook_photo.jpg", "pawn.stl", "pawn_photo.jpg", "queen.obj"];
        let root = Root {
            name: String::new(),
            files: files.iter().map(|p| SourceFile { path: p.to_string(), size: 1 }).collect(),
            loose: true,
        };
        plan(&[root])
    }

    fn titles(plans: &[ModelPlan]) -> Vec<(&str, Vec<&str>)> {
        plans.iter().map(|p| (p.title.as_str(), p.files.iter().map(|f| f.path.as_str()).collect())).collect()
    }

    #[test]
    fn rename_exclude_move_and_merge() {
        let mut plans = pile();
        assert_eq!(plans.len(), 3);
        apply(
            &mut plans,
            &[
                Edit::Title { model: "ROOK".into(), title: "Castle".into() },
                Edit::Exclude("*photo.JPG".into()),
                Edit::Move { pattern: "queen.*".into(), model: "Royals".into() },
                Edit::Merge { from: "pawn".into(), into: "castle".into() },
            ],
        )
        .unwrap();
        assert_eq!(titles(&plans), [("Castle", vec!["rook.stl", "pawn.stl"]), ("Royals", vec!["queen.obj"])]);
        assert!(plans[0].edited && plans[1].edited);
    }

    #[test]
    fn an_edit_that_matches_nothing_is_an_error() {
        let mut plans = pile();
        assert!(apply(&mut plans, &[Edit::Exclude("*.pdf".into())]).unwrap_err().contains("no file matches '*.pdf'"));
        assert!(apply(&mut plans, &[Edit::Title { model: "king".into(), title: "K".into() }])
            .unwrap_err()
            .contains("'king'"));
    }

    #[test]
    fn globs() {
        assert!(glob("*.stl", "a/b/c.STL"));
        assert!(glob("a/*/c.stl", "a/b/c.stl"));
        assert!(!glob("a/?/c.stl", "a/bb/c.stl"));
        assert!(!glob("b/*.stl", "a/b/c.stl"));
    }
}

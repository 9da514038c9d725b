//! Where a kept file goes inside its model folder, so that Manyfold keeps it in that model:
//! Manyfold takes the files at a model's root and those directly inside its fold-in folders
//! (`stl/`, `presupported/`, ...; `images/` takes pictures only). A file anywhere else
//! (`docs/`, `images/renders/`) would become a model of its own, nested in this one, and a
//! preview pointing at it would not resolve.

use super::names::{has_support_word, manyfold_path};
use super::plan::FOLD_IN;

/// Extensions Manyfold counts as pictures (its `image` media types), the only files its
/// `images/` folder takes.
const PICTURES: &[&str] = &["png", "jpg", "jpeg", "jpe", "pjpeg", "gif", "bmp", "tif", "tiff", "svg", "webp"];

fn is_picture(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(_, e)| PICTURES.contains(&e.to_ascii_lowercase().as_str()))
}

/// The path inside the model for a file planned at `target`, under the name Manyfold will
/// give it: kept when it is at the root or directly in a fold-in folder whose rule it
/// matches, else moved to the root. A presupported 3D file whose path would not tell
/// Manyfold so goes into `presupported/`. Clashes are the caller's to resolve.
pub fn place(target: &str, presupported: bool) -> String {
    let path = manyfold_path(target);
    let (kept, name) = match path.rsplit_once('/') {
        None => (true, path.as_str()),
        Some((dir, name)) => (
            !dir.contains('/')
                && FOLD_IN.contains(&dir.to_ascii_lowercase().as_str())
                && (!dir.eq_ignore_ascii_case("images") || is_picture(name)),
            name,
        ),
    };
    let placed = if kept { path.as_str() } else { name };
    if presupported && !is_picture(name) && !has_support_word(placed) {
        format!("presupported/{name}")
    } else {
        placed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_files_go_where_manyfold_keeps_them() {
        let cases = [
            ("a.stl", false, "a.stl"),
            ("stl/a.stl", false, "stl/a.stl"),
            ("STL/a.stl", false, "STL/a.stl"),
            ("images/a.jpg", false, "images/a.jpg"),
            ("images/a.pdf", false, "a.pdf"),
            ("images/renders/a.png", false, "a.png"),
            ("docs/manual.pdf", false, "manual.pdf"),
            ("stl/presupported/a.stl", true, "presupported/a.stl"),
            ("Supported files/a.stl", true, "presupported/a.stl"),
            ("Supported files/a_sup.stl", true, "a_sup.stl"),
            ("photos/ b?.png", false, "b.png"),
            ("part.3mf", true, "presupported/part.3mf"),
            ("Supported files/a.jpg", true, "a.jpg"),
        ];
        for (target, sup, placed) in cases {
            assert_eq!(place(target, sup), placed, "{target}");
        }
    }
}

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
/// matches; otherwise moved to the root, or, for a presupported 3D file whose name alone
/// would not tell Manyfold so, into `presupported/`. Clashes are the caller's to resolve.
pub fn place(target: &str, presupported: bool) -> String {
    let path = manyfold_path(target);
    let (dir, name) = match path.rsplit_once('/') {
        None => return path,
        Some(split) => split,
    };
    let folded = !dir.contains('/')
        && FOLD_IN.contains(&dir.to_ascii_lowercase().as_str())
        && (!dir.eq_ignore_ascii_case("images") || is_picture(name));
    if folded {
        path
    } else if presupported && !is_picture(name) && !has_support_word(name) {
        format!("presupported/{name}")
    } else {
        name.to_string()
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
        ];
        for (target, sup, placed) in cases {
            assert_eq!(place(target, sup), placed, "{target}");
        }
    }
}

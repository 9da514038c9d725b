//! File names: their stems, and names made unique with `-2`, `-3`, ...

/// The file name without folders and without its last extension.
pub fn stem(name: &str) -> &str {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    }
}

/// `name` if `taken` says it is free, else the first free of `stem-2.ext`, `stem-3.ext`, ...
/// (the number goes before the last extension, if the last part of the path has one).
/// `taken` decides what counts as taken (exact or case-insensitive, in a set, on disk).
pub fn unique_name(name: &str, mut taken: impl FnMut(&str) -> bool) -> String {
    let base = name.rfind('/').map_or(0, |i| i + 1);
    let (stem, ext) = match name[base..].rfind('.') {
        // A leading dot (`.hidden`) starts a name, not an extension.
        Some(i) if i > 0 => name.split_at(base + i),
        _ => (name, ""),
    };
    let mut candidate = name.to_string();
    let mut n = 2;
    while taken(&candidate) {
        candidate = format!("{stem}-{n}{ext}");
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_number_before_the_extension() {
        let taken = ["part.stl", "part-2.stl", "dir.v2/readme", "model"];
        let free = |n: &str| !taken.contains(&n);
        assert_eq!(unique_name("other.stl", |n| !free(n)), "other.stl");
        assert_eq!(unique_name("part.stl", |n| !free(n)), "part-3.stl");
        assert_eq!(unique_name("dir.v2/readme", |n| !free(n)), "dir.v2/readme-2");
        assert_eq!(unique_name("model", |n| !free(n)), "model-2");
        assert_eq!(unique_name(".hidden", |n| n == ".hidden"), ".hidden-2");
        assert_eq!(unique_name("dir/.hidden", |n| n == "dir/.hidden"), "dir/.hidden-2");
        assert_eq!(stem("a/b/Part.v2.STL"), "Part.v2");
    }
}

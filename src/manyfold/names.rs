//! Manyfold's own rules for names, so that what we write is what it records: file names as
//! its `ModelFile` normalises them (Zaru), titles as it title-cases them, the length its
//! validations allow, and the path words that make it flag a file as presupported.

/// The longest model, creator or collection name Manyfold accepts (`SAFE_NAME_LENGTH`).
pub const MAX_NAME: usize = 225;

/// Path words that make Manyfold flag a 3D file as presupported (`ModelFile::SUPPORT_KEYWORDS`).
pub const SUPPORT_KEYWORDS: &[&str] = &["presupported", "presup", "supported", "sup", "wsupports", "withsupports"];

/// The words of a path as Manyfold splits it to look for support keywords: on punctuation
/// and spaces, lower case. (Anything neither a letter nor a digit splits here; Manyfold's
/// `[[:punct:]]` also spares a few symbols such as `©`, which never make a keyword.)
fn words(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// Whether Manyfold's presupported guess says yes for a file at `path` (inside its model).
pub fn has_support_word(path: &str) -> bool {
    words(path).any(|w| SUPPORT_KEYWORDS.contains(&w.as_str()))
}

/// `slug` (dashes and underscores only as separators) without its support keywords: a model
/// folder named `cable-sup-holder` would make Manyfold flag every file in it as presupported.
pub fn without_support_words(slug: &str) -> String {
    let keep = |w: &&str| !w.is_empty() && !SUPPORT_KEYWORDS.contains(&w.to_lowercase().as_str());
    slug.split('-')
        .map(|part| part.split('_').filter(keep).collect::<Vec<_>>().join("_"))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// `s` cut to `max` characters (never inside one), without trailing spaces, or `None` when it
/// already fits.
pub fn cap(s: &str, max: usize) -> Option<String> {
    let (end, _) = s.char_indices().nth(max)?;
    Some(s[..end].trim_end().to_string())
}

/// Manyfold's `careful_titleize` (its upload names and folder names): `_` and `-` become
/// spaces, and a word that starts with a letter or digit followed only by lower-case
/// letters, digits and punctuation gets a capital first letter. `idler riser` → `Idler
/// Riser`; `iPhone` and `NASA` stay.
pub fn careful_titleize(s: &str) -> String {
    let chars: Vec<char> = s.chars().map(|c| if c == '_' || c == '-' { ' ' } else { c }).collect();
    let word = |i: usize| chars.get(i).is_some_and(|c| c.is_alphanumeric() || *c == '_');
    let boundary = |i: usize| i > 0 && word(i - 1) != word(i) || i == 0 && word(0);
    let tail = |c: char| c.is_lowercase() || c.is_ascii_digit() || punctuation(c);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() && boundary(i) {
            // The regex is greedy with backtracking: the longest run of tail characters that
            // ends at a word boundary.
            let mut end = i + 1;
            while end < chars.len() && tail(chars[end]) {
                end += 1;
            }
            if let Some(end) = (i + 1..=end).rev().find(|&e| boundary(e)) {
                out.extend(chars[i].to_uppercase());
                out.extend(&chars[i + 1..end]);
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Ruby's `[[:punct:]]`: ASCII punctuation and the common Unicode punctuation (quotes,
/// dashes, ellipses, CJK brackets).
fn punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c, '¡' | '§' | '«' | '¶' | '·' | '»' | '¿' | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205e}'
            | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}')
}

/// Windows' reserved device names, as Zaru lists them.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM", "COM²",
    "COM³", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// One name as Zaru sanitises it under Manyfold's settings (which keep runs of inner spaces):
/// ends trimmed of ASCII spaces and NULs, every other space character one space, control
/// characters and `/\:*?"<>|` removed, a reserved device name (`con.txt`) or an empty or
/// dot-led name prefixed with `file`, at most 255 characters.
pub fn zaru(name: &str) -> String {
    let ascii_space = |c: char| c == '\0' || c.is_ascii_whitespace() || c == '\u{b}';
    let trimmed = name.trim_matches(ascii_space);
    let clean: String = trimmed
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|&c| !(c < ' ' || "/\\:*?\"<>|".contains(c)))
        .collect();
    let parts: Vec<&str> = clean.split('.').filter(|p| !p.is_empty()).collect();
    let mut name = match parts.first() {
        None => String::new(),
        Some(first) if RESERVED.contains(&first.to_uppercase().as_str()) => {
            std::iter::once("file").chain(parts[1..].iter().copied()).collect::<Vec<_>>().join(".")
        }
        Some(_) => clean,
    };
    if name.is_empty() {
        name = "file".into();
    }
    if name.starts_with('.') {
        name = format!("file{name}");
    }
    cap(&name, 255).map_or(name, |c| c)
}

/// A path inside a model as Manyfold's `ModelFile` records it: blank, `.` and `..` parts
/// dropped, each other part through [`zaru`].
pub fn manyfold_path(path: &str) -> String {
    let parts: Vec<String> =
        path.split('/').filter(|p| !p.trim().is_empty() && *p != "." && *p != "..").map(zaru).collect();
    if parts.is_empty() {
        "file".to_string()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_words_by_token() {
        for p in ["x_sup.stl", "x_presup.stl", "x (supported).stl", "x_wsupports.stl", "Supported/x.stl", "a.SUP.obj"] {
            assert!(has_support_word(p), "{p}");
        }
        for p in ["x.stl", "unsupported/x.stl", "supports/x.stl", "super.stl", "x_support.stl"] {
            assert!(!has_support_word(p), "{p}");
        }
        assert_eq!(without_support_words("cable-sup-holder"), "cable-holder");
        assert_eq!(without_support_words("robot_presup-v2"), "robot-v2");
        assert_eq!(without_support_words("sup"), "");
    }

    #[test]
    fn titles_like_careful_titleize() {
        // Each checked against Manyfold's careful_titleize under Ruby.
        let cases = [
            ("idler riser", "Idler Riser"),
            ("NASA_rover", "NASA Rover"),
            ("iPhone stand", "iPhone Stand"),
            ("élan vital", "Élan Vital"),
            ("don't stop", "Don't Stop"),
            ("x2y v2.1 part", "X2y V2.1 Part"),
            ("über-box", "Über Box"),
            ("a.b.c", "A.b.c"),
            ("日本 box", "日本 Box"),
            ("(test) thing", "(Test) Thing"),
            ("aÉb c", "aÉb C"),
            ("don’t stop", "Don’t Stop"),
            ("x²y", "x²y"),
        ];
        for (s, t) in cases {
            assert_eq!(careful_titleize(s), t, "{s}");
        }
    }

    #[test]
    fn file_names_like_zaru() {
        let cases = [
            (" lead.stl ", "lead.stl"),
            ("a  b.stl", "a  b.stl"),
            ("a\tb.stl", "a b.stl"),
            ("what?: \"x\" <y>|*.stl", "what x y.stl"),
            ("con.txt", "file.txt"),
            ("LPT1", "file"),
            ("con..txt", "file.txt"),
            ("console.txt", "console.txt"),
            ("bell\u{7}.png", "bell.png"),
            ("???", "file"),
            ("\u{a0}x.stl", " x.stl"),
            ("x\u{a0}", "x "),
            (".hidden", "file.hidden"),
        ];
        for (s, t) in cases {
            assert_eq!(zaru(s), t, "{s:?}");
        }
        assert_eq!(manyfold_path("images/ a?.png"), "images/a.png");
        assert_eq!(cap("ééé", 2).as_deref(), Some("éé"));
        assert_eq!(cap("ab", 2), None);
    }
}

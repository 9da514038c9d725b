//! The house rules the source tree keeps: no file of `src/` imports a module that imports
//! it back (directly or around a loop), `lib.rs` holds no function, and the page lists the
//! mesh extensions the core's `Format` knows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, by its module path (`["read", "stl"]`; `[]` for lib.rs).
fn modules() -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().with_extension("");
            let mut path: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
            if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
                path.pop();
            }
            (path, p)
        })
        .collect()
}

/// The source without comments, string literals and character literals.
fn code(text: &str) -> String {
    let (c, mut out, mut i) = (text.chars().collect::<Vec<char>>(), String::new(), 0);
    let at = |i: usize, s: &str| s.chars().enumerate().all(|(k, x)| c.get(i + k) == Some(&x));
    let word = |i: usize| i < c.len() && (c[i].is_alphanumeric() || c[i] == '_');
    while i < c.len() {
        if at(i, "//") {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            i += 2;
            while i < c.len() && !at(i, "*/") {
                i += 1;
            }
            i += 2;
        } else if c[i] == '"' || (c[i] == 'r' && !(i > 0 && word(i - 1)) && (at(i + 1, "\"") || at(i + 1, "#\""))) {
            // A plain or raw string (`r#type`, a raw name, is neither): skipped to its end.
            let raw = c[i] == 'r';
            let hashes = if raw { c[i + 1..].iter().take_while(|&&x| x == '#').count() } else { 0 };
            i += if raw { 2 + hashes } else { 1 };
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            while i < c.len() && !at(i, &close) {
                i += if !raw && c[i] == '\\' { 2 } else { 1 };
            }
            i += close.chars().count();
            out.push_str("\"\"");
        } else if c[i] == '\'' && (c.get(i + 2) == Some(&'\'') || c.get(i + 1) == Some(&'\\')) {
            // A character literal (a lifetime has no closing quote after one character).
            i += 1;
            while i < c.len() && c[i] != '\'' {
                i += if c[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("' '");
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

/// The paths a file's code names (`crate::read::Format`, `super::text::Lines`, `model::Model`
/// after `use`), with `use` groups expanded, each with how many inline modules it sits in.
fn paths(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut inline: Vec<usize> = Vec::new(); // brace depths at which inline modules opened
    let mut depth = 0;
    let chars: Vec<char> = code.chars().collect();
    let mut i = 0;
    let word_at = |i: usize| chars[i].is_alphanumeric() || chars[i] == '_';
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            if inline.last() == Some(&depth) {
                inline.pop();
            }
            depth -= 1;
        }
        if word_at(i) && (i == 0 || !word_at(i - 1)) {
            let start = i;
            while i < chars.len() && (word_at(i) || chars[i] == ':' && chars.get(i + 1) == Some(&':')) {
                i += if chars[i] == ':' { 2 } else { 1 };
            }
            let word: String = chars[start..i].iter().collect();
            if word == "mod" {
                // `mod name {`: an inline module, in which `super` is this file.
                let rest: String = chars[i..chars.len().min(i + 80)].iter().collect();
                let rest = rest.trim_start();
                let name_end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
                if rest[name_end..].trim_start().starts_with('{') {
                    inline.push(depth + 1);
                }
            } else if word == "use" {
                let end = i + chars[i..].iter().position(|&c| c == ';').unwrap();
                // ` as ` renames are marked before white space goes: `a::b as c` names `a::b`.
                let tree: String = chars[i..end].iter().collect::<String>().replace(" as ", "@");
                let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
                for p in expand(&tree) {
                    out.push((p, inline.len()));
                }
                i = end;
            } else if word.contains("::") {
                // `crate::…`, `super::…`, or a child module named bare (`stl::read_binary`);
                // `target` tells these from other crates' paths.
                out.push((word, inline.len()));
            }
            continue;
        }
        i += 1;
    }
    out
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` gives `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else { return vec![tree.split('@').next().unwrap().to_string()] };
    let (prefix, inner) = (&tree[..open], &tree[open + 1..tree.len() - 1]);
    let (mut parts, mut level, mut start) = (Vec::new(), 0, 0);
    for (k, c) in inner.char_indices() {
        match c {
            '{' => level += 1,
            '}' => level -= 1,
            ',' if level == 0 => {
                parts.push(&inner[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts.into_iter().filter(|p| !p.is_empty()).flat_map(expand).map(|p| format!("{prefix}{p}")).collect()
}

/// The file a path names from module `at` (the longest module prefix that is a file), if it
/// is one of this crate's.
fn target(path: &str, inline: usize, at: &[String], modules: &BTreeMap<Vec<String>, PathBuf>) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").collect();
    let mut abs: Vec<String> = match segs[0] {
        "crate" => Vec::new(),
        "self" => at.to_vec(),
        "super" => {
            let ups = segs.iter().take_while(|s| **s == "super").count().checked_sub(inline)?;
            at[..at.len().checked_sub(ups)?].to_vec()
        }
        // A child module named without `self::` (`use model::Model;` in write/mod.rs).
        first => {
            let mut child = at.to_vec();
            child.push(first.to_string());
            modules.contains_key(&child).then_some(at.to_vec())?
        }
    };
    let skip = match segs[0] {
        "super" => segs.iter().take_while(|s| **s == "super").count(),
        "crate" | "self" => 1,
        _ => 0,
    };
    let mut found = abs.clone();
    for s in &segs[skip..] {
        abs.push(s.to_string());
        if modules.contains_key(&abs) {
            found = abs.clone();
        } else {
            break;
        }
    }
    Some(found)
}

#[test]
fn no_file_of_src_imports_a_module_that_imports_it_back() {
    let modules = modules();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (at, file) in &modules {
        let code = code(&std::fs::read_to_string(file).unwrap());
        for (path, inline) in paths(&code) {
            if let Some(to) = target(&path, inline, at, &modules).filter(|to| to != at) {
                edges.entry(at.clone()).or_default().insert(to);
            }
        }
    }
    // Sanity: the checker sees the imports it must see.
    assert!(edges[&vec!["read".to_string(), "stl".to_string()]].contains(&vec!["mesh".to_string()]));
    assert!(edges[&Vec::<String>::new()].contains(&vec!["read".to_string()]));
    let name = |m: &Vec<String>| if m.is_empty() { "lib".to_string() } else { m.join("/") };
    let mut loops = Vec::new();
    for start in modules.keys() {
        // Depth-first search for a way back to `start`.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((m, trail)) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if next == start {
                    loops.push(trail.iter().chain([start]).map(name).collect::<Vec<_>>().join(" → "));
                } else if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn lib_rs_is_a_table_of_contents() {
    let lib = code(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap());
    for word in ["fn ", "struct ", "enum ", "impl ", "trait ", "type ", "const ", "static ", "macro_rules!"] {
        assert!(!lib.contains(word), "lib.rs holds `{word}`: it is a table of contents (docs, mod lines, re-exports)");
    }
}

#[test]
fn the_page_lists_the_mesh_extensions_of_the_core() {
    let js = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("www/formats.js")).unwrap();
    let line = js.lines().find(|l| l.starts_with("export const MESH_EXTENSIONS = [")).expect("MESH_EXTENSIONS");
    let list: Vec<&str> = line
        .trim_start_matches("export const MESH_EXTENSIONS = [")
        .trim_end_matches("];")
        .split(',')
        .map(|s| s.trim().trim_matches('\''))
        .collect();
    assert_eq!(list, to3mf::Format::EXTENSIONS);
}

//! The inputs whose packages the native and the wasm builds must write byte for byte alike,
//! and the checksums both are held to (`golden.txt`). Two inputs come from the shared
//! corpus, which lives beside the repository (`../shared/corpus`), not in it: natively they
//! are read at run time; the wasm tests, which cannot read files, have them embedded when
//! the build script found the corpus. When it is absent, the checks that need them are
//! skipped with a note.
#![allow(dead_code)]

pub const GOLDEN: &str = include_str!("../golden.txt");

/// Where the corpus is expected, as the notes name it.
pub const CORPUS: &str = "../shared/corpus";

/// Where an input's bytes are.
enum Source {
    /// In the repository.
    Fixture(&'static [u8]),
    /// In the corpus, at this path; with the bytes when they were embedded.
    Corpus(&'static str, Option<&'static [u8]>),
}

#[cfg(all(target_arch = "wasm32", corpus))]
macro_rules! embedded {
    ($file:literal) => {
        Some(include_bytes!(concat!(env!("TO3MF_CORPUS_DIR"), "/", $file)).as_slice())
    };
}

#[cfg(not(all(target_arch = "wasm32", corpus)))]
macro_rules! embedded {
    ($file:literal) => {
        None
    };
}

/// The golden inputs, in golden.txt's order.
const INPUTS: [(&str, Source); 4] = [
    ("ascii_multi_solid.stl", Source::Fixture(include_bytes!("../../../../tests/fixtures/ascii_multi_solid.stl"))),
    ("obj_groups.obj", Source::Fixture(include_bytes!("../../../../tests/fixtures/obj_groups.obj"))),
    ("unit_sphere.STL", Source::Corpus("trimesh/unit_sphere.STL", embedded!("trimesh/unit_sphere.STL"))),
    ("fandisk.obj", Source::Corpus("trimesh/fandisk.obj", embedded!("trimesh/fandisk.obj"))),
];

/// The golden inputs in golden.txt's order: each name, and its bytes unless it is from the
/// corpus and the corpus is absent (a note then says so).
pub fn inputs() -> Vec<(&'static str, Option<Vec<u8>>)> {
    INPUTS.iter().map(|(name, source)| (*name, bytes(name, source))).collect()
}

/// The golden input `name`'s bytes, or `None` (after a note) when it is from the absent corpus.
pub fn input(name: &str) -> Option<Vec<u8>> {
    let (name, source) = INPUTS.iter().find(|(n, _)| *n == name).expect("a golden input");
    bytes(name, source)
}

/// The golden.txt line of the input `name`.
pub fn golden(name: &str) -> &'static str {
    GOLDEN.lines().find(|l| l.split(' ').next() == Some(name)).expect("a golden line per input")
}

fn bytes(name: &str, source: &Source) -> Option<Vec<u8>> {
    let (path, embedded) = match source {
        Source::Fixture(bytes) => return Some(bytes.to_vec()),
        Source::Corpus(path, embedded) => (path, embedded),
    };
    let bytes = if cfg!(target_arch = "wasm32") { embedded.map(<[u8]>::to_vec) } else { read_corpus(path) };
    if bytes.is_none() {
        skipped(name);
    }
    bytes
}

/// A corpus file, read at run time, if the corpus is there (a corpus without it is a failure).
fn read_corpus(path: &str) -> Option<Vec<u8>> {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(CORPUS);
    corpus.is_dir().then(|| std::fs::read(corpus.join(path)).unwrap_or_else(|e| panic!("{CORPUS}/{path}: {e}")))
}

/// Says that what needs `what` is not checked, because the corpus is absent.
pub fn skipped(what: &str) {
    let note = format!("skipped: {CORPUS} is absent, so {what} is not checked");
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{note}");
    // Straight to stderr: the test harness hides `eprintln!` of tests that pass.
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{note}");
    }
}

/// `name length crc32` per line, as in golden.txt.
pub fn line(name: &str, package: &[u8]) -> String {
    format!("{name} {} {:08x}", package.len(), crc32(package))
}

/// Bitwise CRC-32 (IEEE), written out so the wasm test needs no extra crate.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

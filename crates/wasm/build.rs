//! Finds the shared corpus beside the repository (`../shared/corpus`), for the tests that
//! hold the wasm build to the golden checksums: two of their inputs come from it, and a
//! wasm test cannot read files, so they are embedded at build time (`cfg(corpus)`, the
//! folder in `TO3MF_CORPUS_DIR`). Without the corpus everything still builds, and those
//! tests say what they skipped.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(corpus)");
    println!("cargo::rerun-if-changed=build.rs");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let corpus = Path::new(&manifest).join("../../../shared/corpus");
    if let Ok(corpus) = corpus.canonicalize() {
        // Watched while it is there, so that once it is gone the tests skip instead of failing to build.
        println!("cargo::rerun-if-changed={}", corpus.display());
        println!("cargo::rustc-cfg=corpus");
        println!("cargo::rustc-env=TO3MF_CORPUS_DIR={}", corpus.display());
    }
}

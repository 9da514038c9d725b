//! WebAssembly bindings of the to3mf core, for the browser app's worker: files in, one 3MF
//! package and the same report as the CLI's `--json` out. Thin on purpose: every decision
//! is the core's.
//!
//! The JS-facing functions only exist on wasm32; the crate builds natively too (with just
//! `warm`) so the workspace stays one `cargo test`.

#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod io;
#[cfg(all(target_arch = "wasm32", feature = "full"))]
mod manyfold;
#[cfg(target_arch = "wasm32")]
mod split;
pub mod warm;

#[cfg(target_arch = "wasm32")]
pub use convert::{convert_files_streaming, warm_up, zip_blobs};
#[cfg(target_arch = "wasm32")]
pub use io::set_buffers;
#[cfg(all(target_arch = "wasm32", feature = "full"))]
pub use manyfold::{export_model_files, export_models, extract_file, plan_models, preview_model};
#[cfg(target_arch = "wasm32")]
pub use split::{compress_elements, convert_files_split, is_binary_stl, SplitConversion, StlFeed};

/// The version of to3mf and where its source is (Cargo.toml's `repository`; empty if unset),
/// for the page's "About".
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn about() -> js_sys::Array {
    js_sys::Array::of2(&env!("CARGO_PKG_VERSION").into(), &env!("CARGO_PKG_REPOSITORY").into())
}

/// Runs once when the module is instantiated.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
}

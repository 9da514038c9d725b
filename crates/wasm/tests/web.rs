//! The wasm build in a dedicated worker of headless Chromium: `File`s in, the same package
//! bytes as the native build out (golden.txt), errors in the report.
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn file(name: &str, bytes: &[u8]) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    web_sys::File::new_with_u8_array_sequence(&parts, name).unwrap()
}

fn get(v: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(v.clone(), |v, k| {
        if let Ok(i) = k.parse::<u32>() {
            js_sys::Reflect::get_u32(&v, i).unwrap()
        } else {
            js_sys::Reflect::get(&v, &JsValue::from_str(k)).unwrap()
        }
    })
}

/// Collects what a JS callback of one argument is given.
fn collect(array: &js_sys::Array) -> Closure<dyn Fn(JsValue)> {
    let array = array.clone();
    Closure::<dyn Fn(JsValue)>::new(move |c: JsValue| {
        array.push(&c);
    })
}

/// Collects what a JS callback of three arguments is given, as `[a, b, c]` arrays (the
/// sealed runs: id, triangles, data).
fn collect3(array: &js_sys::Array) -> Closure<dyn Fn(JsValue, JsValue, JsValue)> {
    let array = array.clone();
    Closure::<dyn Fn(JsValue, JsValue, JsValue)>::new(move |a: JsValue, b: JsValue, c: JsValue| {
        array.push(&js_sys::Array::of3(&a, &b, &c));
    })
}

fn function<T: ?Sized>(closure: &Closure<T>) -> js_sys::Function {
    closure.as_ref().unchecked_ref::<js_sys::Function>().clone()
}

/// The package's pieces handed to `onChunk`, joined.
fn joined(chunks: &js_sys::Array) -> Vec<u8> {
    chunks.iter().flat_map(|c| js_sys::Uint8Array::new(&c).to_vec()).collect()
}

/// Converts `files` as the page does when it needs no helper (`convertFilesStreaming`):
/// the result, and the package its pieces make.
fn streamed(files: &[web_sys::File], options: JsValue) -> Result<(JsValue, Vec<u8>), JsValue> {
    let chunks = js_sys::Array::new();
    let on_chunk = collect(&chunks);
    let files: js_sys::Array = files.iter().collect();
    let out = to3mf_wasm::convert_files_streaming(files, options, function(&on_chunk), None, None, None)?;
    Ok((out, joined(&chunks)))
}

/// Asked for a picture, the package is handed over first (`onWritten`), then the PNG comes
/// with the result; with `thumbnail` on, it is the package's own thumbnail.
#[wasm_bindgen_test]
fn a_picture_comes_after_the_package_or_is_its_thumbnail() {
    let bytes = include_bytes!("../../../tests/fixtures/binary_negative_zero.stl");
    let files: js_sys::Array = [file("n.stl", bytes)].iter().collect();
    let chunks = js_sys::Array::new();
    let on_chunk = collect(&chunks);
    let written = js_sys::Array::new();
    let on_written = collect(&written);
    let out = to3mf_wasm::convert_files_streaming(
        files.clone(),
        JsValue::UNDEFINED,
        function(&on_chunk),
        None,
        Some(true),
        Some(function(&on_written)),
    )
    .unwrap();
    assert_eq!(written.length(), 1, "the package was announced before its picture");
    let picture = js_sys::Uint8Array::new(&get(&out, &["picture"])).to_vec();
    assert_eq!(&picture[..8], b"\x89PNG\r\n\x1a\n");
    let options = js_sys::JSON::parse(r#"{"thumbnail": true}"#).unwrap();
    let thumbnailed = js_sys::Array::new();
    let on_chunk = collect(&thumbnailed);
    let out = to3mf_wasm::convert_files_streaming(files, options, function(&on_chunk), None, Some(true), None).unwrap();
    assert_eq!(
        js_sys::Uint8Array::new(&get(&out, &["picture"])).to_vec(),
        picture,
        "the same picture, as the thumbnail"
    );
    let package = joined(&thumbnailed);
    assert!(package.windows(picture.len()).any(|w| w == picture), "the package holds it");
}

#[wasm_bindgen_test]
fn files_convert_to_the_same_bytes_as_native() {
    let inputs = common::inputs();
    assert_eq!(inputs.len(), common::GOLDEN.lines().count(), "one input per line of golden.txt");
    for (name, bytes) in inputs {
        let Some(bytes) = bytes else { continue };
        let (out, package) = streamed(&[file(name, &bytes)], JsValue::UNDEFINED).unwrap();
        assert_eq!(common::line(name, &package), common::golden(name));
        assert!(get(&out, &["package"]).is_null());
        assert!(get(&out, &["report", "error"]).is_null() || get(&out, &["report", "error"]).is_undefined());
    }
}

#[wasm_bindgen_test]
fn a_bad_file_is_reported_and_the_good_one_still_written() {
    let bad = b"solid bad\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 zero 0\n";
    let good_name = "ascii_multi_solid.stl";
    let good = common::input(good_name).unwrap();
    let (out, package) = streamed(&[file("bad.stl", bad), file(good_name, &good)], JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&out, &["report", "inputs", "0", "error", "code"]), "syntax");
    assert_eq!(
        get(&out, &["report", "inputs", "0", "error", "message"]),
        "line 5: malformed vertex line (expected 'vertex x y z'): 'vertex 1 zero 0'"
    );
    assert_eq!(get(&out, &["report", "objects_written"]).as_f64(), Some(2.0));
    assert!(package.starts_with(b"PK\x03\x04"));
}

#[wasm_bindgen_test]
fn nothing_convertible_throws_a_js_error_carrying_the_report() {
    let err = streamed(&[file("empty.stl", b"")], JsValue::UNDEFINED).unwrap_err();
    let err: js_sys::Error = err.dyn_into().expect("a JS Error");
    assert_eq!(String::from(err.message()), "empty.stl: the file is empty (0 bytes)");
    assert_eq!(get(&err, &["code"]), "no_geometry");
    assert_eq!(get(&err, &["report", "inputs", "0", "error", "code"]), "no_geometry");
    assert_eq!(get(&err, &["report", "inputs", "0", "name"]), "empty.stl");
}

#[wasm_bindgen_test]
fn options_are_read_from_a_plain_object() {
    let options = js_sys::JSON::parse(r#"{"layout": "keep", "metadata": {"title": "From JS"}}"#).unwrap();
    let name = "ascii_multi_solid.stl";
    let bytes = common::input(name).unwrap();
    let (_, package) = streamed(&[file(name, &bytes)], options).unwrap();
    // The title is in the model XML, so the package differs from the default one.
    assert_ne!(common::line(name, &package), common::golden(name));
    let bad = js_sys::JSON::parse(r#"{"layout": "diagonal"}"#).unwrap();
    assert!(streamed(&[file(name, &bytes)], bad).is_err());
}

#[wasm_bindgen_test]
fn streamed_chunks_form_the_same_package_and_progress_is_reported() {
    let name = "fandisk.obj";
    let Some(bytes) = common::input(name) else { return };
    let chunks = js_sys::Array::new();
    let progress = js_sys::Array::new();
    let on_chunk = collect(&chunks);
    let on_progress = collect3(&progress);
    let files = js_sys::Array::of1(&file(name, &bytes));
    let out = to3mf_wasm::convert_files_streaming(
        files,
        JsValue::UNDEFINED,
        function(&on_chunk),
        Some(function(&on_progress)),
        None,
        None,
    )
    .unwrap();
    assert!(get(&out, &["package"]).is_null());
    assert_eq!(common::line(name, &joined(&chunks)), common::golden(name));
    let stages: Vec<String> = progress.iter().map(|p| get(&p, &["0"]).as_string().unwrap()).collect();
    assert!(
        stages.iter().any(|s| s == "reading") && stages.last().map(String::as_str) == Some("writing"),
        "{stages:?}"
    );
    let last = progress.get(progress.length() - 1);
    assert_eq!(get(&last, &["1"]).as_f64(), get(&last, &["2"]).as_f64(), "writing ends at its total");
    let read_done: Vec<f64> =
        progress.iter().filter(|p| get(p, &["0"]) == "reading").map(|p| get(&p, &["1"]).as_f64().unwrap()).collect();
    assert_eq!(read_done.last().copied(), Some(bytes.len() as f64));
}

#[wasm_bindgen_test]
fn zip_blobs_stores_each_package_as_it_is() {
    let a: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let b = b"second package".to_vec();
    let blobs = js_sys::Array::of3(&file("a.3mf", &a), &file("b.3mf", &b), &file("a.3mf", &b));
    let names = js_sys::Array::of3(&"a.3mf".into(), &"b.3mf".into(), &"a.3mf".into());
    let chunks = js_sys::Array::new();
    let on_chunk = collect(&chunks);
    let size = to3mf_wasm::zip_blobs(blobs, names, function(&on_chunk)).map_err(JsValue::from).unwrap();
    let zip = joined(&chunks);
    assert_eq!(size, zip.len() as f64);
    assert!(zip.starts_with(b"PK\x03\x04"));
    let find = |needle: &[u8]| zip.windows(needle.len()).position(|w| w == needle);
    assert!(find(&a).is_some(), "the first package is stored verbatim");
    assert!(find(b"a-2.3mf").is_some(), "a repeated name is made unique");
    assert_eq!(&zip[zip.len() - 22..zip.len() - 18], b"PK\x05\x06");
}

/// A binary STL of an `n × n` grid of squares (two triangles each), with a little relief.
fn grid_stl(n: u32) -> Vec<u8> {
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(2 * n * n).to_le_bytes());
    let p = |i: u32, j: u32| [i as f32 * 0.5, j as f32 * 0.25, ((i * 7 + j * 3) % 11) as f32 * 0.1];
    for i in 0..n {
        for j in 0..n {
            for t in [[p(i, j), p(i + 1, j), p(i, j + 1)], [p(i + 1, j), p(i + 1, j + 1), p(i, j + 1)]] {
                out.extend_from_slice(&[0u8; 12]);
                for v in t {
                    for x in v {
                        out.extend_from_slice(&x.to_le_bytes());
                    }
                }
                out.extend_from_slice(&[0, 0]);
            }
        }
    }
    out
}

/// Finishes a split conversion as the page's workers do: the sealed runs (`[id, triangles,
/// data]`) and the plain runs left after reading compressed by `compressElements`, the rest in
/// place; `head` holds what onChunk got. Returns the package.
fn assemble(mut split: to3mf_wasm::SplitConversion, head: &js_sys::Array, sealed: &js_sys::Array) -> Vec<u8> {
    let count = split.count() as usize;
    assert!(
        sealed.length() >= 4 && split.sealed_count() == sealed.length(),
        "{} runs sealed of {count} chunks",
        sealed.length()
    );
    let mut chunks: Vec<Option<Vec<u8>>> = vec![None; count];
    let place = |split: &mut to3mf_wasm::SplitConversion,
                 chunks: &mut Vec<Option<Vec<u8>>>,
                 k: usize,
                 triangles: JsValue,
                 data: JsValue| {
        let out = to3mf_wasm::compress_elements(triangles.as_bool().unwrap(), data, JsValue::UNDEFINED).unwrap();
        let bytes = js_sys::Uint8Array::new(&get(&out, &["bytes"])).to_vec();
        let crc = get(&out, &["crc"]).as_f64().unwrap() as u32;
        split
            .add_sums(k as u32, crc, get(&out, &["xmlBytes"]).as_f64().unwrap(), bytes.len() as f64)
            .map_err(JsValue::from)
            .unwrap();
        assert!(chunks[k].replace(bytes).is_none(), "chunk {k} made twice");
    };
    for run in sealed.iter() {
        let k = split.chunk_of_sealed(get(&run, &["0"]).as_f64().unwrap() as u32);
        assert!(k >= 0);
        place(&mut split, &mut chunks, k as usize, get(&run, &["1"]), get(&run, &["2"]));
    }
    let mut runs = 0;
    for k in 0..count {
        if chunks[k].is_some() {
            continue;
        }
        let run = split.run(k as u32).map_err(JsValue::from).unwrap();
        if run.is_null() {
            chunks[k] = Some(split.compress(k as u32).map_err(JsValue::from).unwrap().to_vec());
        } else {
            runs += 1;
            place(&mut split, &mut chunks, k, get(&run, &["triangles"]), get(&run, &["data"]));
        }
    }
    assert!(runs > 0, "some chunks are plain runs after reading");
    // The package's end goes through the same onChunk as its head, after the chunks.
    let head_chunks = head.length() as usize;
    split.finish().unwrap();
    let parts: Vec<Vec<u8>> = head.iter().map(|c| js_sys::Uint8Array::new(&c).to_vec()).collect();
    let mut got: Vec<u8> = parts[..head_chunks].concat();
    got.extend(chunks.into_iter().flat_map(|c| c.unwrap()));
    got.extend(parts[head_chunks..].concat());
    got
}

/// The page's split conversions: chunks sent while reading (from `FileReaderSync` slices
/// or from pieces pushed to an `StlFeed`) and chunks handed out as runs afterwards,
/// compressed by `compressElements` as the helper worker does, with the rest made in place,
/// give the bytes `convertFilesStreaming` gives.
#[wasm_bindgen_test]
fn sealed_runs_compressed_elsewhere_make_the_streamed_package() {
    let stl = grid_stl(300);
    let (_, want) = streamed(&[file("grid.stl", &stl)], JsValue::UNDEFINED).unwrap();
    assert!(to3mf_wasm::is_binary_stl(&stl[..4096]));

    let (head, sealed) = (js_sys::Array::new(), js_sys::Array::new());
    let on_chunk = collect(&head);
    let on_sealed = collect3(&sealed);
    let files = js_sys::Array::of1(&file("grid.stl", &stl));
    let split = to3mf_wasm::convert_files_split(
        files,
        JsValue::UNDEFINED,
        function(&on_chunk),
        None,
        Some(function(&on_sealed)),
    )
    .unwrap();
    assert!(assemble(split, &head, &sealed) == want, "read from slices: not the streamed package");

    head.set_length(0);
    sealed.set_length(0);
    let mut feed =
        to3mf_wasm::StlFeed::new("grid.stl".into(), stl.len() as f64, JsValue::UNDEFINED, Some(function(&on_sealed)))
            .unwrap();
    for piece in stl.chunks(65_536 + 7) {
        assert!(feed.push(piece));
    }
    let split = feed.finish(function(&on_chunk)).unwrap();
    assert!(assemble(split, &head, &sealed) == want, "fed in pieces: not the streamed package");
}

/// A bad binary STL pushed to an `StlFeed` stops being read at its first bad triangle, and
/// `finish` throws the JS Error with the report, as `convertFilesSplit` does.
#[wasm_bindgen_test]
fn a_bad_stl_fed_in_pieces_throws_with_its_report() {
    let mut stl = grid_stl(20);
    let at = 84 + 50 * 100 + 12; // triangle 101's first corner
    stl[at..at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut feed = to3mf_wasm::StlFeed::new("nan.stl".into(), stl.len() as f64, JsValue::UNDEFINED, None).unwrap();
    let pushed: Vec<bool> = stl.chunks(4096).map(|p| feed.push(p)).collect();
    assert_eq!(pushed.iter().filter(|&&ok| ok).count(), 1, "{pushed:?}");
    let err = feed.finish(js_sys::Function::new_no_args("")).map(|_| ()).unwrap_err();
    assert_eq!(get(&err, &["code"]), "no_geometry", "nothing to write");
    assert_eq!(get(&err, &["report", "inputs", "0", "error", "code"]), "non_finite");
    let message = String::from(err.dyn_into::<js_sys::Error>().unwrap().message());
    assert!(message.starts_with("nan.stl: ") && message.contains("101"), "{message}");
}

/// Pieces copied out of wasm memory go into the arrays `setBuffers` gives (views at an
/// offset here), or into new ones when it gives anything else, and the package is the same.
#[wasm_bindgen_test]
fn pieces_go_into_the_buffers_given_and_the_package_is_the_same() {
    let stl = grid_stl(300);
    let convert = || {
        let streamed = js_sys::Array::new();
        let on_chunk = collect(&streamed);
        let files = js_sys::Array::of1(&file("grid.stl", &stl));
        to3mf_wasm::convert_files_streaming(files, JsValue::UNDEFINED, function(&on_chunk), None, None, None).unwrap();
        let (head, sealed) = (js_sys::Array::new(), js_sys::Array::new());
        let on_head = collect(&head);
        let on_sealed = collect3(&sealed);
        let mut feed = to3mf_wasm::StlFeed::new(
            "grid.stl".into(),
            stl.len() as f64,
            JsValue::UNDEFINED,
            Some(function(&on_sealed)),
        )
        .unwrap();
        assert!(feed.push(&stl));
        let split = feed.finish(function(&on_head)).unwrap();
        // Every piece handed out: the package's, the sealed runs' and the compressed chunks'.
        let offsets: Vec<f64> = streamed
            .iter()
            .chain(sealed.iter().map(|run| get(&run, &["2"])))
            .map(|a| get(&a, &["byteOffset"]).as_f64().unwrap())
            .collect();
        let split_package = assemble(split, &head, &sealed);
        let whole = joined(&streamed);
        assert!(split_package == whole, "the split package is the streamed one");
        (whole, offsets)
    };
    let count = || js_sys::Reflect::get(&js_sys::global(), &"taken".into()).unwrap().as_f64().unwrap_or(0.0);

    let (want, offsets) = convert();
    assert!(offsets.iter().all(|&o| o == 0.0), "new arrays without setBuffers");
    let at_four = js_sys::Function::new_with_args(
        "n",
        "globalThis.taken = (globalThis.taken || 0) + 1; return new Uint8Array(new ArrayBuffer(n + 12), 4, n);",
    );
    to3mf_wasm::set_buffers(Some(at_four));
    let (got, offsets) = convert();
    let taken = count();
    let wrong = js_sys::Function::new_with_args("n", "globalThis.taken += 1; return new Uint8Array(n + 1);");
    to3mf_wasm::set_buffers(Some(wrong));
    let (fallback, fallback_offsets) = convert();
    to3mf_wasm::set_buffers(None);
    assert!(
        taken as usize >= offsets.len() && offsets.iter().all(|&o| o == 4.0),
        "every piece in a given buffer: {offsets:?}"
    );
    assert!(got == want, "the same package in the buffers given");
    assert!(count() > taken && fallback_offsets.iter().all(|&o| o == 0.0), "a wrong-sized array is not used");
    assert!(fallback == want, "the same package when the buffers given are refused");
}

/// A file the browser stops giving (a failed read, or fewer bytes than its size) is that
/// input's error, in words that say what may have happened, and not a short mesh.
#[wasm_bindgen_test]
fn a_file_the_browser_cannot_read_to_its_end_is_an_error() {
    let stl = grid_stl(20);
    let message = |err: JsValue| get(&err, &["report", "inputs", "0", "error", "message"]).as_string().unwrap();

    let mut feed = to3mf_wasm::StlFeed::new("gone.stl".into(), stl.len() as f64, JsValue::UNDEFINED, None).unwrap();
    assert!(feed.push(&stl[..1000]));
    feed.fail("network error");
    let err = feed.finish(js_sys::Function::new_no_args("")).map(|_| ()).unwrap_err();
    assert_eq!(
        message(err),
        "the browser could not read it (network error): it may have been moved, changed or deleted since it was picked"
    );

    let mut feed = to3mf_wasm::StlFeed::new("short.stl".into(), stl.len() as f64, JsValue::UNDEFINED, None).unwrap();
    assert!(feed.push(&stl[..stl.len() - 50]));
    let err = feed.finish(js_sys::Function::new_no_args("")).map(|_| ()).unwrap_err();
    let want = format!("the browser could not read it past byte {} of {}: it may have been moved, changed or deleted since it was picked", stl.len() - 50, stl.len());
    assert_eq!(message(err), want);

    // The whole file, pushed, converts.
    let mut feed = to3mf_wasm::StlFeed::new("whole.stl".into(), stl.len() as f64, JsValue::UNDEFINED, None).unwrap();
    assert!(feed.push(&stl));
    assert!(feed.finish(js_sys::Function::new_no_args("")).is_ok());
}

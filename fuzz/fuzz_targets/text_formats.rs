//! The ASCII STL and OBJ readers, steered there by a fixed first line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options =
        to3mf::Options { threads: 1, max_triangles: 1 << 16, max_line_bytes: 1 << 12, ..to3mf::Options::default() };
    for prefix in [&b"solid fuzz\n"[..], &b"v 0 0 0\nv 1 0 0\nv 0 1 0\n"[..]] {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(data);
        let _ = to3mf::read_input("fuzz", &bytes[..], Some(bytes.len() as u64), &options);
    }
});

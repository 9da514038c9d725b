//! The whole conversion on arbitrary bytes: sniff, read, weld, write a package.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options =
        to3mf::Options { threads: 1, max_triangles: 1 << 16, max_line_bytes: 1 << 16, ..to3mf::Options::default() };
    for size in [Some(data.len() as u64), None] {
        if let Ok(input) = to3mf::read_input("fuzz.stl", data, size, &options) {
            let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
            let mut out = Vec::new();
            to3mf::write_3mf(&mut out, &meshes, None, &options, &mut |_, _| {})
                .expect("a read mesh can always be written");
            let _ =
                to3mf::write::thumbnail::render_png(&meshes.iter().map(|m| (*m, [0.0; 3])).collect::<Vec<_>>(), 16);
        }
    }
});

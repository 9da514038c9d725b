//! The inputs whose packages the native and the wasm builds must write byte for byte alike,
//! and the checksums both are held to (`golden.txt`).
#![allow(dead_code)]

pub const INPUTS: &[(&str, &[u8])] = &[
    ("ascii_multi_solid.stl", include_bytes!("../../../../tests/fixtures/ascii_multi_solid.stl")),
    ("obj_groups.obj", include_bytes!("../../../../tests/fixtures/obj_groups.obj")),
    ("unit_sphere.STL", include_bytes!("../../../../../shared/corpus/trimesh/unit_sphere.STL")),
    ("fandisk.obj", include_bytes!("../../../../../shared/corpus/trimesh/fandisk.obj")),
];

pub const GOLDEN: &str = include_str!("../golden.txt");

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

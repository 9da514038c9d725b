//! Reading the metadata and thumbnail of an arbitrary "3MF" (zip + relationships + XML).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = to3mf::read_3mf_info(std::io::Cursor::new(data));
});

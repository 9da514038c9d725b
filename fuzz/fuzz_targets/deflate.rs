//! The model XML's deflate encoder: any bytes, compressed at levels 1 and 2, must inflate
//! back to themselves. The input is repeated to 600 KiB, past the size below which zlib takes
//! over, so the anchored encoder runs (and finds long matches across the repeats), in both its
//! two-pass first block and its one-pass later ones (blocks are 256 KiB).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Read;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else { return };
    const SIZE: usize = 600 * 1024;
    let input = if body.is_empty() { vec![b'"'; SIZE] } else { body.repeat(SIZE.div_ceil(body.len())) };
    let level = 1 + (first & 1) as u32;
    let mut stream = to3mf::deflate_chunk(level, &input);
    stream.extend_from_slice(&[0x03, 0x00]); // the final empty block that ends a package's stream
    let mut back = Vec::new();
    flate2::read::DeflateDecoder::new(&stream[..]).read_to_end(&mut back).expect("a valid deflate stream");
    assert!(back == input, "inflates to something else");
});

//! An arbitrary zip through the whole Manyfold processor: listing with limits, grouping,
//! reading entries, converting, writing model folders into a zip.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use to3mf::manyfold::folder::{write_model, ProcessOptions, Sink};

struct Discard;

impl Sink for Discard {
    fn put(&mut self, _: &str, write: &mut dyn FnMut(&mut dyn Write) -> to3mf::Result<()>) -> to3mf::Result<()> {
        write(&mut std::io::sink())
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = to3mf::manyfold::archive::ArchiveLimits {
        max_entries: 256,
        max_total_bytes: 8 << 20,
        max_nested_bytes: 8 << 20,
        ..Default::default()
    };
    let Ok((root, mut archive)) =
        to3mf::manyfold::archive::list_archive("fuzz.zip", std::io::Cursor::new(data), &limits)
    else {
        return;
    };
    let plans = to3mf::manyfold::plan::plan(&[root]);
    let options = ProcessOptions {
        convert: to3mf::Options {
            threads: 1,
            max_triangles: 1 << 14,
            max_line_bytes: 1 << 12,
            ..to3mf::Options::default()
        },
        ..ProcessOptions::default()
    };
    for plan in &plans {
        let mut open = |f: &to3mf::manyfold::plan::ModelFile, consume: &mut to3mf::manyfold::folder::Consume| {
            archive.read(&f.path, consume)
        };
        let _ = write_model(plan, &mut open, &mut Discard, &options);
    }
});

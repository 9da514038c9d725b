//! A small conversion run once when a worker starts. V8 runs new wasm code in its baseline
//! compiler and optimises a function only once it has run for a while, and a call already
//! running keeps its baseline code: a user's first big file was then converted mostly by
//! slow code (0.62 s instead of 0.37 s for the 104.7 MB benchmark STL; after this warm-up,
//! which takes 30-40 ms, 0.45-0.49 s). A bigger grid took longer and gained nothing. Built
//! for every target, so native tests check it does the work it claims.

/// A binary STL of a rippled `n`×`n` grid of squares, two triangles each, whose coordinates
/// have a few decimals, as a real model's do.
pub fn grid_stl(n: u32) -> Vec<u8> {
    let point = |i: u32, j: u32| {
        let ripple = ((i * 7 + j * 13) % 97) as f32 * 0.013;
        [i as f32 * 0.25, j as f32 * 0.35, 2.0 + ripple]
    };
    let mut stl = vec![0u8; 80];
    stl.extend_from_slice(&(2 * n * n).to_le_bytes());
    for i in 0..n {
        for j in 0..n {
            let (a, b, c, d) = (point(i, j), point(i + 1, j), point(i + 1, j + 1), point(i, j + 1));
            for t in [[a, b, c], [a, c, d]] {
                stl.extend_from_slice(&[0u8; 12]);
                for v in t {
                    for x in v {
                        stl.extend_from_slice(&x.to_le_bytes());
                    }
                }
                stl.extend_from_slice(&[0u8; 2]);
            }
        }
    }
    stl
}

/// What [`warm_up`] made: the report of the plain conversion and, for the split one that a
/// big file takes, the chunks it compressed (its own and its mesh's runs of elements, as a
/// helper gets them) and their compressed bytes.
pub struct WarmUp {
    /// The plain conversion's report.
    pub report: to3mf::Report,
    /// The plain conversion's package.
    pub package: Vec<u8>,
    /// Chunks of the split conversion's model XML.
    pub chunks: usize,
    /// Their compressed bytes, all together.
    pub chunk_bytes: usize,
    /// The grid's picture (PNG), drawn as a package's thumbnail or a row's picture is.
    pub picture: Vec<u8>,
}

/// Converts a 64×64 grid (8192 triangles, 410 KB) both ways the page converts a file: whole
/// (`convertFilesStreaming`), and fed in pieces then compressed chunk by chunk and as runs
/// of elements (the helped path of big files); and draws its picture, which is one long
/// call on a big file, so it must not start on baseline code either.
pub fn warm_up() -> WarmUp {
    let stl = grid_stl(64);
    let options = to3mf::Options::default();
    let mut package = Vec::new();
    let report = to3mf::convert(
        [("warm-up.stl".to_string(), &stl[..], Some(stl.len() as u64))],
        &mut package,
        &options,
        &mut |_, _| {},
    );
    let mut feed = to3mf::BinaryStlFeed::new("warm-up.stl", Some(stl.len() as u64), &options, None);
    let fed = stl.chunks(1 << 16).try_for_each(|piece| feed.push(piece));
    let (mut chunks, mut chunk_bytes, mut picture) = (0, 0, Vec::new());
    if let (Ok(()), (_, Some(mut split))) =
        (fed, to3mf::split_inputs([("warm-up.stl".to_string(), feed.finish())], std::io::sink(), &options))
    {
        let meshes: Vec<&to3mf::Mesh> = split.meshes.iter().collect();
        let size = to3mf::write::thumbnail::THUMBNAIL_SIZE;
        picture = to3mf::write::thumbnail::picture_png(&meshes, &options, size).unwrap_or_default();
        for k in 0..split.chunks.len() {
            chunks += 1;
            chunk_bytes += split.chunks.compress(&meshes, k).0.len();
        }
        // And as a helper compresses runs of elements (a grid this small is one chunk, with
        // its markup, so it has no plain runs of its own).
        if let Some(mesh) = meshes.first() {
            for elements in
                [to3mf::Elements::Vertices(mesh.vertices.clone()), to3mf::Elements::Triangles(mesh.triangles.clone())]
            {
                chunks += 1;
                chunk_bytes += elements.compress(options.compression_level).0.len();
            }
        }
    }
    WarmUp { report, package, chunks, chunk_bytes, picture }
}

//! Deflate in independent chunks: each chunk ends in a sync flush and needs nothing from
//! the chunks before it, so the chunks concatenate into one valid stream. A chunk is
//! rendered (its XML written) and compressed on whichever thread is free, and the output is
//! the same bytes whatever the number of threads.

use flate2::{Compress, Compression, FlushCompress, Status};
use std::io::Write;

mod anchored;
mod huffman;

/// Compresses `data` whole into a final raw deflate stream.
pub(crate) fn compress_all(data: &[u8], level: u32) -> Vec<u8> {
    let mut c = Compress::new(Compression::new(level.min(9)), false);
    let mut out = Vec::new();
    run(&mut c, data, &mut out, FlushCompress::Finish);
    out
}

fn run(c: &mut Compress, data: &[u8], out: &mut Vec<u8>, flush: FlushCompress) {
    let start_in = c.total_in();
    loop {
        let consumed = (c.total_in() - start_in) as usize;
        out.reserve(((data.len() - consumed) / 2).max(4096));
        let status = c.compress_vec(&data[consumed..], out, flush).expect("deflate cannot fail on valid state");
        let done_input = (c.total_in() - start_in) as usize == data.len();
        // Done when all input is in and the flush left spare room (nothing pending).
        if done_input && (status == Status::StreamEnd || (flush != FlushCompress::Finish && out.len() < out.capacity()))
        {
            return;
        }
    }
}

/// Compresses chunks of one entry. Levels 1 and 2 use the [`anchored`] encoder made for
/// the model XML of big meshes (1 takes the first match of 8 bytes, 2 the best of four), except on
/// chunks under [`SMALL`] bytes, where zlib's level 6 gives smaller output in no time to
/// speak of. Levels 3 to 9 compress each chunk with zlib at that level and, if it is not
/// small, with the anchored encoder too, and keep the smaller: slow, never larger than 2.
/// Level 0 stores.
pub(crate) struct Chunks {
    level: u32,
    zlib: Option<Compress>,
    anchored: anchored::Encoder,
    scratch: Vec<u8>,
}

/// Chunks shorter than this are compressed by zlib at every level.
const SMALL: usize = 256 * 1024;

impl Chunks {
    pub(crate) fn new(level: u32) -> Chunks {
        let level = level.min(9);
        let good_enough = if level == 1 { 8 } else { usize::MAX };
        Chunks { level, zlib: None, anchored: anchored::Encoder::new(good_enough), scratch: Vec::new() }
    }

    /// Compresses one chunk into `out` (cleared first), ended by a sync flush (never final).
    /// Buffers are reused because fresh megabyte allocations cost page faults on every chunk.
    pub(crate) fn chunk(&mut self, data: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let big = data.len() >= SMALL;
        let zlib_level = match self.level {
            1 | 2 if big => return self.anchored.compress(data, out),
            1 | 2 => 6,
            level => level,
        };
        let c = self.zlib.get_or_insert_with(|| Compress::new(Compression::new(zlib_level), false));
        c.reset();
        c.set_level(Compression::new(zlib_level)).expect("setting a level right after reset");
        run(c, data, out, FlushCompress::Sync);
        if big && zlib_level >= 3 {
            self.scratch.clear();
            self.anchored.compress(data, &mut self.scratch);
            if self.scratch.len() < out.len() {
                std::mem::swap(out, &mut self.scratch);
            }
        }
    }
}

/// The empty final block that closes a stream of sync-flushed chunks.
pub(crate) const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// Compresses `data` as the package writer compresses one chunk of model XML at `level`:
/// raw deflate blocks that end in a sync flush, never final. Chunks compressed this way
/// concatenate into one stream, which the two bytes `03 00` (an empty final block) end.
pub fn deflate_chunk(level: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Chunks::new(level).chunk(data, &mut out);
    out
}

/// Writes chunk `i` of an entry's bytes into a buffer (appending).
pub(crate) type Render<'a> = &'a (dyn Fn(usize, &mut Vec<u8>) + Sync);

/// Chunk `i` of an entry if it was compressed beforehand.
pub(crate) type Ready<'a> = &'a dyn Fn(usize) -> Option<&'a Compressed>;

/// One chunk compressed: its deflate bytes, the CRC-32 and size of what they hold.
#[derive(Debug, Clone)]
pub(crate) struct Compressed {
    pub(crate) bytes: Vec<u8>,
    pub(crate) crc: u32,
    pub(crate) xml_bytes: u64,
}

impl Compressed {
    fn crc(&self) -> crc32fast::Hasher {
        crc32fast::Hasher::new_with_initial_len(self.crc, self.xml_bytes)
    }
}

/// Writes one deflate stream of `n` chunks to `out` (a ZIP entry's data), rendering and
/// compressing them on `threads` worker threads (1 = on this thread), except those `ready`
/// has. `progress(i)` says chunk `i` was written. Returns the CRC-32 and the size of what
/// the stream holds.
pub(crate) fn write_entry(
    out: &mut impl Write,
    level: u32,
    threads: usize,
    n: usize,
    render: Render,
    ready: Ready,
    progress: &mut dyn FnMut(usize),
) -> std::io::Result<(u32, u64)> {
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    if threads > 1 && n > 1 {
        return parallel::write_entry(out, level, threads, n, render, ready, progress);
    }
    let _ = threads;
    let (mut crc, mut total) = (crc32fast::Hasher::new(), 0u64);
    let mut c = Chunks::new(level);
    let (mut buf, mut deflated) = (Vec::new(), Vec::new());
    for i in 0..n {
        if let Some(done) = ready(i) {
            out.write_all(&done.bytes)?;
            crc.combine(&done.crc());
            total += done.xml_bytes;
            progress(i);
            continue;
        }
        buf.clear();
        render(i, &mut buf);
        crc.update(&buf);
        total += buf.len() as u64;
        c.chunk(&buf, &mut deflated);
        out.write_all(&deflated)?;
        progress(i);
    }
    out.write_all(&FINAL_BLOCK)?;
    Ok((crc.finalize(), total))
}

#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
mod parallel {
    use super::*;
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::sync::mpsc::channel;
    use std::sync::{Arc, Mutex};

    /// A compressed chunk: its index, deflate bytes (made here or beforehand), CRC state
    /// and raw size.
    type Done<'a> = (usize, Cow<'a, [u8]>, crc32fast::Hasher, u64);

    pub(super) fn write_entry(
        zip: &mut impl Write,
        level: u32,
        threads: usize,
        n: usize,
        render: Render,
        ready: Ready,
        progress: &mut dyn FnMut(usize),
    ) -> std::io::Result<(u32, u64)> {
        let (job_tx, job_rx) = channel::<usize>();
        let (res_tx, res_rx) = channel::<Done>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let spare = Mutex::new(Vec::<Vec<u8>>::new());
        let died = || std::io::Error::other("a compression thread died");
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let job_rx = Arc::clone(&job_rx);
                let res_tx = res_tx.clone();
                let spare = &spare;
                scope.spawn(move || {
                    let mut c = Chunks::new(level);
                    let mut buf = Vec::new();
                    loop {
                        let Ok(i) = job_rx.lock().expect("job queue").recv() else { return };
                        buf.clear();
                        render(i, &mut buf);
                        let mut crc = crc32fast::Hasher::new();
                        crc.update(&buf);
                        let mut out = spare.lock().expect("buffer pool").pop().unwrap_or_default();
                        c.chunk(&buf, &mut out);
                        if res_tx.send((i, Cow::Owned(out), crc, buf.len() as u64)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(res_tx);
            // Keep a few chunks in flight per thread, so memory stays bounded when the
            // output is slower than compression.
            let window = 2 * threads;
            let (mut sent, mut next) = (0, 0);
            let mut pending: BTreeMap<usize, Done> = BTreeMap::new();
            let (mut crc, mut total) = (crc32fast::Hasher::new(), 0u64);
            while next < n {
                while sent < n && sent - next < window {
                    match ready(sent) {
                        Some(done) => {
                            _ = pending.insert(sent, (sent, Cow::Borrowed(&done.bytes[..]), done.crc(), done.xml_bytes))
                        }
                        None => job_tx.send(sent).map_err(|_| died())?,
                    }
                    sent += 1;
                }
                if !pending.contains_key(&next) {
                    let done = res_rx.recv().map_err(|_| died())?;
                    pending.insert(done.0, done);
                }
                while let Some((i, out, c, len)) = pending.remove(&next) {
                    zip.write_all(&out)?;
                    if let Cow::Owned(out) = out {
                        spare.lock().expect("buffer pool").push(out);
                    }
                    crc.combine(&c);
                    total += len;
                    progress(i);
                    next += 1;
                }
            }
            drop(job_tx);
            zip.write_all(&FINAL_BLOCK)?;
            Ok((crc.finalize(), total))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The deflate stream `write_entry` writes for `data` in chunks of 300,000 bytes.
    fn entry_bytes(data: &[u8], level: u32, threads: usize) -> Vec<u8> {
        const CHUNK: usize = 300_000;
        let mut stream = Vec::new();
        let chunks = data.len().div_ceil(CHUNK);
        let render =
            |i: usize, buf: &mut Vec<u8>| buf.extend_from_slice(&data[i * CHUNK..data.len().min((i + 1) * CHUNK)]);
        let mut written = Vec::new();
        let (crc, n) =
            write_entry(&mut stream, level, threads, chunks, &render, &|_| None, &mut |i| written.push(i)).unwrap();
        assert_eq!(written, (0..chunks).collect::<Vec<_>>(), "progress in order");
        assert_eq!((crc, n), (crc32fast::hash(data), data.len() as u64));
        stream
    }

    #[test]
    fn chunks_from_deflate_chunk_concatenate_into_one_stream() {
        let xml: Vec<u8> =
            (0..60_000u32).flat_map(|i| format!("<vertex x=\"{}\" y=\"{}\"/>", i % 977, i / 3).into_bytes()).collect();
        let parts = [&xml[..300_000], &xml[300_000..310_000], &xml[310_000..]];
        for level in [1, 2, 6] {
            let mut stream: Vec<u8> = parts.iter().flat_map(|p| deflate_chunk(level, p)).collect();
            stream.extend_from_slice(&FINAL_BLOCK);
            let mut back = Vec::new();
            flate2::read::DeflateDecoder::new(&stream[..]).read_to_end(&mut back).unwrap();
            assert!(back == xml, "level {level}");
        }
    }

    #[test]
    fn chunked_stream_inflates_to_the_input_whatever_the_thread_count() {
        let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8 ^ (i / 7919) as u8).collect();
        for level in [1, 2, 6] {
            let one = entry_bytes(&data, level, 1);
            let three = entry_bytes(&data, level, 3);
            assert!(one == three, "thread count must not change the bytes (level {level})");
            let mut back = Vec::new();
            flate2::read::DeflateDecoder::new(&one[..]).read_to_end(&mut back).unwrap();
            assert!(back == data, "level {level}");
        }
    }
}

//! Deflate in independent chunks, as pigz does: each chunk is primed with the previous
//! chunk's last 32 KiB and ends in a sync flush, so the chunks concatenate into one valid
//! stream. Chunks can then be compressed on several threads, and the output is the same
//! bytes whatever the number of threads.

use flate2::{Compress, Compression, FlushCompress, Status};
use std::io::Write;

use crate::zip::ZipWriter;

/// Uncompressed bytes per chunk.
pub(crate) const CHUNK: usize = 1 << 20;
const WINDOW: usize = 32 * 1024;

/// Receives the uncompressed bytes of one entry, chunk by chunk.
pub(crate) trait ChunkSink {
    /// Takes a full chunk and hands back an empty buffer to fill next.
    fn push(&mut self, chunk: Vec<u8>) -> std::io::Result<Vec<u8>>;
}

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
        if done_input && (status == Status::StreamEnd || (flush != FlushCompress::Finish && out.len() < out.capacity())) {
            return;
        }
    }
}

/// Compresses one chunk into `out` (cleared first): primed with `dict`, ended by a sync
/// flush (never final). Buffers are reused because fresh megabyte allocations cost page
/// faults on every chunk.
fn compress_chunk(c: &mut Compress, dict: &[u8], data: &[u8], out: &mut Vec<u8>) {
    c.reset();
    if !dict.is_empty() {
        c.set_dictionary(dict).expect("a dictionary is always accepted right after reset");
    }
    out.clear();
    run(c, data, out, FlushCompress::Sync);
}

/// The empty final block that closes a stream of sync-flushed chunks.
pub(crate) const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// Compresses one chunk of a split package's model XML (see [`crate::write_3mf_split`]):
/// primed with `dict`, the last 32 KiB of the chunk before it, and ended by a sync flush.
/// The same bytes as the package writer's own compression at that `level`.
pub fn deflate_chunk(level: u32, dict: &[u8], data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new(Compression::new(level.min(9)), false);
    let mut out = Vec::new();
    compress_chunk(&mut c, dict, data, &mut out);
    out
}

/// Hands the chunks of one entry out raw, each with its dictionary, to be compressed
/// elsewhere (another worker); nothing is written to the zip. Returns the CRC-32 and size.
pub(crate) fn split_entry(
    produce: impl FnOnce(&mut dyn ChunkSink) -> crate::Result<Vec<u8>>,
    xml: &mut dyn FnMut(&[u8], &[u8]),
) -> crate::Result<(u32, u64)> {
    struct Split<'a> {
        xml: &'a mut dyn FnMut(&[u8], &[u8]),
        tail: Vec<u8>,
        crc: crc32fast::Hasher,
        total: u64,
    }
    impl ChunkSink for Split<'_> {
        fn push(&mut self, mut chunk: Vec<u8>) -> std::io::Result<Vec<u8>> {
            if chunk.is_empty() {
                return Ok(chunk);
            }
            self.crc.update(&chunk);
            self.total += chunk.len() as u64;
            (self.xml)(&chunk, &self.tail);
            set_tail(&mut self.tail, &chunk);
            chunk.clear();
            Ok(chunk)
        }
    }
    let mut sink = Split { xml, tail: Vec::new(), crc: crc32fast::Hasher::new(), total: 0 };
    let rest = produce(&mut sink)?;
    sink.push(rest)?;
    Ok((sink.crc.finalize(), sink.total))
}

/// Writes one deflated ZIP entry whose bytes `produce` pushes in chunks, compressing on
/// `threads` worker threads (1 = on this thread). Returns the CRC-32 and the size.
pub(crate) fn write_entry<W: Write>(
    zip: &mut ZipWriter<W>,
    level: u32,
    threads: usize,
    produce: impl FnOnce(&mut dyn ChunkSink) -> crate::Result<Vec<u8>>,
) -> crate::Result<(u32, u64)> {
    let level = Compression::new(level.min(9));
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    if threads > 1 {
        return parallel::write_entry(zip, level, threads, produce);
    }
    let _ = threads;
    let mut sink = Sequential {
        zip,
        c: Compress::new(level, false),
        tail: Vec::new(),
        out: Vec::new(),
        crc: crc32fast::Hasher::new(),
        total: 0,
    };
    let rest = produce(&mut sink)?;
    sink.push(rest)?;
    sink.zip.write_raw(&FINAL_BLOCK)?;
    Ok((sink.crc.finalize(), sink.total))
}

struct Sequential<'a, W: Write> {
    zip: &'a mut ZipWriter<W>,
    c: Compress,
    tail: Vec<u8>,
    out: Vec<u8>,
    crc: crc32fast::Hasher,
    total: u64,
}

impl<W: Write> ChunkSink for Sequential<'_, W> {
    fn push(&mut self, mut chunk: Vec<u8>) -> std::io::Result<Vec<u8>> {
        if chunk.is_empty() {
            return Ok(chunk);
        }
        self.crc.update(&chunk);
        self.total += chunk.len() as u64;
        compress_chunk(&mut self.c, &self.tail, &chunk, &mut self.out);
        self.zip.write_raw(&self.out)?;
        set_tail(&mut self.tail, &chunk);
        chunk.clear();
        Ok(chunk)
    }
}

fn set_tail(tail: &mut Vec<u8>, chunk: &[u8]) {
    tail.clear();
    tail.extend_from_slice(&chunk[chunk.len().saturating_sub(WINDOW)..]);
}

#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
mod parallel {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::mpsc::{channel, Receiver, Sender};
    use std::sync::{Arc, Mutex};

    struct Job {
        index: u64,
        dict: Vec<u8>,
        data: Vec<u8>,
    }

    struct Parallel<'a, W: Write> {
        zip: &'a mut ZipWriter<W>,
        jobs: Option<Sender<Job>>,
        results: Receiver<(u64, Vec<u8>, Vec<u8>)>,
        pending: BTreeMap<u64, Vec<u8>>,
        spare: Vec<Vec<u8>>,
        out_pool: &'a Mutex<Vec<Vec<u8>>>,
        sent: u64,
        next_out: u64,
        max_in_flight: u64,
        tail: Vec<u8>,
        crc: crc32fast::Hasher,
        total: u64,
    }

    impl<W: Write> Parallel<'_, W> {
        /// Takes one finished chunk back and writes every chunk that is next in order.
        fn collect_one(&mut self) -> std::io::Result<()> {
            let (index, out, buf) = self.results.recv().map_err(|_| std::io::Error::other("a compression thread died"))?;
            self.spare.push(buf);
            self.pending.insert(index, out);
            while let Some(out) = self.pending.remove(&self.next_out) {
                self.zip.write_raw(&out)?;
                self.out_pool.lock().expect("buffer pool").push(out);
                self.next_out += 1;
            }
            Ok(())
        }
    }

    impl<W: Write> ChunkSink for Parallel<'_, W> {
        fn push(&mut self, chunk: Vec<u8>) -> std::io::Result<Vec<u8>> {
            if chunk.is_empty() {
                return Ok(chunk);
            }
            self.crc.update(&chunk);
            self.total += chunk.len() as u64;
            let dict = std::mem::take(&mut self.tail);
            set_tail(&mut self.tail, &chunk);
            let job = Job { index: self.sent, dict, data: chunk };
            self.jobs.as_ref().expect("open").send(job).map_err(|_| std::io::Error::other("a compression thread died"))?;
            self.sent += 1;
            while self.sent - self.next_out >= self.max_in_flight {
                self.collect_one()?;
            }
            let mut buf = self.spare.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK + 4096));
            buf.clear();
            Ok(buf)
        }
    }

    pub(super) fn write_entry<W: Write>(
        zip: &mut ZipWriter<W>,
        level: Compression,
        threads: usize,
        produce: impl FnOnce(&mut dyn ChunkSink) -> crate::Result<Vec<u8>>,
    ) -> crate::Result<(u32, u64)> {
        let (job_tx, job_rx) = channel::<Job>();
        let (res_tx, res_rx) = channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let out_pool = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let job_rx = Arc::clone(&job_rx);
                let res_tx = res_tx.clone();
                let out_pool = &out_pool;
                scope.spawn(move || {
                    let mut c = Compress::new(level, false);
                    loop {
                        let job = match job_rx.lock().expect("job queue").recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        };
                        let mut out = out_pool.lock().expect("buffer pool").pop().unwrap_or_default();
                        compress_chunk(&mut c, &job.dict, &job.data, &mut out);
                        if res_tx.send((job.index, out, job.data)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(res_tx);
            let mut sink = Parallel {
                zip,
                jobs: Some(job_tx),
                results: res_rx,
                pending: BTreeMap::new(),
                spare: Vec::new(),
                out_pool: &out_pool,
                sent: 0,
                next_out: 0,
                max_in_flight: 2 * threads as u64,
                tail: Vec::new(),
                crc: crc32fast::Hasher::new(),
                total: 0,
            };
            // On an error the job channel closes when `sink` drops, and the workers end.
            let rest = produce(&mut sink)?;
            sink.push(rest)?;
            sink.jobs = None;
            while sink.next_out < sink.sent {
                sink.collect_one()?;
            }
            sink.zip.write_raw(&FINAL_BLOCK)?;
            Ok((sink.crc.finalize(), sink.total))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn entry_bytes(data: &[u8], threads: usize) -> Vec<u8> {
        let mut zip = ZipWriter::new(Vec::new());
        zip.start("x", false, crate::zip::DEFLATED).unwrap();
        let (crc, n) = write_entry(&mut zip, 1, threads, |sink| {
            let mut buf = Vec::new();
            for piece in data.chunks(CHUNK / 3) {
                buf.extend_from_slice(piece);
                if buf.len() >= CHUNK {
                    buf = sink.push(buf)?;
                }
            }
            Ok(buf)
        })
        .unwrap();
        assert_eq!((crc, n), (crc32fast::hash(data), data.len() as u64));
        zip.finish_entry(crc, n).unwrap();
        zip.finish().unwrap().0
    }

    #[test]
    fn chunked_stream_inflates_to_the_input_whatever_the_thread_count() {
        let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8 ^ (i / 7919) as u8).collect();
        let one = entry_bytes(&data, 1);
        let three = entry_bytes(&data, 3);
        assert_eq!(one, three, "thread count must not change the bytes");
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(one)).unwrap();
        let mut back = Vec::new();
        archive.by_name("x").unwrap().read_to_end(&mut back).unwrap();
        assert!(back == data);
    }
}

//! A deflate encoder for machine-written XML such as a 3MF model: long runs of elements
//! that differ only in their attribute values.
//!
//! A general compressor looks for matches at every byte, which is where zlib spends its
//! time. Here matches are looked for only at *anchors*: a `"` that closes an attribute
//! value. What follows an anchor is the element's fixed text up to the next value (`" y="`,
//! `"/><vertex x="`), and the same anchor a few elements back is followed by the same
//! text and usually a similar number, so one comparison there finds the separator and the
//! digits the two values share. Anchors are keyed by the four bytes after them and the
//! last [`WAYS`] of each key are tried. Everything else is sent as literals under a
//! dynamic Huffman code built for each chunk.
//!
//! Any input gives a valid stream (matches are verified, never assumed); only
//! repetitive XML gives a small one. On the model XML of a big mesh it is several times
//! faster than zlib's fastest level and its output about as small as zlib's level 2.

use super::huffman::{distance_symbol, length_symbol, write_dynamic_header, BitWriter, Code};

/// Candidates tried per anchor.
const WAYS: usize = 4;
/// Buckets of anchor keys.
const BUCKETS: usize = 256;
const MAX_MATCH: usize = 258;
const MAX_DIST: usize = 32768;
/// Marks a match token; the rest is `len | dist << 9`.
const MATCH: u32 = 1 << 31;

/// Block size: codes adapt when vertices give way to triangles, and a block's data stays
/// in the cache between the two passes over it.
const BLOCK: usize = 1 << 18;

/// Reusable buffers of one compressing thread.
pub(crate) struct Encoder {
    /// Stop trying candidates once a match is this long: lower is faster, higher finds
    /// longer matches.
    good_enough: usize,
    tokens: Vec<u32>,
    bits: Vec<u8>,
}

impl Encoder {
    /// An encoder that stops looking at a match of `good_enough` bytes.
    pub(crate) fn new(good_enough: usize) -> Encoder {
        Encoder { good_enough, tokens: Vec::new(), bits: Vec::new() }
    }

    /// Appends `data` to `out` as non-final dynamic blocks ended by a sync flush (an empty
    /// stored block), so compressed chunks concatenate into one stream. Matches never
    /// reach before `data`: each chunk stands alone.
    pub(crate) fn compress(&mut self, data: &[u8], out: &mut Vec<u8>) {
        let mut recent = [[0u32; WAYS]; BUCKETS];
        for start in (0..data.len()).step_by(BLOCK) {
            let end = data.len().min(start + BLOCK);
            let mut lit = [0u32; 286];
            let mut dist = [0u32; 30];
            self.tokens.clear();
            tokenize(data, start, end, self.good_enough, &mut recent, &mut self.tokens, &mut lit, &mut dist);
            // At most 15 bits per literal byte and 48 per match of 4 or more bytes, plus
            // the header; the writer needs 8 bytes to spare.
            let bound = 2 * (end - start) + 1024;
            if self.bits.len() < bound {
                self.bits.resize(bound, 0);
            }
            let mut w = BitWriter::new(&mut self.bits);
            write_block(&mut w, &data[start..end], &self.tokens, &mut lit, &mut dist);
            // A sync flush leaves the stream byte-aligned for the next chunk.
            w.put(0, 3);
            let n = w.align();
            out.extend_from_slice(&self.bits[..n]);
            out.extend_from_slice(&[0, 0, 0xFF, 0xFF]);
        }
        if data.is_empty() {
            out.extend_from_slice(&[0, 0, 0, 0xFF, 0xFF]);
        }
    }
}

/// Turns `data[start..end]` into tokens, counting symbol frequencies. A token below
/// [`MATCH`] is a run of that many literal bytes. Matches may reach back before `start`.
fn tokenize(
    data: &[u8],
    start: usize,
    end: usize,
    good_enough: usize,
    recent: &mut [[u32; WAYS]; BUCKETS],
    tokens: &mut Vec<u32>,
    lit: &mut [u32; 286],
    dist: &mut [u32; 30],
) {
    let mut p = start;
    let mut run = start;
    // Anchors need the four bytes after them.
    let anchor_end = end.saturating_sub(4);
    while p < end {
        while p < end && data[p] != b'"' {
            lit[data[p] as usize] += 1;
            p += 1;
        }
        if p < anchor_end && p > 0 && data[p - 1] != b'=' {
            let key = u32::from_le_bytes([data[p + 1], data[p + 2], data[p + 3], data[p + 4]]);
            let ways = &mut recent[(key.wrapping_mul(0x9E37_79B1) >> 24) as usize];
            let limit = MAX_MATCH.min(end - p);
            let (mut best, mut best_from) = (0, 0);
            // Most matches end within 8 bytes: compare one word per candidate and go on
            // only with the candidate whose first word matches completely.
            let here = (p + 8 <= data.len()).then(|| word(data, p));
            for &c in ways.iter() {
                let c = c as usize;
                if c == 0 || p - c > MAX_DIST {
                    continue;
                }
                let len = match here {
                    Some(x) => match x ^ word(data, c) {
                        0 => common_prefix(&data[c..], &data[p..], limit),
                        diff => ((diff.trailing_zeros() / 8) as usize).min(limit),
                    },
                    None => common_prefix(&data[c..], &data[p..], limit),
                };
                if len > best {
                    (best, best_from) = (len, c);
                    if best >= good_enough {
                        break;
                    }
                }
            }
            ways.copy_within(0..WAYS - 1, 1);
            ways[0] = p as u32;
            if best >= 4 {
                if p > run {
                    tokens.push((p - run) as u32);
                }
                let d = (p - best_from) as u32;
                tokens.push(MATCH | best as u32 | d << 9);
                lit[257 + length_symbol(best as u32).0 as usize] += 1;
                dist[distance_symbol(d).0 as usize] += 1;
                p += best;
                run = p;
                continue;
            }
        }
        if p < end {
            // The quote itself is a literal.
            lit[b'"' as usize] += 1;
            p += 1;
        }
    }
    if end > run {
        tokens.push((end - run) as u32);
    }
}

/// The 8 bytes at `data[i..]` as one word.
#[inline(always)]
fn word(data: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(data[i..i + 8].try_into().expect("8 bytes"))
}

/// Bytes `a` and `b` have in common at their start, at most `limit`.
#[inline]
fn common_prefix(a: &[u8], b: &[u8], limit: usize) -> usize {
    let limit = limit.min(a.len()).min(b.len());
    let mut n = 0;
    while n + 8 <= limit {
        let x = u64::from_le_bytes(a[n..n + 8].try_into().unwrap());
        let y = u64::from_le_bytes(b[n..n + 8].try_into().unwrap());
        let diff = x ^ y;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < limit && a[n] == b[n] {
        n += 1;
    }
    n
}

/// Writes one dynamic block (without the final flag) of `tokens`, which cover `block`.
fn write_block(w: &mut BitWriter, block: &[u8], tokens: &[u32], lit: &mut [u32; 286], dist: &mut [u32; 30]) {
    lit[256] += 1;
    let lit = Code::for_frequencies(lit, 15);
    let dist = Code::for_frequencies(dist, 15);
    write_dynamic_header(w, &lit, &dist);
    // Code and length of each byte in one word: one load per literal.
    let byte: Vec<u64> = (0..256).map(|b| lit.bits[b] as u64 | (lit.len[b] as u64) << 32).collect();
    let mut at = 0;
    for &t in tokens {
        if t & MATCH == 0 {
            let run = &block[at..at + t as usize];
            at += t as usize;
            // Two literals per store: at most 30 bits.
            let mut pairs = run.chunks_exact(2);
            for pair in &mut pairs {
                let (a, b) = (byte[pair[0] as usize], byte[pair[1] as usize]);
                let len_a = (a >> 32) as u32;
                w.put((a & 0xFFFF_FFFF) | (b & 0xFFFF_FFFF) << len_a, len_a + (b >> 32) as u32);
            }
            for &x in pairs.remainder() {
                let a = byte[x as usize];
                w.put(a & 0xFFFF_FFFF, (a >> 32) as u32);
            }
        } else {
            let len = t & 0x1FF;
            let d = (t & !MATCH) >> 9;
            at += len as usize;
            let (s, extra, base) = length_symbol(len);
            let s = 257 + s as usize;
            let (ds, dextra, dbase) = distance_symbol(d);
            let ds = ds as usize;
            let head = lit.bits[s] as u64 | ((len - base) as u64) << lit.len[s];
            let head_len = lit.len[s] as u32 + extra;
            let tail = dist.bits[ds] as u64 | ((d - dbase) as u64) << dist.len[ds];
            // At most 20 + 28 bits: one store.
            w.put(head | tail << head_len, head_len + dist.len[ds] as u32 + dextra);
        }
    }
    w.put(lit.bits[256] as u64, lit.len[256] as u32);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn roundtrip(data: &[u8]) -> usize {
        let mut out = Vec::new();
        Encoder::new(MAX_MATCH).compress(data, &mut out);
        out.extend_from_slice(&crate::deflate::FINAL_BLOCK);
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&out[..]).read_to_end(&mut back).unwrap();
        assert!(back == data, "the stream must inflate to its input");
        out.len()
    }

    #[test]
    fn vertex_xml_round_trips_and_shrinks() {
        let mut xml = Vec::new();
        for i in 0..40_000u32 {
            let f = i as f32 * 0.37;
            xml.extend_from_slice(format!("<vertex x=\"{f}\" y=\"{}\" z=\"{}\"/>", f * 2.0, i % 97).as_bytes());
        }
        let size = roundtrip(&xml);
        assert!(size * 3 < xml.len(), "{size} of {}", xml.len());
    }

    #[test]
    fn arbitrary_bytes_round_trip() {
        let mut seed = 7u64;
        let data: Vec<u8> = (0..700_000)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Mostly quotes and a few letters, so anchors and matches abound.
                b"\"\"=ab"[(seed >> 60) as usize % 5]
            })
            .collect();
        roundtrip(&data);
        roundtrip(b"");
        roundtrip(b"\"");
        roundtrip(b"a\"bcde\"bcde\"bcde");
    }
}

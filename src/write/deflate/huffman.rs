//! Deflate's entropy layer (RFC 1951): a bit writer, length-limited Huffman codes and
//! dynamic block headers. The match finding lives in [`super::anchored`].

/// Writes bits least significant first, as deflate wants, into a buffer sized by the
/// caller with 8 bytes to spare: every `put` stores the whole accumulator and moves on by
/// the bytes completed, which costs no branch.
pub(super) struct BitWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
    acc: u64,
    n: u32,
}

impl<'a> BitWriter<'a> {
    pub(super) fn new(buf: &'a mut [u8]) -> BitWriter<'a> {
        BitWriter { buf, pos: 0, acc: 0, n: 0 }
    }

    /// Writes the low `len` (at most 56) bits of `bits`.
    #[inline(always)]
    pub(super) fn put(&mut self, bits: u64, len: u32) {
        self.acc |= bits << self.n;
        self.n += len;
        self.buf[self.pos..self.pos + 8].copy_from_slice(&self.acc.to_le_bytes());
        let bytes = self.n / 8;
        self.pos += bytes as usize;
        self.acc >>= bytes * 8;
        self.n -= bytes * 8;
    }

    /// Pads with zero bits to a byte boundary; returns the bytes written.
    pub(super) fn align(&mut self) -> usize {
        if self.n > 0 {
            self.pos += 1;
        }
        (self.acc, self.n) = (0, 0);
        self.pos
    }
}

/// A prefix code: per symbol, its bit-reversed code (ready for [`BitWriter::put`]) and length.
pub(super) struct Code {
    pub(super) bits: Vec<u32>,
    pub(super) len: Vec<u8>,
}

impl Code {
    /// The canonical code for `len` (RFC 1951, 3.2.2).
    pub(super) fn from_lengths(len: Vec<u8>) -> Code {
        let mut count = [0u32; 16];
        for &l in &len {
            count[l as usize] += 1;
        }
        count[0] = 0;
        let mut next = [0u32; 16];
        let mut code = 0;
        for b in 1..16 {
            code = (code + count[b - 1]) << 1;
            next[b] = code;
        }
        let bits = len
            .iter()
            .map(|&l| {
                if l == 0 {
                    return 0;
                }
                let c = next[l as usize];
                next[l as usize] += 1;
                c.reverse_bits() >> (32 - l as u32)
            })
            .collect();
        Code { bits, len }
    }

    /// The optimal code for `freq` with no code longer than `limit` bits.
    pub(super) fn for_frequencies(freq: &[u32], limit: u32) -> Code {
        Code::from_lengths(lengths(freq, limit))
    }
}

/// Huffman code lengths for `freq`, at most `limit` bits. At least two symbols get a
/// length, so the code is always complete (a lone symbol is paired with a dummy one).
fn lengths(freq: &[u32], limit: u32) -> Vec<u8> {
    let mut syms: Vec<(u32, u16)> =
        freq.iter().enumerate().filter(|(_, &f)| f > 0).map(|(i, &f)| (f, i as u16)).collect();
    for dummy in 0..2u16 {
        if syms.len() < 2 && !syms.iter().any(|s| s.1 == dummy) {
            syms.push((0, dummy));
        }
    }
    syms.sort_unstable();
    let n = syms.len();
    // Huffman's algorithm on sorted weights with two queues: leaves, then merged nodes
    // (which come out in non-decreasing order).
    let mut weight: Vec<u64> = syms.iter().map(|s| s.0 as u64).collect();
    weight.resize(2 * n - 1, 0);
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut leaf, mut node) = (0, n);
    for k in n..2 * n - 1 {
        let mut pick = || {
            if leaf < n && (node >= k || weight[leaf] <= weight[node]) {
                leaf += 1;
                leaf - 1
            } else {
                node += 1;
                node - 1
            }
        };
        let (a, b) = (pick(), pick());
        weight[k] = weight[a] + weight[b];
        parent[a] = k;
        parent[b] = k;
    }
    let mut depth = vec![0u32; 2 * n - 1];
    for k in (0..2 * n - 2).rev() {
        depth[k] = depth[parent[k]] + 1;
    }
    // Enforce the limit (as miniz does): fold longer codes into `limit`, then lengthen
    // the shortest codes until the Kraft sum is exactly 1 again.
    let mut count = vec![0u32; limit as usize + 1];
    for &d in &depth[..n] {
        count[d.min(limit) as usize] += 1;
    }
    let full = 1u64 << limit;
    let mut total: u64 = (1..=limit as usize).map(|l| (count[l] as u64) << (limit as usize - l)).sum();
    while total > full {
        count[limit as usize] -= 1;
        for l in (1..limit as usize).rev() {
            if count[l] > 0 {
                count[l] -= 1;
                count[l + 1] += 2;
                break;
            }
        }
        total -= 1;
    }
    // The rarest symbols (first in `syms`) take the longest codes.
    let mut out = vec![0u8; freq.len().max(2)];
    let mut i = 0;
    for l in (1..=limit as usize).rev() {
        for _ in 0..count[l] {
            out[syms[i].1 as usize] = l as u8;
            i += 1;
        }
    }
    out
}

const LEN_BASE: [u32; 29] =
    [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA: [u32; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];

/// The length symbol of every match length, looked up once per match (a search showed
/// up in profiles).
const LEN_SYMBOL: [u8; 259] = {
    let mut t = [0u8; 259];
    let mut len = 3;
    while len <= 258 {
        let mut s = 0;
        while s + 1 < 29 && LEN_BASE[s + 1] <= len as u32 {
            s += 1;
        }
        t[len] = s as u8;
        len += 1;
    }
    t
};

/// Deflate's length symbols: for a match length 3..=258, (symbol − 257, extra bit count, base).
#[inline(always)]
pub(super) fn length_symbol(len: u32) -> (u32, u32, u32) {
    let s = LEN_SYMBOL[len as usize] as usize;
    (s as u32, LEN_EXTRA[s], LEN_BASE[s])
}

/// Deflate's distance symbols: for a distance 1..=32768, (symbol, extra bit count, base).
#[inline(always)]
pub(super) fn distance_symbol(dist: u32) -> (u32, u32, u32) {
    let d = dist - 1;
    if d < 4 {
        return (d, 0, dist);
    }
    let extra = 31 - d.leading_zeros() - 1;
    let symbol = 2 * extra + 2 + ((d >> extra) & 1);
    (symbol, extra, (2 | ((d >> extra) & 1)) << extra | 1)
}

/// The order in which code length code lengths are sent.
const CL_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/// Writes the header of a non-final dynamic block whose codes are `lit` (286 symbols)
/// and `dist` (30 symbols).
pub(super) fn write_dynamic_header(w: &mut BitWriter, lit: &Code, dist: &Code) {
    let hlit = 257.max(lit.len.iter().rposition(|&l| l > 0).map_or(0, |i| i + 1));
    let hdist = 1.max(dist.len.iter().rposition(|&l| l > 0).map_or(0, |i| i + 1));
    let all: Vec<u8> = lit.len[..hlit].iter().chain(&dist.len[..hdist]).copied().collect();
    // Run-length code the lengths: 16 repeats the previous 3–6 times, 17 and 18 are zero runs.
    let mut ops: Vec<(u8, u8)> = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let l = all[i];
        let run = all[i..].iter().take_while(|&&x| x == l).count();
        if l == 0 && run >= 11 {
            let r = run.min(138);
            ops.push((18, (r - 11) as u8));
            i += r;
        } else if l == 0 && run >= 3 {
            ops.push((17, (run - 3) as u8));
            i += run;
        } else if l != 0 && run >= 4 {
            ops.push((l, 0));
            let r = (run - 1).min(6);
            ops.push((16, (r - 3) as u8));
            i += 1 + r;
        } else {
            ops.push((l, 0));
            i += 1;
        }
    }
    let mut freq = [0u32; 19];
    for &(s, _) in &ops {
        freq[s as usize] += 1;
    }
    let cl = Code::for_frequencies(&freq, 7);
    let hclen = 4.max(CL_ORDER.iter().rposition(|&s| cl.len[s] > 0).map_or(0, |i| i + 1));
    w.put(0b100, 3); // BFINAL = 0, BTYPE = 10 (dynamic)
    w.put((hlit - 257) as u64, 5);
    w.put((hdist - 1) as u64, 5);
    w.put((hclen - 4) as u64, 4);
    for &s in &CL_ORDER[..hclen] {
        w.put(cl.len[s] as u64, 3);
    }
    for (s, extra) in ops {
        w.put(cl.bits[s as usize] as u64, cl.len[s as usize] as u32);
        match s {
            16 => w.put(extra as u64, 2),
            17 => w.put(extra as u64, 3),
            18 => w.put(extra as u64, 7),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_respect_the_limit_and_stay_complete() {
        // Fibonacci weights make the deepest possible tree: 30 levels unlimited.
        let mut freq = vec![1u32, 1];
        while freq.len() < 30 {
            let n = freq.len();
            freq.push(freq[n - 1] + freq[n - 2]);
        }
        let len = lengths(&freq, 15);
        assert!(len.iter().all(|&l| (1..=15).contains(&l)));
        let kraft: f64 = len.iter().map(|&l| 0.5f64.powi(l as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12, "Kraft sum {kraft}");
        assert!(len[29] <= len[0], "the most frequent symbol must not get the longer code");
    }

    #[test]
    fn a_single_symbol_still_gets_a_complete_code() {
        let mut freq = [0u32; 30];
        freq[7] = 5;
        let len = lengths(&freq, 15);
        assert_eq!(len[7], 1);
        assert_eq!(len.iter().filter(|&&l| l == 1).count(), 2);
    }

    #[test]
    fn symbol_tables_match_rfc_1951() {
        assert_eq!(length_symbol(3), (0, 0, 3));
        assert_eq!(length_symbol(10), (7, 0, 10));
        assert_eq!(length_symbol(12), (8, 1, 11));
        assert_eq!(length_symbol(257), (27, 5, 227));
        assert_eq!(length_symbol(258), (28, 0, 258));
        assert_eq!(distance_symbol(1), (0, 0, 1));
        assert_eq!(distance_symbol(4), (3, 0, 4));
        assert_eq!(distance_symbol(5), (4, 1, 5));
        assert_eq!(distance_symbol(7), (5, 1, 7));
        assert_eq!(distance_symbol(25), (9, 3, 25));
        assert_eq!(distance_symbol(32768), (29, 13, 24577));
    }
}

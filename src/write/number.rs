//! Numbers as 3MF wants them (XSD `ST_Number`): the shortest decimal that parses back to
//! the same f32, with no exponent, no trailing dot and no `-0`.

use std::mem::MaybeUninit;

/// Appends `x` (finite) to `out`.
#[inline]
pub(crate) fn push_f32(out: &mut Vec<u8>, x: f32) {
    if x == 0.0 {
        out.push(b'0');
        return;
    }
    // zmij (dtolnay's successor to ryu): the same shortest digits, about twice as fast.
    let mut buf = zmij::Buffer::new();
    let s = buf.format_finite(x).as_bytes();
    if let Some(int) = s.strip_suffix(b".0") {
        out.extend_from_slice(int);
    } else if !s.contains(&b'e') {
        out.extend_from_slice(s);
    } else {
        expand_exponent(out, s);
    }
}

/// Rewrites the `d.ddde±x` form as a plain decimal.
#[cold]
fn expand_exponent(out: &mut Vec<u8>, s: &[u8]) {
    let (negative, s) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let e_at = s.iter().position(|&b| b == b'e').unwrap_or(s.len());
    let (mantissa, exp) = s.split_at(e_at);
    let exp: i32 = std::str::from_utf8(&exp[1..]).ok().and_then(|e| e.parse().ok()).unwrap_or(0);
    let int_digits = mantissa.iter().position(|&b| b == b'.').unwrap_or(mantissa.len()) as i32;
    let digits: Vec<u8> = mantissa.iter().copied().filter(|&b| b != b'.').collect();
    let point = int_digits + exp;
    if negative {
        out.push(b'-');
    }
    if point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(&digits);
    } else if point as usize >= digits.len() {
        out.extend_from_slice(&digits);
        out.extend(std::iter::repeat_n(b'0', point as usize - digits.len()));
    } else {
        out.extend_from_slice(&digits[..point as usize]);
        out.push(b'.');
        out.extend_from_slice(&digits[point as usize..]);
    }
}

/// Appends an unsigned integer.
#[inline]
pub(crate) fn push_u32(out: &mut Vec<u8>, x: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(x).as_bytes());
}

/// Writes many elements straight into a `Vec`'s spare room: each piece is a store of known
/// size instead of a `memcpy` call per number, which was most of the rendering time.
pub(crate) struct Cursor<'a> {
    out: &'a mut Vec<u8>,
    n: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `out`'s spare room, at least `room` bytes of it.
    pub(crate) fn new(out: &'a mut Vec<u8>, room: usize) -> Cursor<'a> {
        out.reserve(room);
        Cursor { out, n: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    /// Forgets what was written after the first `n` bytes.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.n = self.n.min(n);
    }

    #[inline(always)]
    fn room(&mut self, n: usize) -> &mut [MaybeUninit<u8>] {
        &mut self.out.spare_capacity_mut()[self.n..self.n + n]
    }

    #[inline(always)]
    pub(crate) fn put<const N: usize>(&mut self, s: &[u8; N]) {
        // A fixed length: the loop becomes a few stores.
        for (d, &x) in self.room(N).iter_mut().zip(s) {
            d.write(x);
        }
        self.n += N;
    }

    /// Writes a number's few bytes as two fixed-size copies that overlap, not a copy of
    /// variable length: in wasm that is a `memory.copy`, a call out of the module.
    #[inline(always)]
    fn put_short(&mut self, s: &[u8]) {
        let n = s.len();
        let room = self.room(n);
        if (8..=16).contains(&n) {
            copy::<8>(&mut room[..8], &s[..8]);
            copy::<8>(&mut room[n - 8..], &s[n - 8..]);
        } else if (4..8).contains(&n) {
            copy::<4>(&mut room[..4], &s[..4]);
            copy::<4>(&mut room[n - 4..], &s[n - 4..]);
        } else {
            for (d, &x) in room.iter_mut().zip(s) {
                d.write(x);
            }
        }
        self.n += n;
    }

    /// Writes an unsigned integer, two digits at a time from the right.
    #[inline(always)]
    pub(crate) fn put_u32(&mut self, x: u32) {
        let len = x.checked_ilog10().unwrap_or(0) as usize + 1;
        let digits = self.room(len);
        let (mut v, mut i) = (x as usize, len);
        while v >= 100 {
            let r = 2 * (v % 100);
            v /= 100;
            i -= 2;
            digits[i].write(PAIRS[r]);
            digits[i + 1].write(PAIRS[r + 1]);
        }
        if v >= 10 {
            digits[0].write(PAIRS[2 * v]);
            digits[1].write(PAIRS[2 * v + 1]);
        } else {
            digits[0].write(b'0' + v as u8);
        }
        self.n += len;
    }

    /// Writes `x` (finite) as [`push_f32`] does; returns false, writing nothing, for the
    /// rare values whose shortest form has an exponent, which [`push_f32`] expands.
    #[inline(always)]
    pub(crate) fn put_f32(&mut self, x: f32) -> bool {
        if x == 0.0 {
            self.put(b"0");
            return true;
        }
        let mut buf = zmij::Buffer::new();
        let s = buf.format_finite(x).as_bytes();
        // A loop, not `contains`: that calls `memchr`, which costs more than these few bytes.
        if s.len() > MAX_PLAIN || s.contains(&b'e') {
            return false;
        }
        self.put_short(s.strip_suffix(b".0").unwrap_or(s));
        true
    }

    /// Makes the bytes written part of the vector.
    pub(crate) fn commit(self) {
        // SAFETY: `room` checked that the first `n` bytes of spare room exist, and every
        // one of them was written: each writer writes all the bytes it counts.
        unsafe { self.out.set_len(self.out.len() + self.n) }
    }
}

/// Copies the first `N` bytes of `s` to `d`: a fixed size, so a single load and store.
#[inline(always)]
fn copy<const N: usize>(d: &mut [MaybeUninit<u8>], s: &[u8]) {
    let s: [u8; N] = s[..N].try_into().expect("N bytes");
    for (d, x) in d[..N].iter_mut().zip(s) {
        d.write(x);
    }
}

/// Room [`Cursor::put_f32`] may need for one number.
pub(crate) const MAX_PLAIN: usize = 40;

/// "00" to "99".
static PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    fn text(x: f32) -> String {
        let mut v = vec![];
        push_f32(&mut v, x);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn examples() {
        assert_eq!(text(1.0), "1");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(0.1), "0.1");
        assert_eq!(text(-2.5), "-2.5");
        assert_eq!(text(1e-7), "0.0000001");
        assert_eq!(text(1.5e10), "15000000000");
        assert_eq!(text(f32::MIN_POSITIVE), format!("{}", f32::MIN_POSITIVE));
        assert_eq!(text(f32::MAX), format!("{}", f32::MAX));
    }

    /// The cursor writes what `push_f32` writes, for numbers of every length its copies
    /// distinguish (1 to 3, 4 to 7 and 8 to 16 bytes; a plain f32 is never longer), one after another in one
    /// buffer, so a copy that wrote past its number would show in the next.
    #[test]
    fn the_cursor_writes_numbers_of_every_length_as_push_f32_does() {
        let mut expected = Vec::new();
        let mut written = Vec::new();
        let mut lengths = std::collections::BTreeSet::new();
        let values = (0u32..=u32::MAX).step_by(65_521).map(f32::from_bits).chain([1.0, -2.0, 0.5, 12.5, -0.25, 100.0]);
        let mut c = Cursor::new(&mut written, 3_000_000);
        for x in values.filter(|x| x.is_finite()) {
            let before = expected.len();
            push_f32(&mut expected, x);
            if c.put_f32(x) {
                lengths.insert(expected.len() - before);
                c.put(b" ");
            } else {
                expected.truncate(before);
                continue;
            }
            expected.push(b' ');
        }
        c.commit();
        assert_eq!(String::from_utf8_lossy(&written), String::from_utf8_lossy(&expected));
        for n in [1, 2, 3, 4, 7, 8, 16] {
            assert!(lengths.contains(&n), "no number of {n} bytes in the sweep: {lengths:?}");
        }
    }

    /// Every pattern in a sweep of the f32 space reads back bit-exact, with as few digits
    /// as Rust's own shortest plain formatting (which never uses an exponent).
    #[test]
    fn round_trips_bit_exact_across_the_f32_range() {
        let mut checked = 0;
        for bits in (0u32..=u32::MAX).step_by(9973) {
            let x = f32::from_bits(bits);
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            let t = text(x);
            assert!(!t.contains(['e', 'E']) && !t.ends_with('.'), "{t}");
            assert_eq!(t.parse::<f32>().unwrap().to_bits(), bits, "{t}");
            // As short as Rust's own shortest plain formatting (ties may pick another digit).
            assert_eq!(t.len(), format!("{x}").len(), "{t}");
            checked += 1;
        }
        assert!(checked > 400_000);
    }
}

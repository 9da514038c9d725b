//! Text inputs: lines through a bounded buffer (LF, CRLF and lone CR endings), UTF-16
//! transcoding, and the tests and number parsing the text readers share.

use std::io::Read;

use crate::error::{Error, Position, Result};

const CHUNK: usize = 256 * 1024;

/// Text has no control characters but blanks (and the DOS end-of-file mark).
pub(crate) fn is_text(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1a))
}

/// Parses a decimal number as the nearest f32 (`1e+000` and `-.5` included).
#[inline]
pub(crate) fn parse_f32(token: &[u8]) -> Option<f32> {
    std::str::from_utf8(token).ok()?.parse().ok()
}

/// Yields the lines of a byte stream without their terminators.
pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    line: u64,
    max_line: usize,
}

impl<R: Read> Lines<R> {
    /// Reads `inner`, refusing lines longer than `max_line` bytes. `prefix` holds bytes
    /// already taken from `inner` (for sniffing) that come first.
    pub(crate) fn new(inner: R, prefix: &[u8], max_line: usize) -> Lines<R> {
        let mut buf = vec![0; CHUNK.max(prefix.len())];
        buf[..prefix.len()].copy_from_slice(prefix);
        let mut lines = Lines { inner, buf, start: 0, end: prefix.len(), eof: false, line: 0, max_line };
        if lines.buf[..lines.end].starts_with(b"\xEF\xBB\xBF") {
            lines.start = 3;
        }
        lines
    }

    /// The 1-based number of the line last returned.
    pub(crate) fn line_number(&self) -> u64 {
        self.line
    }

    /// The next line with its 1-based number, or `None` at the end of input.
    pub(crate) fn next_line(&mut self) -> Result<Option<(u64, &[u8])>> {
        let (s, e) = loop {
            let window = &self.buf[self.start..self.end];
            if let Some(i) = memchr::memchr2(b'\n', b'\r', window) {
                let term = window[i];
                if term == b'\r' && i + 1 == window.len() && !self.eof {
                    // A CR at the end of the buffer may be the first half of a CRLF.
                    self.fill()?;
                    continue;
                }
                let skip = if term == b'\r' && window.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
                let s = self.start;
                self.start += i + skip;
                break (s, s + i);
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let s = self.start;
                self.start = self.end;
                break (s, self.end);
            }
            self.fill()?;
        };
        self.line += 1;
        if e - s > self.max_line {
            return Err(self.too_long());
        }
        Ok(Some((self.line, &self.buf[s..e])))
    }

    fn too_long(&self) -> Error {
        Error::limit(
            Position::Line(self.line),
            format!(
                "line is longer than {} bytes; this is not a text mesh file, or raise the line limit",
                self.max_line
            ),
        )
    }

    /// Moves the unread bytes to the front and reads more after them.
    fn fill(&mut self) -> Result<()> {
        let pending = self.end - self.start;
        if pending > self.max_line + 2 {
            self.line += 1;
            return Err(self.too_long());
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.start = 0;
        self.end = pending;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// UTF-16 text (after its byte-order mark) as UTF-8 bytes; unpaired surrogates become U+FFFD
/// and a lone last byte is dropped.
pub(crate) struct Utf16<R> {
    pub(crate) inner: R,
    pub(crate) big_endian: bool,
    pub(crate) out: Vec<u8>,
    pub(crate) at: usize,
}

impl<R: std::io::BufRead> Utf16<R> {
    fn unit(&mut self) -> std::io::Result<Option<u16>> {
        let mut b = [0u8; 2];
        match self.inner.read_exact(&mut b) {
            Ok(()) => Ok(Some(if self.big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) })),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl<R: std::io::BufRead> std::io::Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Refill with up to 4 KiB of text at a time.
        if self.at == self.out.len() {
            self.out.clear();
            self.at = 0;
            while self.out.len() < 4096 {
                let Some(u) = self.unit()? else { break };
                let c = if (0xD800..0xDC00).contains(&u) {
                    match self.unit()? {
                        Some(low) if (0xDC00..0xE000).contains(&low) => {
                            char::from_u32(0x10000 + ((u as u32 - 0xD800) << 10) + (low as u32 - 0xDC00))
                                .unwrap_or('\u{FFFD}')
                        }
                        _ => '\u{FFFD}',
                    }
                } else {
                    char::from_u32(u as u32).unwrap_or('\u{FFFD}')
                };
                let mut tmp = [0u8; 4];
                self.out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
            // The byte-order mark itself is not text.
            if self.out.starts_with("\u{FEFF}".as_bytes()) {
                self.at = 3;
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], chunk_prefix: usize) -> Vec<(u64, String)> {
        let (prefix, rest) = input.split_at(chunk_prefix.min(input.len()));
        let mut l = Lines::new(rest, prefix, 100);
        let mut out = vec![];
        while let Some((n, line)) = l.next_line().unwrap() {
            out.push((n, String::from_utf8(line.to_vec()).unwrap()));
        }
        out
    }

    #[test]
    fn every_line_ending_counts_once() {
        let want: Vec<(u64, String)> =
            vec![(1, "a".into()), (2, "b".into()), (3, "".into()), (4, "c".into()), (5, "d".into())];
        assert_eq!(all(b"a\nb\r\n\rc\rd", 0), want);
        assert_eq!(all(b"a\nb\r\n\rc\rd\n", 3), want);
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(all(b"\xEF\xBB\xBFv 1 2 3\n", 5), vec![(1, "v 1 2 3".to_string())]);
    }

    #[test]
    fn an_overlong_line_is_an_error_naming_it() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1000));
        let mut l = Lines::new(&input[..], &[], 100);
        assert!(l.next_line().unwrap().is_some());
        let e = l.next_line().unwrap_err();
        assert_eq!(e.position(), Position::Line(2));
        assert_eq!(e.code(), "limit");
    }
}

//! STL readers: binary (sniffed by content, never by a leading `solid`) and ASCII.

use std::io::Read;

use super::reading::{read_full, Reading};
use super::text::{is_text, parse_f32, Lines};
use crate::error::{Error, ErrorKind, Position, Result};
use crate::mesh::MeshBuilder;

/// Whether the first bytes of a file are an ASCII STL: `solid` first (after a BOM, blanks
/// and `#` comment lines) and no control characters, which every binary STL has in its
/// first records (zero bytes in the triangle count, normals or attribute word), whatever
/// text its header holds.
pub(crate) fn looks_ascii(head: &[u8]) -> bool {
    let mut body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    loop {
        let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
        body = &body[start..];
        if !body.starts_with(b"#") {
            break;
        }
        // A comment line: on to the next line (none: the head ends in the comment).
        body = memchr::memchr2(b'\n', b'\r', body).map_or(&[][..], |end| &body[end..]);
    }
    body.len() >= 5 && body[..5].eq_ignore_ascii_case(b"solid") && is_text(head)
}

/// Reads a binary STL. `head` holds the first bytes, already taken from `rest`.
pub(crate) fn read_binary<R: Read>(head: &[u8], rest: R, reading: &mut Reading) -> Result<()> {
    let mut input = head.chain(rest);
    let mut header = [0u8; 84];
    let got = read_full(&mut input, &mut header)?;
    let mut records = Records::start(&header[..got], reading)?;
    let mut buf = vec![0u8; 50 * 4096];
    loop {
        // Never past the declared count: what follows it is counted, not parsed.
        let want = (records.left().min(4096) * 50) as usize;
        if want == 0 {
            records.trailing(std::io::copy(&mut input, &mut std::io::sink())?);
            break;
        }
        let got = read_full(&mut input, &mut buf[..want])?;
        records.feed(&buf[..got], reading)?;
        if got < want {
            break;
        }
    }
    records.finish(reading)
}

/// The triangle records of a binary STL after its header, given in pieces of any size.
pub(crate) struct Records {
    mesh: MeshBuilder,
    declared: u64,
    done: u64,
    /// The start of a record split between two pieces.
    carry: Vec<u8>,
    trailing: u64,
    tris: Vec<[[f32; 3]; 3]>,
}

impl Records {
    /// Checks the 84-byte header (`header` may be shorter: the whole file) against the file
    /// size, when known, and starts the mesh.
    pub(crate) fn start(header: &[u8], reading: &mut Reading) -> Result<Records> {
        let got = header.len();
        if got < 84 {
            return Err(Error::truncated(
                Position::Byte(got as u64),
                format!("only {got} bytes: a binary STL has an 80-byte header and a 4-byte triangle count"),
            ));
        }
        let declared = u32::from_le_bytes([header[80], header[81], header[82], header[83]]) as u64;
        if let Some(size) = reading.size_hint {
            let room = size.saturating_sub(84) / 50;
            if declared > room {
                return Err(Error::truncated(
                    Position::Triangle(room + 1),
                    format!(
                        "not a complete binary STL: the header declares {declared} triangles ({} bytes) but the file has {size} bytes, room for {room}",
                        84 + 50 * declared
                    ),
                ));
            }
        }
        // The declared count only sizes the first allocation after being capped by the real
        // size (when known): a corrupt header must not make us reserve gigabytes.
        let room = reading.size_hint.map(|s| s.saturating_sub(84) / 50).unwrap_or(1 << 20);
        let mesh = reading.builder(reading.stem.clone(), declared.min(room) as usize);
        Ok(Records { mesh, declared, done: 0, carry: Vec::new(), trailing: 0, tris: Vec::with_capacity(4096) })
    }

    /// Records still to read (all there are when the header declares 0).
    pub(crate) fn left(&self) -> u64 {
        if self.declared == 0 {
            u64::MAX
        } else {
            self.declared - self.done
        }
    }

    /// Bytes after the declared records, which are only counted.
    pub(crate) fn trailing(&mut self, n: u64) {
        self.trailing += n;
    }

    /// Reads the records in `bytes`, which follow the bytes fed before.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], reading: &mut Reading) -> Result<()> {
        if !self.carry.is_empty() {
            let n = (50 - self.carry.len()).min(bytes.len());
            self.carry.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
            if self.carry.len() < 50 {
                return Ok(());
            }
            let record = std::mem::take(&mut self.carry);
            self.records(&record, reading)?;
        }
        while !bytes.is_empty() {
            let n = (self.left().min(4096) * 50).min(bytes.len() as u64) as usize;
            if n == 0 {
                self.trailing += bytes.len() as u64;
                return Ok(());
            }
            let whole = n / 50 * 50;
            self.records(&bytes[..whole], reading)?;
            if whole < n {
                self.carry.extend_from_slice(&bytes[whole..n]);
            }
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// Adds whole records.
    fn records(&mut self, bytes: &[u8], reading: &Reading) -> Result<()> {
        let records = bytes.len() / 50;
        let max = reading.options.max_triangles;
        if self.done + records as u64 > max {
            return Err(Error::limit(
                Position::Triangle(max + 1),
                format!("more than {max} triangles; raise the triangle limit to convert this file"),
            ));
        }
        self.tris.clear();
        self.tris.extend(bytes.chunks_exact(50).map(|rec| {
            let f = |i: usize| f32::from_le_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
            [[f(12), f(16), f(20)], [f(24), f(28), f(32)], [f(36), f(40), f(44)]]
        }));
        let first = self.done;
        self.mesh.add_batch(&self.tris, |i| Position::Triangle(first + i as u64 + 1))?;
        self.done += records as u64;
        Ok(())
    }

    /// Ends the file: an error if it ended inside the declared records, warnings for a
    /// count of 0 and for bytes after the last record; the mesh is handed to `reading`.
    pub(crate) fn finish(mut self, reading: &mut Reading) -> Result<()> {
        let declared = self.declared;
        if declared != 0 && self.done < declared {
            return Err(Error::truncated(
                Position::Triangle(self.done + 1),
                format!(
                    "the file ends inside triangle {} of the {declared} its header declares ({} bytes expected)",
                    self.done + 1,
                    84 + 50 * declared
                ),
            ));
        }
        // With a count of 0, a last partial record is what follows the data.
        self.trailing += self.carry.len() as u64;
        if declared == 0 && self.done > 0 {
            reading.warn(format!("the header declares 0 triangles; read {} from the data that follows", self.done));
        }
        if self.trailing > 0 {
            reading.warn(format!("{} bytes after the last triangle were ignored", self.trailing));
        }
        reading.push(self.mesh)?;
        Ok(())
    }
}

/// Reads an ASCII STL. Each `solid` block becomes its own mesh named after the solid.
/// Normals are ignored (slicers recompute them), so junk normals do no harm; so are lines
/// starting with `#` (comments).
pub(crate) fn read_ascii<R: Read>(head: &[u8], rest: R, reading: &mut Reading) -> Result<()> {
    let mut lines = Lines::new(rest, head, reading.options.max_line_bytes);
    let mut current: Option<MeshBuilder> = None;
    let mut poly: Vec<[f32; 3]> = Vec::with_capacity(3);
    let mut in_loop = false;
    let mut total: u64 = 0;
    let (mut short_loops, mut missing_endloop) = (0u64, 0u64);
    while let Some((ln, line)) = lines.next_line()? {
        let mut tokens = line.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
        let Some(keyword) = tokens.next() else { continue };
        let kw = |k: &[u8]| keyword.eq_ignore_ascii_case(k);
        if kw(b"vertex") {
            if !in_loop {
                return Err(Error::syntax(Position::Line(ln), "'vertex' outside an 'outer loop'"));
            }
            let mut v = [0f32; 3];
            for x in v.iter_mut() {
                *x = match tokens.next().and_then(parse_f32) {
                    Some(x) => x,
                    None => return Err(malformed_vertex(ln, line)),
                };
            }
            if tokens.next().is_some() {
                return Err(malformed_vertex(ln, line));
            }
            if !v.iter().all(|x| x.is_finite()) {
                return Err(Error::new(ErrorKind::NonFinite { pos: Position::Line(ln) }));
            }
            if poly.len() >= 1024 {
                return Err(Error::syntax(Position::Line(ln), "more than 1024 vertices in one facet"));
            }
            poly.push(v);
        } else if kw(b"endloop") {
            total = close_loop(&mut poly, &mut current, &mut short_loops, total, ln, reading)?;
            in_loop = false;
        } else if kw(b"facet") || kw(b"endfacet") {
            if in_loop {
                if kw(b"facet") {
                    return Err(Error::syntax(Position::Line(ln), "'facet' inside an 'outer loop'"));
                }
                // Some exporters forget `endloop`: the facet's end closes the loop.
                missing_endloop += 1;
                total = close_loop(&mut poly, &mut current, &mut short_loops, total, ln, reading)?;
                in_loop = false;
            }
        } else if kw(b"outer") {
            in_loop = true;
            poly.clear();
        } else if kw(b"solid") {
            if in_loop {
                return Err(Error::syntax(Position::Line(ln), "'solid' inside a facet"));
            }
            if let Some(m) = current.take() {
                reading.push(m)?;
            }
            let name = solid_name(line, &reading.stem);
            let expected = reading.expected_triangles(ASCII_BYTES_PER_TRIANGLE);
            current = Some(reading.builder(name, expected));
        } else if kw(b"endsolid") {
            if in_loop {
                return Err(Error::syntax(Position::Line(ln), "'endsolid' inside a facet"));
            }
            if let Some(m) = current.take() {
                reading.push(m)?;
            }
        } else if keyword.starts_with(b"#") {
            // A comment line, which some writers add though STL has none.
        } else {
            let shown = String::from_utf8_lossy(&keyword[..keyword.len().min(40)]).into_owned();
            return Err(Error::syntax(
                Position::Line(ln),
                format!("unexpected '{shown}' (an ASCII STL has only solid, facet, outer loop, vertex, endloop, endfacet and endsolid)"),
            ));
        }
    }
    if in_loop {
        return Err(Error::truncated(Position::Line(lines.line_number()), "the file ends inside a facet"));
    }
    if let Some(m) = current.take() {
        reading.warn("the last solid has no 'endsolid' line".to_string());
        reading.push(m)?;
    }
    if missing_endloop > 0 {
        reading.warn(format!("{missing_endloop} facets have no 'endloop' line (read as if they had)"));
    }
    if short_loops > 0 {
        reading.warn(format!("{short_loops} facets with fewer than 3 vertices were skipped"));
    }
    Ok(())
}

/// Turns the facet's vertices into triangles (a fan when there are more than three).
fn close_loop(
    poly: &mut Vec<[f32; 3]>,
    current: &mut Option<MeshBuilder>,
    short_loops: &mut u64,
    mut total: u64,
    ln: u64,
    reading: &mut Reading,
) -> Result<u64> {
    if poly.len() < 3 {
        *short_loops += 1;
    }
    for k in 1..poly.len().saturating_sub(1) {
        total += 1;
        if total > reading.options.max_triangles {
            let max = reading.options.max_triangles;
            return Err(Error::limit(
                Position::Line(ln),
                format!("more than {max} triangles; raise the triangle limit"),
            ));
        }
        if current.is_none() {
            let expected = reading.expected_triangles(ASCII_BYTES_PER_TRIANGLE);
            *current = Some(reading.builder(reading.stem.clone(), expected));
        }
        let m = current.as_mut().expect("just set");
        m.add([poly[0], poly[k], poly[k + 1]], || Position::Line(ln))?;
    }
    poly.clear();
    Ok(total)
}

/// About 250 bytes of ASCII STL make one triangle; this only sizes the first allocation.
const ASCII_BYTES_PER_TRIANGLE: u64 = 250;

fn malformed_vertex(line_no: u64, line: &[u8]) -> Error {
    let shown = String::from_utf8_lossy(&line[..line.len().min(80)]);
    Error::syntax(
        Position::Line(line_no),
        format!("malformed vertex line (expected 'vertex x y z'): '{}'", shown.trim()),
    )
}

/// The name after `solid`, or the file stem when there is none.
fn solid_name(line: &[u8], stem: &str) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim();
    let name = text.get(5..).unwrap_or("").trim();
    if name.is_empty() {
        stem.to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::looks_ascii;

    #[test]
    fn solid_after_comment_lines_looks_ascii_and_a_binary_header_does_not() {
        assert!(looks_ascii(b"# made by a script\n  # and commented\r\n\r\nSOLID part\nfacet"));
        assert!(looks_ascii(b"\xEF\xBB\xBF#\nsolid"));
        assert!(!looks_ascii(b"# only a comment, no solid"));
        assert!(!looks_ascii(b"# a comment\nv 0 0 0\n"));
        // A binary STL whose header reads like that text: its count and records hold control bytes.
        let mut binary = b"# header\nsolid x".to_vec();
        binary.resize(80, b' ');
        binary.extend_from_slice(&1u32.to_le_bytes());
        binary.extend_from_slice(&[0; 50]);
        assert!(!looks_ascii(&binary));
    }
}

//! Wavefront OBJ reader: positions and faces; `o` and `g` start new objects.

use std::io::Read;

use super::reading::Reading;
use super::text::{is_text, parse_f32, Lines};
use crate::error::{Error, ErrorKind, Position, Result};
use crate::mesh::{no_memory, try_push};

/// Whether text that is not an ASCII STL looks like an OBJ: some line starts with an OBJ
/// statement (`v`, `f`, `o`, `g`, `#`, `mtllib`, ...).
pub(crate) fn looks_obj(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    is_text(head)
        && head.split(|&b| b == b'\n' || b == b'\r').any(|line| {
            let mut t = line.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
            let first = t.next().unwrap_or(b"");
            let known: &[&[u8]] = &[b"v", b"vt", b"vn", b"f", b"o", b"g", b"mtllib", b"usemtl", b"s"];
            known.contains(&first) && t.next().is_some() || first.starts_with(b"#")
        })
}

/// Reads an OBJ. Faces with more than three corners are fan-triangulated; points, lines
/// and faces with fewer than three corners are skipped and counted.
pub(crate) fn read<R: Read>(head: &[u8], rest: R, reading: &mut Reading) -> Result<()> {
    let mut lines = Lines::new(rest, head, reading.options.max_line_bytes);
    let mut positions: Vec<[f32; 3]> = Vec::new();
    // About 60 bytes of OBJ make one triangle (a `v` line and half an `f` line).
    let expected = reading.expected_triangles(60);
    let mut mesh = reading.builder(reading.stem.clone(), expected);
    // Whether the current object's name came from an `o` line (a following `g` keeps it).
    let mut named_by_o = false;
    let mut corners: Vec<u32> = Vec::new();
    let (mut skipped_faces, mut skipped_elements, mut total) = (0u64, 0u64, 0u64);
    // A line ending in a backslash continues on the next one.
    let mut joined: Vec<u8> = Vec::new();
    while let Some((ln, raw)) = lines.next_line()? {
        // A `#` starts a comment wherever it is (`f 1 2 3 # base`), a backslash in it included;
        // only in an object's name is a `#` inside a word kept (see `object_name`).
        let code = &raw[..memchr::memchr(b'#', raw).unwrap_or(raw.len())];
        let trimmed = code.trim_ascii_end();
        if let Some(part) = trimmed.strip_suffix(b"\\") {
            if joined.len() + part.len() > reading.options.max_line_bytes {
                return Err(Error::limit(Position::Line(ln), "continued line is longer than the line limit"));
            }
            joined.extend_from_slice(part);
            joined.push(b' ');
            continue;
        }
        let owned;
        // The line without its comment, and with it for a name.
        let (line, full): (&[u8], &[u8]) = if joined.is_empty() {
            (code, raw)
        } else {
            joined.extend_from_slice(code);
            owned = std::mem::take(&mut joined);
            (&owned, &owned)
        };
        let mut tokens = line.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
        let Some(keyword) = tokens.next() else { continue };
        match keyword {
            b"v" => {
                let mut v = [0f32; 3];
                for x in v.iter_mut() {
                    let token = tokens.next().unwrap_or(b"");
                    *x = parse_f32(token).ok_or_else(|| {
                        let shown = String::from_utf8_lossy(&token[..token.len().min(40)]).into_owned();
                        Error::syntax(
                            Position::Line(ln),
                            format!("malformed vertex: '{shown}' is not a number (expected 'v x y z')"),
                        )
                    })?;
                }
                if !v.iter().all(|x| x.is_finite()) {
                    return Err(Error::new(ErrorKind::NonFinite { pos: Position::Line(ln) }));
                }
                // Positions are held before any face uses them: the same limit as triangles.
                if positions.len() as u64 >= reading.options.max_triangles {
                    let max = reading.options.max_triangles;
                    return Err(Error::limit(
                        Position::Line(ln),
                        format!("more than {max} vertices; raise the limit to read this file"),
                    ));
                }
                try_push(&mut positions, v).map_err(|_| {
                    no_memory(Position::Line(ln), format!("the {} vertices read so far", positions.len()))
                })?;
            }
            b"f" | b"fo" => {
                corners.clear();
                for t in tokens {
                    corners.push(resolve(t, positions.len(), ln)?);
                }
                if corners.len() < 3 {
                    skipped_faces += 1;
                    continue;
                }
                for k in 1..corners.len() - 1 {
                    total += 1;
                    if total > reading.options.max_triangles {
                        let max = reading.options.max_triangles;
                        return Err(Error::limit(
                            Position::Line(ln),
                            format!("more than {max} triangles; raise the triangle limit"),
                        ));
                    }
                    let p = |i: usize| positions[corners[i] as usize];
                    mesh.add([p(0), p(k), p(k + 1)], || Position::Line(ln))?;
                }
            }
            b"o" | b"g" => {
                let name = object_name(full);
                let is_o = keyword == b"o";
                if mesh.triangles_read() > 0 {
                    let expected = reading.expected_triangles(60);
                    let next = reading.builder(reading.stem.clone(), expected);
                    reading.push(std::mem::replace(&mut mesh, next))?;
                    named_by_o = false;
                }
                // `g default` is what exporters write for "no group"; a `g` right after an
                // `o` names a material group, not a new object name.
                let generic = name.is_empty() || (!is_o && name == "default");
                if !generic && (is_o || !named_by_o) {
                    mesh.set_name(name);
                    named_by_o |= is_o;
                }
            }
            b"p" | b"l" => skipped_elements += 1,
            _ => {} // vt, vn, s, usemtl, mtllib, comments and extensions carry no geometry.
        }
    }
    reading.push(mesh)?;
    if skipped_faces > 0 {
        reading.warn(format!("{skipped_faces} faces with fewer than 3 corners were skipped"));
    }
    if skipped_elements > 0 {
        reading.warn(format!("{skipped_elements} point and line elements were skipped (only faces are meshes)"));
    }
    Ok(())
}

/// The name on an `o` or `g` line: what follows the keyword, up to a `#` that starts a word
/// (a comment); a `#` inside a word (`o Part#2`) is part of the name.
fn object_name(line: &[u8]) -> String {
    let end = (0..line.len())
        .find(|&i| line[i] == b'#' && (i == 0 || line[i - 1].is_ascii_whitespace()))
        .unwrap_or(line.len());
    String::from_utf8_lossy(&line[..end]).trim()[1..].trim().to_string()
}

/// Turns a face corner (`7`, `7/1`, `7//3`, `-2/1/1`) into a 0-based position index.
fn resolve(token: &[u8], defined: usize, ln: u64) -> Result<u32> {
    let index = token.split(|&b| b == b'/').next().unwrap_or(b"");
    let shown = || String::from_utf8_lossy(token).into_owned();
    let n: i64 = std::str::from_utf8(index)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::syntax(Position::Line(ln), format!("malformed face corner '{}'", shown())))?;
    let i = if n > 0 { n - 1 } else { defined as i64 + n };
    if n == 0 || i < 0 || i >= defined as i64 {
        return Err(Error::syntax(
            Position::Line(ln),
            format!("face corner '{}' refers to a vertex that does not exist ({defined} defined so far)", shown()),
        ));
    }
    Ok(i as u32)
}

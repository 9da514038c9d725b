//! The text of the package: its fixed parts and the model XML's elements, written fast.

use super::number::{push_f32, Cursor, MAX_PLAIN};

pub(crate) const CONTENT_TYPES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8"?>"#,
    "\n",
    r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
    r#"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#,
    r#"<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>"#,
    r#"<Default Extension="png" ContentType="image/png"/>"#,
    r#"<Default Extension="jpeg" ContentType="image/jpeg"/>"#,
    "</Types>\n"
);

pub(crate) const MODEL_PATH: &str = "3D/3dmodel.model";
pub(crate) const REL_MODEL: &str = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel";
pub(crate) const REL_THUMBNAIL: &str =
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail";
pub(crate) const THUMBNAIL_PATH: &str = "Metadata/thumbnail.png";

/// The package relationships: the model part and, if there is one, the thumbnail.
pub(crate) fn rels(thumbnail: bool) -> String {
    let mut s = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#
    ));
    s += &format!(r#"<Relationship Target="/{MODEL_PATH}" Id="rel0" Type="{REL_MODEL}"/>"#);
    if thumbnail {
        s += &format!(r#"<Relationship Target="/{THUMBNAIL_PATH}" Id="rel1" Type="{REL_THUMBNAIL}"/>"#);
    }
    s + "</Relationships>\n"
}

/// Room for one vertex element of plain numbers.
const VERTEX_ROOM: usize = 24 + 3 * MAX_PLAIN;
/// Room for one triangle element: 29 bytes of markup and three numbers of up to 10 digits.
const TRIANGLE_ROOM: usize = 59;

pub(crate) fn vertices(b: &mut Vec<u8>, vertices: &[[f32; 3]]) {
    let mut i = 0;
    while i < vertices.len() {
        let mut c = Cursor::new(b, (vertices.len() - i) * VERTEX_ROOM);
        while i < vertices.len() && vertex(&mut c, vertices[i]) {
            i += 1;
        }
        c.commit();
        // A number with an exponent in its shortest form, which `push_f32` expands.
        if let Some(v) = vertices.get(i) {
            b.extend_from_slice(b"<vertex x=\"");
            push_f32(b, v[0]);
            b.extend_from_slice(b"\" y=\"");
            push_f32(b, v[1]);
            b.extend_from_slice(b"\" z=\"");
            push_f32(b, v[2]);
            b.extend_from_slice(b"\"/>");
            i += 1;
        }
    }
}

/// Writes one vertex element, or nothing and false if a number needs `push_f32`.
#[inline(always)]
fn vertex(c: &mut Cursor, v: [f32; 3]) -> bool {
    let start = c.len();
    c.put(b"<vertex x=\"");
    let plain = c.put_f32(v[0])
        && {
            c.put(b"\" y=\"");
            c.put_f32(v[1])
        }
        && {
            c.put(b"\" z=\"");
            c.put_f32(v[2])
        };
    if !plain {
        c.truncate(start);
        return false;
    }
    c.put(b"\"/>");
    true
}

pub(crate) fn triangles(b: &mut Vec<u8>, triangles: &[[u32; 3]]) {
    let mut c = Cursor::new(b, triangles.len() * TRIANGLE_ROOM);
    for t in triangles {
        c.put(b"<triangle v1=\"");
        c.put_u32(t[0]);
        c.put(b"\" v2=\"");
        c.put_u32(t[1]);
        c.put(b"\" v3=\"");
        c.put_u32(t[2]);
        c.put(b"\"/>");
    }
    c.commit();
}

/// Appends `s` escaped for XML text and attributes; characters XML 1.0 forbids are dropped.
pub(crate) fn escape(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.extend_from_slice(b"&amp;"),
            '<' => out.extend_from_slice(b"&lt;"),
            '>' => out.extend_from_slice(b"&gt;"),
            '"' => out.extend_from_slice(b"&quot;"),
            '\'' => out.extend_from_slice(b"&apos;"),
            '\t' => out.extend_from_slice(b"&#9;"),
            '\n' => out.extend_from_slice(b"&#10;"),
            '\r' => out.extend_from_slice(b"&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => {
                let mut tmp = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast element writers give the text of the plain ones, exponent values (which
    /// take the slow path) and the longest numbers included.
    #[test]
    fn element_writers_match_push_f32_and_push_u32() {
        let mut vs: Vec<[f32; 3]> = (0..30_000u32)
            .map(|i| [f32::from_bits(i.wrapping_mul(2_654_435_761)), i as f32 * 0.1, -(i as f32)])
            .collect();
        vs.retain(|v| v.iter().all(|x| x.is_finite()));
        vs.extend([[f32::MAX, f32::MIN, f32::MIN_POSITIVE], [1e-45, -1e-45, 1e30], [-0.0, 0.0, 1.0]]);
        let (mut fast, mut plain) = (Vec::new(), Vec::new());
        vertices(&mut fast, &vs);
        for v in &vs {
            plain.extend_from_slice(b"<vertex x=\"");
            push_f32(&mut plain, v[0]);
            plain.extend_from_slice(b"\" y=\"");
            push_f32(&mut plain, v[1]);
            plain.extend_from_slice(b"\" z=\"");
            push_f32(&mut plain, v[2]);
            plain.extend_from_slice(b"\"/>");
        }
        assert!(vs.len() > 20_000 && fast == plain);
        let ts: Vec<[u32; 3]> = (0..20_000u32)
            .map(|i| [i, i.wrapping_mul(2_654_435_761), u32::MAX - i])
            .chain([[0, 9, 10], [99, 100, 999_999_999]])
            .collect();
        let (mut fast, mut plain) = (Vec::new(), Vec::new());
        triangles(&mut fast, &ts);
        for t in &ts {
            plain.extend_from_slice(format!("<triangle v1=\"{}\" v2=\"{}\" v3=\"{}\"/>", t[0], t[1], t[2]).as_bytes());
        }
        assert!(fast == plain);
    }

    #[test]
    fn escape_handles_markup_and_control_characters() {
        let mut v = Vec::new();
        escape(&mut v, "a<b>&\"c'\u{1}\td");
        assert_eq!(String::from_utf8(v).unwrap(), "a&lt;b&gt;&amp;&quot;c&apos;&#9;d");
    }
}

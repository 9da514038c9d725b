//! Reading the XML parts of a 3MF package with limits a hostile file cannot get past:
//! no entity is ever expanded (quick-xml does not, and unknown entities are errors), a tag
//! or a run of text may not grow past a size limit, and elements may not nest too deep.

use std::io::{self, BufRead, Read};

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Position, Result};

/// Deepest element nesting accepted (a 3MF model nests about 6 deep).
pub(crate) const MAX_DEPTH: usize = 64;
/// Longest tag or run of text accepted, in bytes (a `<metadata>` description included).
pub(crate) const MAX_RUN: u64 = 4 << 20;

/// A `BufRead` that fails once more than `max` bytes pass without a `>`: quick-xml keeps
/// a whole tag (or a whole text run) in memory, so this is what bounds its buffer.
pub(crate) struct Guard<R> {
    inner: R,
    run: u64,
    max: u64,
    /// A run went past `max`: every later read fails (the tag may have ended meanwhile).
    over: bool,
}

impl<R: BufRead> Guard<R> {
    pub(crate) fn new(inner: R, max: u64) -> Guard<R> {
        Guard { inner, run: 0, max, over: false }
    }
}

impl<R: BufRead> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let data = self.fill_buf()?;
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.over {
            return Err(io::Error::other(format!(
                "a tag or text longer than {} MiB (a hostile or broken file?)",
                self.max >> 20
            )));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        // The bytes are still in the inner buffer: a second fill_buf does no reading.
        if let Ok(data) = self.inner.fill_buf() {
            let data = &data[..n.min(data.len())];
            let before = memchr::memchr(b'>', data).unwrap_or(data.len());
            self.over |= self.run + before as u64 > self.max;
            self.run = match memchr::memrchr(b'>', data) {
                Some(i) => (data.len() - i - 1) as u64,
                None => self.run + data.len() as u64,
            };
            self.over |= self.run > self.max;
        }
        self.inner.consume(n);
    }
}

/// Reads events from a guarded XML part, tracking nesting depth. `part` names the part in
/// errors.
pub(crate) struct Xml<'p, R: BufRead> {
    pub(crate) reader: quick_xml::Reader<Guard<R>>,
    depth: usize,
    part: &'p str,
}

impl<'p, R: BufRead> Xml<'p, R> {
    pub(crate) fn new(input: R, part: &'p str) -> Xml<'p, R> {
        Xml { reader: quick_xml::Reader::from_reader(Guard::new(input, MAX_RUN)), depth: 0, part }
    }

    /// The next event, or an error naming the part and the byte.
    pub(crate) fn next<'b>(&mut self, buf: &'b mut Vec<u8>) -> Result<Event<'b>> {
        buf.clear();
        let event = self.reader.read_event_into(buf).map_err(|e| self.error(format!("{e}")))?;
        match &event {
            Event::Start(_) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Error::limit(self.position(), format!("elements nested more than {MAX_DEPTH} deep")));
                }
            }
            Event::End(_) => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        Ok(event)
    }

    /// Where the reader is.
    pub(crate) fn position(&self) -> Position {
        Position::Entry { entry: self.part.to_string(), byte: self.reader.buffer_position() }
    }

    /// A syntax error at the reader's position.
    pub(crate) fn error(&self, message: impl Into<String>) -> Error {
        Error::syntax(self.position(), message)
    }
}

/// The unescaped value of the attribute whose local name is `name`.
pub(crate) fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.unescape_value().ok())
        .map(|v| v.into_owned())
}

/// The target of the first relationship whose type ends with `kind` in a `.rels` part.
pub(crate) fn rel_target(rels: &str, kind: &str) -> Option<String> {
    rel_targets(rels, kind).into_iter().next()
}

/// The targets of every relationship whose type ends with `kind` in a `.rels` part (those
/// before a syntax error, if there is one).
pub(crate) fn rel_targets(rels: &str, kind: &str) -> Vec<String> {
    let mut xml = Xml::new(rels.as_bytes(), "_rels/.rels");
    let mut buf = Vec::new();
    let mut targets = Vec::new();
    loop {
        match xml.next(&mut buf) {
            Ok(Event::Eof) | Err(_) => return targets,
            Ok(Event::Start(e) | Event::Empty(e))
                if e.local_name().as_ref() == b"Relationship"
                    && attr(&e, b"Type").is_some_and(|t| t.ends_with(kind)) =>
            {
                targets.extend(attr(&e, b"Target"));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_longer_than_the_limit_is_an_error_before_it_is_buffered() {
        let mut xml = String::from("<model><metadata name=\"");
        xml.push_str(&"a".repeat((MAX_RUN + 10) as usize));
        xml.push_str("\"/></model>");
        let mut x = Xml::new(std::io::BufReader::with_capacity(8192, xml.as_bytes()), "3D/3dmodel.model");
        let mut buf = Vec::new();
        let err = loop {
            match x.next(&mut buf) {
                Err(e) => break e,
                Ok(Event::Eof) => panic!("a 4 MiB attribute was read"),
                Ok(_) => {}
            }
        };
        assert!(err.to_string().contains("longer than 4 MiB"), "{err}");
        assert!(buf.capacity() < (MAX_RUN as usize) * 2, "buffer grew to {}", buf.capacity());
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let xml = "<a>".repeat(MAX_DEPTH + 1);
        let mut x = Xml::new(xml.as_bytes(), "p");
        let mut buf = Vec::new();
        let err = loop {
            match x.next(&mut buf) {
                Err(e) => break e,
                Ok(Event::Eof) => panic!("nesting not limited"),
                Ok(_) => {}
            }
        };
        assert!(err.to_string().contains("nested more than 64 deep"), "{err}");
    }

    #[test]
    fn the_model_part_is_found_through_the_relationships() {
        let rels = r#"<Relationships><Relationship Target="/Metadata/thumbnail.png" Id="a" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"/>
            <Relationship Target="/3D/model_x.model" Id="b" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#;
        assert_eq!(rel_target(rels, "/3dmodel").as_deref(), Some("/3D/model_x.model"));
        assert_eq!(rel_target(rels, "/metadata/thumbnail").as_deref(), Some("/Metadata/thumbnail.png"));
    }
}

//! Reading the metadata of an existing 3MF package (Title, Designer, Description,
//! LicenseTerms, ...), so a model keeps what its author wrote. The model part is found
//! through the package relationships, not by its name.

use std::io::{Read, Seek};

use quick_xml::events::Event;

use crate::error::{Error, Position, Result};
use crate::options::Metadata;

/// Largest `_rels/.rels` and metadata value read; a hostile package gets no further.
const MAX_TEXT: u64 = 1 << 20;

/// What a 3MF package says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageInfo {
    /// Its well-known metadata.
    pub metadata: Metadata,
    /// Its package thumbnail (PNG or JPEG bytes), if it has one.
    pub thumbnail: Option<Vec<u8>>,
}

/// The well-known metadata of the 3MF package read from `reader`.
pub fn read_3mf_metadata<R: Read + Seek>(reader: R) -> Result<Metadata> {
    Ok(read_3mf_info(reader)?.metadata)
}

/// The metadata and the thumbnail of the 3MF package read from `reader`.
pub fn read_3mf_info<R: Read + Seek>(reader: R) -> Result<PackageInfo> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| Error::unsupported(format!("not a 3MF package (zip): {e}")))?;
    let mut rels = String::new();
    zip.by_name("_rels/.rels")
        .map_err(|_| Error::unsupported("not a 3MF package: no _rels/.rels"))?
        .take(MAX_TEXT)
        .read_to_string(&mut rels)?;
    let target = rel_target(&rels, "/3dmodel").ok_or_else(|| Error::unsupported("no 3D model part in the package relationships"))?;
    let entry = zip.by_name(target.trim_start_matches('/')).map_err(|_| Error::unsupported(format!("the model part {target} is missing")))?;
    let metadata = read_model_metadata(std::io::BufReader::new(entry))?;
    let thumbnail = rel_target(&rels, "/metadata/thumbnail").and_then(|t| {
        let mut bytes = Vec::new();
        zip.by_name(t.trim_start_matches('/')).ok()?.take(16 << 20).read_to_end(&mut bytes).ok()?;
        (bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8\xff")).then_some(bytes)
    });
    Ok(PackageInfo { metadata, thumbnail })
}

/// The target of the relationship whose type ends with `kind` in a `.rels` part.
fn rel_target(rels: &str, kind: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(rels);
    loop {
        match reader.read_event().ok()? {
            Event::Eof => return None,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                let attr = |k: &[u8]| {
                    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == k).and_then(|a| a.unescape_value().ok()).map(|v| v.into_owned())
                };
                if attr(b"Type").is_some_and(|t| t.ends_with(kind)) {
                    return attr(b"Target");
                }
            }
            _ => {}
        }
    }
}

/// `<metadata>` elements before `<resources>`: the meshes that follow are never read.
fn read_model_metadata<R: std::io::BufRead>(input: R) -> Result<Metadata> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::new();
    let mut md = Metadata::default();
    let mut current: Option<String> = None;
    let mut text = String::new();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| Error::syntax(Position::Byte(reader.buffer_position()), format!("model XML: {e}")))?;
        match event {
            Event::Eof => break,
            Event::Start(e) if e.local_name().as_ref() == b"resources" => break,
            Event::Start(e) if e.local_name().as_ref() == b"metadata" => {
                current = e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == b"name")
                    .and_then(|a| a.unescape_value().ok())
                    .map(|v| v.into_owned());
                text.clear();
            }
            Event::Text(t) if current.is_some() && (text.len() as u64) < MAX_TEXT => {
                text.push_str(&t.unescape().map_err(|e| Error::syntax(Position::Whole, format!("model XML: {e}")))?);
            }
            Event::End(e) if e.local_name().as_ref() == b"metadata" => {
                if let Some(name) = current.take() {
                    let value = Some(text.trim().to_string()).filter(|v| !v.is_empty());
                    let slot = match name.rsplit(':').next().unwrap_or(&name) {
                        "Title" => &mut md.title,
                        "Designer" => &mut md.designer,
                        "Description" => &mut md.description,
                        "Copyright" => &mut md.copyright,
                        "LicenseTerms" => &mut md.license_terms,
                        "Rating" => &mut md.rating,
                        "CreationDate" => &mut md.creation_date,
                        "ModificationDate" => &mut md.modification_date,
                        _ => continue,
                    };
                    if slot.is_none() {
                        *slot = value;
                    }
                }
            }
            _ => {}
        }
        buf.clear();
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_before_resources_is_read_and_escapes_resolved() {
        let xml = r#"<?xml version="1.0"?><model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
            <metadata name="Title">Gear &amp; Co</metadata><metadata name="Designer">Ann</metadata>
            <metadata name="LicenseTerms"> CC-BY-4.0 </metadata><metadata name="Application">X</metadata>
            <resources><object id="1"/></resources></model>"#;
        let md = read_model_metadata(xml.as_bytes()).unwrap();
        assert_eq!(md.title.as_deref(), Some("Gear & Co"));
        assert_eq!(md.designer.as_deref(), Some("Ann"));
        assert_eq!(md.license_terms.as_deref(), Some("CC-BY-4.0"));
        assert_eq!(md.description, None);
    }

    #[test]
    fn the_model_part_is_found_through_the_relationships() {
        let rels = r#"<Relationships><Relationship Target="/Metadata/thumbnail.png" Id="a" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"/>
            <Relationship Target="/3D/model_x.model" Id="b" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#;
        assert_eq!(rel_target(rels, "/3dmodel").as_deref(), Some("/3D/model_x.model"));
        assert_eq!(rel_target(rels, "/metadata/thumbnail").as_deref(), Some("/Metadata/thumbnail.png"));
    }

    #[test]
    fn a_billion_laughs_is_not_expanded() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
            <model><metadata name="Title">&lol2;</metadata><resources/></model>"#;
        // Entities other than the XML ones are refused, never expanded.
        assert!(read_model_metadata(xml.as_bytes()).is_err());
    }
}

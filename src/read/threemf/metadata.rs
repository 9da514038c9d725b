//! Reading the metadata of an existing 3MF package (Title, Designer, Description,
//! LicenseTerms, ...), so a model keeps what its author wrote.

use std::io::{Read, Seek};

use quick_xml::events::Event;

use super::package::{model_part, open_package};
use super::xml::{attr, rel_target, Xml};
use crate::error::{Error, Result};
use crate::options::Metadata;

/// What a 3MF package says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PackageInfo {
    /// Its well-known metadata.
    pub metadata: Metadata,
    /// Its package thumbnail (PNG or JPEG bytes), if it has one.
    pub thumbnail: Option<Vec<u8>>,
    /// The `License` entry Bambu Studio writes (MakerWorld's licence name, such as
    /// `CC BY-NC-SA`), which is not the standard `LicenseTerms`.
    pub license: Option<String>,
}

/// The well-known metadata of the 3MF package read from `reader`.
pub fn read_3mf_metadata<R: Read + Seek>(reader: R) -> Result<Metadata> {
    Ok(read_3mf_info(reader)?.metadata)
}

/// The metadata and the thumbnail of the 3MF package read from `reader`.
pub fn read_3mf_info<R: Read + Seek>(reader: R) -> Result<PackageInfo> {
    let mut zip = open_package(reader)?;
    let (rels, target) = model_part(&mut zip)?;
    let entry = zip.by_name(&target).map_err(|_| Error::unsupported(format!("the model part /{target} is missing")))?;
    let mut license = None;
    let metadata = read_metadata_until(
        &mut Xml::new(std::io::BufReader::new(entry), &target),
        b"resources",
        &mut |name, value| {
            if name == "License" && license.is_none() {
                license = Some(value.to_string());
            }
        },
    )?;
    let thumbnail = rel_target(&rels, "/metadata/thumbnail").and_then(|t| {
        let mut bytes = Vec::new();
        zip.by_name(t.trim_start_matches('/')).ok()?.take(16 << 20).read_to_end(&mut bytes).ok()?;
        (bytes.starts_with(b"\x89PNG") || bytes.starts_with(b"\xff\xd8\xff")).then_some(bytes)
    });
    Ok(PackageInfo { metadata, thumbnail, license })
}

/// The well-known `<metadata>` values up to the start of the element `stop` (or the end);
/// every other non-empty entry goes to `other(name, value)`.
pub(super) fn read_metadata_until<R: std::io::BufRead>(
    xml: &mut Xml<R>,
    stop: &[u8],
    other: &mut dyn FnMut(&str, &str),
) -> Result<Metadata> {
    let mut buf = Vec::new();
    let mut md = Metadata::default();
    let mut current: Option<String> = None;
    let mut text = String::new();
    loop {
        match xml.next(&mut buf)? {
            Event::Eof => break,
            Event::Start(e) if e.local_name().as_ref() == stop => break,
            Event::Start(e) if e.local_name().as_ref() == b"metadata" => {
                current = attr(&e, b"name");
                text.clear();
            }
            Event::Text(t) if current.is_some() => {
                let t = t.unescape().map_err(|e| xml.error(format!("{e}")))?;
                text.push_str(&t);
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
                        other_name => {
                            if let Some(v) = &value {
                                other(other_name, v);
                            }
                            continue;
                        }
                    };
                    if slot.is_none() {
                        *slot = value;
                    }
                }
            }
            _ => {}
        }
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
        let md = read_metadata_until(&mut Xml::new(xml.as_bytes(), "m"), b"resources", &mut |_, _| {}).unwrap();
        assert_eq!(md.title.as_deref(), Some("Gear & Co"));
        assert_eq!(md.designer.as_deref(), Some("Ann"));
        assert_eq!(md.license_terms.as_deref(), Some("CC-BY-4.0"));
        assert_eq!(md.description, None);
    }

    #[test]
    fn a_billion_laughs_is_not_expanded() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
            <model><metadata name="Title">&lol2;</metadata><resources/></model>"#;
        // Entities other than the XML ones are refused, never expanded.
        assert!(read_metadata_until(&mut Xml::new(xml.as_bytes(), "m"), b"resources", &mut |_, _| {}).is_err());
    }
}

//! What a release's README or licence text says about its model: title, creator, a
//! description, the licence (as an SPDX id, only when the text names one unambiguously) and
//! where the model came from. Thingiverse's `README.txt`/`LICENSE.txt`, Markdown READMEs and
//! common licence texts are recognised; nothing is guessed from anything else.

/// Metadata found in a README or licence text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInfo {
    /// The model's title.
    pub title: Option<String>,
    /// Its creator.
    pub creator: Option<String>,
    /// A description (the summary or first paragraph).
    pub description: Option<String>,
    /// An SPDX licence id, checked with the `spdx` crate.
    pub license: Option<String>,
    /// Where it came from: (URL, site name).
    pub link: Option<(String, String)>,
}

impl TextInfo {
    /// Fills what is still empty from `other`.
    pub fn fill(&mut self, other: TextInfo) {
        self.title = self.title.take().or(other.title);
        self.creator = self.creator.take().or(other.creator);
        self.description = self.description.take().or(other.description);
        self.license = self.license.take().or(other.license);
        self.link = self.link.take().or(other.link);
    }
}

/// What a text file is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A README: everything may come from it.
    Readme,
    /// A licence text: no description comes from it.
    License,
}

/// Whether the file at `path` is a README or a licence text, by its name.
pub fn text_kind(path: &str) -> Option<TextKind> {
    let base = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let stem = base.strip_suffix(".txt").or_else(|| base.strip_suffix(".md")).unwrap_or(&base);
    match stem {
        "readme" | "read me" | "read_me" => Some(TextKind::Readme),
        "license" | "licence" | "copying" | "attribution" => Some(TextKind::License),
        _ => None,
    }
}

/// Longest description kept.
const MAX_DESCRIPTION: usize = 2000;

/// Reads a README or licence text.
pub fn read_text(text: &str, kind: TextKind) -> TextInfo {
    let mut info = TextInfo::default();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for line in &lines {
        // "Gear by Ann on Thingiverse: https://www.thingiverse.com/thing:123"
        if let Some((what, url)) = line.split_once(": http") {
            if let Some((left, site)) = what.rsplit_once(" on ") {
                if let Some((title, creator)) = left.rsplit_once(" by ") {
                    info.title.get_or_insert_with(|| title.trim().to_string());
                    info.creator.get_or_insert_with(|| creator.trim().to_string());
                    let url = format!("http{}", url.split_whitespace().next().unwrap_or(""));
                    info.link.get_or_insert((url, site.trim().to_string()));
                }
            }
        }
        // Thingiverse's newer boilerplate names the creator only: "This thing was created by
        // Thingiverse user ann, and is licensed under ...".
        if let Some(rest) = line.strip_prefix("This thing was created by Thingiverse user ") {
            if let Some((creator, _)) = rest.split_once(", and is licensed under") {
                info.creator.get_or_insert_with(|| creator.trim().to_string());
            }
            continue;
        }
        // "Gear by Ann is licensed under the Creative Commons - Attribution license."
        if let Some((left, _)) = line.split_once(" is licensed under ") {
            if let Some((title, creator)) = left.rsplit_once(" by ") {
                info.title.get_or_insert_with(|| title.trim().to_string());
                info.creator.get_or_insert_with(|| creator.trim().to_string());
            }
        }
        // "SPDX-License-Identifier: MIT", "License: CC-BY-4.0"
        let lower = line.to_ascii_lowercase();
        for key in ["spdx-license-identifier:", "license:", "licence:"] {
            if let Some(rest) = lower.strip_prefix(key) {
                let id = line[line.len() - rest.len()..].trim();
                if super::datapackage::license(id).is_some() {
                    info.license.get_or_insert_with(|| id.to_string());
                }
            }
        }
    }
    if info.license.is_none() {
        info.license = license_from_text(text);
    }
    if kind == TextKind::License {
        return info;
    }
    info.description = summary(&lines).or_else(|| first_paragraph(&lines));
    if info.title.is_none() {
        info.title =
            lines.iter().find_map(|l| l.strip_prefix("# ")).map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    }
    info
}

/// The licence a text names: a Creative Commons URL (which carries the version) or the
/// name of a common licence with its version.
fn license_from_text(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    if let Some(i) = lower.find("creativecommons.org/licenses/") {
        let rest = &lower[i + "creativecommons.org/licenses/".len()..];
        let mut parts = rest.split('/');
        let (kind, version) = (parts.next()?, parts.next()?);
        let id =
            format!("CC-{}-{}", kind.to_ascii_uppercase(), version.trim_end_matches(|c: char| !c.is_ascii_digit()));
        if super::datapackage::license(&id).is_some() {
            return Some(id);
        }
    }
    if lower.contains("creativecommons.org/publicdomain/zero/1.0") || lower.contains("cc0 1.0 universal") {
        return Some("CC0-1.0".into());
    }
    let flat = lower.split_whitespace().collect::<Vec<_>>().join(" ");
    let cc = [
        "attribution-noncommercial-sharealike",
        "attribution-noncommercial-noderivatives",
        "attribution-noncommercial",
        "attribution-sharealike",
        "attribution-noderivatives",
        "attribution",
    ];
    if flat.contains("creative commons") {
        for (name, id) in cc.iter().zip(["BY-NC-SA", "BY-NC-ND", "BY-NC", "BY-SA", "BY-ND", "BY"]) {
            for version in ["4.0", "3.0"] {
                if flat.contains(&format!("{name} {version}")) {
                    return Some(format!("CC-{id}-{version}"));
                }
            }
        }
    }
    let names: &[(&str, &str)] = &[
        ("mit license", "MIT"),
        ("apache license version 2.0", "Apache-2.0"),
        ("apache license, version 2.0", "Apache-2.0"),
        ("gnu general public license version 3", "GPL-3.0-or-later"),
        ("gnu general public license version 2", "GPL-2.0-or-later"),
        ("gnu lesser general public license version 3", "LGPL-3.0-or-later"),
        ("mozilla public license version 2.0", "MPL-2.0"),
        ("cern open hardware licence version 2 - strongly reciprocal", "CERN-OHL-S-2.0"),
        ("cern open hardware licence version 2 - weakly reciprocal", "CERN-OHL-W-2.0"),
        ("cern open hardware licence version 2 - permissive", "CERN-OHL-P-2.0"),
    ];
    names.iter().find(|(name, _)| flat.contains(name)).map(|(_, id)| id.to_string())
}

/// Thingiverse's "Summary:" section.
fn summary(lines: &[&str]) -> Option<String> {
    let start = lines.iter().position(|l| l.eq_ignore_ascii_case("summary:"))? + 1;
    let sections = ["print settings", "post-printing", "how i designed this", "custom section", "instructions"];
    let end = lines[start..]
        .iter()
        .position(|l| sections.iter().any(|s| l.trim_end_matches(':').eq_ignore_ascii_case(s)))
        .map_or(lines.len(), |n| start + n);
    clip(lines[start..end].join("\n").trim())
}

/// The first paragraph of prose: not a heading, a picture, a badge, a link alone or ASCII art.
fn first_paragraph(lines: &[&str]) -> Option<String> {
    let prose = |l: &&str| {
        let letters = l.chars().filter(|c| c.is_alphabetic()).count();
        !l.is_empty()
            && !l.starts_with(['#', '!', '[', '<', '=', '-', '*', '|', '`'])
            && !l.starts_with("http")
            && letters * 2 > l.chars().count()
    };
    let start = lines.iter().position(prose)?;
    let end = lines[start..].iter().position(|l| l.is_empty()).map_or(lines.len(), |n| start + n);
    clip(&lines[start..end].join(" "))
}

fn clip(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    if text.len() <= MAX_DESCRIPTION {
        return Some(text.to_string());
    }
    let mut end = MAX_DESCRIPTION;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(format!("{}…", text[..end].trim_end()))
}

/// An SPDX id Manyfold accepts for a licence as 3MF packages name it: an id itself, or a
/// Creative Commons short name as MakerWorld writes it into Bambu Studio's `License`
/// (`CC BY-NC-SA`, which is version 4.0 there, and `CC0`).
pub fn license_id(text: &str) -> Option<String> {
    let t = text.trim();
    if let Some(l) = super::datapackage::license(t) {
        return Some(l.name);
    }
    let flat = t.to_ascii_uppercase().replace(['-', ' ', '_'], "");
    if flat == "CC0" || flat == "CC01.0" {
        return Some("CC0-1.0".into());
    }
    let kinds = ["BYNCSA", "BYNCND", "BYNC", "BYSA", "BYND", "BY"];
    let kind = flat.strip_prefix("CC").and_then(|k| kinds.iter().find(|x| **x == k))?;
    let id = match *kind {
        "BYNCSA" => "CC-BY-NC-SA-4.0",
        "BYNCND" => "CC-BY-NC-ND-4.0",
        "BYNC" => "CC-BY-NC-4.0",
        "BYSA" => "CC-BY-SA-4.0",
        "BYND" => "CC-BY-ND-4.0",
        _ => "CC-BY-4.0",
    };
    Some(id.to_string())
}

/// Markdown text for the HTML description Bambu Studio and MakerWorld put in a 3MF:
/// paragraphs and line breaks, headings, lists, bold and italics, links; pictures and
/// other tags dropped, entities resolved.
pub fn html_to_markdown(html: &str) -> String {
    if !html.contains('<') {
        return entities(html).trim().to_string();
    }
    let mut out = String::new();
    let mut href: Vec<Option<String>> = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&entities(&rest[..i].replace(['\n', '\r'], " ")));
        let Some(j) = rest[i..].find('>') else {
            rest = "";
            break;
        };
        let tag = &rest[i + 1..i + j];
        rest = &rest[i + j + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("p" | "div" | "ul" | "ol" | "table", _) | ("tr", true) => out.push_str("\n\n"),
            ("br", _) => out.push('\n'),
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                let level = name[1..].parse::<usize>().unwrap_or(1);
                out.push_str(&format!("\n\n{} ", "#".repeat(level)));
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => out.push_str("\n\n"),
            ("li", false) => out.push_str("\n- "),
            ("strong" | "b", _) => out.push_str("**"),
            ("em" | "i", _) => out.push('*'),
            ("a", false) => {
                let url = attribute(tag, "href");
                if url.is_some() {
                    out.push('[');
                }
                href.push(url);
            }
            ("a", true) => {
                if let Some(Some(url)) = href.pop() {
                    out.push_str(&format!("]({url})"));
                }
            }
            _ => {}
        }
    }
    out.push_str(&entities(rest));
    // Runs of blank lines and spaces left by the tags, trimmed.
    let lines: Vec<String> = out.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let mut text = String::new();
    for l in lines {
        if l.is_empty() && (text.is_empty() || text.ends_with("\n\n")) {
            continue;
        }
        text.push_str(&l);
        text.push('\n');
    }
    text.trim().to_string()
}

/// The value of attribute `name` in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let i = lower.find(&format!("{name}="))? + name.len() + 1;
    let rest = &tag[i..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let end = rest[1..].find(quote)?;
    Some(entities(&rest[1..1 + end]))
}

/// HTML entities: the named ones descriptions use, and numeric ones.
fn entities(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| match &rest[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            n if n.starts_with("#x") || n.starts_with("#X") => {
                u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32)
            }
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What Manyfold takes from a README at a model's root (`Scan::Model::ParseMetadataJob`):
/// from a Thingiverse README its title, creator and link (and, from the older layout, the
/// summary as notes and the licence); from any other README the whole text as notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManyfoldReadme {
    /// The title it takes.
    pub title: Option<String>,
    /// The creator's name it takes (before Manyfold makes it a human name).
    pub creator: Option<String>,
    /// The notes it takes.
    pub notes: Option<String>,
    /// The link it adds.
    pub link: Option<String>,
}

/// Whether Manyfold reads the file at `path` (inside the model folder) as the model's README:
/// `readme`, `readme.md` or `readme.txt` at the root, in any case.
pub fn is_manyfold_readme(path: &str) -> bool {
    ["readme", "readme.md", "readme.txt"].iter().any(|n| path.eq_ignore_ascii_case(n))
}

/// What Manyfold takes from `text`, a README at the model's root.
pub fn manyfold_readme(text: &str) -> ManyfoldReadme {
    // Thingiverse's "{x %!S(Bool=True)}" artefacts, as Manyfold filters them.
    let text = text.replace("%!S(Bool=True)}", "}");
    // "Title by Creator on Thingiverse: https://www.thingiverse.com/thing:N", on one line.
    for line in text.split('\n') {
        let Some((left, right)) = line.rsplit_once(" on Thingiverse: ") else { continue };
        let Some(rest) = ["https://www.thingiverse.com/thing:", "http://www.thingiverse.com/thing:"]
            .iter()
            .find_map(|p| right.strip_prefix(p).map(|r| (p, r)))
        else {
            continue;
        };
        let digits: String = rest.1.chars().take_while(char::is_ascii_digit).collect();
        // Greedy like Manyfold's regular expression: the title runs to the last " by ".
        let Some((title, creator)) = left.rsplit_once(" by ") else { continue };
        if digits.is_empty() {
            continue;
        }
        return ManyfoldReadme {
            title: Some(title.to_string()),
            creator: Some(creator.to_string()),
            notes: None,
            link: Some(format!("{}{digits}", rest.0)),
        };
    }
    ManyfoldReadme { notes: Some(text.to_string()).filter(|t| !t.trim().is_empty()), ..ManyfoldReadme::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THINGIVERSE_README: &str = "                   .:                     :,\n,:::::::: ::`      :::                   :::\n\nSpur Gear by Ann Maker on Thingiverse: https://www.thingiverse.com/thing:123456\n\nSummary:\nA 20-tooth spur gear.\nPrints without supports.\n\nPrint Settings\n\nPrinter Brand:\n\nPrusa\n";
    const THINGIVERSE_LICENSE: &str = "Spur Gear by Ann Maker is licensed under the Creative Commons - Attribution - Non-Commercial license.\nhttp://creativecommons.org/licenses/by-nc/3.0/\n";

    #[test]
    fn thingiverse_readme_and_license_give_everything() {
        let mut info = read_text(THINGIVERSE_LICENSE, TextKind::License);
        assert_eq!(info.description, None, "a licence text is no description");
        info.fill(read_text(THINGIVERSE_README, TextKind::Readme));
        assert_eq!(info.title.as_deref(), Some("Spur Gear"));
        assert_eq!(info.creator.as_deref(), Some("Ann Maker"));
        assert_eq!(info.description.as_deref(), Some("A 20-tooth spur gear.\nPrints without supports."));
        assert_eq!(info.license.as_deref(), Some("CC-BY-NC-3.0"));
        assert_eq!(info.link, Some(("https://www.thingiverse.com/thing:123456".into(), "Thingiverse".into())));
    }

    #[test]
    fn markdown_readme_gives_title_first_paragraph_and_spdx_line() {
        let md = "# Cable Clip\n\n![photo](clip.jpg)\n[![badge](b.svg)](x)\n\nA clip for 5 mm cables,\nprinted flat.\n\n## Printing\nPLA.\n\nLicense: CC-BY-SA-4.0\n";
        let info = read_text(md, TextKind::Readme);
        assert_eq!(info.title.as_deref(), Some("Cable Clip"));
        assert_eq!(info.description.as_deref(), Some("A clip for 5 mm cables, printed flat."));
        assert_eq!(info.license.as_deref(), Some("CC-BY-SA-4.0"));
        assert_eq!(info.creator, None);
    }

    #[test]
    fn licence_texts_are_named_only_with_their_version() {
        assert_eq!(
            license_from_text("Creative Commons Attribution-ShareAlike 4.0 International Public License").as_deref(),
            Some("CC-BY-SA-4.0")
        );
        assert_eq!(license_from_text("MIT License\n\nCopyright (c) 2024 Ann").as_deref(), Some("MIT"));
        assert_eq!(
            license_from_text("GNU GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007").as_deref(),
            Some("GPL-3.0-or-later")
        );
        // No version, no URL: no guess.
        assert_eq!(license_from_text("Licensed under Creative Commons - Attribution"), None);
        assert_eq!(read_text("License: Creative Commons", TextKind::Readme).license, None, "not an SPDX id");
    }

    #[test]
    fn readme_and_license_files_are_known_by_name() {
        assert_eq!(text_kind("Gear/README.md"), Some(TextKind::Readme));
        assert_eq!(text_kind("LICENSE.txt"), Some(TextKind::License));
        assert_eq!(text_kind("x/Licence"), Some(TextKind::License));
        assert_eq!(text_kind("instructions.pdf"), None);
        assert_eq!(text_kind("readme.pdf"), None);
    }

    #[test]
    fn bambu_html_descriptions_become_markdown() {
        let html = "<h2>Frog</h2><p>A <b>tiny</b> frog &amp; a <a href=\"https://x.org/?a=1&amp;b=2\">link</a>.</p>\
                    <ul><li>PLA</li><li>0.2&nbsp;mm</li></ul><img src=\"x.png\"><p>Line<br>break &#233;</p>";
        assert_eq!(
            html_to_markdown(html),
            "## Frog\n\nA **tiny** frog & a [link](https://x.org/?a=1&b=2).\n\n- PLA\n- 0.2 mm\n\nLine\nbreak é"
        );
        assert_eq!(html_to_markdown("plain &amp; simple"), "plain & simple");
    }

    #[test]
    fn makerworld_licence_names_and_manyfolds_ids() {
        assert_eq!(license_id("CC BY-NC-SA").as_deref(), Some("CC-BY-NC-SA-4.0"));
        assert_eq!(license_id("cc-by").as_deref(), Some("CC-BY-4.0"));
        assert_eq!(license_id("CC0").as_deref(), Some("CC0-1.0"));
        assert_eq!(license_id("MIT").as_deref(), Some("MIT"));
        assert_eq!(license_id("Standard Digital File License"), None);
        assert_eq!(license_id("CC-BY-NC-3.0-IGO"), None, "not in Manyfold's list");
    }

    #[test]
    fn what_manyfold_takes_from_a_readme() {
        let r = manyfold_readme("x\nA by B by C on Thingiverse: https://www.thingiverse.com/thing:12 more\n");
        assert_eq!((r.title.as_deref(), r.creator.as_deref()), (Some("A by B"), Some("C")), "greedy, as its regex");
        assert_eq!(r.link.as_deref(), Some("https://www.thingiverse.com/thing:12"));
        assert_eq!(r.notes, None);
        let g = manyfold_readme("# Frog\n\nA frog.\n");
        assert_eq!((g.title, g.notes.as_deref()), (None, Some("# Frog\n\nA frog.\n")));
        assert!(
            is_manyfold_readme("ReadMe.MD") && is_manyfold_readme("readme") && !is_manyfold_readme("docs/readme.md")
        );
        assert!(!is_manyfold_readme("README-original.md") && !is_manyfold_readme("readme.rst"));
    }

    #[test]
    fn thingiverse_boilerplate_names_the_creator_not_the_title() {
        let t = "This thing was created by Thingiverse user ann_m, and is licensed under Creative Commons - Attribution\nhttp://creativecommons.org/licenses/by/4.0/\n";
        let info = read_text(t, TextKind::License);
        assert_eq!((info.title, info.creator.as_deref()), (None, Some("ann_m")));
        assert_eq!(info.license.as_deref(), Some("CC-BY-4.0"));
    }
}

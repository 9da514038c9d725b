//! An arbitrary model part (the XML of a 3MF) read as meshes and written again: the data is
//! packed as `/3D/3dmodel.model` of an otherwise valid package, so mutations hit the XML
//! reader rather than the deflate stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

const RELS: &[u8] = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>"#;

fuzz_target!(|data: &[u8]| {
    let mut package = Vec::new();
    let entries = [
        ("_rels/.rels".to_string(), RELS, RELS.len() as u64),
        ("3D/3dmodel.model".to_string(), data, data.len() as u64),
    ];
    to3mf::write_zip(&mut package, entries).expect("a zip in memory");
    let options = to3mf::Options { threads: 1, max_triangles: 1 << 16, ..to3mf::Options::default() };
    if let Ok(input) = to3mf::read_input("fuzz.3mf", &package[..], None, &options) {
        let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
        to3mf::write_3mf(&mut Vec::new(), &meshes, None, &options, &mut |_, _| {})
            .expect("a read mesh can always be written");
    }
});

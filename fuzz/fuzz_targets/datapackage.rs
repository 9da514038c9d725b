//! An existing datapackage.json, read and merged into a model's new one, then written: what
//! is written holds only values Manyfold accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use to3mf::manyfold::datapackage::DataPackage;
use to3mf::manyfold::folder::{Consume, ProcessOptions};
use to3mf::manyfold::plan::{FileKind, ModelFile, ModelPlan};

fuzz_target!(|data: &[u8]| {
    let file = ModelFile {
        root: 0,
        path: "datapackage.json".into(),
        target: "datapackage.json".into(),
        kind: FileKind::DataPackage,
        presupported: false,
    };
    let plan = ModelPlan { title: "t".into(), edited: false, files: vec![file], meta: Default::default() };
    let mut open = |_: &ModelFile, consume: &mut Consume| consume(&mut &data[..], Some(data.len() as u64));
    let mut warnings = Vec::new();
    let new = to3mf::manyfold::package::describe(&plan, &mut open, &ProcessOptions::default(), "t", &mut warnings);
    let json = serde_json::to_vec(&new.package).expect("a package always serializes");
    let back: DataPackage = serde_json::from_slice(&json).expect("what we write reads back");
    assert!(back.contributors.iter().all(|c| !c.roles.is_empty() && to3mf::manyfold::package::sluggable(&c.title)));
    assert!(back.licenses.iter().all(|l| to3mf::manyfold::datapackage::license(&l.name).is_some()));
    assert!(back.title.chars().count() <= to3mf::manyfold::names::MAX_NAME);
});

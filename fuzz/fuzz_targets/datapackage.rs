//! An existing datapackage.json, read and merged into a new one, then written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use to3mf::manyfold::datapackage::DataPackage;

fuzz_target!(|data: &[u8]| {
    if let Ok(old) = serde_json::from_slice::<DataPackage>(data) {
        let mut new = DataPackage { title: "t".into(), ..DataPackage::default() };
        new.merge_from(old);
        let json = serde_json::to_vec(&new).expect("a package always serializes");
        let back: DataPackage = serde_json::from_slice(&json).expect("what we write reads back");
        assert!(back.contributors.iter().all(|c| !c.roles.is_empty()));
        assert!(back.licenses.iter().all(|l| to3mf::manyfold::datapackage::license(&l.name).is_some()));
    }
});

//! The package thumbnail `Options::thumbnail` asks for: a picture of the placed objects at
//! `/Metadata/thumbnail.png` with its package relationship, the same bytes whichever way the
//! package is written, and nothing of it by default.

mod common;

use std::io::Read;

use common::{parse_3mf, read};
use to3mf::Options;

fn thumbnail_of(package: &[u8]) -> Option<Vec<u8>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut entry = zip.by_name("Metadata/thumbnail.png").ok()?;
    let mut png = Vec::new();
    entry.read_to_end(&mut png).unwrap();
    Some(png)
}

/// A writer whose bytes stay reachable while the package writer holds it.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn with_thumbnail() -> Options {
    Options { thumbnail: true, ..Options::default() }
}

#[test]
fn off_by_default_so_packages_stay_as_they_were() {
    let input = read("ascii_multi_solid.stl", &Options::default()).unwrap();
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let package = common::package(&meshes, &Options::default());
    assert_eq!(thumbnail_of(&package), None);
    assert!(!parse_3mf(&package).rels.contains("thumbnail"));
    // Serde's default too: the page's options without the field write no thumbnail.
    let options: Options = serde_json::from_str("{}").unwrap();
    assert!(!options.thumbnail);
}

#[test]
fn a_picture_of_every_object_with_its_relationship() {
    let input = read("ascii_multi_solid.stl", &Options::default()).unwrap();
    assert_eq!(input.meshes.len(), 2);
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let package = common::package(&meshes, &with_thumbnail());
    let model = parse_3mf(&package);
    assert!(
        model.rels.contains(r#"Target="/Metadata/thumbnail.png" Id="rel1" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail""#),
        "{}",
        model.rels
    );
    assert!(model.content_types.contains(r#"Extension="png" ContentType="image/png""#));
    let png = thumbnail_of(&package).expect("a thumbnail");
    let mut reader = png::Decoder::new(std::io::Cursor::new(&png)).read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (256, 256));
    // It is the picture of both objects as arranged, not of one of them.
    let arranged = to3mf::layout::placements(&meshes, to3mf::Layout::Arrange, 5.0).unwrap();
    let scene: Vec<(&to3mf::Mesh, [f32; 3])> = meshes.iter().copied().zip(arranged).collect();
    assert_eq!(png, to3mf::write::thumbnail::render_png(&scene, 256));
    assert_ne!(png, to3mf::write::thumbnail::render_png(&scene[..1], 256));
}

#[test]
fn the_same_thumbnail_whichever_way_the_package_is_written() {
    let options = with_thumbnail();
    let input = read("binary_negative_zero.stl", &options).unwrap();
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let whole = common::package(&meshes, &options);
    let mut converted = Vec::new();
    let bytes = std::fs::read(common::fixture("binary_negative_zero.stl")).unwrap();
    let report = to3mf::convert(
        [("binary_negative_zero.stl".to_string(), &bytes[..], None)],
        &mut converted,
        &options,
        &mut |_, _| {},
    );
    assert!(report.error.is_none());
    assert_eq!(converted, whole, "convert writes what write_3mf writes");
    let mut inputs = Vec::new();
    to3mf::write_3mf_inputs(&mut inputs, &[&input], &options, &mut |_, _| {}).unwrap();
    assert_eq!(inputs, whole, "write_3mf_inputs too");
    // The split writer: the head, the chunks, the thumbnail drawn meanwhile, the end.
    let out = Shared::default();
    let (_, split) = to3mf::split_inputs([("n.stl".to_string(), Ok(input.clone()))], out.clone(), &options);
    let mut split = split.unwrap();
    assert_eq!(split.package.thumbnail(), None, "not drawn yet");
    let refs: Vec<&to3mf::Mesh> = split.meshes.iter().collect();
    let sums: Vec<to3mf::ChunkSums> = (0..split.chunks.len())
        .map(|k| {
            if k == 1 {
                split.package.draw_thumbnail(&refs, &options);
            }
            let (bytes, sums) = split.chunks.compress(&refs, k);
            out.0.borrow_mut().extend_from_slice(&bytes);
            sums
        })
        .collect();
    split.package.draw_thumbnail(&refs, &options);
    assert_eq!(split.package.thumbnail(), thumbnail_of(&whole).as_deref());
    split.package.finish(sums).unwrap();
    let split_out = out.0.borrow().clone();
    assert_eq!(split_out, whole, "the split writer too");
}

/// The thumbnail is the package's last part, after the model: drawn while the model is
/// compressed elsewhere, it costs no time of its own. Readers find parts by the directory.
#[test]
fn the_thumbnail_comes_after_the_model() {
    let input = read("ascii_multi_solid.stl", &Options::default()).unwrap();
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let package = common::package(&meshes, &with_thumbnail());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&package)).unwrap();
    let names: Vec<String> = (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().to_string()).collect();
    assert_eq!(names, ["[Content_Types].xml", "_rels/.rels", "3D/3dmodel.model", "Metadata/thumbnail.png"]);
}

/// A split package told to draw its thumbnail and finished without it fails, rather than
/// end with relationships naming a part it lacks.
#[test]
fn a_split_package_never_ends_without_the_thumbnail_it_names() {
    let options = with_thumbnail();
    let input = read("binary_negative_zero.stl", &options).unwrap();
    let (_, split) = to3mf::split_inputs([("n.stl".to_string(), Ok(input))], Vec::new(), &options);
    let mut split = split.unwrap();
    let refs: Vec<&to3mf::Mesh> = split.meshes.iter().collect();
    let sums: Vec<to3mf::ChunkSums> = (0..split.chunks.len()).map(|k| split.chunks.compress(&refs, k).1).collect();
    let e = split.package.finish(sums).unwrap_err();
    assert!(e.to_string().contains("thumbnail was not drawn"), "{e}");
}

#[test]
fn the_validator_accepts_it() {
    let Some(_) = common::corpus_dir() else { return };
    let input = read("binary_negative_zero.stl", &Options::default()).unwrap();
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("thumbnail.3mf");
    std::fs::write(&path, common::package(&meshes, &with_thumbnail())).unwrap();
    let verdict = &common::validate(&[path])[0];
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["package_thumbnail"], true, "{verdict}");
}

//! One test per edge-case fixture: what each file must give, read sized and streamed.

mod common;

use common::read;
use to3mf::{Options, Position};

/// Counts the bytes each thread holds, so a test can measure what a call allocates even
/// while other tests run; and can refuse big blocks on a thread, as a machine short of
/// memory does.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    struct Counting;

    #[global_allocator]
    static COUNTING: Counting = Counting;

    thread_local! {
        // Signed: a thread may free what another allocated.
        static HELD: Cell<isize> = const { Cell::new(0) };
        static PEAK: Cell<isize> = const { Cell::new(0) };
        static REFUSE_FROM: Cell<usize> = const { Cell::new(usize::MAX) };
    }

    /// Whether a block of `size` bytes is refused on this thread.
    fn refused(size: usize) -> bool {
        REFUSE_FROM.try_with(|r| size >= r.get()).unwrap_or(false)
    }

    /// Runs `f` with every block of `bytes` or more refused on this thread.
    pub fn refusing<T>(bytes: usize, f: impl FnOnce() -> T) -> T {
        let before = REFUSE_FROM.with(|r| r.replace(bytes));
        let t = f();
        REFUSE_FROM.with(|r| r.set(before));
        t
    }

    fn add(bytes: isize) {
        let _ = HELD.try_with(|held| {
            held.set(held.get() + bytes);
            let _ = PEAK.try_with(|peak| peak.set(peak.get().max(held.get())));
        });
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if refused(layout.size()) {
                return std::ptr::null_mut();
            }
            add(layout.size() as isize);
            unsafe { System.alloc(layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            if refused(layout.size()) {
                return std::ptr::null_mut();
            }
            add(layout.size() as isize);
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            add(-(layout.size() as isize));
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            if refused(new_size) {
                return std::ptr::null_mut();
            }
            add(new_size as isize - layout.size() as isize);
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Starts a measure on this thread: what it holds now.
    pub fn start() -> isize {
        let held = HELD.with(Cell::get);
        PEAK.with(|peak| peak.set(held));
        held
    }

    /// The most this thread held since `start`, beyond what it held then.
    pub fn peak_since(start: isize) -> usize {
        (PEAK.with(Cell::get) - start).max(0) as usize
    }
}

fn ok(name: &str) -> to3mf::Input {
    read(name, &Options::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(name: &str) -> to3mf::Error {
    match read(name, &Options::default()) {
        Ok(_) => panic!("{name} should fail"),
        Err(e) => e,
    }
}

fn names(input: &to3mf::Input) -> Vec<&str> {
    input.meshes.iter().map(|m| m.name.as_str()).collect()
}

#[test]
fn binary_header_solid_is_read_as_binary() {
    let i = ok("binary_header_solid.stl");
    assert_eq!(i.report.format, "binary-stl");
    assert_eq!(i.meshes[0].triangles.len(), 2);
    assert_eq!(i.meshes[0].vertices.len(), 4);
    assert_eq!(names(&i), ["binary_header_solid"]);
}

#[test]
fn binary_trailing_bytes_are_ignored_with_a_warning() {
    let i = ok("binary_trailing_bytes.stl");
    assert_eq!(i.meshes[0].triangles.len(), 1);
    assert!(i.report.warnings.iter().any(|w| w.contains("7 bytes after the last triangle")), "{:?}", i.report.warnings);
}

#[test]
fn binary_truncated_names_the_missing_triangle() {
    let e = err("binary_truncated.stl");
    assert_eq!(e.code(), "truncated");
    assert_eq!(e.position(), Position::Triangle(3));
    assert!(e.to_string().contains("3 triangles"), "{e}");
}

/// The most this thread had allocated at once while `f` ran, beyond what it held before.
fn peak_allocated<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = counting::start();
    let t = f();
    (t, counting::peak_since(start))
}

/// The header of this 84-byte file declares 4,000,000,000 triangles (200 GB of records).
/// With its size known it is refused before a mesh is started (a few KB allocated); as a
/// stream of unknown size, the first reservation is capped (room for a million triangles,
/// about 36 MB), never sized by the declared count.
#[test]
fn binary_huge_count_is_truncated_and_reserves_nothing_for_the_declared_count() {
    let bytes = std::fs::read(common::fixture("binary_huge_count.stl")).unwrap();
    let options = Options::default();
    let (sized, peak) = peak_allocated(|| to3mf::read_input("huge.stl", &bytes[..], Some(84), &options));
    assert!(peak < 64 << 10, "{peak} bytes allocated at most for an 84-byte file");
    let e = sized.unwrap_err();
    assert_eq!(e.code(), "truncated");
    assert!(e.to_string().contains("4000000000"), "{e}");
    let (streamed, peak) = peak_allocated(|| to3mf::read_input("huge.stl", &bytes[..], None, &options));
    assert!(peak < 64 << 20, "{peak} bytes allocated at most for an 84-byte stream");
    assert_eq!(streamed.unwrap_err().code(), "truncated");
    let (fed, peak) = peak_allocated(|| {
        let mut feed = to3mf::BinaryStlFeed::new("huge.stl", Some(84), &options, None);
        feed.push(&bytes).and_then(|()| feed.finish())
    });
    assert!(peak < 64 << 10, "{peak} bytes allocated at most for an 84-byte file fed in a piece");
    assert_eq!(fed.unwrap_err().code(), "truncated");
    // And read as every fixture is, sized, streamed and fed in pieces.
    assert_eq!(err("binary_huge_count.stl").code(), "truncated");
}

#[test]
fn binary_zero_count_reads_the_data_with_a_warning() {
    let i = ok("binary_zero_count.stl");
    assert_eq!(i.meshes[0].triangles.len(), 2);
    assert!(i.report.warnings.iter().any(|w| w.contains("declares 0 triangles")));
}

#[test]
fn binary_degenerate_triangle_is_dropped_and_counted() {
    let i = ok("binary_degenerate.stl");
    let o = &i.report.objects[0];
    assert_eq!((o.triangles_read, o.triangles_written, o.dropped_degenerate), (3, 2, 1));
}

#[test]
fn binary_nan_names_the_triangle() {
    let e = err("binary_nan.stl");
    assert_eq!((e.code(), e.position()), ("non_finite", Position::Triangle(2)));
    assert_eq!(e.to_string(), "triangle 2: coordinate is NaN or infinite");
}

#[test]
fn binary_negative_zero_welds_into_positive_zero() {
    let i = ok("binary_negative_zero.stl");
    let m = &i.meshes[0];
    assert_eq!(m.vertices.len(), 4, "-0,-0,-0 must be the same vertex as 0,0,0");
    assert!(m.vertices.iter().flatten().all(|x| x.to_bits() != (-0.0f32).to_bits()));
}

#[test]
fn binary_header_only_has_no_geometry() {
    let e = err("binary_header_only.stl");
    assert_eq!(e.code(), "no_geometry");
}

#[test]
fn ascii_line_endings_cr_and_crlf_are_read() {
    for name in ["ascii_cr.stl", "ascii_crlf.stl"] {
        let i = ok(name);
        assert_eq!(i.report.format, "ascii-stl");
        assert_eq!(i.meshes[0].triangles.len(), 1, "{name}");
        assert_eq!(i.meshes[0].vertices[1], [1.0, 0.0, 0.0]);
    }
    assert_eq!(names(&ok("ascii_cr.stl")), ["cr"]);
}

#[test]
fn ascii_uppercase_keywords_are_read() {
    let i = ok("ascii_uppercase_keywords.stl");
    assert_eq!(names(&i), ["Shouting"]);
    assert_eq!(i.meshes[0].triangles.len(), 1);
}

#[test]
fn ascii_multi_solid_gives_one_object_per_solid() {
    let i = ok("ascii_multi_solid.stl");
    // The empty solid is no object; the unnamed one takes the file stem.
    assert_eq!(names(&i), ["first part", "ascii_multi_solid"]);
    assert_eq!(i.meshes[1].triangles.len(), 2);
    assert_eq!(i.meshes[1].vertices.len(), 4);
    // Both solids lie in a plane of constant z: each gets a warning, and is still written.
    let flat: Vec<&String> =
        i.report.warnings.iter().filter(|w| w.contains("is flat") && w.contains("the same z")).collect();
    assert_eq!(flat.len(), 2, "{:?}", i.report.warnings);
    assert!(flat[0].contains("'first part'"));
}

#[test]
fn a_solid_gets_no_flat_warning() {
    let Some(corpus) = common::corpus_dir() else { return };
    let bytes = std::fs::read(corpus.join("trimesh/unit_cube.STL")).unwrap();
    let i = to3mf::read_input("cube.stl", &bytes[..], None, &Options::default()).unwrap();
    assert_eq!(i.meshes[0].triangles.len(), 12);
    assert!(!i.report.warnings.iter().any(|w| w.contains("flat")), "{:?}", i.report.warnings);
}

#[test]
fn ascii_junk_normals_are_ignored() {
    let i = ok("ascii_junk_normals.stl");
    assert_eq!(i.meshes[0].triangles.len(), 3);
}

#[test]
fn ascii_bad_vertex_names_the_line() {
    let e = err("ascii_bad_vertex.stl");
    assert_eq!((e.code(), e.position()), ("syntax", Position::Line(5)));
    assert!(e.to_string().contains("vertex 1 zero 0"), "{e}");
}

#[test]
fn ascii_nan_vertex_names_the_line() {
    let e = err("ascii_nan_vertex.stl");
    assert_eq!((e.code(), e.position()), ("non_finite", Position::Line(12)));
}

#[test]
fn ascii_no_endsolid_is_read_with_a_warning() {
    let i = ok("ascii_no_endsolid.stl");
    assert_eq!(i.meshes[0].triangles.len(), 1);
    assert!(i.report.warnings.iter().any(|w| w.contains("endsolid")));
}

#[test]
fn ascii_truncated_is_an_error() {
    let e = err("ascii_truncated.stl");
    assert_eq!((e.code(), e.position()), ("syntax", Position::Line(12)));
}

#[test]
fn ascii_quad_facet_is_fan_triangulated() {
    let i = ok("ascii_quad_facet.stl");
    assert_eq!(i.meshes[0].triangles, vec![[0, 1, 2], [0, 2, 3]]);
}

#[test]
fn ascii_missing_endloop_is_closed_by_endfacet() {
    let i = ok("ascii_missing_endloop.stl");
    assert_eq!(i.meshes[0].triangles.len(), 1);
    assert!(i.report.warnings.iter().any(|w| w.contains("endloop")));
}

#[test]
fn ascii_exponents_parse_to_the_nearest_f32() {
    let i = ok("ascii_exponents.stl");
    let v = &i.meshes[0].vertices;
    assert_eq!(v[0], [12.5, -0.25, 0.0]);
    assert_eq!(v[1], [10.0, 0.0, 0.0]);
    assert_eq!(v[2][0].to_bits(), 1.0e-33f32.to_bits());
    assert_eq!(v[2][1], 0.5);
}

#[test]
fn zip_archive_says_to_extract_it() {
    let e = err("zip_archive.stl");
    assert_eq!(e.code(), "unsupported");
    assert!(e.to_string().contains("extract"), "{e}");
}

#[test]
fn not_a_mesh_is_named_as_such() {
    let e = err("not_a_mesh.stl");
    assert_eq!(e.code(), "unsupported");
    assert!(e.to_string().contains("neither an ASCII STL"), "{e}");
}

#[test]
fn garbage_named_3mf_or_obj_is_called_what_it_is_not_never_an_incomplete_stl() {
    for (name, what) in [("garbage_named.3mf", "not a 3MF package"), ("garbage_named.obj", "not an OBJ file")] {
        let e = err(name);
        assert_eq!(e.code(), "unsupported", "{name}");
        assert!(e.to_string().contains(what) && !e.to_string().contains("STL"), "{name}: {e}");
    }
    // The same bytes named .stl keep the reader's own account.
    let bytes = std::fs::read(common::fixture("garbage_named.3mf")).unwrap();
    let e = to3mf::read_input("garbage.stl", &bytes[..], Some(bytes.len() as u64), &Options::default()).unwrap_err();
    assert!(e.to_string().contains("not a complete binary STL"), "{e}");
}

#[test]
fn model_in_metres_is_20_by_30_by_10_mm_read_as_metres() {
    let size = |unit| {
        let b = read("model_in_metres.stl", &Options { unit, ..Options::default() }).unwrap().report.objects[0]
            .bounds
            .unwrap();
        [0, 1, 2].map(|k| b.max[k] - b.min[k])
    };
    assert_eq!(size(to3mf::Unit::Millimeter), [0.02, 0.03, 0.01]);
    let m = size(to3mf::Unit::Meter);
    assert!(m.iter().zip([20.0, 30.0, 10.0]).all(|(a, b)| (a - b).abs() < 1e-4), "{m:?}");
}

#[test]
fn empty_file_says_it_is_empty() {
    let e = err("empty_file.stl");
    assert_eq!(e.to_string(), "the file is empty (0 bytes)");
}

#[test]
fn obj_ngon_is_fan_triangulated() {
    let i = ok("obj_ngon.obj");
    assert_eq!(i.report.format, "obj");
    assert_eq!(i.meshes[0].triangles.len(), 3 + 2);
    assert_eq!(i.meshes[0].triangles[..3], [[0, 1, 2], [0, 2, 3], [0, 3, 4]]);
}

#[test]
fn obj_negative_indices_count_back_from_the_last_vertex() {
    let i = ok("obj_negative_indices.obj");
    assert_eq!(i.meshes[0].triangles, vec![[0, 1, 2], [1, 3, 2]]);
}

#[test]
fn obj_vt_vn_corners_use_the_position_index() {
    let i = ok("obj_vt_vn.obj");
    assert_eq!(i.meshes[0].triangles, vec![[0, 1, 2], [1, 3, 2], [0, 2, 3]]);
}

#[test]
fn obj_groups_become_named_objects() {
    let i = ok("obj_groups.obj");
    // `g Body_Material` right after `o Body` keeps the object's name; an empty `g`
    // starts a new object that keeps the stem; `o EmptyGroup` has no face and is no object.
    assert_eq!(names(&i), ["Body", "obj_groups", "Lid"]);
    assert!(i.meshes.iter().all(|m| m.triangles.len() == 1));
}

#[test]
fn obj_points_lines_and_short_faces_are_skipped_and_counted() {
    let i = ok("obj_points_lines.obj");
    assert_eq!(i.meshes[0].triangles.len(), 1);
    let w = i.report.warnings.join("\n");
    assert!(w.contains("1 faces with fewer than 3 corners"), "{w}");
    assert!(w.contains("2 point and line elements"), "{w}");
}

#[test]
fn obj_bom_is_accepted() {
    assert_eq!(ok("obj_bom.obj").meshes[0].triangles.len(), 1);
}

#[test]
fn obj_bad_index_names_the_line() {
    let e = err("obj_bad_index.obj");
    assert_eq!((e.code(), e.position()), ("syntax", Position::Line(5)));
    assert!(e.to_string().contains("'9'"), "{e}");
}

#[test]
fn obj_index_zero_is_an_error() {
    let e = err("obj_index_zero.obj");
    assert_eq!((e.code(), e.position()), ("syntax", Position::Line(4)));
}

#[test]
fn obj_line_continuation_joins_lines() {
    let i = ok("obj_line_continuation.obj");
    assert_eq!(i.meshes[0].triangles, vec![[0, 1, 2], [0, 2, 3]]);
}

#[test]
fn obj_nan_vertex_names_the_line() {
    let e = err("obj_nan_vertex.obj");
    assert_eq!((e.code(), e.position()), ("non_finite", Position::Line(3)));
}

#[test]
fn units_scale_coordinates_into_millimetres() {
    let inch = Options { unit: to3mf::Unit::Inch, ..Options::default() };
    let i = read("ascii_quad_facet.stl", &inch).unwrap();
    assert_eq!(i.meshes[0].vertices[2], [25.4, 25.4, 0.0]);
    assert_eq!(i.report.objects[0].bounds.unwrap().max, [25.4, 25.4, 0.0]);
}

#[test]
fn triangle_limit_is_enforced_with_a_clear_error() {
    let tight = Options { max_triangles: 1, ..Options::default() };
    let e = read("binary_header_solid.stl", &tight).unwrap_err();
    assert_eq!((e.code(), e.position()), ("limit", Position::Triangle(2)));
}

/// 31 objects, each 4 components of the one before, over a 12-triangle cube: 4^30 × 12
/// triangles once flattened, from 1.5 KB. Counted (each object once) and refused before a
/// triangle is made: quickly, and with next to nothing allocated.
#[test]
fn threemf_component_fanout_31_is_refused_before_flattening() {
    let started = std::time::Instant::now();
    let (e, peak) = peak_allocated(|| err("threemf_component_fanout_31.3mf"));
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "{:?}", started.elapsed());
    assert!(peak < 1 << 20, "{peak} bytes allocated at most");
    assert_eq!((e.code(), e.position()), ("limit", Position::Whole));
    assert_eq!(
        e.to_string(),
        "build item 1 (object 31) would make 13835058055282163712 triangles once its components are flattened, \
         more than the limit of 500000000; raise the triangle limit to convert this file"
    );
}

/// The same shape, 13 objects: 4^12 × 12 = 201,326,592 triangles, under the default limit
/// (with too little memory for them it is refused, never aborted: `crates/cli/tests/caps.rs`).
/// Under a lower limit it is refused before a triangle is made.
#[test]
fn threemf_component_fanout_13_is_held_to_the_triangle_limit_once_flattened() {
    let limit = Options { max_triangles: 200_000_000, ..Options::default() };
    let (e, peak) = peak_allocated(|| read("threemf_component_fanout_13.3mf", &limit).unwrap_err());
    assert!(peak < 1 << 20, "{peak} bytes allocated at most");
    assert_eq!(e.code(), "limit");
    assert!(
        e.to_string().contains(
            "would make 201326592 triangles once its components are flattened, more than the limit of 200000000"
        ),
        "{e}"
    );
}

/// Under the default limit, the 13-object fan-out needs 2.4 GB for its triangles alone: on a
/// machine without it, an error saying so, before any is made (never an abort).
#[test]
fn threemf_component_fanout_13_without_the_memory_is_an_error() {
    let e = counting::refusing(1 << 30, || err("threemf_component_fanout_13.3mf"));
    assert_eq!(e.code(), "limit");
    assert_eq!(
        e.to_string(),
        "not enough memory for the 201326592 triangles of 'threemf_component_fanout_13-1' (2304 MiB); \
         convert it on a computer with more free memory, or split it into smaller files"
    );
}

/// Memory that runs out while a mesh grows is an error naming the mesh, not an abort.
#[test]
fn a_mesh_that_outgrows_the_memory_is_an_error() {
    let mut b = to3mf::MeshBuilder::new("grid", 1.0, 0);
    let e = counting::refusing(1 << 20, || {
        (0..1000u32).flat_map(|i| (0..1000u32).map(move |j| (i as f32, j as f32))).find_map(|(x, y)| {
            let t = [[x, y, 0.0], [x + 1.0, y, 0.0], [x, y + 1.0, 0.0]];
            b.add(t, || Position::Triangle(7)).err()
        })
    });
    let e = e.expect("a megabyte is not enough for a million triangles");
    assert_eq!((e.code(), e.position()), ("limit", Position::Triangle(7)));
    assert!(e.to_string().starts_with("triangle 7: not enough memory for 'grid' after "), "{e}");
}

/// A fan-out under the limit is flattened whole: 4 objects, 64 cubes side by side.
#[test]
fn threemf_component_fanout_4_converts_every_copy() {
    let i = ok("threemf_component_fanout_4.3mf");
    let o = &i.report.objects[0];
    assert_eq!((i.meshes.len(), o.triangles_read, o.triangles_written, o.vertices), (1, 768, 768, 512));
    assert!(o.edges.watertight);
    // Copies 20, 40 and 80 mm apart: the last cube ends at 140 + 10 mm.
    assert_eq!(o.bounds.map(|b| (b.min, b.max)), Some(([0.0; 3], [150.0, 150.0, 10.0])));
    let e = read("threemf_component_fanout_4.3mf", &Options { max_triangles: 767, ..Options::default() }).unwrap_err();
    assert!(e.to_string().contains("would make 768 triangles"), "{e}");
}

#[test]
fn obj_vertex_count_is_limited_like_triangles() {
    // Positions are held before faces use them: a file of only `v` lines must not grow forever.
    let three = Options { max_triangles: 3, ..Options::default() };
    let e = read("obj_ngon.obj", &three).unwrap_err();
    assert_eq!(e.code(), "limit");
    assert!(e.to_string().contains("more than 3 vertices"), "{e}");
}

#[test]
fn many_groups_do_not_each_reserve_the_whole_file() {
    // 3000 one-triangle groups: each mesh must hold about what it has, not size/60 slots.
    let mut obj = String::from("v 0 0 0\nv 1 0 0\nv 0 1 0\n");
    for g in 0..3000 {
        obj += &format!("g part{g}\nf 1 2 3\n");
    }
    obj += &"# padding to make the file look big\n".repeat(20_000);
    let i = to3mf::read_input("groups.obj", obj.as_bytes(), Some(obj.len() as u64), &Options::default()).unwrap();
    assert_eq!(i.meshes.len(), 3000);
    for m in &i.meshes {
        assert!(
            m.triangles.capacity() <= 2 * m.triangles.len() + 1024,
            "{} reserved {}",
            m.name,
            m.triangles.capacity()
        );
    }
}

#[test]
fn obj_utf16le_is_read_as_text() {
    let i = ok("obj_utf16le.obj");
    assert_eq!(names(&i), ["Plaque"]);
    assert_eq!(i.report.objects[0].triangles_written, 2);
    assert_eq!(i.meshes[0].vertices[2], [2.0, 1.0, 0.0]);
    assert_eq!(i.report.warnings[0], "UTF-16 text: read as UTF-8");
}

/// Writes `input`'s meshes as one package with `layout`.
fn write(input: &to3mf::Input, layout: to3mf::Layout) -> to3mf::Result<Vec<u8>> {
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let options = Options { layout, ..Options::default() };
    let mut out = Vec::new();
    to3mf::write_3mf(&mut out, &meshes, None, &options, &mut |_, _| {})?;
    Ok(out)
}

/// Runs the strict validator on `package`, when it is there (CI has it beside the repository).
fn assert_valid(name: &str, package: &[u8]) {
    if !common::validator().is_file() {
        eprintln!("not validated: ../shared/tools/validate3mf is absent");
        return;
    }
    let path = std::env::temp_dir().join(format!("to3mf-fixture-{}-{name}.3mf", std::process::id()));
    std::fs::write(&path, package).unwrap();
    let result = common::validate(std::slice::from_ref(&path));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(result[0]["ok"], true, "{name}: {}", result[0]);
}

#[test]
fn obj_vertex_beyond_range_names_the_line_and_the_corner() {
    // 3MF readers refuse coordinates beyond ±1e9 mm (lib3mf: "Invalid Model Coordinates"),
    // so such a corner is an error, not a package that fails to load.
    let e = err("obj_vertex_beyond_range.obj");
    assert_eq!((e.code(), e.position()), ("limit", Position::Line(6)));
    assert_eq!(
        e.to_string(),
        "line 6: corner (3.4e38, 0, 0) mm lies beyond ±1e9 mm (1000 km), the largest coordinate 3MF readers \
         accept: check the unit the file is in, and whether the file is damaged"
    );
}

#[test]
fn a_unit_that_scales_a_corner_beyond_range_is_an_error() {
    // -1e9 is the limit itself in millimetres, and beyond it in centimetres.
    let cm = Options { unit: to3mf::Unit::Centimeter, ..Options::default() };
    let e = read("obj_just_inside_range.obj", &cm).unwrap_err();
    assert_eq!((e.code(), e.position()), ("limit", Position::Line(6)));
    assert!(e.to_string().contains("corner (-1e10, -1e10, -1e10) mm"), "{e}");
}

#[test]
fn obj_just_inside_range_converts_and_validates_in_every_layout() {
    let i = ok("obj_just_inside_range.obj");
    assert_eq!(i.report.objects[0].bounds.unwrap().min, [-1e9; 3]);
    for layout in [to3mf::Layout::Arrange, to3mf::Layout::Keep, to3mf::Layout::Assembly] {
        let package = write(&i, layout).unwrap_or_else(|e| panic!("{layout:?}: {e}"));
        let model = common::parse_3mf(&package);
        assert!(model.objects[0].texts.iter().any(|t| t == "-1000000000"), "{:?}", model.objects[0].texts);
        let moved = common::translation(&model.items[0].1);
        let expected = if layout == to3mf::Layout::Keep { [0.0; 3] } else { [1e9; 3] };
        assert_eq!(moved, expected, "{layout:?}");
        assert_valid(&format!("just-inside-{layout:?}"), &package);
    }
}

#[test]
fn ascii_placed_beyond_range_is_refused_by_the_layouts_that_would_move_it_there() {
    // Every corner is within ±1e9 mm, but the mesh is 1.8e9 mm wide: put on the plate
    // (from x = 0), it would reach x = 1.8e9.
    let i = ok("ascii_placed_beyond_range.stl");
    for layout in [to3mf::Layout::Arrange, to3mf::Layout::Assembly] {
        let e = write(&i, layout).unwrap_err();
        assert_eq!((e.code(), e.position()), ("limit", Position::Whole), "{layout:?}");
        assert_eq!(
            e.to_string(),
            "object 'wide' would reach x = 1.8e9 mm once placed on the plate, beyond ±1e9 mm (1000 km), the largest \
             coordinate 3MF readers accept: keep the objects' own coordinates (the 'keep' layout) instead",
            "{layout:?}"
        );
    }
    // Refused before a byte is written, by the writer and by the one that writes in two places.
    let mut out = Vec::new();
    let meshes: Vec<&to3mf::Mesh> = i.meshes.iter().collect();
    assert!(to3mf::write_3mf(&mut out, &meshes, None, &Options::default(), &mut |_, _| {}).is_err());
    assert!(out.is_empty(), "{} bytes written", out.len());
    let (report, split) = to3mf::split_inputs([("wide.stl".to_string(), Ok(i.clone()))], &mut out, &Options::default());
    assert!(split.is_none());
    assert_eq!(report.error.unwrap().code, "limit");
    assert!(out.is_empty(), "{} bytes written", out.len());
    let kept = write(&i, to3mf::Layout::Keep).unwrap();
    assert_eq!(common::parse_3mf(&kept).items[0].1, None);
    assert_valid("placed-beyond-range-kept", &kept);
}

#[test]
fn obj_trailing_comments_end_their_lines() {
    let i = ok("obj_trailing_comments.obj");
    assert_eq!(names(&i), ["Part#2"]);
    // `v 1 0 0#glued to a number`, third in the first face.
    assert_eq!(i.meshes[0].vertices[2], [1.0, 0.0, 0.0]);
    assert_eq!(i.meshes[0].triangles.len(), 4);
    assert!(i.report.objects[0].edges.watertight);
    assert!(i.report.warnings.is_empty(), "{:?}", i.report.warnings);
}

#[test]
fn ascii_comment_lines_are_skipped_even_before_solid() {
    let i = ok("ascii_comment_lines.stl");
    assert_eq!(i.report.format, "ascii-stl");
    assert_eq!(names(&i), ["commented"]);
    assert_eq!(i.meshes[0].triangles.len(), 1);
}

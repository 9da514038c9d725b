//! Placement on the build plate: translations for build items (vertices stay bit-exact).

use crate::error::{Error, Position, Result};
use crate::mesh::{Bounds, Mesh, MAX_COORDINATE};
use crate::options::Layout;

/// The translation of each mesh under `layout`: side by side (arrange), one shared
/// translation (assembly), or none (keep). Meshes must have vertices. An error if a mesh,
/// moved so, would reach beyond ±1e9 mm, the largest coordinate 3MF readers accept
/// (slicers add the translation to the vertices).
pub fn placements(meshes: &[&Mesh], layout: Layout, gap: f32) -> Result<Vec<[f32; 3]>> {
    let bounds: Vec<Bounds> = meshes.iter().filter_map(|m| m.bounds()).collect();
    if bounds.is_empty() {
        return Ok(vec![[0.0; 3]; meshes.len()]);
    }
    let placed = match layout {
        Layout::Keep => vec![[0.0; 3]; meshes.len()],
        Layout::Arrange => arrange(&bounds, gap),
        Layout::Assembly => {
            let all = bounds.iter().skip(1).fold(bounds[0], |a, b| a.union(b));
            vec![to_origin(&all); meshes.len()]
        }
    };
    for ((m, b), t) in meshes.iter().zip(&bounds).zip(&placed) {
        in_range(&m.name, b, t)?;
    }
    Ok(placed)
}

/// An error if the box `b` of object `name`, moved by `t`, reaches beyond [`MAX_COORDINATE`]
/// (computed in f64: the sum, not its rounding to f32, is what a reader may see).
fn in_range(name: &str, b: &Bounds, t: &[f32; 3]) -> Result<()> {
    for axis in 0..3 {
        for end in [b.min[axis], b.max[axis]] {
            let at = end as f64 + t[axis] as f64;
            if at.abs() <= MAX_COORDINATE as f64 {
                continue;
            }
            let a = ["x", "y", "z"][axis];
            let beyond = "beyond ±1e9 mm (1000 km), the largest coordinate 3MF readers accept";
            return Err(Error::limit(
                Position::Whole,
                if t[axis] == 0.0 {
                    format!("object '{name}' has a vertex at {a} = {at:e} mm, {beyond}")
                } else {
                    format!(
                        "object '{name}' would reach {a} = {at:e} mm once placed on the plate, {beyond}: keep the \
                         objects' own coordinates (the 'keep' layout) instead"
                    )
                },
            ));
        }
    }
    Ok(())
}

/// Places boxes in rows (shelf packing): each rests on z = 0 in the positive octant and
/// keeps at least `gap` millimetres from its neighbours in X and Y. Returns one
/// translation per box, in the order given.
fn arrange(boxes: &[Bounds], gap: f32) -> Vec<[f32; 3]> {
    let gap = if gap.is_finite() { gap.max(1.0) } else { 5.0 };
    let area: f64 = boxes.iter().map(|b| ((b.size()[0] + gap) as f64) * ((b.size()[1] + gap) as f64)).sum();
    let widest = boxes.iter().map(|b| b.size()[0]).fold(0.0f32, f32::max);
    // A roughly square plate, never narrower than the widest object.
    let row_limit = (area.sqrt() as f32 * 1.1).max(widest);
    // Tallest-in-Y first gives tidy rows; ties keep input order so the result is stable.
    let mut order: Vec<usize> = (0..boxes.len()).collect();
    order.sort_by(|&a, &b| boxes[b].size()[1].total_cmp(&boxes[a].size()[1]).then(a.cmp(&b)));
    let mut out = vec![[0.0; 3]; boxes.len()];
    let (mut x, mut y, mut row_depth) = (0.0f32, 0.0f32, 0.0f32);
    for i in order {
        let [w, d, _] = boxes[i].size();
        if x > 0.0 && x + w > row_limit {
            x = 0.0;
            y += row_depth + gap;
            row_depth = 0.0;
        }
        out[i] = [x - boxes[i].min[0], y - boxes[i].min[1], -boxes[i].min[2]];
        x += w + gap;
        row_depth = row_depth.max(d);
    }
    out
}

/// The translation that puts a box on z = 0 with its corner at the origin.
fn to_origin(b: &Bounds) -> [f32; 3] {
    [-b.min[0], -b.min[1], -b.min[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(b: &Bounds, t: [f32; 3]) -> Bounds {
        Bounds {
            min: [b.min[0] + t[0], b.min[1] + t[1], b.min[2] + t[2]],
            max: [b.max[0] + t[0], b.max[1] + t[1], b.max[2] + t[2]],
        }
    }

    fn mesh(name: &str, min: [f32; 3], max: [f32; 3]) -> Mesh {
        Mesh { name: name.into(), vertices: vec![min, max], triangles: vec![] }
    }

    #[test]
    fn objects_that_fit_alone_but_not_side_by_side_are_refused() {
        // Each is 6e8 mm wide and deep: arranged, the second starts a row at y = 6e8 + 5
        // (6e8 in f32).
        let (a, b) = (mesh("a", [0.0; 3], [6e8, 6e8, 1.0]), mesh("b", [0.0; 3], [6e8, 6e8, 1.0]));
        assert!(placements(&[&a], Layout::Arrange, 5.0).is_ok());
        let e = placements(&[&a, &b], Layout::Arrange, 5.0).unwrap_err();
        assert_eq!(e.code(), "limit");
        assert!(e.to_string().starts_with("object 'b' would reach y = 1.2e9 mm once placed"), "{e}");
        assert_eq!(placements(&[&a, &b], Layout::Keep, 5.0).unwrap(), vec![[0.0; 3]; 2]);
    }

    #[test]
    fn an_assembly_wider_than_the_range_is_refused() {
        // Both ends of the range: in it as they are, beyond it once the whole rests at x = 0.
        let (a, b) =
            (mesh("left", [-1e9, 0.0, 0.0], [-9e8, 1.0, 1.0]), mesh("right", [9e8, 0.0, 0.0], [1e9, 1.0, 1.0]));
        let e = placements(&[&a, &b], Layout::Assembly, 5.0).unwrap_err();
        assert!(e.to_string().starts_with("object 'right' would reach x = 1.9e9 mm"), "{e}");
        assert!(placements(&[&a, &b], Layout::Keep, 5.0).is_ok());
    }

    #[test]
    fn a_vertex_beyond_the_range_is_refused_even_where_it_is() {
        let far = mesh("far", [0.0; 3], [1.0, 3e38, 1.0]);
        let e = placements(&[&far], Layout::Keep, 5.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "object 'far' has a vertex at y = 3.0000000054977558e38 mm, beyond ±1e9 mm (1000 km), the largest \
             coordinate 3MF readers accept"
        );
    }

    #[test]
    fn arranged_boxes_rest_on_the_plate_apart_from_each_other() {
        let boxes: Vec<Bounds> = (0..17)
            .map(|i| {
                let f = i as f32;
                Bounds { min: [-f * 3.0, 7.0 - f, -2.0 * f], max: [10.0 + f * 2.0, 20.0 + f, 5.0 + f] }
            })
            .collect();
        let t = arrange(&boxes, 5.0);
        let placed: Vec<Bounds> = boxes.iter().zip(&t).map(|(b, t)| moved(b, *t)).collect();
        for (i, a) in placed.iter().enumerate() {
            assert!(a.min[0] >= 0.0 && a.min[1] >= 0.0 && a.min[2] == 0.0, "{a:?}");
            for b in &placed[i + 1..] {
                let apart_x = a.max[0] < b.min[0] || b.max[0] < a.min[0];
                let apart_y = a.max[1] < b.min[1] || b.max[1] < a.min[1];
                assert!(apart_x || apart_y, "{a:?} touches {b:?}");
            }
        }
    }
}

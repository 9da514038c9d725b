//! A small software rasteriser for pictures of models: meshes seen from the front-left and
//! above, shaded by their faces, on a transparent background. In the core (lean build
//! included), so the CLI, the browser and the tests get the same picture, and a package can
//! carry it as its thumbnail.

use super::layout::placements;
use crate::mesh::Mesh;
use crate::options::Options;

/// The side of a package's thumbnail, in pixels (what slicers show in their file lists).
pub const THUMBNAIL_SIZE: u32 = 256;

/// A `size`×`size` PNG of `meshes` placed as `options` say (several objects shown together),
/// or `None` when there is nothing to draw or they cannot be placed (writing then fails too).
pub fn picture_png(meshes: &[&Mesh], options: &Options, size: u32) -> Option<Vec<u8>> {
    if meshes.iter().all(|m| m.triangles.is_empty()) {
        return None;
    }
    let placed = placements(meshes, options.layout, options.spacing_mm).ok()?;
    let scene: Vec<(&Mesh, [f32; 3])> = meshes.iter().copied().zip(placed).collect();
    Some(render_png(&scene, size))
}

/// Renders `meshes` (each moved by its translation) to a `size`×`size` RGBA PNG.
pub fn render_png(meshes: &[(&Mesh, [f32; 3])], size: u32) -> Vec<u8> {
    let rgba = render_rgba(meshes, size);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size, size);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("writing to a Vec cannot fail");
    writer.write_image_data(&rgba).expect("the buffer has the declared size");
    writer.finish().expect("writing to a Vec cannot fail");
    out
}

/// The view: turned 35° around z and tilted 30° down, so three sides show.
/// The sines and cosines are constants, not `sin()` calls: libm's last bit differs between
/// native and wasm builds, and the picture is part of packages that must match byte for byte.
fn view(p: [f32; 3]) -> [f32; 3] {
    let (sa, ca) = (0.573_576_4_f32, 0.819_152_f32);
    let (se, ce) = (0.5_f32, 0.866_025_4_f32);
    let x = p[0] * ca - p[1] * sa;
    let y = p[0] * sa + p[1] * ca;
    // Screen x to the right, screen y up, depth towards the viewer.
    [x, p[2] * ce + y * se, -y * ce + p[2] * se]
}

/// Renders at twice the size and averages 2×2 blocks, for smooth edges; a mesh with more
/// triangles than that has samples is drawn at the size itself (its triangles are smaller
/// than a pixel: the time goes into them, and the edges gain little).
pub fn render_rgba(meshes: &[(&Mesh, [f32; 3])], size: u32) -> Vec<u8> {
    let triangles: usize = meshes.iter().map(|(m, _)| m.triangles.len()).sum();
    let ss = if triangles > 4 * (size * size) as usize { 1 } else { 2 };
    let n = size as usize * ss;
    let mut depth = vec![f32::NEG_INFINITY; n * n];
    let mut shade = vec![0f32; n * n];
    // Every vertex seen from the view once, then fitted into the picture with a margin.
    let (mut lo, mut hi) = ([f32::MAX; 2], [f32::MIN; 2]);
    let mut screens: Vec<Vec<[f32; 3]>> = meshes
        .iter()
        .map(|(m, t)| {
            m.vertices
                .iter()
                .map(|v| {
                    let p = view([v[0] + t[0], v[1] + t[1], v[2] + t[2]]);
                    for k in 0..2 {
                        lo[k] = min(lo[k], p[k]);
                        hi[k] = max(hi[k], p[k]);
                    }
                    p
                })
                .collect()
        })
        .collect();
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(f32::MIN_POSITIVE);
    let scale = n as f32 * 0.9 / span;
    let (cx, cy) = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
    let light = normalize([-0.4, 0.5, 0.77]);
    for ((m, _), screen) in meshes.iter().zip(&mut screens) {
        for p in screen.iter_mut() {
            *p = [(p[0] - cx) * scale + n as f32 / 2.0, n as f32 / 2.0 - (p[1] - cy) * scale, p[2] * scale];
        }
        let screen = &*screen;
        let last = n as i32 - 1;
        for tri in &m.triangles {
            let [a, b, c] = tri.map(|i| screen[i as usize]);
            let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
            let w = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
            let area = u[0] * w[1] - u[1] * w[0];
            if area.abs() < 1e-12 {
                continue;
            }
            // The sample centres (x + 0.5) inside the triangle's box: most triangles of a big
            // mesh hold none, and cost no more than this test.
            let x0 = ceil(min(min(a[0], b[0]), c[0]) - 0.5).max(0);
            let x1 = floor(max(max(a[0], b[0]), c[0]) - 0.5).min(last);
            let y0 = ceil(min(min(a[1], b[1]), c[1]) - 0.5).max(0);
            let y1 = floor(max(max(a[1], b[1]), c[1]) - 0.5).min(last);
            if x0 > x1 || y0 > y1 {
                continue;
            }
            // Normal in screen space (y points down): lit on both sides, since broken meshes
            // often have flipped faces.
            let normal = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], area];
            let length = (normal[0] * normal[0] + normal[1] * normal[1] + normal[2] * normal[2]).sqrt();
            let lit = 0.3 + 0.7 * ((normal[0] * light[0] - normal[1] * light[1] + normal[2] * light[2]) / length).abs();
            let inv = 1.0 / area;
            for y in y0 as usize..=y1 as usize {
                let py = y as f32 + 0.5;
                for x in x0 as usize..=x1 as usize {
                    let px = x as f32 + 0.5;
                    let w0 = ((b[0] - px) * (c[1] - py) - (b[1] - py) * (c[0] - px)) * inv;
                    let w1 = ((c[0] - px) * (a[1] - py) - (c[1] - py) * (a[0] - px)) * inv;
                    let w2 = 1.0 - w0 - w1;
                    if w0 < 0.0 || w1 < 0.0 || w2 < 0.0 {
                        continue;
                    }
                    let z = w0 * a[2] + w1 * b[2] + w2 * c[2];
                    let i = y * n + x;
                    if z > depth[i] {
                        depth[i] = z;
                        shade[i] = lit;
                    }
                }
            }
        }
    }
    // A print-blue body; alpha marks covered samples.
    let base = [47.0, 111.0, 214.0];
    let s = size as usize;
    let mut rgba = vec![0u8; s * s * 4];
    for y in 0..s {
        for x in 0..s {
            let (mut rgb, mut covered) = ([0f32; 3], 0f32);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)].into_iter().take(ss * ss) {
                let i = (ss * y + dy) * n + ss * x + dx;
                if depth[i] > f32::NEG_INFINITY {
                    covered += 1.0;
                    for k in 0..3 {
                        rgb[k] += base[k] * shade[i];
                    }
                }
            }
            let o = (y * s + x) * 4;
            if covered > 0.0 {
                for k in 0..3 {
                    rgba[o + k] = (rgb[k] / covered).round().min(255.0) as u8;
                }
                rgba[o + 3] = (covered / (ss * ss) as f32 * 255.0).round() as u8;
            }
        }
    }
    rgba
}

// Plain comparisons: `f32::min` must ignore NaN, which costs several instructions in wasm
// (there are no NaNs here: meshes refuse them).
fn min(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

fn max(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

// Floor and ceiling through an integer conversion: `f32::floor` is a libm call on baseline
// x86-64, and this runs for every triangle. The picture's coordinates are within a few
// pixels of it, far inside the offset.
fn floor(x: f32) -> i32 {
    (x + 4096.0) as i32 - 4096
}

fn ceil(x: f32) -> i32 {
    -floor(-x)
}

fn normalize(v: [f32; 3]) -> [f32; 3] {
    let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    if l == 0.0 {
        v
    } else {
        [v[0] / l, v[1] / l, v[2] / l]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube() -> Mesh {
        let v = [
            [0., 0., 0.],
            [1., 0., 0.],
            [1., 1., 0.],
            [0., 1., 0.],
            [0., 0., 1.],
            [1., 0., 1.],
            [1., 1., 1.],
            [0., 1., 1.],
        ];
        let t = [
            [0, 2, 1],
            [0, 3, 2],
            [4, 5, 6],
            [4, 6, 7],
            [0, 1, 5],
            [0, 5, 4],
            [1, 2, 6],
            [1, 6, 5],
            [2, 3, 7],
            [2, 7, 6],
            [3, 0, 4],
            [3, 4, 7],
        ];
        Mesh { name: "cube".into(), vertices: v.to_vec(), triangles: t.to_vec() }
    }

    #[test]
    fn a_cube_shows_three_differently_lit_faces_on_a_transparent_background() {
        let m = cube();
        let rgba = render_rgba(&[(&m, [0.0; 3])], 64);
        let corner_alpha = rgba[3];
        let centre = (32 * 64 + 32) * 4;
        assert_eq!(corner_alpha, 0, "background is transparent");
        assert_eq!(rgba[centre + 3], 255, "the middle is covered");
        let mut shades: Vec<u8> = rgba.chunks(4).filter(|p| p[3] == 255).map(|p| p[2]).collect();
        shades.sort_unstable();
        shades.dedup();
        assert!(shades.len() >= 3, "three faces, three shades: {shades:?}");
    }

    #[test]
    fn the_png_decodes_to_the_same_pixels() {
        let m = cube();
        let png_bytes = render_png(&[(&m, [0.0; 3])], 48);
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (48, 48));
        assert_eq!(&buf[..info.buffer_size()], &render_rgba(&[(&m, [0.0; 3])], 48)[..]);
    }
}

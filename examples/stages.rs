//! Where the time of one conversion goes: `cargo run --release --example stages FILE [threads [level]]`.
//! The input is read into memory first, so the disk is out of the figures; each stage is
//! the best of five runs.

use std::time::Instant;

fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..5 {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (best, out.unwrap())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: stages FILE [threads]");
    let threads: usize = args.next().map_or(1, |t| t.parse().expect("threads"));
    let bytes = std::fs::read(&path).expect("read the input");
    let level: u32 = args.next().map_or(1, |l| l.parse().expect("level"));
    let options = to3mf::Options { threads, compression_level: level, ..Default::default() };
    let (read_s, input) = best(|| to3mf::read_input(&path, &bytes[..], Some(bytes.len() as u64), &options).expect("convert"));
    let meshes: Vec<&to3mf::Mesh> = input.meshes.iter().collect();
    let (edges_s, _) = best(|| meshes.iter().map(|m| m.edge_stats().edges).sum::<u64>());
    let (write_s, out) = best(|| {
        let mut out = Vec::with_capacity(bytes.len() / 2);
        to3mf::write_3mf(&mut out, &meshes, None, &options, &mut |_, _| {}).expect("write");
        out
    });
    let stored = to3mf::Options { compression_level: 0, ..options.clone() };
    let (format_s, _) = best(|| {
        let mut out = Vec::with_capacity(bytes.len() * 2);
        to3mf::write_3mf(&mut out, &meshes, None, &stored, &mut |_, _| {}).expect("write");
    });
    let mb = bytes.len() as f64 / 1e6;
    println!("input {mb:.1} MB, {threads} thread(s), output {:.2} MB", out.len() as f64 / 1e6);
    println!("read + weld + report {read_s:.3} s ({:.0} MB/s)", mb / read_s);
    println!("  of which edge stats {edges_s:.3} s");
    println!("write package       {write_s:.3} s");
    println!("  stored, no deflate {format_s:.3} s");
    println!("total               {:.3} s ({:.0} MB/s)", read_s + write_s, mb / (read_s + write_s));
}

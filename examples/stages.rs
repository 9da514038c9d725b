//! Where the time of one conversion goes: `cargo run --release --example stages FILE [threads [level]]`.
//! The input is read into memory first, so the disk is out of the figures; each stage is
//! the best of nine runs.

use std::time::Instant;

fn best<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..9 {
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
    let (read_s, input) =
        best(|| to3mf::read_input(&path, &bytes[..], Some(bytes.len() as u64), &options).expect("convert"));
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
    // The model XML alone, cut where the writer cuts it (about every 1.4 MB), to time the
    // encoder without rendering.
    let (mut stored_pkg, mut xml) = (Vec::new(), Vec::new());
    to3mf::write_3mf(&mut stored_pkg, &meshes, None, &stored, &mut |_, _| {}).expect("write");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(stored_pkg)).expect("our own package");
    std::io::Read::read_to_end(&mut archive.by_name("3D/3dmodel.model").expect("model"), &mut xml).expect("read");
    let pieces: Vec<&[u8]> = xml.chunks(1_400_000).collect();
    let (deflate_s, deflated) = best(|| pieces.iter().map(|p| to3mf::deflate_chunk(level, p).len()).sum::<usize>());
    // Reading while other threads compress what is final (the CLI's way).
    let (early_read_s, early) =
        best(|| to3mf::read_input_compressing(&path, &bytes[..], Some(bytes.len() as u64), &options).expect("convert"));
    let (early_write_s, _) = best(|| {
        let mut out = Vec::with_capacity(bytes.len() / 2);
        to3mf::write_3mf_inputs(&mut out, &[&early], &options, &mut |_, _| {}).expect("write");
    });
    let mb = bytes.len() as f64 / 1e6;
    println!("input {mb:.1} MB, {threads} thread(s), output {:.2} MB", out.len() as f64 / 1e6);
    println!("read + weld + report {read_s:.3} s ({:.0} MB/s)", mb / read_s);
    println!("  of which edge stats {edges_s:.3} s");
    println!("write package       {write_s:.3} s");
    println!("  stored, no deflate {format_s:.3} s");
    println!(
        "deflate XML alone   {deflate_s:.3} s ({:.1} MB of XML to {:.2} MB)",
        xml.len() as f64 / 1e6,
        deflated as f64 / 1e6
    );
    println!("total               {:.3} s ({:.0} MB/s)", read_s + write_s, mb / (read_s + write_s));
    println!("compressing while reading: read {early_read_s:.3} s ({} of {} chunks ready), write {early_write_s:.3} s, total {:.3} s",
        early.early.len(), to3mf::ModelChunks::new(&meshes, &options).unwrap().len(), early_read_s + early_write_s);
}

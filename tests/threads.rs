//! The thread count decides which threads compress the model XML, never the bytes. A test
//! binary of its own, so that the threads it counts are its own.

mod common;

use to3mf::{Mesh, ModelChunks, Options};

/// A binary STL of a wavy grid of n × n squares: (n + 1)² vertices, 2n² triangles.
fn grid_stl(n: u32) -> Vec<u8> {
    let at = |i: u32, j: u32| [i as f32 * 0.37, j as f32 * 0.53, ((i * 7 + j * 3) % 101) as f32 * 0.01];
    let mut out = vec![0u8; 80];
    out.extend_from_slice(&(2 * n * n).to_le_bytes());
    for i in 0..n {
        for j in 0..n {
            let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1));
            for t in [[a, b, c], [b, d, c]] {
                out.extend_from_slice(&[0u8; 12]);
                for x in t.as_flattened() {
                    out.extend_from_slice(&x.to_le_bytes());
                }
                out.extend_from_slice(&[0u8; 2]);
            }
        }
    }
    out
}

/// The threads of this process, where the system lists them.
fn threads_alive() -> Option<usize> {
    std::fs::read_dir("/proc/self/task").ok().map(|d| d.count())
}

/// Waits until no more than `n` threads are listed: a thread just joined may linger there.
fn settle(n: usize) {
    for _ in 0..2000 {
        if threads_alive().is_none_or(|now| now <= n) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    panic!("threads still running: {:?} listed, {n} expected", threads_alive());
}

/// A grid of 135,200 triangles makes eight chunks of model XML, six of them big enough for
/// the anchored encoder (256 KiB and more) and two small ones for zlib. Read while
/// compressing with 1, 2 or 4 threads (chunks compressed on the other threads with more
/// than one) and written with 1, 2 or 4 (the chunks left compressed on that many threads),
/// it gives the very bytes of reading and writing on one thread.
#[test]
fn same_input_gives_the_same_bytes_whatever_the_thread_count() {
    let alone = threads_alive();
    let stl = grid_stl(260);
    let size = Some(stl.len() as u64);
    for level in [1, 2, 6] {
        let on = |threads| Options { threads, compression_level: level, ..Options::default() };
        let plain = to3mf::read_input("grid.stl", &stl[..], size, &on(1)).unwrap();
        let meshes: Vec<&Mesh> = plain.meshes.iter().collect();
        let expected = common::package(&meshes, &on(1));
        let mut chunks = ModelChunks::new(&meshes, &on(1)).unwrap();
        let sizes: Vec<u64> = (0..chunks.len()).map(|i| chunks.compress(&meshes, i).1.xml_bytes).collect();
        let big = sizes.iter().filter(|&&s| s >= 256 << 10).count();
        assert!(big == 6 && sizes.len() == 8, "chunk sizes {sizes:?}");
        for read_threads in [1, 2, 4] {
            let input = to3mf::read_input_compressing("grid.stl", &stl[..], size, &on(read_threads)).unwrap();
            assert!(input.meshes == plain.meshes && input.report == plain.report);
            let early = input.early.len();
            assert_eq!(early > 0, read_threads > 1, "{early} chunks compressed while reading on {read_threads}");
            for write_threads in [1, 2, 4] {
                if let Some(n) = alone {
                    settle(n);
                }
                let mut most = 0;
                let mut out = Vec::new();
                let mut progress = |_, _| most = most.max(threads_alive().unwrap_or(0));
                to3mf::write_3mf_inputs(&mut out, &[&input], &on(write_threads), &mut progress).unwrap();
                let case = format!("level {level}, read on {read_threads} thread(s), written on {write_threads}");
                assert!(out == expected, "{case}: other bytes");
                // The writer's threads are alive while it reports progress.
                if let Some(alone) = alone {
                    let extra = most.saturating_sub(alone);
                    assert_eq!(extra, if write_threads > 1 { write_threads } else { 0 }, "{case}: threads");
                }
            }
        }
    }
}

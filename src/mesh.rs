//! Welded triangle meshes: exact welding by bit pattern, bounds and edge statistics.

use std::collections::TryReserveError;

use crate::error::{Error, ErrorKind, Position, Result};
use serde::{Deserialize, Serialize};

/// An axis-aligned bounding box in millimetres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// Smallest x, y, z.
    pub min: [f32; 3],
    /// Largest x, y, z.
    pub max: [f32; 3],
}

impl Bounds {
    /// Width, depth and height.
    pub fn size(&self) -> [f32; 3] {
        [self.max[0] - self.min[0], self.max[1] - self.min[1], self.max[2] - self.min[2]]
    }

    /// The box holding both.
    pub fn union(&self, o: &Bounds) -> Bounds {
        let mut b = *self;
        for i in 0..3 {
            b.min[i] = b.min[i].min(o.min[i]);
            b.max[i] = b.max[i].max(o.max[i]);
        }
        b
    }
}

/// How the edges of a mesh are shared: tells whether it is watertight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeStats {
    /// Distinct edges.
    pub edges: u64,
    /// Edges used by one triangle only (holes).
    pub boundary_edges: u64,
    /// Edges used by more than two triangles.
    pub non_manifold_edges: u64,
    /// Edges whose two triangles run them in the same direction (a flipped face).
    pub orientation_conflicts: u64,
    /// No boundary, non-manifold or conflicting edge.
    pub watertight: bool,
}

/// A welded triangle mesh: shared vertices and triangles as indices into them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mesh {
    /// The object's name (from the file stem, an STL solid or an OBJ group).
    pub name: String,
    /// Distinct vertices, in millimetres.
    pub vertices: Vec<[f32; 3]>,
    /// Triangles, each with three distinct vertex indices, counter-clockwise seen from outside.
    pub triangles: Vec<[u32; 3]>,
}

impl Mesh {
    /// The axis-aligned bounding box, or `None` for a mesh without vertices.
    pub fn bounds(&self) -> Option<Bounds> {
        let first = *self.vertices.first()?;
        let (mut min, mut max) = (first, first);
        // Comparisons, not `f32::min`: in wasm that is a call per number (its NaN rule is not
        // wasm's), and the vertices are finite.
        for v in &self.vertices {
            for i in 0..3 {
                if v[i] < min[i] {
                    min[i] = v[i];
                }
                if v[i] > max[i] {
                    max[i] = v[i];
                }
            }
        }
        Some(Bounds { min, max })
    }

    /// Counts boundary edges, edges shared by more than two triangles and edges whose two
    /// triangles disagree on orientation. All three zero means the mesh is watertight.
    /// Aborts, as any allocation does, if there is no memory for 4 bytes per edge and vertex.
    pub fn edge_stats(&self) -> EdgeStats {
        self.edge_stats_in(&mut Vec::new()).unwrap_or_else(|_| {
            std::alloc::handle_alloc_error(
                std::alloc::Layout::array::<u32>(self.scratch_len()).unwrap_or(std::alloc::Layout::new::<u32>()),
            )
        })
    }

    /// The `u32`s [`edge_stats_in`](Self::edge_stats_in) works in.
    fn scratch_len(&self) -> usize {
        self.vertices.len() + 1 + self.triangles.len() * 3
    }

    /// [`edge_stats`](Self::edge_stats), working in `scratch` (whatever it holds): memory
    /// the process has touched once costs no page faults the second time. An error when
    /// `scratch` must grow and there is no memory for it.
    fn edge_stats_in(&self, scratch: &mut Vec<u32>) -> std::result::Result<EdgeStats, TryReserveError> {
        // Bucket every directed edge under its lower vertex (counting sort), storing
        // `higher << 1 | forward`: 4 bytes per edge use instead of sorting 8-byte keys.
        // Indices fit in 31 bits because `MeshBuilder` refuses more vertices than that.
        let n = self.vertices.len();
        // Every entry is written before it is read; only the bucket starts need zeros.
        scratch.try_reserve_exact(self.scratch_len().saturating_sub(scratch.len()))?;
        scratch.resize(self.scratch_len(), 0);
        let (start, entries) = scratch.split_at_mut(n + 1);
        start.fill(0);
        for t in &self.triangles {
            for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
                start[a.min(b) as usize + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        {
            // `start[lo]` serves as the fill cursor, then is restored by the shift below.
            for t in &self.triangles {
                for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
                    let (lo, hi, fwd) = if a < b { (a, b, 1) } else { (b, a, 0) };
                    let slot = &mut start[lo as usize];
                    entries[*slot as usize] = hi << 1 | fwd;
                    *slot += 1;
                }
            }
            for i in (1..=n).rev() {
                start[i] = start[i - 1];
            }
            start[0] = 0;
        }
        let mut stats = EdgeStats::default();
        for v in 0..n {
            let bucket = &mut entries[start[v] as usize..start[v + 1] as usize];
            bucket.sort_unstable();
            let mut i = 0;
            while i < bucket.len() {
                let edge = bucket[i] >> 1;
                let mut j = i;
                let mut forward = 0;
                while j < bucket.len() && bucket[j] >> 1 == edge {
                    forward += bucket[j] & 1;
                    j += 1;
                }
                match j - i {
                    1 => stats.boundary_edges += 1,
                    2 if forward != 1 => stats.orientation_conflicts += 1,
                    2 => {}
                    _ => stats.non_manifold_edges += 1,
                }
                stats.edges += 1;
                i = j;
            }
        }
        stats.watertight =
            stats.boundary_edges == 0 && stats.non_manifold_edges == 0 && stats.orientation_conflicts == 0;
        Ok(stats)
    }
}

/// Builds a [`Mesh`] from a stream of triangles, welding corners whose coordinates are
/// bit-identical (after folding -0.0 into +0.0) into one vertex.
///
/// A triangle whose corners weld into fewer than three distinct vertices is dropped and
/// counted: 3MF requires three distinct vertex indices per triangle.
#[derive(Debug)]
pub struct MeshBuilder {
    name: String,
    scale: f32,
    /// Grid step corners are snapped to before welding; 0 welds bit-identical corners only.
    tolerance: f32,
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
    /// Open-addressing table, sized to a power of two, of each vertex's coordinate bits
    /// and its index + 1 (0 = empty): a lookup is one trip to memory.
    table: Vec<[u32; 4]>,
    /// One bit per table slot, set when the slot is taken: 1/128 of the table, so it stays in
    /// the CPU's cache. A corner whose home slot is free is new (linear probing leaves no
    /// gaps before an entry), and is stored without first reading the table from memory.
    taken: Vec<u64>,
    shift: u32,
    read: u64,
    degenerate: u64,
    /// The last vertices looked up, by the low bits of their hash: `x | y << 32` and
    /// `z | (index + 1) << 32` (0 = empty); a power of two no longer than the table. Two
    /// words, each stored and loaded whole: a load that spans two smaller stores still in
    /// flight cannot take its value from them and waits until they reach the cache, which
    /// is behind the table's store to memory (seen in wasm, where a just-added vertex
    /// comes back in the next triangle).
    recent: Vec<[u64; 2]>,
    /// Sends final chunks of model XML to be compressed while reading goes on.
    sealer: Option<crate::write::chunk::Sealer>,
    /// Which builder of its input this is, so compressed chunks find their mesh.
    serial: u64,
}

/// Most entries of the recent-vertex cache: 64 KiB, which stays in a core's L2 cache.
const RECENT: usize = 4096;

/// Most vertices one mesh may have: edge statistics pack an index into 31 bits.
const MAX_VERTICES: usize = (1 << 31) - 1;
/// Most triangles one mesh may have: edge statistics count 3 edges each in a u32.
const MAX_TRIANGLES: usize = (1 << 30) - 1;

/// The largest coordinate, in millimetres, either way from the origin, that 3MF readers accept:
/// lib3mf refuses a vertex beyond it ("Invalid Model Coordinates"), and slicers add the build
/// items' translations to the vertices, so a placed vertex must stay within it too.
pub(crate) const MAX_COORDINATE: f32 = 1e9;

/// The error for a corner `c` (in millimetres) that is finite but beyond [`MAX_COORDINATE`].
fn out_of_range(pos: Position, c: [f32; 3]) -> Error {
    let [x, y, z] = c.map(shown);
    Error::limit(
        pos,
        format!(
            "corner ({x}, {y}, {z}) mm lies beyond ±1e9 mm (1000 km), the largest coordinate 3MF readers accept: \
             check the unit the file is in, and whether the file is damaged"
        ),
    )
}

/// A coordinate as a person reads it: with an exponent when it is huge.
fn shown(x: f32) -> String {
    if x.abs() >= MAX_COORDINATE {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

impl MeshBuilder {
    /// Starts a mesh named `name` whose input coordinates are multiplied by `scale`.
    /// `expected_triangles` only sizes the first allocation, so pass an estimate that is
    /// already capped by the input's real size, never a count read from the file alone.
    ///
    /// When there is no memory for that estimate, it starts small and grows as triangles come.
    pub fn new(name: impl Into<String>, scale: f32, expected_triangles: usize) -> MeshBuilder {
        let expected_triangles = expected_triangles.min(1 << 24);
        let name = name.into();
        let room = Room::new(expected_triangles).or_else(|| Room::new(0)).unwrap_or_else(|| {
            // Some kilobytes: when even those are not there, fail as any allocation does.
            std::alloc::handle_alloc_error(std::alloc::Layout::new::<[[u32; 4]; 64]>())
        });
        MeshBuilder {
            name,
            scale,
            tolerance: 0.0,
            vertices: room.vertices,
            triangles: room.triangles,
            shift: 64 - room.table.len().trailing_zeros(),
            table: room.table,
            taken: room.taken,
            read: 0,
            degenerate: 0,
            recent: room.recent,
            sealer: None,
            serial: 0,
        }
    }

    /// Makes room for `triangles` more triangles at once (a count the input is known to
    /// hold, such as a 3MF object's components flattened), or says there is no memory for
    /// them: better than running out half way. Never pass a count a file merely declares.
    pub fn reserve(&mut self, triangles: u64) -> Result<()> {
        let n = triangles.min(MAX_TRIANGLES as u64) as usize;
        self.triangles.try_reserve_exact(n).map_err(|_| {
            no_memory(
                Position::Whole,
                format!("the {triangles} triangles of '{}' ({} MiB)", self.name, (n as u64 * 12).div_ceil(1 << 20)),
            )
        })
    }

    /// The error for a triangle at `pos` that could not be added: the mesh has as many
    /// vertices as it may, or memory ran out.
    #[cold]
    fn full(&self, pos: Position) -> Error {
        if self.vertices.len() >= MAX_VERTICES {
            return Error::limit(pos, format!("more than {MAX_VERTICES} vertices in one mesh"));
        }
        no_memory(
            pos,
            format!(
                "'{}' after {} of its triangles ({} vertices, {} triangles kept)",
                self.name,
                self.read,
                self.vertices.len(),
                self.triangles.len()
            ),
        )
    }

    /// Welds corners closer than about `mm` (after scaling): each coordinate is snapped to
    /// the nearest multiple of `mm`, so corners moved by at most `mm / 2` become one
    /// vertex. 0 (the default) welds bit-identical corners only and keeps every coordinate.
    pub fn with_tolerance(mut self, mm: f32) -> MeshBuilder {
        self.tolerance = if mm.is_finite() && mm > 0.0 { mm } else { 0.0 };
        self
    }

    pub(crate) fn with_sealer(mut self, sealer: Option<crate::write::chunk::Sealer>) -> MeshBuilder {
        self.sealer = sealer;
        self
    }

    pub(crate) fn with_serial(mut self, serial: u64) -> MeshBuilder {
        self.serial = serial;
        self
    }

    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

    #[inline]
    fn seal(&mut self) {
        if let Some(s) = &mut self.sealer {
            s.seal(&self.vertices, &self.triangles);
        }
    }

    /// The mesh's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renames the mesh.
    pub fn set_name(&mut self, name: impl Into<String>) {
        self.name = name.into();
    }

    /// Triangles given so far, kept or dropped.
    pub fn triangles_read(&self) -> u64 {
        self.read
    }

    /// Adds one triangle. `pos` names it in an error about a coordinate that is not finite or,
    /// once scaled, beyond ±1e9 mm (what 3MF readers accept).
    #[inline]
    pub fn add(&mut self, corners: [[f32; 3]; 3], pos: impl Fn() -> Position) -> Result<()> {
        let mut keys = [([0f32; 3], 0u64); 3];
        for (k, c) in corners.iter().enumerate() {
            match self.key(*c) {
                Some(key) => keys[k] = key,
                None => {
                    self.read += 1;
                    let scaled = self.scaled(*c);
                    if scaled.iter().all(|x| x.is_finite()) {
                        return Err(out_of_range(pos(), scaled));
                    }
                    return Err(Error::new(ErrorKind::NonFinite { pos: pos() }));
                }
            }
        }
        self.add_keyed(&keys, pos)?;
        self.seal();
        Ok(())
    }

    /// Adds triangles like [`add`](Self::add) does, one after another, but faster on big
    /// meshes: the hash table slots of a whole batch are fetched from memory together
    /// instead of waiting for each. `pos(i)` names `triangles[i]` in an error.
    pub fn add_batch(&mut self, triangles: &[[[f32; 3]; 3]], pos: impl Fn(usize) -> Position) -> Result<()> {
        const BATCH: usize = 32;
        let mut keys = [[([0f32; 3], 0u64); 3]; BATCH];
        for (b, batch) in triangles.chunks(BATCH).enumerate() {
            let mut in_range = true;
            for (t, corners) in batch.iter().enumerate() {
                for (k, c) in corners.iter().enumerate() {
                    match self.key(*c) {
                        Some(key) => {
                            prefetch(&self.table[(key.1 >> self.shift) as usize]);
                            keys[t][k] = key;
                        }
                        None => in_range = false,
                    }
                }
            }
            for (t, corners) in batch.iter().enumerate() {
                let i = b * BATCH + t;
                if in_range {
                    self.add_keyed(&keys[t], || pos(i))?;
                } else {
                    self.add(*corners, || pos(i))?;
                }
            }
        }
        self.seal();
        Ok(())
    }

    #[inline(always)]
    fn add_keyed(&mut self, keys: &[([f32; 3], u64); 3], pos: impl Fn() -> Position) -> Result<()> {
        self.read += 1;
        // Three named values, not an array filled in a loop: in wasm that array lives in
        // memory, and reading it back whole waits for its three stores (see `recent`).
        let Some(a) = self.vertex(keys[0].0, keys[0].1) else { return Err(self.full(pos())) };
        let Some(b) = self.vertex(keys[1].0, keys[1].1) else { return Err(self.full(pos())) };
        let Some(c) = self.vertex(keys[2].0, keys[2].1) else { return Err(self.full(pos())) };
        let idx = [a, b, c];
        if idx[0] == idx[1] || idx[1] == idx[2] || idx[0] == idx[2] {
            self.degenerate += 1;
        } else if self.triangles.len() >= MAX_TRIANGLES {
            return Err(Error::limit(pos(), format!("more than {MAX_TRIANGLES} triangles in one mesh")));
        } else {
            if self.triangles.len() == self.triangles.capacity() && grow_one(&mut self.triangles).is_err() {
                return Err(self.full(pos()));
            }
            self.triangles.push(idx);
        }
        Ok(())
    }

    /// Corner `c` scaled and snapped, as it will be stored (but for -0.0).
    #[inline(always)]
    fn scaled(&self, c: [f32; 3]) -> [f32; 3] {
        let mut v = c;
        if self.scale != 1.0 {
            for x in v.iter_mut() {
                *x *= self.scale;
            }
        }
        if self.tolerance > 0.0 {
            let t = self.tolerance;
            v = v.map(|x| (x / t).round() * t);
        }
        v
    }

    /// Corner `c` as it will be stored (scaled, snapped, -0.0 folded) and its hash, or
    /// `None` if it is not finite or beyond [`MAX_COORDINATE`].
    #[inline]
    fn key(&self, c: [f32; 3]) -> Option<([f32; 3], u64)> {
        let v = self.scaled(c);
        // One comparison each, as cheap as `is_finite`, and false for NaN too.
        let m = MAX_COORDINATE;
        if !(v[0].abs() <= m && v[1].abs() <= m && v[2].abs() <= m) {
            return None;
        }
        // `+ 0.0` turns -0.0 into +0.0 and leaves every other value unchanged.
        let v = [v[0] + 0.0, v[1] + 0.0, v[2] + 0.0];
        Some((v, hash([v[0].to_bits(), v[1].to_bits(), v[2].to_bits()])))
    }

    /// The index of vertex `v` (with hash `h`), adding it if new; `None` if the mesh is full
    /// or memory ran out ([`full`](Self::full) says which).
    #[inline(always)]
    fn vertex(&mut self, v: [f32; 3], h: u64) -> Option<u32> {
        let bits = [v[0].to_bits(), v[1].to_bits(), v[2].to_bits()];
        // Most corners come back within a few triangles: a small cache that stays in the CPU's
        // cache answers them without a trip to the table in memory.
        let cached = (h as usize) & (self.recent.len() - 1);
        let recent = self.recent[cached];
        let xy = bits[0] as u64 | (bits[1] as u64) << 32;
        if recent[0] == xy && recent[1] as u32 == bits[2] && recent[1] >> 32 != 0 {
            return Some((recent[1] >> 32) as u32 - 1);
        }
        let mask = self.table.len() - 1;
        let mut slot = (h >> self.shift) as usize;
        while self.taken[slot / 64] & (1 << (slot % 64)) != 0 {
            let entry = self.table[slot];
            if [entry[0], entry[1], entry[2]] == bits {
                self.recent[cached] = [xy, bits[2] as u64 | (entry[3] as u64) << 32];
                return Some(entry[3] - 1);
            }
            slot = (slot + 1) & mask;
        }
        if self.vertices.len() >= MAX_VERTICES
            || (self.vertices.len() == self.vertices.capacity() && grow_one(&mut self.vertices).is_err())
        {
            return None;
        }
        let index = self.vertices.len() as u32;
        self.vertices.push(v);
        // Both stores from the value, not the second from the first: reading back the table
        // slot just written waits for its cache line to come from memory (in wasm, where
        // the slot is stored as four words and read as one vector).
        let entry = [bits[0], bits[1], bits[2], index + 1];
        self.table[slot] = entry;
        self.taken[slot / 64] |= 1 << (slot % 64);
        self.recent[cached] = [xy, bits[2] as u64 | (entry[3] as u64) << 32];
        if self.vertices.len() * 10 > self.table.len() * 7 {
            self.grow()?;
        }
        Some(index)
    }

    /// Doubles the table; `None`, the table as it was, when there is no memory for it.
    #[cold]
    fn grow(&mut self) -> Option<()> {
        let len = self.table.len() * 2;
        let (table, taken) = (zeroed(len)?, zeroed(len.div_ceil(64))?);
        self.shift -= 1;
        let old = std::mem::replace(&mut self.table, table);
        self.taken = taken;
        let mask = len - 1;
        for entry in old.into_iter().filter(|e| e[3] != 0) {
            let mut slot = (hash([entry[0], entry[1], entry[2]]) >> self.shift) as usize;
            while self.taken[slot / 64] & (1 << (slot % 64)) != 0 {
                slot = (slot + 1) & mask;
            }
            self.table[slot] = entry;
            self.taken[slot / 64] |= 1 << (slot % 64);
        }
        Some(())
    }

    /// Finishes the mesh, returning it with the count of degenerate triangles dropped.
    pub fn finish(self) -> (Mesh, u64) {
        let (mesh, dropped, _) = self.finish_parts();
        (mesh, dropped)
    }

    /// Finishes the mesh as [`finish`](Self::finish) does, with its edge statistics,
    /// counted in the weld table's memory (an error if they need more and there is none).
    pub fn finish_with_stats(self) -> Result<(Mesh, u64, EdgeStats)> {
        let (mesh, dropped, table) = self.finish_parts();
        let stats = mesh.edge_stats_in(&mut words(table)).map_err(|_| {
            let what = format!("the edge statistics of '{}' ({} triangles)", mesh.name, mesh.triangles.len());
            no_memory(Position::Whole, what)
        })?;
        Ok((mesh, dropped, stats))
    }

    fn finish_parts(self) -> (Mesh, u64, Vec<[u32; 4]>) {
        // Give back a reservation that turned out far too big (a small first group of a big
        // file), but never copy a big mesh for a few spare slots.
        let (mut vertices, mut triangles) = (self.vertices, self.triangles);
        if vertices.capacity() > 2 * vertices.len() + 1024 {
            vertices.shrink_to_fit();
        }
        if triangles.capacity() > 2 * triangles.len() + 1024 {
            triangles.shrink_to_fit();
        }
        (Mesh { name: self.name, vertices, triangles }, self.degenerate, self.table)
    }
}

/// A new mesh's first allocations, sized for `expected` triangles.
struct Room {
    vertices: Vec<[f32; 3]>,
    triangles: Vec<[u32; 3]>,
    table: Vec<[u32; 4]>,
    taken: Vec<u64>,
    recent: Vec<[u64; 2]>,
}

impl Room {
    /// `None` when there is no memory for them.
    fn new(expected: usize) -> Option<Room> {
        // A closed mesh has about half as many vertices as triangles; the table grows
        // past 70% full.
        let table_len = (expected * 3 / 4).max(64).next_power_of_two();
        let mut vertices = Vec::new();
        vertices.try_reserve_exact(expected / 2 + 8).ok()?;
        let mut triangles = Vec::new();
        triangles.try_reserve_exact(expected).ok()?;
        Some(Room {
            vertices,
            triangles,
            table: zeroed(table_len)?,
            taken: zeroed(table_len.div_ceil(64))?,
            recent: zeroed(RECENT.min(table_len))?,
        })
    }
}

/// Pushes `x` onto `v`, growing it as `push` does, but with an error instead of an abort
/// when there is no memory for that.
#[inline(always)]
pub(crate) fn try_push<T>(v: &mut Vec<T>, x: T) -> std::result::Result<(), TryReserveError> {
    if v.len() == v.capacity() {
        grow_one(v)?;
    }
    v.push(x);
    Ok(())
}

/// Room for one more in a full `v`, as `push` would make it (about double).
#[cold]
#[inline(never)]
fn grow_one<T>(v: &mut Vec<T>) -> std::result::Result<(), TryReserveError> {
    v.try_reserve(1)
}

/// The error for memory that ran out while holding `what` (a limit: the machine's).
#[cold]
pub(crate) fn no_memory(pos: Position, what: String) -> Error {
    Error::limit(
        pos,
        format!("not enough memory for {what}; convert it on a computer with more free memory, or split it into smaller files"),
    )
}

/// Numbers whose bytes may all be zero.
///
/// # Safety
/// All-zero bytes must be a valid value of the type.
unsafe trait Zero {}
// SAFETY: integers and arrays of them are valid as all zeros.
unsafe impl Zero for u64 {}
// SAFETY: as above.
unsafe impl Zero for [u32; 4] {}
// SAFETY: as above.
unsafe impl Zero for [u64; 2] {}

/// `n` zeros, as `vec![0; n]` gives them (memory the system hands out zeroed, untouched
/// until used), or `None` when there is no memory for them instead of an abort.
fn zeroed<T: Zero>(n: usize) -> Option<Vec<T>> {
    let layout = std::alloc::Layout::array::<T>(n).ok()?;
    if layout.size() == 0 {
        return Some(Vec::new());
    }
    // SAFETY: the layout's size is not zero.
    let p = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` comes from the global allocator with the layout of `n` values of `T`,
    // which are initialised: all zeros is a `T` (`Zero`).
    Some(unsafe { Vec::from_raw_parts(p, n, n) })
}

/// The weld table's allocation as numbers, to be reused without touching new memory.
fn words(table: Vec<[u32; 4]>) -> Vec<u32> {
    let mut table = std::mem::ManuallyDrop::new(table);
    let (ptr, len, capacity) = (table.as_mut_ptr(), table.len(), table.capacity());
    // SAFETY: `[u32; 4]` has the alignment of `u32` and four times its size, so this is the
    // same allocation with the same layout, and every `u32` in it is initialised.
    unsafe { Vec::from_raw_parts(ptr.cast::<u32>(), len * 4, capacity * 4) }
}

/// Multiplicative (Fibonacci) hashing of the three coordinate bit patterns; the top bits index.
#[inline]
fn hash(bits: [u32; 3]) -> u64 {
    let a = (bits[0] as u64) | (bits[1] as u64) << 32;
    (a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (bits[2] as u64)).wrapping_mul(0xD6E8_FEB8_6659_FD93)
}

/// Asks for the cache line holding `x` without waiting for it.
#[inline(always)]
fn prefetch<T: Copy>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it reads nothing and cannot fault, and `x` is a valid reference.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(x as *const T as *const i8)
    };
    // Elsewhere nothing: wasm32 has no prefetch, and a plain load in its place made the
    // wasm weld slower (135-160 ms against 170-210 ms on the benchmark file).
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(tris: &[[[f32; 3]; 3]]) -> (Mesh, u64) {
        let mut b = MeshBuilder::new("t", 1.0, 0);
        for t in tris {
            b.add(*t, || Position::Whole).unwrap();
        }
        b.finish()
    }

    #[test]
    fn negative_zero_welds_with_positive_zero() {
        let (m, _) = build(&[
            [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            [[-0.0, 0.0, -0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ]);
        assert_eq!(m.vertices.len(), 4);
        assert_eq!(m.triangles[0][0], m.triangles[1][0]);
        assert!(m.vertices.iter().all(|v| v.iter().all(|x| x.to_bits() != (-0.0f32).to_bits())));
    }

    #[test]
    fn nearly_equal_coordinates_stay_distinct() {
        let next = f32::from_bits(1.0f32.to_bits() + 1);
        let (m, _) = build(&[[[1.0, 0.0, 0.0], [next, 0.0, 0.0], [0.0, 1.0, 0.0]]]);
        assert_eq!(m.vertices.len(), 3);
        assert_eq!(m.triangles.len(), 1);
    }

    #[test]
    fn a_batch_welds_like_single_adds_and_names_its_bad_triangle() {
        // A 10 × 10 grid (with one degenerate triangle), longer than one batch.
        let mut tris = Vec::new();
        for i in 0..10 {
            for j in 0..10 {
                let (x, y) = (i as f32, j as f32);
                tris.push([[x, y, 0.0], [x + 1.0, y, 0.0], [x, y + 1.0, 0.0]]);
                tris.push([[x + 1.0, y, 0.0], [x + 1.0, y + 1.0, 0.0], [x, y + 1.0, 0.0]]);
            }
        }
        tris[50][2] = tris[50][0];
        let mut one = MeshBuilder::new("g", 1.0, 0);
        for t in &tris {
            one.add(*t, || Position::Whole).unwrap();
        }
        let mut batch = MeshBuilder::new("g", 1.0, 0);
        batch.add_batch(&tris, |_| Position::Whole).unwrap();
        let (one, batch) = (one.finish(), batch.finish());
        assert_eq!((one.0.vertices.len(), one.1), (121, 1));
        assert_eq!(one, batch);

        tris[70][1][2] = f32::INFINITY;
        let mut b = MeshBuilder::new("g", 1.0, 0);
        let e = b.add_batch(&tris, |i| Position::Triangle(i as u64 + 1)).unwrap_err();
        assert_eq!((e.code(), e.position()), ("non_finite", Position::Triangle(71)));
        assert_eq!(b.triangles_read(), 71, "the triangles before the bad one were added");
    }

    #[test]
    fn degenerate_triangles_are_dropped_and_counted() {
        let (m, dropped) = build(&[
            [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        ]);
        assert_eq!((m.triangles.len(), dropped), (1, 1));
    }

    #[test]
    fn nan_is_an_error_naming_the_triangle() {
        let mut b = MeshBuilder::new("t", 1.0, 0);
        let e = b.add([[0.0, f32::NAN, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], || Position::Triangle(7));
        let e = e.unwrap_err();
        assert_eq!(e.position(), Position::Triangle(7));
        assert_eq!(e.code(), "non_finite");
    }

    #[test]
    fn scaling_that_overflows_is_non_finite() {
        let mut b = MeshBuilder::new("t", 1000.0, 0);
        let e = b.add([[3e38, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], || Position::Triangle(1));
        assert_eq!(e.unwrap_err().code(), "non_finite");
    }

    #[test]
    fn a_corner_beyond_1e9_mm_either_way_is_an_error_and_1e9_is_not() {
        let tri = |x: f32| [[x, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        let next = f32::from_bits(1e9f32.to_bits() + 1);
        for x in [next, -next, 3.4e38, -3.4e38] {
            let mut b = MeshBuilder::new("t", 1.0, 0);
            let e = b.add(tri(x), || Position::Triangle(3)).unwrap_err();
            assert_eq!((e.code(), e.position()), ("limit", Position::Triangle(3)), "{x}");
            assert!(e.to_string().contains(&format!("corner ({x:e}, 0, 0) mm lies beyond ±1e9 mm")), "{e}");
            let mut batch = MeshBuilder::new("t", 1.0, 0);
            let e = batch.add_batch(&[tri(1.0), tri(x)], |i| Position::Triangle(i as u64 + 1)).unwrap_err();
            assert_eq!((e.code(), e.position()), ("limit", Position::Triangle(2)), "{x}");
        }
        for x in [1e9, -1e9] {
            MeshBuilder::new("t", 1.0, 0).add(tri(x), || Position::Whole).unwrap();
        }
        // Scaled (here from metres): 1e6 m is the limit, a little more is beyond it.
        let mut b = MeshBuilder::new("t", 1000.0, 0);
        b.add(tri(1e6), || Position::Whole).unwrap();
        assert_eq!(b.add(tri(1.1e6), || Position::Whole).unwrap_err().code(), "limit");
    }

    #[test]
    fn welding_survives_table_growth() {
        let mut b = MeshBuilder::new("grid", 1.0, 0);
        let n = 300;
        for i in 0..n {
            for j in 0..n {
                let (x, y) = (i as f32, j as f32);
                b.add([[x, y, 0.0], [x + 1.0, y, 0.0], [x, y + 1.0, 0.0]], || Position::Whole).unwrap();
                b.add([[x + 1.0, y, 0.0], [x + 1.0, y + 1.0, 0.0], [x, y + 1.0, 0.0]], || Position::Whole).unwrap();
            }
        }
        let (m, _) = b.finish();
        assert_eq!(m.vertices.len(), (n + 1) * (n + 1));
        let s = m.edge_stats();
        assert_eq!(s.boundary_edges, 4 * n as u64);
        assert_eq!((s.non_manifold_edges, s.orientation_conflicts, s.watertight), (0, 0, false));
    }

    #[test]
    fn tetrahedron_is_watertight_and_a_flipped_face_is_found() {
        let p = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let faces = [[0, 2, 1], [0, 1, 3], [1, 2, 3], [0, 3, 2]];
        let tris: Vec<_> = faces.iter().map(|f| [p[f[0]], p[f[1]], p[f[2]]]).collect();
        let (m, _) = build(&tris);
        assert!(m.edge_stats().watertight);
        let mut flipped = tris.clone();
        flipped[0] = [p[0], p[1], p[2]];
        let s = build(&flipped).0.edge_stats();
        assert_eq!((s.orientation_conflicts, s.boundary_edges, s.watertight), (3, 0, false));
    }

    #[test]
    fn a_tolerance_welds_near_corners_and_none_keeps_them_apart() {
        // Two triangles sharing an edge whose corners differ by 2e-5 mm.
        let tris = [
            [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            [[1.00002, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.00002, 0.0]],
        ];
        let count = |tolerance: f32| {
            let mut b = MeshBuilder::new("t", 1.0, 0).with_tolerance(tolerance);
            for t in tris {
                b.add(t, || Position::Whole).unwrap();
            }
            let (m, _) = b.finish();
            (m.vertices.len(), m.edge_stats().boundary_edges)
        };
        assert_eq!(count(0.0), (6, 6));
        assert_eq!(count(0.001), (4, 4));
    }
}

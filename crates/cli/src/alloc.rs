//! The global allocator: the system's, asking Linux for transparent huge pages on big blocks.
//!
//! A big mesh lives in a few blocks of tens of megabytes (triangles, vertices, the weld
//! table), and filling them one 4 KiB page at a time costs a page fault each: about a fifth
//! of a conversion's time on a 100 MB STL. With 2 MiB pages it is a few dozen faults. Linux
//! gives them where `transparent_hugepage` is `madvise` (the usual default) or `always`.

use std::alloc::{GlobalAlloc, Layout, System};

/// The system allocator, with `madvise(MADV_HUGEPAGE)` on blocks of [`BIG`] bytes or more.
pub struct HugePages;

/// Blocks this big get huge pages; smaller ones come from the heap as they are.
const BIG: usize = 4 << 20;
const HUGE_PAGE: usize = 2 << 20;

// SAFETY: every call is forwarded to `System` unchanged; the advice changes only how the
// kernel backs pages already allocated, never their contents or addresses.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, size) };
        advise(q, size);
        q
    }
}

/// Advises the whole huge pages inside a block (only those can be huge pages).
#[inline]
fn advise(p: *mut u8, size: usize) {
    if size < BIG || p.is_null() {
        return;
    }
    let start = (p as usize).next_multiple_of(HUGE_PAGE);
    let end = (p as usize + size) / HUGE_PAGE * HUGE_PAGE;
    if end > start {
        // SAFETY: the range lies inside a block just allocated; advice never moves or frees
        // memory. A kernel without huge pages refuses it, and nothing changes.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

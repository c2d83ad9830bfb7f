//! A memory budget for user templates, kept by the global allocator.
//!
//! Everything kubetoml reads is bounded in size before it is read, so what a render
//! allocates follows from its inputs, except for a user's template: minijinja's fuel
//! bounds the instructions a template runs, not what they allocate, and
//! `{% set s = s ~ s %}` forty times is forty instructions and a terabyte. Rust cannot
//! recover from a failed allocation, so the budget is kept where allocations happen:
//! with [`TemplateMemoryLimit`] installed as the `#[global_allocator]` (the kubetoml
//! binary does this), each render of a user template counts what it allocates on its
//! thread, and past [`TEMPLATE_MEMORY`] the process prints an error naming the template
//! and exits with status 1. Nothing has been written by then: outputs are written only
//! once every object has rendered.
//!
//! Without it installed (a library user's own allocator), templates render unbounded
//! in memory, as before; fuel still bounds their time.
//!
//! The same allocator serves small requests (up to 1 KiB) itself, from per-thread lists
//! of freed blocks by size class, carved from 64 KiB chunks of the system's memory:
//! compiling a template makes and drops thousands of small nodes, and glibc's `malloc`
//! and `free` were a quarter of the `web` example's instructions. Larger requests go to
//! the system allocator. Chunks are never returned, so a block freed on another thread
//! simply joins that thread's list; what an exiting thread holds stays allocated, which
//! suits a process with a few threads (kubetoml's), not one that keeps starting them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;

/// The most one render of a user template may allocate beyond what it frees: 96 MiB.
/// One object is at most about 1 MiB (the API server's limit for a ConfigMap or a
/// Secret), its render a few times that; two renders in parallel and the rest of the
/// process stay inside 256 MiB.
pub const TEMPLATE_MEMORY: usize = 96 * 1024 * 1024;

/// How much of what is rendering the error can name.
const WHAT_BYTES: usize = 512;

thread_local! {
    /// Whether this thread is rendering a user template, and how much it has allocated
    /// net since it started (negative when it frees what was there before).
    static USED: Cell<Option<isize>> = const { Cell::new(None) };
    /// What is rendering, for the error, copied in so that printing it needs no
    /// allocation: its first [`WHAT_BYTES`] bytes and their length.
    static WHAT: Cell<([u8; WHAT_BYTES], usize)> = const { Cell::new(([0; WHAT_BYTES], 0)) };
}

/// The system allocator, counting what each render of a user template allocates and
/// stopping the process, with an error naming the template, past [`TEMPLATE_MEMORY`].
///
/// ```no_run
/// #[global_allocator]
/// static ALLOCATOR: kubetoml::TemplateMemoryLimit = kubetoml::TemplateMemoryLimit;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TemplateMemoryLimit;

impl TemplateMemoryLimit {
    /// Counts `delta` bytes against the render going on on this thread, if any.
    #[inline]
    fn count(delta: isize) {
        let _ = USED.try_with(|used| {
            if let Some(total) = used.get() {
                let total = total.saturating_add(delta);
                used.set(Some(total));
                if total > TEMPLATE_MEMORY as isize {
                    over_budget();
                }
            }
        });
    }
}

/// The block sizes small requests are rounded up to: multiples of 16 up to 128, then
/// two per power of two up to [`SMALL_MAX`]. Every one is a multiple of 16, so blocks
/// carved one after another from a 16-aligned chunk are all 16-aligned.
const CLASSES: [usize; 20] = [
    16, 32, 48, 64, 80, 96, 112, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
    6144, 8192,
];

/// The largest request served from this thread's blocks; larger ones, and any aligned
/// to more than 16, go to the system allocator. Up to 8 KiB: a rendered object's text
/// and a description's tokens grow through these sizes, and glibc's paths for them were
/// the next tenth of a thousand apps' allocator time.
const SMALL_MAX: usize = 8192;

/// What one chunk taken from the system allocator holds, carved into blocks.
const CHUNK: usize = 64 * 1024;

/// The size class of a request of `size` bytes (1 to [`SMALL_MAX`]).
#[inline]
fn class(size: usize) -> usize {
    let last = size.max(1) - 1;
    if last < 128 {
        return last >> 4;
    }
    // 129..=192 -> 8, 193..=256 -> 9, 257..=384 -> 10, ...
    let bits = (usize::BITS - last.leading_zeros()) as usize;
    8 + (bits - 8) * 2 + ((last >> (bits - 2)) & 1)
}

/// Whether a request is served from this thread's blocks.
#[inline]
fn is_small(layout: Layout) -> bool {
    layout.size() <= SMALL_MAX && layout.align() <= 16
}

thread_local! {
    /// Per size class, the first free block this thread holds; each free block starts
    /// with a pointer to the next.
    static FREE: [Cell<*mut u8>; CLASSES.len()] =
        const { [const { Cell::new(std::ptr::null_mut()) }; CLASSES.len()] };
    /// The part of this thread's current chunk not yet carved: from, to.
    static FRESH: Cell<(*mut u8, *mut u8)> =
        const { Cell::new((std::ptr::null_mut(), std::ptr::null_mut())) };
}

/// A block of class `c`: this thread's last freed one, else carved from its chunk.
///
/// Compiling a template makes and drops thousands of small nodes; glibc's malloc and
/// free were a quarter of a render's instructions, and this path is a few loads and
/// stores. The blocks are plain memory from chunks that are never returned, so a block
/// may be freed on another thread than the one that took it (it then joins that
/// thread's list). What a thread holds when it exits stays allocated: kubetoml's
/// threads are a few per process.
#[inline]
#[allow(unsafe_code)]
fn take_small(c: usize) -> *mut u8 {
    let taken = FREE.try_with(|free| {
        let head = free[c].get();
        if !head.is_null() {
            // SAFETY: a free block holds the next one's address in its first word,
            // written by `give_small`; blocks are 16-aligned and at least 16 bytes.
            free[c].set(unsafe { head.cast::<*mut u8>().read() });
            return head;
        }
        carve(CLASSES[c])
    });
    // No thread-local storage (never on Linux for these const, drop-free cells): the
    // system's memory, sized to the class so it can join a list later.
    taken.unwrap_or_else(|_| {
        // SAFETY: a class size is non-zero and 16 is a power of two.
        unsafe { System.alloc(Layout::from_size_align_unchecked(CLASSES[c], 16)) }
    })
}

/// `size` bytes from this thread's current chunk, taking a new one when it is used up
/// (the rest of the old one is left unused); null when the system has no memory.
#[cold]
#[allow(unsafe_code)]
fn carve(size: usize) -> *mut u8 {
    let (from, to) = FRESH.get();
    if (to as usize) - (from as usize) >= size {
        // SAFETY: `from + size` stays inside the chunk.
        FRESH.set((unsafe { from.add(size) }, to));
        return from;
    }
    // SAFETY: CHUNK is non-zero and 16 a power of two.
    let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, 16)) };
    if chunk.is_null() {
        return chunk;
    }
    // SAFETY: `size` <= SMALL_MAX < CHUNK.
    FRESH.set(unsafe { (chunk.add(size), chunk.add(CHUNK)) });
    chunk
}

/// Returns a block of class `c` to this thread's list.
///
/// # Safety
/// `ptr` is a block of class `c` from `take_small`, no longer in use.
#[inline]
#[allow(unsafe_code)]
unsafe fn give_small(ptr: *mut u8, c: usize) {
    // Without thread-local storage the block is kept (see `take_small`).
    let _ = FREE.try_with(|free| {
        // SAFETY: the block is at least 16 bytes, 16-aligned, and no longer in use.
        unsafe { ptr.cast::<*mut u8>().write(free[c].get()) };
        free[c].set(ptr);
    });
}

#[allow(unsafe_code)]
// SAFETY: a small request (see `is_small`) gets a block of its class, at least its size
// and 16-aligned, used by nothing else until it is freed; `dealloc` and `realloc` are
// given the layout it was allocated with, so they find the same class. Everything else is
// handed to the system allocator unchanged. Counting touches only this thread's `Cell`s
// and allocates nothing.
unsafe impl GlobalAlloc for TemplateMemoryLimit {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size() as isize);
        if is_small(layout) {
            return take_small(class(layout.size()));
        }
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size() as isize);
        if is_small(layout) {
            let block = take_small(class(layout.size()));
            if !block.is_null() {
                // SAFETY: the block holds at least `layout.size()` bytes.
                unsafe { block.write_bytes(0, layout.size()) };
            }
            return block;
        }
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::count(-(layout.size() as isize));
        if is_small(layout) {
            // SAFETY: `ptr` came from `alloc` with this layout, so from `take_small`.
            return unsafe { give_small(ptr, class(layout.size())) };
        }
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to the alignment, fits.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (is_small(layout), is_small(new)) {
            // The block already holds the new size.
            (true, true) if class(layout.size()) == class(new_size) => {
                Self::count(new_size as isize - layout.size() as isize);
                ptr
            }
            (false, false) => {
                Self::count(new_size as isize - layout.size() as isize);
                // SAFETY: as for `alloc`.
                unsafe { System.realloc(ptr, layout, new_size) }
            }
            // Across the line, or to another class: copied (`alloc` and `dealloc` count).
            _ => {
                // SAFETY: `new` is a valid, non-zero layout (the caller's contract).
                let moved = unsafe { self.alloc(new) };
                if !moved.is_null() {
                    // SAFETY: both hold at least the smaller size and do not overlap.
                    unsafe {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size))
                    };
                    // SAFETY: `ptr` was allocated with `layout`.
                    unsafe { self.dealloc(ptr, layout) };
                }
                moved
            }
        }
    }
}

/// Runs `render` with this thread's allocations counted against [`TEMPLATE_MEMORY`];
/// `what` names it in the error (a template and the object it renders).
pub(crate) fn within_budget<R>(what: &str, render: impl FnOnce() -> R) -> R {
    /// Restores the state before, also when `render` panics.
    struct Restore(Option<isize>, ([u8; WHAT_BYTES], usize));
    impl Drop for Restore {
        fn drop(&mut self) {
            USED.set(self.0);
            WHAT.set(self.1);
        }
    }
    let _restore = Restore(USED.get(), WHAT.get());
    let mut len = what.len().min(WHAT_BYTES);
    while !what.is_char_boundary(len) {
        len -= 1;
    }
    let mut bytes = [0; WHAT_BYTES];
    bytes[..len].copy_from_slice(&what.as_bytes()[..len]);
    WHAT.set((bytes, len));
    USED.set(Some(0));
    render()
}

/// Prints the error and exits: an allocation cannot fail gracefully, and unwinding out
/// of an allocator is undefined behaviour.
#[cold]
#[inline(never)]
fn over_budget() -> ! {
    // Stop counting first: nothing below allocates, but exiting frees buffers.
    USED.set(None);
    let (bytes, len) = WHAT.get();
    let what = std::str::from_utf8(&bytes[..len]).unwrap_or("a template");
    // The one message the library prints: the allocator cannot return an error. `what`
    // was escaped by its caller (`crate::diag::printable`), and nothing else here is typed.
    #[allow(clippy::disallowed_methods)]
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "error: {what} needed more than {} MiB of memory\n  \
         = note: nothing was written\n  \
         = help: a template that builds ever larger values (such as `{{% set s = s ~ s %}}` \
         in a loop) does this; render only what the object needs\n",
        TEMPLATE_MEMORY >> 20
    );
    let _ = stderr.flush();
    std::process::exit(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_gets_the_smallest_class_that_holds_it() {
        for size in 1..=SMALL_MAX {
            let c = class(size);
            assert!(CLASSES[c] >= size, "{size} -> {}", CLASSES[c]);
            assert!(c == 0 || CLASSES[c - 1] < size, "{size} -> {}", CLASSES[c]);
        }
    }

    #[test]
    #[allow(unsafe_code)]
    fn blocks_hold_their_bytes_across_threads_and_reallocations() {
        let a = TemplateMemoryLimit;
        let sizes = [1, 7, 16, 17, 100, 129, 500, 1024, 1025, 5000, 8192, 8193, 20000];
        // Blocks taken on one thread, grown, and freed on others.
        let taken: Vec<(usize, usize)> = std::thread::scope(|s| {
            s.spawn(|| {
                (0..2000)
                    .map(|i| {
                        let size = sizes[i % sizes.len()];
                        let layout = Layout::from_size_align(size, 8).unwrap();
                        // SAFETY: a non-zero layout.
                        let p = unsafe { a.alloc(layout) };
                        assert!(!p.is_null() && (p as usize).is_multiple_of(8));
                        // SAFETY: the block holds `size` bytes.
                        unsafe { p.write_bytes(i as u8, size) };
                        let grown = size * 3;
                        // SAFETY: allocated with `layout`.
                        let p = unsafe { a.realloc(p, layout, grown) };
                        // SAFETY: the first `size` bytes were kept.
                        let kept = unsafe { std::slice::from_raw_parts(p, size) };
                        assert!(kept.iter().all(|&b| b == i as u8), "{size}");
                        // SAFETY: the block now holds `grown` bytes.
                        unsafe { p.add(size).write_bytes(i as u8, grown - size) };
                        (p as usize, grown)
                    })
                    .collect()
            })
            .join()
            .unwrap()
        });
        let (left, right) = taken.split_at(1000);
        std::thread::scope(|s| {
            for (half, offset) in [(left, 0), (right, 1000)] {
                s.spawn(move || {
                    for (i, &(p, size)) in half.iter().enumerate() {
                        let p = p as *mut u8;
                        // SAFETY: each block is live, holds `size` bytes, and is freed once.
                        let bytes = unsafe { std::slice::from_raw_parts(p, size) };
                        assert!(bytes.iter().all(|&b| b == (i + offset) as u8));
                        let layout = Layout::from_size_align(size, 8).unwrap();
                        // SAFETY: allocated with `layout`.
                        unsafe { a.dealloc(p, layout) };
                    }
                });
            }
        });
        // A zeroed block is zero even when it was used before.
        let layout = Layout::from_size_align(64, 16).unwrap();
        // SAFETY: a non-zero layout; the block is freed once.
        unsafe {
            let p = a.alloc(layout);
            p.write_bytes(0xff, 64);
            a.dealloc(p, layout);
            let z = a.alloc_zeroed(layout);
            assert!(std::slice::from_raw_parts(z, 64).iter().all(|&b| b == 0));
            assert!((z as usize).is_multiple_of(16));
            a.dealloc(z, layout);
        }
    }
}

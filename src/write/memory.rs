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

#[allow(unsafe_code)]
// SAFETY: every method hands the request to the system allocator unchanged; counting
// touches only this thread's `Cell`s and allocates nothing.
unsafe impl GlobalAlloc for TemplateMemoryLimit {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size() as isize);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::count(layout.size() as isize);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        Self::count(-(layout.size() as isize));
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::count(new_size as isize - layout.size() as isize);
        // SAFETY: as for `alloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
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

//! Compiling many descriptions at once: on every core, results in argument order.
//!
//! Each description compiles on its own (nothing is shared but the read-only
//! templates and options), so they run on a small pool of scoped threads
//! pulling the next index from a shared counter. Results come back in the
//! order of the input, so whatever the caller prints from them (documents,
//! warnings, errors) is byte for byte what a serial loop prints.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{Error, Options, Output, Templates};

/// The stack each worker thread gets: the main thread's usual 8 MiB, so a
/// deeply nested description that compiles serially compiles here too.
const STACK_SIZE: usize = 8 << 20;

/// [`compile_input`](crate::compile_input) for every path (`-`: standard
/// input), on every core; the results are in the order of `paths`, so what a
/// caller prints from them is what a serial loop prints.
pub fn compile_files(
    paths: &[PathBuf],
    templates: &Templates,
    options: &Options,
) -> Vec<Result<Output, Error>> {
    map_in_order(paths, |path| {
        crate::compile_input(path, templates, options)
    })
}

/// How many threads [`map_in_order`] uses for `items` items: one per core
/// (`std::thread::available_parallelism`), never more than the items.
pub fn threads_for(items: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    cores.min(items).max(1)
}

/// `items.iter().map(f).collect()`, with the calls spread over
/// [`threads_for`] threads (the calling thread is one of them).
pub fn map_in_order<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    map_on_threads(items, threads_for(items.len()), f)
}

/// [`map_in_order`] on at most `threads` threads (the calling thread is one
/// of them). Each thread takes the next item when done with one, so a thread
/// the machine holds back takes fewer; a thread that cannot be started leaves
/// its share to the others.
pub fn map_on_threads<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let work = &work;
        // No thread to be had: the threads that started take every item.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut place = |done: Vec<(usize, R)>| {
            for (i, r) in done {
                slots[i] = Some(r);
            }
        };
        place(work());
        for helper in helpers {
            match helper.join() {
                Ok(done) => place(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots
        .into_iter()
        .map(|r| r.expect("every item was taken by one worker"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_input_order() {
        let items: Vec<u64> = (0..1000).collect();
        // Uneven work, so the workers finish out of order.
        let out = map_in_order(&items, |&n| {
            std::hint::black_box((0..(n % 7) * 1000).fold(n, |a, b| a.wrapping_mul(31) ^ b));
            n * n
        });
        assert_eq!(out, items.iter().map(|n| n * n).collect::<Vec<_>>());
        // Bounded to a number of threads, or to this one: the same results.
        for threads in [0, 1, 2, 5000] {
            let out = map_on_threads(&items, threads, |&n| n * n);
            assert_eq!(out, items.iter().map(|n| n * n).collect::<Vec<_>>(), "{threads}");
        }
    }

    #[test]
    fn empty_and_single_inputs() {
        assert!(map_in_order(&[] as &[u8], |&b| b).is_empty());
        assert_eq!(map_in_order(&[3u8], |&b| b + 1), [4]);
        assert_eq!(threads_for(0), 1);
        assert_eq!(threads_for(1), 1);
    }

    #[test]
    fn compile_files_matches_one_by_one() {
        let paths: Vec<PathBuf> = [
            "examples/web/web.toml",
            "missing.toml",
            "examples/myapp/myapp.toml",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let templates = Templates::builtin();
        let options = Options::default();
        let together = compile_files(&paths, &templates, &options);
        assert_eq!(together.len(), paths.len());
        for (path, got) in paths.iter().zip(together) {
            let alone = crate::compile_input(path, &templates, &options);
            match (got, alone) {
                (Ok(a), Ok(b)) => assert_eq!(a.to_yaml(), b.to_yaml()),
                (Err(a), Err(b)) => assert_eq!(a.draw(false), b.draw(false)),
                (a, b) => panic!("{}: {a:?} vs {b:?}", path.display()),
            }
        }
    }
}

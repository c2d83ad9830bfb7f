//! Library timings: what one `compile_file` call costs, and how much of it is setting up the templates.
//!
//! `cargo bench --bench compile` times each case in batches and prints the
//! median per call; `cargo test --benches` runs each case once, as a check
//! that it still works.

// Tests and benches print what they like: the escaping rule (clippy.toml) is the binary's.
#![allow(clippy::disallowed_macros, clippy::disallowed_methods)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use kubetoml::{Options, Templates};

/// A case: its name and one call of what it times.
type Case = (&'static str, fn());

const CASES: &[Case] = &[
    ("Templates::builtin()", || {
        black_box(Templates::builtin());
    }),
    ("compile_file(examples/web/web.toml)", || {
        let out = kubetoml::compile_file(Path::new("examples/web/web.toml"), &Options::default());
        black_box(out.expect("the example compiles"));
    }),
    (
        "compile_input(examples/web/web.toml, held templates)",
        || {
            thread_local!(static HELD: Templates = Templates::builtin());
            HELD.with(|t| {
                let path = Path::new("examples/web/web.toml");
                let out = kubetoml::compile_input(path, t, &Options::default());
                black_box(out.expect("the example compiles"));
            });
        },
    ),
];

/// Calls per batch, batches per case.
const CALLS: u32 = 200;
const BATCHES: usize = 25;

fn main() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).expect("the crate folder exists");
    let timing = std::env::args().any(|a| a == "--bench");
    for (name, call) in CASES {
        if !timing {
            call();
            println!("{name}: ok");
            continue;
        }
        for _ in 0..CALLS {
            call();
        }
        let mut per_call: Vec<Duration> = (0..BATCHES)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..CALLS {
                    call();
                }
                start.elapsed() / CALLS
            })
            .collect();
        per_call.sort();
        println!(
            "{name}: median {:.1} us per call (min {:.1}, max {:.1}; {BATCHES} batches of {CALLS})",
            micros(per_call[BATCHES / 2]),
            micros(per_call[0]),
            micros(per_call[BATCHES - 1]),
        );
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

//! A small mutation engine (no coverage feedback): a seeded xorshift generator, a corpus,
//! a dictionary per target, and a fixed count of executions.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

/// Byte strings a target's inputs are likely to hold.
pub type Dict = &'static [&'static [u8]];

/// The longest generated input.
const MAX_LEN: usize = 4096;

pub use crate::seeded::Rng;

/// The run's seed: `CONFAB_FUZZ_SEED`, or the clock.
pub fn seed() -> u64 {
    crate::seeded::seed_from_env("CONFAB_FUZZ_SEED")
}

/// Generated inputs per target: `CONFAB_FUZZ_ITERS`, or the target's default.
pub fn iterations(default: usize) -> usize {
    match std::env::var("CONFAB_FUZZ_ITERS") {
        Ok(s) if !s.is_empty() => s.parse().expect("CONFAB_FUZZ_ITERS: a count"),
        _ => default,
    }
}

/// The corpus folder of a target.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target)
}

/// The seed inputs of a target, in name order.
pub fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Numbers at the edges, as text.
const NUMBERS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"1",
    b"127",
    b"128",
    b"255",
    b"256",
    b"65535",
    b"2147483647",
    b"2147483648",
    b"4294967295",
    b"4294967296",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"1e308",
    b"1e309",
    b"-1e-400",
    b"0.5",
    b"NaN",
];

/// One mutation of `input` in place.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[(String, Vec<u8>)], dicts: &[Dict]) {
    let pos = |rng: &mut Rng, len: usize| rng.below(len + 1);
    match rng.below(11) {
        0 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] ^= 1 << rng.below(8);
        }
        1 if !input.is_empty() => {
            let i = rng.below(input.len());
            input[i] = rng.next() as u8;
        }
        2 => {
            let i = pos(rng, input.len());
            input.insert(i, rng.next() as u8);
        }
        3 if !input.is_empty() => {
            let i = rng.below(input.len());
            let n = 1 + rng.below((input.len() - i).min(16));
            input.drain(i..i + n);
        }
        4 if !input.is_empty() => {
            let i = rng.below(input.len());
            let n = 1 + rng.below((input.len() - i).min(32));
            let copy = input[i..i + n].to_vec();
            let at = pos(rng, input.len());
            let times = 1 + rng.below(4);
            for _ in 0..times {
                input.splice(at..at, copy.iter().copied());
            }
        }
        5 | 6 if !dicts.is_empty() => {
            let d = dicts[rng.below(dicts.len())];
            let token = d[rng.below(d.len())];
            let i = pos(rng, input.len());
            if rng.below(2) == 0 || input.is_empty() {
                input.splice(i..i, token.iter().copied());
            } else {
                let end = (i + token.len()).min(input.len());
                input.splice(i..end, token.iter().copied());
            }
        }
        7 if !corpus.is_empty() => {
            let other = &corpus[rng.below(corpus.len())].1;
            let cut = pos(rng, input.len());
            let from = pos(rng, other.len());
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        8 => {
            let n = NUMBERS[rng.below(NUMBERS.len())];
            let i = pos(rng, input.len());
            input.splice(i..i, n.iter().copied());
        }
        9 if !input.is_empty() => {
            let cut = rng.below(input.len());
            input.truncate(cut);
        }
        _ => {
            // Swap two bytes.
            if input.len() > 1 {
                let (a, b) = (rng.below(input.len()), rng.below(input.len()));
                input.swap(a, b);
            }
        }
    }
    input.truncate(MAX_LEN);
}

/// A generated input: usually a mutated seed, now and then random bytes.
fn generate(rng: &mut Rng, corpus: &[(String, Vec<u8>)], dicts: &[Dict]) -> Vec<u8> {
    if corpus.is_empty() || rng.below(20) == 0 {
        let n = rng.below(64);
        return (0..n).map(|_| rng.next() as u8).collect();
    }
    let mut input = corpus[rng.below(corpus.len())].1.clone();
    let rounds = 1 + rng.below(6);
    for _ in 0..rounds {
        mutate(rng, &mut input, corpus, dicts);
    }
    input
}

/// Runs `target` over its corpus and `default_iters` (or `CONFAB_FUZZ_ITERS`) generated
/// inputs; fails on the first panic, keeping the input.
pub fn run(name: &str, target: fn(&[u8]), dicts: &[Dict], default_iters: usize) {
    let seed = seed();
    let corpus = corpus(name);
    assert!(!corpus.is_empty(), "{name}: an empty corpus");
    let iters = iterations(default_iters);
    let started = std::time::Instant::now();
    for (file, input) in &corpus {
        execute(name, target, input, &format!("corpus file {file}"));
    }
    let mut rng = Rng::new(seed);
    for i in 0..iters {
        let input = generate(&mut rng, &corpus, dicts);
        execute(
            name,
            target,
            &input,
            &format!("generated input {i} of seed {seed} (CONFAB_FUZZ_SEED={seed} replays it)"),
        );
    }
    println!(
        "fuzz {name}: {} executions ({} corpus + {iters} generated), seed {seed}, {:.1} s",
        corpus.len() + iters,
        corpus.len(),
        started.elapsed().as_secs_f64()
    );
}

/// One execution; a panic keeps the input under the target dir and fails the test.
fn execute(name: &str, target: fn(&[u8]), input: &[u8], what: &str) {
    if catch_unwind(AssertUnwindSafe(|| target(input))).is_ok() {
        return;
    }
    let dir = PathBuf::from(
        std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned()),
    )
    .join("fuzz-findings")
    .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{hash:016x}"));
    std::fs::write(&path, input).unwrap();
    panic!(
        "fuzz {name}: {what} broke an invariant (see the panic above); input ({} bytes) kept in {}: {:?}",
        input.len(),
        path.display(),
        String::from_utf8_lossy(&input[..input.len().min(300)])
    );
}

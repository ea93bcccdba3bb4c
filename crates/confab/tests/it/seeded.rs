//! The seeded generator shared by the fuzz driver and the property tests: xorshift64*, small
//! and reproducible, so a printed seed replays a run exactly.

/// xorshift64*.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// A generator seeded from the environment variable `var`, or from the clock when it is
    /// unset; the seed is printed as `what: var=seed` so a failing run can be replayed.
    pub fn from_env(var: &str, what: &str) -> Self {
        let seed = seed_from_env(var);
        println!("{what}: {var}={seed}");
        Self::new(seed)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `pct` percent of the time.
    pub fn pct(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// The seed in `var` (a u64), or one from the clock and the process id when it is unset.
pub fn seed_from_env(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(s) if !s.is_empty() => s
            .parse()
            .unwrap_or_else(|_| panic!("{var}: a u64, not {s:?}")),
        _ => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("the clock is after 1970")
                .as_nanos() as u64;
            t ^ (u64::from(std::process::id()) << 32)
        }
    }
}

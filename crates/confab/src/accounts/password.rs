//! Password hashing (argon2id) on a bounded blocking pool, and the strength rule.
//!
//! Hashing is deliberately slow (tens of milliseconds of CPU and ~19 MiB each), so it runs
//! on tokio's blocking threads behind a semaphore sized to the CPUs: a login storm queues
//! instead of starving the runtime or exhausting memory. A caller that waits too long for a
//! slot gets 503 rather than an unbounded wait.
//!
//! Argon2's working memory (`argon2_memory_kib`, 19 MiB by default) is kept in a pool of at
//! most one buffer per slot and reused, instead of allocated per hash. Allocated per hash,
//! glibc served those buffers from per-thread arenas once its dynamic mmap threshold had
//! risen past their size, and every blocking thread that ever hashed kept its own: a sign-in
//! storm left hundreds of MiB held for good (issue 19, defect 3). With the pool the hasher
//! holds at most `slots × argon2_memory_kib`, whatever the allocator.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::Semaphore;

use super::error::AccountsError;
use crate::config::AuthConfig;
use crate::error::ApiError;

/// How long a request may wait for a hashing slot.
const SLOT_WAIT: Duration = Duration::from_secs(10);

/// Hashes and verifies passwords.
pub struct Passwords {
    params: Params,
    slots: Arc<Semaphore>,
    scratch: Arc<Scratch>,
    /// A real hash of a random password, verified when the user does not exist so that
    /// "unknown user" costs the same time as "wrong password".
    dummy: String,
}

impl Passwords {
    /// Builds the hasher from config (and makes the dummy hash).
    pub fn new(cfg: &AuthConfig) -> anyhow::Result<Self> {
        let params = Params::new(cfg.argon2_memory_kib, cfg.argon2_iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let slots = if cfg.hash_concurrency == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            cfg.hash_concurrency
        };
        let scratch = Arc::new(Scratch::new(params.block_count(), slots));
        let random: [u8; 24] = rand::random();
        let dummy = hash_blocking(&params, &scratch, &hex::encode(random))?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(slots)),
            scratch,
            dummy,
        })
    }

    /// The PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let params = self.params.clone();
        let scratch = self.scratch.clone();
        let password = password.to_owned();
        self.run(move || hash_blocking(&params, &scratch, &password).map_err(ApiError::internal))
            .await?
    }

    /// Whether `password` matches `hash`. With `None` (no such user, or no password set),
    /// verifies against the dummy hash and answers `false`, taking the same time.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, ApiError> {
        let (hash, real) = match hash {
            Some(h) => (h.to_owned(), true),
            None => (self.dummy.clone(), false),
        };
        let password = password.to_owned();
        let scratch = self.scratch.clone();
        let ok = self
            .run(move || verify_blocking(&scratch, &password, &hash))
            .await?;
        Ok(ok && real)
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(SLOT_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| AccountsError::HashingBusy)?
            .map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(ApiError::internal)
    }
}

/// Reusable argon2 working memory: buffers of `blocks` blocks, at most `keep` of them kept.
struct Scratch {
    blocks: usize,
    keep: usize,
    free: Mutex<Vec<Vec<Block>>>,
}

impl Scratch {
    fn new(blocks: usize, keep: usize) -> Self {
        Self {
            blocks,
            keep,
            free: Mutex::new(Vec::with_capacity(keep)),
        }
    }

    /// Runs `f` with at least `blocks` blocks of memory: a pooled buffer when the size is the
    /// configured one, a one-off buffer for a hash made with a larger cost.
    fn with<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks > self.blocks {
            let mut once = vec![Block::new(); blocks];
            return f(&mut once);
        }
        let pooled = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buf = pooled.unwrap_or_else(|| vec![Block::new(); self.blocks]);
        let out = f(&mut buf[..blocks]);
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if free.len() < self.keep {
            free.push(buf);
        }
        out
    }

    #[cfg(test)]
    fn pooled(&self) -> usize {
        self.free.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn hash_blocking(params: &Params, scratch: &Scratch, password: &str) -> anyhow::Result<String> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt_bytes: [u8; 16] = rand::random();
    let salt = Salt::new(&salt_bytes).map_err(|e| anyhow::anyhow!("argon2 salt: {e}"))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    scratch
        .with(params.block_count(), |mem| {
            argon.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, mem)
        })
        .map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
        salt: Some(salt),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("argon2: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`: recomputes the hash with the string's own
/// algorithm, version, cost and salt, and compares in constant time (`Output`'s `==`).
fn verify_blocking(scratch: &Scratch, password: &str, phc: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let hashed = scratch.with(params.block_count(), |mem| {
        argon.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, mem)
    });
    hashed.is_ok() && Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// The names a password must not contain: the username and the email's local part.
pub fn user_inputs<'a>(username: &'a str, email: Option<&'a str>) -> Vec<&'a str> {
    let mut inputs = vec![username];
    if let Some(e) = email {
        inputs.push(e.split('@').next().unwrap_or(""));
    }
    inputs
}

/// The strength rule: 8–128 characters, not the username (or containing it), and not
/// guessable — zxcvbn's score of at least 2, which rejects its embedded lists of common
/// passwords, names and words, keyboard walks, repeats and dates.
pub fn check_strength(password: &str, user_inputs: &[&str]) -> Result<(), ApiError> {
    super::model::password_shape(password)?;
    let lower = password.to_lowercase();
    if user_inputs
        .iter()
        .filter(|u| u.len() >= 3)
        .any(|u| lower.contains(&u.to_lowercase()))
    {
        return Err(AccountsError::PasswordHasName.into());
    }
    let entropy = zxcvbn::zxcvbn(password, user_inputs);
    if u8::from(entropy.score()) < 2 {
        return Err(AccountsError::PasswordGuessable.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rule() {
        for weak in [
            "password",
            "12345678",
            "password1",
            "qwertyuiop",
            "iloveyou1",
            "aaaaaaaa",
            "alice2024",
        ] {
            assert!(check_strength(weak, &["alice"]).is_err(), "{weak} accepted");
        }
        assert!(check_strength("short1!", &[]).is_err());
        assert!(check_strength(&"x9".repeat(65), &[]).is_err());
        assert!(
            check_strength("xalicex-Tr0ub4dor&3", &["alice"]).is_err(),
            "contains the username"
        );
        for strong in ["correct horse battery", "Tr0ub4dor&3-xk", "k3h7-s9q2-vv81"] {
            check_strength(strong, &["alice"]).unwrap_or_else(|e| panic!("{strong}: {e}"));
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(&AuthConfig::default()).unwrap();
        let h = p.hash("correct horse battery").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse battery", Some(&h)).await.unwrap());
        assert!(!p.verify("correct horse batterx", Some(&h)).await.unwrap());
        assert!(!p.verify("correct horse battery", None).await.unwrap());
        assert_ne!(
            h,
            p.hash("correct horse battery").await.unwrap(),
            "salts must differ"
        );
        assert!(
            p.scratch.pooled() >= 1,
            "the working memory is kept for reuse"
        );
    }

    /// Hashes made by the argon2 crate's own PHC hasher (and with other costs and variants)
    /// still verify, and ours verify with it: the pooled path is the same algorithm.
    #[test]
    fn pooled_hashes_match_the_crates_own() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let scratch = Scratch::new(Params::new(64, 1, 1, None).unwrap().block_count(), 1);
        let params = Params::new(64, 1, 1, None).unwrap();
        let ours = hash_blocking(&params, &scratch, "pw one").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        Argon2::default()
            .verify_password(b"pw one", &parsed)
            .expect("the crate verifies our hash");
        for (alg, m) in [
            (Algorithm::Argon2id, 64),
            (Algorithm::Argon2i, 128),
            (Algorithm::Argon2d, 32),
        ] {
            let theirs = Argon2::new(alg, Version::V0x13, Params::new(m, 2, 1, None).unwrap())
                .hash_password(b"pw two")
                .unwrap()
                .to_string();
            assert!(verify_blocking(&scratch, "pw two", &theirs), "{theirs}");
            assert!(!verify_blocking(&scratch, "pw twO", &theirs), "{theirs}");
        }
        for bad in [
            "",
            "$argon2id$",
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
            "plain",
        ] {
            assert!(!verify_blocking(&scratch, "pw", bad), "{bad}");
        }
        assert_eq!(scratch.pooled(), 1, "at most `keep` buffers are kept");
    }
}

//! Password hashing (argon2id) on a bounded blocking pool, and the strength rule.
//!
//! Hashing is deliberately slow (tens of milliseconds of CPU and ~19 MiB each), so it runs
//! on tokio's blocking threads behind a semaphore sized to the CPUs: a login storm queues
//! instead of starving the runtime or exhausting memory. A caller that waits too long for a
//! slot gets 503 rather than an unbounded wait.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
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
        let random: [u8; 24] = rand::random();
        let dummy = hash_blocking(&params, &hex::encode(random))?;
        Ok(Self {
            params,
            slots: Arc::new(Semaphore::new(slots)),
            dummy,
        })
    }

    /// The PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, ApiError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move || hash_blocking(&params, &password).map_err(ApiError::internal))
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
        let ok = self
            .run(move || {
                Argon2::default()
                    .verify_password(password.as_bytes(), hash.as_str())
                    .is_ok()
            })
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

fn hash_blocking(params: &Params, password: &str) -> anyhow::Result<String> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 failed: {e}"))
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
    }
}

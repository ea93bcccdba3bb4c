//! The time source for business rules (mute expiry, code expiry, edit windows), so tests can
//! move time instead of sleeping.

use std::fmt::Debug;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Where "now" comes from.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// Starts at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// Moves time forward (or back, with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *t += by;
    }

    /// Sets the time.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut t = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *t = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }
}

//! The per-socket limit on client frames: a token bucket (`gateway.frames_per_second`,
//! `gateway.frames_burst`), with strikes for frames refused in a row.

use tokio::time::Instant;

/// A token bucket over client frames.
pub(super) struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    last: Instant,
    /// Frames refused since the last accepted one; persistent excess closes the socket.
    pub(super) strikes: u32,
}

impl Bucket {
    pub(super) fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst),
            rate: f64::from(rate),
            burst: f64::from(burst),
            last: Instant::now(),
            strikes: 0,
        }
    }

    pub(super) fn take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.strikes = 0;
            true
        } else {
            self.strikes += 1;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let mut b = Bucket::new(10, 3);
        assert!(b.take() && b.take() && b.take());
        assert!(!b.take());
        assert_eq!(b.strikes, 1);
        b.last -= Duration::from_millis(150);
        assert!(b.take());
        assert_eq!(b.strikes, 0);
    }
}

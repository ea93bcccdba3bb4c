//! 64-bit snowflake ids: 41 bits of milliseconds since 2025-01-01 UTC, 10 bits of node id,
//! 12 bits of sequence. Time-ordered, unique across nodes as long as node ids are (they are
//! claimed in Redis in cluster mode), and made without a database round trip.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The largest node id (10 bits).
pub const MAX_NODE_ID: u16 = 1023;
/// 2025-01-01T00:00:00Z in Unix milliseconds.
const EPOCH_MS: i64 = 1_735_689_600_000;
const SEQ_BITS: u32 = 12;
const NODE_BITS: u32 = 10;
const SEQ_MASK: i64 = (1 << SEQ_BITS) - 1;

/// Makes ids for one node.
#[derive(Debug)]
pub struct IdGen {
    node: i64,
    /// (last millisecond used, sequence within it). The millisecond never goes back: if the
    /// wall clock does, or 4096 ids are made within one millisecond, the generator borrows the
    /// next millisecond instead of waiting, so ids stay strictly increasing.
    state: Mutex<(i64, i64)>,
}

impl IdGen {
    /// A generator for `node` (masked to 10 bits).
    pub fn new(node: u16) -> Self {
        Self {
            node: i64::from(node) & ((1 << NODE_BITS) - 1),
            state: Mutex::new((0, 0)),
        }
    }

    /// This generator's node id.
    pub fn node(&self) -> u16 {
        // The mask above keeps it within 10 bits.
        u16::try_from(self.node).unwrap_or(0)
    }

    /// The next id; strictly greater than every id this generator made before.
    pub fn next_id(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(EPOCH_MS)
            .max(EPOCH_MS)
            - EPOCH_MS;
        let mut st = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (last, seq) = *st;
        let (ms, seq) = if now > last {
            (now, 0)
        } else if seq < SEQ_MASK {
            (last, seq + 1)
        } else {
            (last + 1, 0)
        };
        *st = (ms, seq);
        (ms << (SEQ_BITS + NODE_BITS)) | (self.node << SEQ_BITS) | seq
    }
}

/// When a snowflake id was made (`None` for a value no generator makes).
pub fn timestamp_of(id: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    if id <= 0 {
        return None;
    }
    chrono::DateTime::from_timestamp_millis((id >> (SEQ_BITS + NODE_BITS)) + EPOCH_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_increase_and_carry_the_node() {
        let g = IdGen::new(777);
        let mut prev = 0;
        for _ in 0..20_000 {
            let id = g.next_id();
            assert!(id > prev);
            assert_eq!((id >> SEQ_BITS) & 0x3FF, 777);
            prev = id;
        }
    }

    #[test]
    fn two_nodes_never_collide() {
        let a = IdGen::new(1);
        let b = IdGen::new(2);
        let mut all = std::collections::HashSet::new();
        for _ in 0..5_000 {
            assert!(all.insert(a.next_id()));
            assert!(all.insert(b.next_id()));
        }
    }
}

//! What a `message.new` carries on the bus besides its frame: the message id (for its
//! trail) and, when its trace is sampled, the W3C `traceparent` (so the push on every node
//! continues the sender's trace).
//!
//! Layout: `0x01`, the message id (8 bytes, little-endian), the traceparent's length (1
//! byte, 0 for none), the traceparent, then the frame as sockets receive it. A frame is JSON
//! and never starts with `0x01`, so an unwrapped payload passes through unchanged.

use bytes::{BufMut, Bytes, BytesMut};

const TAG: u8 = 0x01;
const HEAD: usize = 1 + 8 + 1;

/// A bus payload taken apart.
#[derive(Debug, PartialEq)]
pub struct Opened {
    /// The frame sockets receive.
    pub frame: Bytes,
    /// The message it announces, when wrapped.
    pub message: Option<i64>,
    /// The trace to continue, when sampled.
    pub traceparent: Option<String>,
}

/// `frame` with `message` (and `traceparent`) ahead of it.
pub fn wrap(frame: &[u8], message: i64, traceparent: Option<&str>) -> Bytes {
    let tp = traceparent
        .filter(|t| t.len() <= usize::from(u8::MAX))
        .unwrap_or("");
    let mut b = BytesMut::with_capacity(HEAD + tp.len() + frame.len());
    b.put_u8(TAG);
    b.put_i64_le(message);
    b.put_u8(u8::try_from(tp.len()).unwrap_or(0));
    b.put_slice(tp.as_bytes());
    b.put_slice(frame);
    b.freeze()
}

/// Takes a payload apart; anything not wrapped (or wrapped badly) is all frame.
pub fn open(payload: Bytes) -> Opened {
    let plain = |frame| Opened {
        frame,
        message: None,
        traceparent: None,
    };
    if payload.len() < HEAD || payload[0] != TAG {
        return plain(payload);
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&payload[1..9]);
    let tp_len = usize::from(payload[9]);
    if payload.len() < HEAD + tp_len {
        return plain(payload);
    }
    let traceparent = (tp_len > 0)
        .then(|| {
            std::str::from_utf8(&payload[HEAD..HEAD + tp_len])
                .ok()
                .map(str::to_owned)
        })
        .flatten();
    Opened {
        frame: payload.slice(HEAD + tp_len..),
        message: Some(i64::from_le_bytes(id)),
        traceparent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_opens() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let w = wrap(br#"{"type":"message.new"}"#, 42, Some(tp));
        let o = open(w);
        assert_eq!(o.frame.as_ref(), br#"{"type":"message.new"}"#);
        assert_eq!(o.message, Some(42));
        assert_eq!(o.traceparent.as_deref(), Some(tp));
        let o = open(wrap(b"{}", -7, None));
        assert_eq!(
            (o.frame.as_ref(), o.message, o.traceparent),
            (&b"{}"[..], Some(-7), None)
        );
    }

    #[test]
    fn plain_and_broken_payloads_pass_through() {
        for p in [
            &b"{\"a\":1}"[..],
            b"",
            b"\x01short",
            b"\x01\0\0\0\0\0\0\0\0\xff{}",
        ] {
            let o = open(Bytes::copy_from_slice(p));
            assert_eq!(o.frame.as_ref(), p);
            assert_eq!(o.message, None);
        }
    }
}

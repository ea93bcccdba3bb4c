//! The seat board: a room's seats as a value, and every seat change as a pure function on
//! it. The service loads the board under the room's lock, applies one change, checks the
//! invariants, and writes back only the seats that changed (`store::seats::save`), bumping
//! the seat version once when anything did. Keeping the rules here, free of IO, is what lets
//! the property test and the unit tests below drive them directly.
//!
//! Invariants (checked by [`Board::check`] after every change): a seat holds at most one
//! user; a user holds at most one seat; a locked seat is empty; a seat's microphone is off
//! when the seat is empty or muted.

use confab_proto::ids::UserId;
use confab_proto::rooms::SeatOut;

use super::error::RoomsError;

/// One seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seat {
    /// 1..=N.
    pub position: u32,
    /// Who sits here.
    pub user: Option<UserId>,
    /// Locked (and so empty).
    pub locked: bool,
    /// Muted by a manager.
    pub muted: bool,
    /// The occupant's own switch.
    pub mic_on: bool,
}

impl Seat {
    /// An empty, open seat.
    pub fn empty(position: u32) -> Self {
        Self {
            position,
            user: None,
            locked: false,
            muted: false,
            mic_on: false,
        }
    }

    /// Whether its occupant may publish audio: seated, not locked, not muted.
    pub fn speaker(&self) -> Option<UserId> {
        self.user.filter(|_| !self.locked && !self.muted)
    }

    /// The wire form.
    pub fn out(&self) -> SeatOut {
        SeatOut {
            position: self.position,
            user_id: self.user,
            locked: self.locked,
            muted: self.muted,
            mic_on: self.mic_on,
        }
    }

    fn seat(&mut self, user: UserId) {
        self.user = Some(user);
        self.mic_on = !self.muted;
    }

    fn clear(&mut self) -> Option<UserId> {
        self.mic_on = false;
        self.user.take()
    }
}

/// A room's seats, positions 1..=N in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Board {
    /// The seats.
    pub seats: Vec<Seat>,
}

impl Board {
    /// `n` empty seats.
    pub fn new(n: u32) -> Self {
        Self {
            seats: (1..=n).map(Seat::empty).collect(),
        }
    }

    /// The seat `user` holds.
    pub fn seat_of(&self, user: UserId) -> Option<u32> {
        self.seats
            .iter()
            .find(|s| s.user == Some(user))
            .map(|s| s.position)
    }

    /// Everyone who may publish now.
    pub fn speakers(&self) -> Vec<UserId> {
        self.seats.iter().filter_map(Seat::speaker).collect()
    }

    fn at(&mut self, position: u32) -> Result<&mut Seat, RoomsError> {
        let n = self.seats.len();
        position
            .checked_sub(1)
            .and_then(|i| self.seats.get_mut(i as usize))
            .ok_or(RoomsError::NoSuchSeat { seats: n as u32 })
    }

    fn not_seated(&self, user: UserId) -> Result<(), RoomsError> {
        if self.seat_of(user).is_some() {
            return Err(RoomsError::AlreadySeated);
        }
        Ok(())
    }

    /// `user` sits on seat `position`: it must be open and free, and `user` unseated.
    pub fn take(&mut self, user: UserId, position: u32) -> Result<(), RoomsError> {
        self.not_seated(user)?;
        let s = self.at(position)?;
        if s.locked {
            return Err(RoomsError::SeatLocked);
        }
        if s.user.is_some() {
            return Err(RoomsError::SeatTaken);
        }
        s.seat(user);
        Ok(())
    }

    /// `user` sits on `wanted` if given (it must be open and free), else on the first open,
    /// free seat. Returns the seat.
    pub fn place(&mut self, user: UserId, wanted: Option<u32>) -> Result<u32, RoomsError> {
        if let Some(p) = wanted {
            self.take(user, p)?;
            return Ok(p);
        }
        self.not_seated(user)?;
        let s = self
            .seats
            .iter_mut()
            .find(|s| !s.locked && s.user.is_none())
            .ok_or(RoomsError::NoFreeSeat)?;
        s.seat(user);
        Ok(s.position)
    }

    /// `user` leaves their seat; returns it.
    pub fn leave(&mut self, user: UserId) -> Result<u32, RoomsError> {
        let p = self.seat_of(user).ok_or(RoomsError::NotSeated)?;
        self.at(p)?.clear();
        Ok(p)
    }

    /// Empties seat `position`; returns who sat there.
    pub fn vacate(&mut self, position: u32) -> Result<UserId, RoomsError> {
        self.at(position)?.clear().ok_or(RoomsError::NotSeated)
    }

    /// Locks seat `position`, emptying it; returns who sat there. Locking a locked seat
    /// changes nothing.
    pub fn lock(&mut self, position: u32) -> Result<Option<UserId>, RoomsError> {
        let s = self.at(position)?;
        s.locked = true;
        Ok(s.clear())
    }

    /// Opens seat `position`.
    pub fn unlock(&mut self, position: u32) -> Result<(), RoomsError> {
        self.at(position)?.locked = false;
        Ok(())
    }

    /// Mutes (`true`) or unmutes seat `position`. A mute turns the microphone off; an unmute
    /// leaves it off (the occupant turns it on).
    pub fn mute(&mut self, position: u32, muted: bool) -> Result<(), RoomsError> {
        let s = self.at(position)?;
        s.muted = muted;
        if muted {
            s.mic_on = false;
        }
        Ok(())
    }

    /// `user` turns their own microphone on or off (`seat_muted` to turn a muted seat's on).
    pub fn mic(&mut self, user: UserId, on: bool) -> Result<(), RoomsError> {
        let p = self.seat_of(user).ok_or(RoomsError::NotSeated)?;
        let s = self.at(p)?;
        if on && s.muted {
            return Err(RoomsError::SeatMuted);
        }
        s.mic_on = on;
        Ok(())
    }

    /// Moves seated `user` to seat `to` (open). When `to` is taken: swaps the two users if
    /// `swap`, else `seat_taken`. Returns the user swapped, if any.
    pub fn move_to(
        &mut self,
        user: UserId,
        to: u32,
        swap: bool,
    ) -> Result<Option<UserId>, RoomsError> {
        let from = self.seat_of(user).ok_or(RoomsError::NotSeated)?;
        let target = *self.at(to)?;
        if from == to {
            return Ok(None);
        }
        if target.locked {
            return Err(RoomsError::SeatLocked);
        }
        let other = match target.user {
            Some(_) if !swap => return Err(RoomsError::SeatTaken),
            other => other,
        };
        self.at(from)?.clear();
        self.at(to)?.clear();
        self.at(to)?.seat(user);
        if let Some(o) = other {
            self.at(from)?.seat(o);
        }
        Ok(other)
    }

    /// Changes the number of seats to `n`: new seats are empty and open; seats above `n` go,
    /// with their occupants (returned).
    pub fn resize(&mut self, n: u32) -> Vec<UserId> {
        let mut gone = Vec::new();
        while self.seats.len() as u32 > n {
            if let Some(s) = self.seats.pop()
                && let Some(u) = s.user
            {
                gone.push(u);
            }
        }
        while (self.seats.len() as u32) < n {
            let p = self.seats.len() as u32 + 1;
            self.seats.push(Seat::empty(p));
        }
        gone
    }

    /// The invariants; `Err` names the first one broken.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for (i, s) in self.seats.iter().enumerate() {
            if s.position as usize != i + 1 {
                return Err(format!("seat {} out of order at {}", s.position, i + 1));
            }
            if s.locked && s.user.is_some() {
                return Err(format!("locked seat {} is occupied", s.position));
            }
            if s.mic_on && (s.user.is_none() || s.muted) {
                return Err(format!("seat {} has its microphone on", s.position));
            }
            if let Some(u) = s.user
                && !seen.insert(u)
            {
                return Err(format!("user {u} holds two seats"));
            }
        }
        Ok(())
    }

    /// The seats that differ from `before` (same length or longer; removed seats are the
    /// store's to delete).
    pub fn changed_since<'a>(&'a self, before: &'a Board) -> impl Iterator<Item = &'a Seat> {
        self.seats
            .iter()
            .filter(move |s| before.seats.get(s.position as usize - 1) != Some(*s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: UserId = UserId(1);
    const B: UserId = UserId(2);

    #[test]
    fn a_seat_holds_one_user_and_a_user_one_seat() {
        let mut b = Board::new(3);
        b.take(A, 1).unwrap();
        assert!(matches!(b.take(B, 1), Err(RoomsError::SeatTaken)));
        assert!(matches!(b.take(A, 2), Err(RoomsError::AlreadySeated)));
        assert!(matches!(b.take(B, 4), Err(RoomsError::NoSuchSeat { .. })));
        assert!(matches!(b.take(B, 0), Err(RoomsError::NoSuchSeat { .. })));
        b.check().unwrap();
    }

    #[test]
    fn locking_empties_and_blocks_a_seat() {
        let mut b = Board::new(2);
        b.take(A, 1).unwrap();
        assert_eq!(b.lock(1).unwrap(), Some(A));
        assert!(matches!(b.take(B, 1), Err(RoomsError::SeatLocked)));
        assert_eq!(b.place(B, None).unwrap(), 2);
        assert!(matches!(b.place(A, None), Err(RoomsError::NoFreeSeat)));
        b.unlock(1).unwrap();
        assert_eq!(b.place(A, None).unwrap(), 1);
        b.check().unwrap();
    }

    #[test]
    fn a_muted_seat_keeps_the_microphone_off() {
        let mut b = Board::new(1);
        b.take(A, 1).unwrap();
        assert!(b.seats[0].mic_on);
        b.mute(1, true).unwrap();
        assert!(!b.seats[0].mic_on);
        assert!(matches!(b.mic(A, true), Err(RoomsError::SeatMuted)));
        assert!(b.speakers().is_empty());
        b.mute(1, false).unwrap();
        b.mic(A, true).unwrap();
        assert_eq!(b.speakers(), vec![A]);
        b.check().unwrap();
    }

    #[test]
    fn moves_abort_on_a_taken_seat_or_swap() {
        let mut b = Board::new(3);
        b.take(A, 1).unwrap();
        b.take(B, 2).unwrap();
        assert!(matches!(b.move_to(A, 2, false), Err(RoomsError::SeatTaken)));
        assert_eq!(b.move_to(A, 2, true).unwrap(), Some(B));
        assert_eq!((b.seat_of(A), b.seat_of(B)), (Some(2), Some(1)));
        assert_eq!(b.move_to(A, 3, false).unwrap(), None);
        assert_eq!(b.seat_of(A), Some(3));
        b.lock(2).unwrap();
        assert!(matches!(b.move_to(A, 2, true), Err(RoomsError::SeatLocked)));
        b.check().unwrap();
    }

    #[test]
    fn shrinking_removes_occupants_of_the_seats_that_go() {
        let mut b = Board::new(3);
        b.take(A, 3).unwrap();
        assert_eq!(b.resize(2), vec![A]);
        assert_eq!(b.seats.len(), 2);
        b.resize(4);
        assert_eq!(b.seats.len(), 4);
        b.check().unwrap();
        let before = Board::new(4);
        assert_eq!(b.changed_since(&before).count(), 0);
    }

    /// Every sequence of operations from a small seeded generator keeps the invariants.
    #[test]
    fn random_sequences_keep_the_invariants() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut b = Board::new(8);
        for _ in 0..20_000 {
            let u = UserId(next(12) as i64 + 1);
            let p = next(10) as u32;
            let _ = match next(9) {
                0 => b.take(u, p).map(|_| ()),
                1 => b.place(u, None).map(|_| ()),
                2 => b.leave(u).map(|_| ()),
                3 => b.vacate(p).map(|_| ()),
                4 => b.lock(p).map(|_| ()),
                5 => b.unlock(p),
                6 => b.mute(p, next(2) == 0),
                7 => b.mic(u, next(2) == 0),
                _ => b.move_to(u, p, next(2) == 0).map(|_| ()),
            };
            b.check().unwrap();
        }
    }
}

//! Seat races, each run for [`ROUNDS`] fresh rounds with both sides launched at once: two
//! approvals for one seat, an application racing a lock, a kick naming the occupant racing
//! another user's take, an invitation's acceptance racing a lock, and one user entering two
//! rooms at once.

use confab_client::ClientError;
use confab_proto::ids::UserId;
use confab_proto::rooms::{SeatAction, SeatActionIn, SeatMode, SeatsOut};

use super::*;

const ROUNDS: usize = 20;

fn seat_of(s: &SeatsOut, u: UserId) -> Option<u32> {
    s.seats
        .iter()
        .find(|x| x.user_id == Some(u))
        .map(|x| x.position)
}

fn act(
    u: &TestUser,
    room: confab_proto::ids::RoomId,
    p: u32,
    a: SeatAction,
    meant: Option<UserId>,
) -> impl std::future::Future<Output = Result<SeatsOut, ClientError>> + Send + 'static {
    let c = u.client.clone();
    let body = SeatActionIn {
        reason: None,
        user_id: meant,
    };
    async move { c.seat_action(room, p, a, &body).await }
}

/// Runs two calls at once (each on a task of its own, so neither waits for the other to
/// be polled).
async fn both<A, B>(a: A, b: B) -> (A::Output, B::Output)
where
    A: std::future::Future + Send + 'static,
    A::Output: Send + 'static,
    B: std::future::Future + Send + 'static,
    B::Output: Send + 'static,
{
    let (x, y) = tokio::join!(tokio::spawn(a), tokio::spawn(b));
    (x.unwrap(), y.unwrap())
}

/// Leaves my seat if I hold one.
async fn unseat(u: &TestUser, room: confab_proto::ids::RoomId) {
    match u.client.leave_seat(room).await {
        Ok(_) => {}
        Err(e) => assert_eq!(code(&e), (409, "not_seated")),
    }
}

backend_tests! {
    async fn two_approvals_for_one_seat_seat_exactly_one_applicant(app) {
        let owner = app.user("owner").await;
        let admin = app.user("admin").await;
        let a = app.user("a").await;
        let b = app.user("b").await;
        let r = room(&owner, "Approvals", 6, SeatMode::Apply).await;
        let _ws: Vec<_> = futures::future::join_all([&owner, &admin, &a, &b].map(|u| enter(u, &r))).await;
        owner.client.set_room_admin(r.id, admin.id(), true).await.unwrap();
        let (mut a_won, mut b_won) = (0, 0);
        for round in 0..ROUNDS {
            a.client.apply_for_seat(r.id, Some(3)).await.unwrap();
            b.client.apply_for_seat(r.id, Some(3)).await.unwrap();
            let (oc, ac) = (owner.client.clone(), admin.client.clone());
            let (rid, aid, bid) = (r.id, a.id(), b.id());
            let (ra, rb) = both(
                async move { oc.decide_application(rid, aid, true).await },
                async move { ac.decide_application(rid, bid, true).await },
            ).await;
            let s = owner.client.seats(r.id).await.unwrap();
            assert_invariants(&s);
            let (winner, loser, lost) = match (&ra, &rb) {
                (Ok(_), Err(e)) => { a_won += 1; (&a, &b, e) }
                (Err(e), Ok(_)) => { b_won += 1; (&b, &a, e) }
                _ => panic!("round {round}: exactly one approval wins: {ra:?} / {rb:?}"),
            };
            assert_eq!(code(lost), (409, "seat_taken"), "round {round}");
            assert_eq!(s.seats[2].user_id, Some(winner.id()), "round {round}: {s:?}");
            assert_eq!(seat_of(&s, loser.id()), None, "round {round}: {s:?}");
            // The loser's application is still pending (the refusal changed nothing).
            let pending = owner.client.seat_applications(r.id).await.unwrap();
            assert_eq!(
                pending.requests.iter().map(|q| q.user_id).collect::<Vec<_>>(),
                vec![loser.id()],
                "round {round}"
            );
            // Fresh state for the next round.
            loser.client.cancel_application(r.id).await.unwrap();
            winner.client.leave_seat(r.id).await.unwrap();
        }
        eprintln!("approvals: a won {a_won}, b won {b_won}");
    }

    async fn an_application_racing_a_lock_never_seats_anyone_on_the_locked_seat(app) {
        let owner = app.user("owner").await;
        let m = app.user("m").await;
        let r = room(&owner, "Apply vs lock", 6, SeatMode::Apply).await;
        let _wo = enter(&owner, &r).await;
        let _wm = enter(&m, &r).await;
        let (mut applied_first, mut locked_first) = (0, 0);
        for round in 0..ROUNDS {
            let (mc, rid) = (m.client.clone(), r.id);
            let (applied, lock) = both(
                async move { mc.apply_for_seat(rid, Some(3)).await },
                act(&owner, r.id, 3, SeatAction::Lock, None),
            ).await;
            lock.unwrap();
            match applied {
                Ok(req) => {
                    applied_first += 1;
                    assert_eq!(req.position, Some(3));
                    // The application stands; approving it onto the locked seat is refused.
                    let e = owner.client.decide_application(r.id, m.id(), true).await.unwrap_err();
                    assert_eq!(code(&e), (409, "seat_locked"), "round {round}");
                    m.client.cancel_application(r.id).await.unwrap();
                }
                Err(e) => {
                    locked_first += 1;
                    assert_eq!(code(&e), (409, "seat_locked"), "round {round}");
                    let e = m.client.cancel_application(r.id).await.unwrap_err();
                    assert_eq!(code(&e).0, 404, "round {round}: no application was stored");
                }
            }
            let s = owner.client.seats(r.id).await.unwrap();
            assert_invariants(&s);
            assert!(s.seats[2].locked && s.seats[2].user_id.is_none(), "round {round}: {s:?}");
            assert_eq!(seat_of(&s, m.id()), None, "round {round}");
            owner.client.seat_action(r.id, 3, SeatAction::Unlock, &SeatActionIn::default()).await.unwrap();
        }
        eprintln!("apply vs lock: applied first {applied_first}, locked first {locked_first}");
    }

    async fn a_kick_naming_the_occupant_never_removes_a_user_who_took_the_seat(app) {
        let owner = app.user("owner").await;
        let o = app.user("occupant").await;
        let t = app.user("taker").await;
        let r = room(&owner, "Kick vs take", 6, SeatMode::Free).await;
        let _ws: Vec<_> = futures::future::join_all([&owner, &o, &t].map(|u| enter(u, &r))).await;
        let mut taker_kept = 0;
        for round in 0..ROUNDS {
            o.client.seat_action(r.id, 3, SeatAction::Take, &SeatActionIn::default()).await.unwrap();
            // Odd rounds: the occupant also gets up at the same moment, so the taker may sit
            // down before the kick lands.
            let kick = tokio::spawn(act(&owner, r.id, 3, SeatAction::Kick, Some(o.id())));
            let take = tokio::spawn(act(&t, r.id, 3, SeatAction::Take, None));
            let leave = (round % 2 == 1).then(|| {
                let (c, rid) = (o.client.clone(), r.id);
                tokio::spawn(async move { c.leave_seat(rid).await })
            });
            let (kick, take) = (kick.await.unwrap(), take.await.unwrap());
            let left = match leave {
                Some(l) => Some(l.await.unwrap()),
                None => None,
            };
            let s = owner.client.seats(r.id).await.unwrap();
            assert_invariants(&s);
            let ctx = format!("round {round}: kick {kick:?}, take {take:?}, leave {left:?}, end {s:?}");
            if let Err(e) = &kick {
                assert!(
                    [(409, "seat_taken"), (409, "not_seated")].contains(&code(e)),
                    "{ctx}"
                );
            }
            if let Err(e) = &take {
                assert_eq!(code(e), (409, "seat_taken"), "{ctx}");
            }
            if let Some(Err(e)) = &left {
                assert_eq!(code(e), (409, "not_seated"), "{ctx}");
            }
            // Without the occupant getting up, the seat is free only after the kick.
            if left.is_none() {
                assert!(kick.is_ok(), "{ctx}");
            }
            let taker_seated = seat_of(&s, t.id()) == Some(3);
            if let Ok(taken) = &take {
                // A take that succeeded is never undone by the kick: the kick answered 409 or
                // came before it.
                assert!(taker_seated, "the kick removed the taker: {ctx}");
                if let Ok(kicked) = &kick {
                    assert!(kicked.version < taken.version, "{ctx}");
                }
                taker_kept += 1;
            } else {
                assert!(!taker_seated, "{ctx}");
            }
            assert_ne!(seat_of(&s, o.id()), Some(3), "the occupant is off the seat: {ctx}");
            unseat(&t, r.id).await;
            unseat(&o, r.id).await;
        }
        eprintln!("kick vs take: the taker sat down in {taker_kept} of {ROUNDS} rounds");
    }

    async fn accepting_an_invitation_racing_a_lock_never_seats_on_a_locked_seat(app) {
        let owner = app.user("owner").await;
        let u = app.user("invitee").await;
        let r = room(&owner, "Accept vs lock", 6, SeatMode::Apply).await;
        let _wo = enter(&owner, &r).await;
        let _wu = enter(&u, &r).await;
        let (mut accepted, mut refused) = (0, 0);
        for round in 0..ROUNDS {
            owner.client.invite_to_seat(r.id, u.id(), Some(3)).await.unwrap();
            let (uc, rid) = (u.client.clone(), r.id);
            let (acc, lock) = both(
                async move { uc.accept_seat_invitation(rid).await },
                act(&owner, r.id, 3, SeatAction::Lock, None),
            ).await;
            let lock = lock.unwrap();
            let s = owner.client.seats(r.id).await.unwrap();
            assert_invariants(&s);
            let ctx = format!("round {round}: accept {acc:?}, end {s:?}");
            match &acc {
                Ok(seated) => {
                    // The accept came first: it seated them on 3, and the lock emptied it.
                    accepted += 1;
                    assert_eq!(seated.seats[2].user_id, Some(u.id()), "{ctx}");
                    assert!(seated.version < lock.version, "{ctx}");
                }
                Err(e) => {
                    refused += 1;
                    assert_eq!(code(e), (409, "seat_locked"), "{ctx}");
                }
            }
            assert!(s.seats[2].locked && s.seats[2].user_id.is_none(), "{ctx}");
            assert_eq!(seat_of(&s, u.id()), None, "{ctx}");
            // Either way the invitation is used up.
            let e = u.client.accept_seat_invitation(r.id).await.unwrap_err();
            assert_eq!(code(&e).0, 404, "{ctx}");
            owner.client.seat_action(r.id, 3, SeatAction::Unlock, &SeatActionIn::default()).await.unwrap();
        }
        eprintln!("accept vs lock: accepted first {accepted}, refused {refused}");
    }

    async fn entering_two_rooms_at_once_ends_in_exactly_one(app) {
        let o1 = app.user("owner1").await;
        let o2 = app.user("owner2").await;
        let u = app.user("wanderer").await;
        let r1 = room(&o1, "Left room", 4, SeatMode::Free).await;
        let r2 = room(&o2, "Right room", 4, SeatMode::Free).await;
        let _w1 = enter(&o1, &r1).await;
        let _w2 = enter(&o2, &r2).await;
        let _wu = u.client.ws().await.unwrap();
        let mut ends = [0, 0];
        for round in 0..ROUNDS {
            let (c1, c2) = (u.client.clone(), u.client.clone());
            let (id1, id2) = (r1.id, r2.id);
            let (j1, j2) = both(
                async move { c1.join_room(id1, None).await },
                async move { c2.join_room(id2, None).await },
            ).await;
            let ctx = format!("round {round}: {j1:?} / {j2:?}");
            j1.as_ref().map_err(|e| format!("{e}: {ctx}")).unwrap();
            j2.as_ref().map_err(|e| format!("{e}: {ctx}")).unwrap();
            let mine = u.client.my_room().await.unwrap().expect("in a room");
            let (m1, m2) = (
                o1.client.room_members(r1.id, None, None).await.unwrap(),
                o2.client.room_members(r2.id, None, None).await.unwrap(),
            );
            let in1 = m1.members.iter().any(|m| m.user_id == u.id());
            let in2 = m2.members.iter().any(|m| m.user_id == u.id());
            assert!(in1 ^ in2, "in exactly one room: {ctx}; {m1:?} {m2:?}");
            assert_eq!(mine.room.id, if in1 { r1.id } else { r2.id }, "{ctx}");
            ends[usize::from(in2)] += 1;
            // Audience counts agree with the member lists.
            assert_eq!(m1.audience as usize, m1.members.len(), "{ctx}: {m1:?}");
            assert_eq!(m2.audience as usize, m2.members.len(), "{ctx}: {m2:?}");
            assert_eq!(m1.members.len(), 1 + usize::from(in1), "{ctx}");
            assert_eq!(m2.members.len(), 1 + usize::from(in2), "{ctx}");
            assert_eq!(o1.client.room(r1.id).await.unwrap().audience as usize, m1.members.len());
            assert_eq!(o2.client.room(r2.id).await.unwrap().audience as usize, m2.members.len());
            u.client.leave_room(mine.room.id).await.unwrap();
        }
        eprintln!("two rooms: ended in the first {} times, the second {}", ends[0], ends[1]);
    }
}

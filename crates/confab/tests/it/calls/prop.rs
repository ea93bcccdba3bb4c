//! A property test of the call state machine: a seeded generator places calls and fires a
//! random handful of events at each — answers from either of the callee's devices, decline,
//! cancel, hang-ups from both sides, the ring timeout — several at once, so they race (on
//! MariaDB + Redis the callee's second device is on a second node). Whatever the order, each
//! call ends exactly once: one outcome, consistent with what succeeded, and exactly one
//! record message naming it; at most one answer and at most one ending request succeed; and
//! the lines are free again (the next call rings).
//!
//! The seed is printed; set `CONFAB_PROP_SEED` to replay a run.

use confab_client::Client;
use confab_proto::calls::{CallMedia, CallOutcome, CallState};
use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;

/// Calls per run.
const CALLS: usize = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    AcceptFirstDevice,
    AcceptSecondDevice,
    Decline,
    Cancel,
    CallerHangsUp,
    CalleeHangsUp,
    RingsOut,
}

const EVENTS: [Ev; 7] = [
    Ev::AcceptFirstDevice,
    Ev::AcceptSecondDevice,
    Ev::Decline,
    Ev::Cancel,
    Ev::CallerHangsUp,
    Ev::CalleeHangsUp,
    Ev::RingsOut,
];

struct Parties<'a> {
    app: &'a TestApp,
    caller: &'a Client,
    callee: &'a Client,
    callee2: &'a Client,
}

/// Fires `ev` at call `id`; true when the request succeeded.
async fn fire(p: &Parties<'_>, ev: Ev, id: CallId) -> bool {
    let r = match ev {
        Ev::AcceptFirstDevice => p.callee.accept_call(id).await,
        Ev::AcceptSecondDevice => p.callee2.accept_call(id).await,
        Ev::Decline => p.callee.decline_call(id).await,
        Ev::Cancel => p.caller.cancel_call(id).await,
        Ev::CallerHangsUp => p.caller.hang_up_call(id).await,
        Ev::CalleeHangsUp => p.callee2.hang_up_call(id).await,
        Ev::RingsOut => {
            p.app.clock.advance(chrono::Duration::seconds(46));
            confab::calls::presence::sweep(&p.app.state).await;
            return true;
        }
    };
    match r {
        Ok(_) => true,
        Err(e) => {
            let (status, code) = code(&e);
            assert!(
                matches!((status, code), (409, "call_over") | (403, "not_in_call")),
                "{ev:?}: undocumented refusal {e}"
            );
            false
        }
    }
}

async fn run(app: &TestApp, second: &TestApp) {
    let seed = std::env::var("CONFAB_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::random::<u64>() | 1);
    eprintln!("calls prop seed: {seed} (set CONFAB_PROP_SEED to replay)");
    let mut rng = StdRng::seed_from_u64(seed);
    let (alice, bob) = friends(app).await;
    let bob2 = device(second, &bob).await;
    let p = Parties {
        app,
        caller: &alice.client,
        callee: &bob.client,
        callee2: &bob2,
    };
    let mut conv = None;
    for round in 0..CALLS {
        let call = alice.client.invite_call(bob.id(), CallMedia::Audio).await;
        let call = call.unwrap_or_else(|e| panic!("round {round}: the lines were not freed: {e}"));
        assert_eq!(call.state, CallState::Ringing, "round {round}");
        conv = Some(call.conversation_id);
        let n = rng.random_range(1..=4usize);
        let evs: Vec<Ev> = (0..n)
            .map(|_| EVENTS[rng.random_range(0..EVENTS.len())])
            .collect();
        let done = join_all(evs.iter().map(|ev| fire(&p, *ev, call.id))).await;
        let ok = |want: &[Ev]| {
            evs.iter()
                .zip(&done)
                .filter(|(e, d)| **d && want.contains(e))
                .count()
        };
        let answers = ok(&[Ev::AcceptFirstDevice, Ev::AcceptSecondDevice]);
        let endings = ok(&[
            Ev::Decline,
            Ev::Cancel,
            Ev::CallerHangsUp,
            Ev::CalleeHangsUp,
        ]);
        assert!(
            answers <= 1,
            "round {round}: {evs:?} → {done:?}: two answers"
        );
        assert!(
            endings <= 1,
            "round {round}: {evs:?} → {done:?}: two endings"
        );
        // Whatever is still live ends now.
        let now = alice.client.get_call(call.id).await.unwrap();
        if now.state != CallState::Ended {
            alice.client.hang_up_call(call.id).await.unwrap();
        }
        let end = alice.client.get_call(call.id).await.unwrap();
        assert_eq!(end.state, CallState::Ended, "round {round}");
        let outcome = end.outcome.expect("an ended call has an outcome");
        if answers == 1 {
            assert_eq!(outcome, CallOutcome::Answered, "round {round}: {evs:?}");
        } else {
            assert!(
                matches!(
                    outcome,
                    CallOutcome::Declined | CallOutcome::Cancelled | CallOutcome::Missed
                ),
                "round {round}: {evs:?} → {outcome:?} without an answer"
            );
        }
        let recs = records_of(&bob.client, call.conversation_id, call.id).await;
        assert_eq!(recs.len(), 1, "round {round}: {evs:?}: records {recs:?}");
        assert_eq!(
            recs[0].body["outcome"],
            outcome_name(outcome),
            "round {round}"
        );
    }
    // One record per call, no more.
    let all = records(&alice.client, conv.unwrap()).await;
    assert_eq!(all.len(), CALLS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_ends_once_whatever_the_order_sqlite() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    run(&app, &app).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_ends_once_whatever_the_order_mysql_redis() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    run(&a, &b).await;
}

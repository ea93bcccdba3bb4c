//! The checker must be able to fail: rules (a), (b), (c) and (e) are each shown a store or a
//! log broken in their way and must name it.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use sea_orm::{ConnectionTrait, Statement};

use super::checker::{self, Acked, Member};
use super::device::{Device, Got};
use crate::harness::*;

/// Runs the checker and returns its panic message (`None`: it passed).
async fn verdict(app: &TestApp, acked: &[Acked], members: &[Member<'_>]) -> Option<String> {
    match AssertUnwindSafe(checker::check(&app.state.store, acked, members))
        .catch_unwind()
        .await
    {
        Ok(_) => None,
        Err(p) => Some(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default(),
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checker_names_each_broken_rule() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    app.befriend(&alice, &bob).await;
    app.befriend(&alice, &carol).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap().id;
    let other = alice.client.open_direct(carol.id()).await.unwrap().id;
    let d = Device::start(bob.id(), bob.client.clone());
    let mut acked = Vec::new();
    for i in 0..3 {
        let ack = alice.client.send_text(c, &format!("m{i}")).await.unwrap();
        acked.push(Acked {
            sender: alice.id(),
            ack,
        });
    }
    let x = alice.client.send_text(other, "elsewhere").await.unwrap();
    let log = d.finish().await;
    let member = |log: Vec<Got>| Member {
        user: bob.id(),
        client: &bob.client,
        log,
    };

    assert_eq!(
        verdict(&app, &acked, &[member(log.clone())]).await,
        None,
        "the truth passes"
    );

    let mut wrong = acked.clone();
    wrong[1].ack.seq = 3;
    let v = verdict(&app, &wrong, &[member(log.clone())]).await.unwrap();
    assert!(v.contains("(a)"), "{v}");

    let mut short = log.clone();
    short.retain(|g| g.seq != 2);
    let v = verdict(&app, &acked, &[member(short)]).await.unwrap();
    assert!(v.contains("(c)"), "{v}");

    let mut leaked = log.clone();
    leaked.push(Got {
        conv: other,
        seq: x.seq,
        id: x.id.0,
        live: true,
    });
    let v = verdict(&app, &acked, &[member(leaked)]).await.unwrap();
    assert!(v.contains("(e)"), "{v}");

    // (d) compares what the API reports with the store; it is exercised by every fault
    // test (a server bug, not a tampered store, would break it).

    app.state
        .store
        .writer()
        .execute_raw(Statement::from_string(
            app.state.store.backend(),
            format!(
                "DELETE FROM messages WHERE conversation_id = {} AND seq = 2",
                c.0
            ),
        ))
        .await
        .unwrap();
    let v = verdict(&app, &acked[..1], &[]).await.unwrap();
    assert!(v.contains("(b)"), "{v}");
}

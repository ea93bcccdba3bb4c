//! The README's "A first conversation" shell block, run as a newcomer would (bash, curl,
//! jq) against a real node, so the README cannot drift from the API again: the message it
//! sends must be stored, and Bob must find it in his sync.

use std::process::Command;

use serde_json::{Value, json};

use super::required;

/// The first ```sh block after the "A first conversation" heading.
fn readme_block() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let section = readme
        .split_once("## A first conversation")
        .expect("the README has a first-conversation section")
        .1;
    let block = section.split_once("```sh\n").expect("a shell block").1;
    block.split_once("```").unwrap().0.to_owned()
}

fn tools_missing() -> Option<&'static str> {
    ["bash", "curl", "jq"].into_iter().find(|tool| {
        Command::new(tool)
            .arg("--version")
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
    })
}

backend_tests! {
    async fn the_readme_first_conversation_works(app) {
        if let Some(tool) = tools_missing() {
            assert!(!required("CONFAB_TEST_BROWSER"), "{tool} is missing: the README test cannot run");
            eprintln!("note: README test not run: {tool} is missing");
            return;
        }
        let block = readme_block();
        assert!(block.contains("http://127.0.0.1:8080/api/v1"), "the block names the default address");
        let script = format!("set -euo pipefail\n{}", block.replace("http://127.0.0.1:8080", &app.url("")));
        let out = tokio::task::spawn_blocking(move || Command::new("bash").arg("-c").arg(script).output())
            .await
            .unwrap()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "the README block failed: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        // Its last command answers the send's acknowledgement.
        let ack: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
            .unwrap_or_else(|_| panic!("not an acknowledgement: {stdout}"));
        let seq = ack["seq"].as_i64().unwrap_or_else(|| panic!("no seq in {ack}"));
        assert!(seq >= 1, "{ack}");

        // Bob signs in and finds "hi Bob" in his direct chat with Alice, at that seq.
        let http = app.client.http();
        let login: Value = http.post(app.url("/api/v1/auth/login"))
            .json(&json!({"login": "bob", "password": "correct horse battery"}))
            .send().await.unwrap().json().await.unwrap();
        let token = login["access_token"].as_str().unwrap_or_else(|| panic!("{login}")).to_owned();
        let conv = ack["conversation_id"].as_str().unwrap();
        let history: Value = http.get(app.url(&format!("/api/v1/conversations/{conv}/messages?after_seq=0")))
            .bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        let found = history["messages"].as_array().unwrap().iter()
            .find(|m| m["body"]["text"] == "hi Bob")
            .unwrap_or_else(|| panic!("Bob does not see the message: {history}"));
        assert_eq!(found["seq"].as_i64(), Some(seq));
        assert_eq!(found["id"], ack["id"]);
    }
}

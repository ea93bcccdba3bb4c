//! Rebuilds the crate when a file under `web/` is added, changed or removed: the web client
//! is compiled into the binary (`src/web.rs`), and `include_bytes!` alone does not notice a
//! new file.
fn main() {
    println!("cargo:rerun-if-changed=web");
}

//! Tells `src/web/files.rs` (shared with `confab`) that it is compiled in the check crate.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(confab_embed_check)");
    println!("cargo::rustc-cfg=confab_embed_check");
    println!("cargo::rerun-if-changed=build.rs");
    // The files are compiled in: rebuild when one is added, changed or removed.
    println!("cargo::rerun-if-changed=../confab/web");
}

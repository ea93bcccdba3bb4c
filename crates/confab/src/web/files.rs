//! The web client's files as rust-embed sees them. One definition, used twice: by `web.rs`,
//! which serves them (a release build embeds them; a debug build reads `crates/confab/web/`
//! from disk), and, through `#[path]`, by the `confab-web-embed` check crate, which is
//! always built without debug assertions, so its copy is the embedded one a release binary
//! serves, and its tests compare that copy with the folder.

use rust_embed::RustEmbed;

/// The files under `crates/confab/web/`; paths are relative to it (`index.html`,
/// `sdk/confab.js`). The folder is named from `crates/` so the path is the same for both
/// crates that include this file.
///
/// In the check crate the derive names that crate's `shim` (the parent of this module
/// there) as rust-embed (`crate_path`): the
/// shared rust-embed is built with debug assertions there, so its `Filenames` lacks the
/// embedded variant the compiled-in code refers to.
#[derive(RustEmbed)]
#[folder = "../confab/web/"]
#[cfg_attr(confab_embed_check, crate_path = "super::shim")]
pub struct Files;

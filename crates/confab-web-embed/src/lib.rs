//! The web client as a release binary serves it. `crates/confab/src/web/files.rs` defines
//! the rust-embed struct once; `confab` includes it to serve the files, and this crate
//! includes the same file. rust-embed compiles the files into the binary only when debug
//! assertions are off (otherwise it reads the folder at run time), and the workspace builds
//! this one crate without them in every profile. So `Files` here is the embedded copy, and
//! the tests below fail when it differs from the folder: a file left out of the embed, a
//! stale copy, or a reference (an `import`, a `<script src>`) to a file that is not in it.

#[path = "../../confab/src/web/files.rs"]
mod files;

pub use files::Files;

/// What the derive uses as rust-embed here: rust-embed itself, but for the two items its
/// compiled-in code needs and a build with debug assertions leaves out. The workspace's one
/// rust-embed is built with them (for `confab`'s debug builds, which read from disk). Only
/// the trait impl uses these; `Files::get` and `Files::iter` are the derive's own.
pub mod shim {
    pub use rust_embed::*;

    /// The file names, as rust-embed's release-build variant holds them.
    pub enum Filenames {
        /// The compiled-in list.
        Embedded(std::slice::Iter<'static, &'static str>),
    }

    impl Iterator for Filenames {
        type Item = std::borrow::Cow<'static, str>;
        fn next(&mut self) -> Option<Self::Item> {
            match self {
                Filenames::Embedded(names) => names.next().map(|n| std::borrow::Cow::from(*n)),
            }
        }
    }

    /// rust-embed's trait, with the `Filenames` above.
    pub trait RustEmbed {
        /// A file and its metadata.
        fn get(file_path: &str) -> Option<EmbeddedFile>;
        /// The file names.
        fn iter() -> Filenames;
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use sha2::{Digest, Sha256};

    use super::Files;

    fn folder() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../confab/web")
    }

    /// Every file under the folder, by its path relative to it (`/`-separated).
    fn on_disk() -> BTreeMap<String, Vec<u8>> {
        let root = folder();
        let mut out = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(&root).unwrap();
                    let rel: Vec<_> = rel
                        .iter()
                        .map(|c| c.to_string_lossy().into_owned())
                        .collect();
                    out.insert(rel.join("/"), std::fs::read(&p).unwrap());
                }
            }
        }
        out
    }

    #[test]
    fn this_copy_is_compiled_in_not_read_from_disk() {
        let file = Files::get("index.html").expect("index.html is embedded");
        assert!(
            matches!(file.data, Cow::Borrowed(_)),
            "Files reads the folder at run time: this crate lost its profile override \
             (debug-assertions = false) in the workspace Cargo.toml"
        );
    }

    #[test]
    fn the_embedded_files_are_exactly_the_folder() {
        let disk = on_disk();
        let embedded: Vec<String> = Files::iter().map(|p| p.into_owned()).collect();
        let names: Vec<&String> = disk.keys().collect();
        assert_eq!(
            embedded.iter().collect::<Vec<_>>(),
            names,
            "the embedded list differs from the folder"
        );
        assert!(disk.len() >= 20, "{} files", disk.len());
        for (path, bytes) in &disk {
            let file = Files::get(path).unwrap_or_else(|| panic!("{path} is not embedded"));
            assert!(
                file.data.as_ref() == bytes.as_slice(),
                "{path}: the embedded copy is stale"
            );
            let sha: [u8; 32] = Sha256::digest(bytes).into();
            assert_eq!(
                hex::encode(file.metadata.sha256_hash()),
                hex::encode(sha),
                "{path}: its ETag hash"
            );
        }
    }

    /// The targets of `import … from './x.js'` and `import('./x.js')` in a module.
    fn imports(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for quote in ['\'', '"'] {
            for marker in [format!("from {quote}"), format!("import({quote}")] {
                let mut rest = text;
                while let Some(i) = rest.find(marker.as_str()) {
                    rest = &rest[i + marker.len()..];
                    if let Some(end) = rest.find(quote) {
                        let target = &rest[..end];
                        if target.starts_with('.') || target.starts_with('/') {
                            out.push(target.to_owned());
                        }
                    }
                }
            }
        }
        out
    }

    /// `base` (a file's folder, `/`-separated, relative to `web/`) joined with `rel`.
    fn resolve(base: &str, rel: &str) -> String {
        if let Some(abs) = rel.strip_prefix("/web/") {
            return abs.to_owned();
        }
        let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
        for seg in rel.split('/') {
            match seg {
                "." | "" => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        parts.join("/")
    }

    #[test]
    fn every_file_the_client_loads_is_embedded() {
        let index = Files::get("index.html").unwrap();
        let html = std::str::from_utf8(&index.data).unwrap();
        let mut wanted: Vec<(String, String)> = Vec::new();
        for attr in ["src=\"", "href=\""] {
            let mut rest = html;
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                let end = rest.find('"').unwrap();
                if let Some(p) = rest[..end].strip_prefix("/web/") {
                    wanted.push(("index.html".into(), p.to_owned()));
                }
            }
        }
        assert!(wanted.iter().any(|(_, p)| p == "app.js"), "{wanted:?}");
        let mut modules = 0;
        for path in Files::iter() {
            if !path.ends_with(".js") {
                continue;
            }
            modules += 1;
            let file = Files::get(&path).unwrap();
            let text = std::str::from_utf8(&file.data).unwrap();
            let base = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            for target in imports(text) {
                wanted.push((path.to_string(), resolve(base, &target)));
            }
        }
        assert!(modules >= 15, "{modules} modules");
        assert!(wanted.len() > modules, "{} references", wanted.len());
        for (from, target) in wanted {
            assert!(
                Files::get(&target).is_some(),
                "{from} loads {target}, which is not embedded"
            );
        }
    }
}

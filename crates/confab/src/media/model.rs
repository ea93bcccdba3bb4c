//! What may be uploaded (no IO): the kinds, the allow-list of sniffed types per kind, the
//! file-name rules, the client's declared metadata, and the signature of download URLs.
//! The reasons for each list are in docs/decisions/0006-upload-kinds-and-signed-urls.md.

use base64::Engine;
use confab_proto::ids::{FileId, UserId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::MediaError;
use crate::config::MediaConfig;
use crate::error::ApiError;

/// How many leading bytes decide a file's type (office documents are recognised from the
/// names of the first zip entries, which sit within the first few KiB).
pub const SNIFF_BYTES: usize = 8 * 1024;

/// What an upload is for; a message of the same kind (or `file`) may carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadKind {
    /// Decoded, measured, thumbnailed; shown inline.
    Image,
    /// Streamed; optional declared duration and size.
    Video,
    /// Streamed; optional declared duration.
    Audio,
    /// Any other allowed content; always downloaded as an attachment.
    File,
}

impl UploadKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadKind::Image => "image",
            UploadKind::Video => "video",
            UploadKind::Audio => "audio",
            UploadKind::File => "file",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<UploadKind> {
        match s {
            "image" => Some(UploadKind::Image),
            "video" => Some(UploadKind::Video),
            "audio" => Some(UploadKind::Audio),
            "file" => Some(UploadKind::File),
            _ => None,
        }
    }

    /// The size cap for this kind.
    pub fn cap(self, cfg: &MediaConfig) -> usize {
        match self {
            UploadKind::Image => cfg.max_image_bytes,
            UploadKind::Video => cfg.max_video_bytes,
            UploadKind::Audio => cfg.max_audio_bytes,
            UploadKind::File => cfg.max_file_bytes,
        }
    }
}

use UploadKind::{Audio, File, Image, Video};

/// Every accepted type (as sniffed by `infer`) and the kinds it may be uploaded as, the
/// default first. Containers that hold sound alone as often as pictures (MP4, WebM,
/// Matroska: browsers record voice notes in them) may be declared `audio`.
const ALLOWED: &[(&str, &[UploadKind])] = &[
    // Images browsers render safely; decoded and thumbnailed.
    ("image/png", &[Image, File]),
    ("image/jpeg", &[Image, File]),
    ("image/gif", &[Image, File]),
    ("image/webp", &[Image, File]),
    // Other raster images: stored as files, never decoded by us.
    ("image/tiff", &[File]),
    ("image/bmp", &[File]),
    ("image/heif", &[File]),
    ("image/avif", &[File]),
    ("image/jxl", &[File]),
    ("image/jp2", &[File]),
    ("image/vnd.adobe.photoshop", &[File]),
    ("image/x-canon-cr2", &[File]),
    // Video.
    ("video/mp4", &[Video, Audio, File]),
    ("video/webm", &[Video, Audio, File]),
    ("video/x-matroska", &[Video, Audio, File]),
    ("video/quicktime", &[Video, File]),
    ("video/x-m4v", &[Video, File]),
    ("video/mpeg", &[Video, File]),
    ("video/x-msvideo", &[Video, File]),
    // Audio.
    ("audio/mpeg", &[Audio, File]),
    ("audio/m4a", &[Audio, File]),
    ("audio/aac", &[Audio, File]),
    ("audio/ogg", &[Audio, File]),
    ("audio/opus", &[Audio, File]),
    ("audio/x-wav", &[Audio, File]),
    ("audio/amr", &[Audio, File]),
    ("audio/x-flac", &[Audio, File]),
    ("audio/x-aiff", &[Audio, File]),
    ("audio/midi", &[Audio, File]),
    // Documents and books.
    ("application/pdf", &[File]),
    ("application/rtf", &[File]),
    ("application/msword", &[File]),
    ("application/vnd.ms-excel", &[File]),
    ("application/vnd.ms-powerpoint", &[File]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &[File],
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &[File],
    ),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        &[File],
    ),
    ("application/vnd.oasis.opendocument.text", &[File]),
    ("application/vnd.oasis.opendocument.spreadsheet", &[File]),
    ("application/vnd.oasis.opendocument.presentation", &[File]),
    ("application/epub+zip", &[File]),
    ("application/x-mobipocket-ebook", &[File]),
    // Archives and compressed data.
    ("application/zip", &[File]),
    ("application/x-tar", &[File]),
    ("application/vnd.rar", &[File]),
    ("application/gzip", &[File]),
    ("application/x-bzip2", &[File]),
    ("application/x-7z-compressed", &[File]),
    ("application/x-xz", &[File]),
    ("application/zstd", &[File]),
    ("application/x-lz4", &[File]),
    ("application/x-lzip", &[File]),
    ("application/x-compress", &[File]),
    // Data.
    ("application/vnd.sqlite3", &[File]),
    ("application/dicom", &[File]),
];

/// The type given to UTF-8 text that no signature recognises (and that is not markup or a
/// script).
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";
/// The type given to binary content that no signature recognises.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// Every content type a download (`GET /files/{id}`) can be served with: the accepted
/// types, plain text and the binary fallback (parameters such as `charset` left off).
pub fn served_types() -> impl Iterator<Item = &'static str> {
    ALLOWED
        .iter()
        .map(|(t, _)| *t)
        .chain([PLAIN_TEXT, OCTET_STREAM])
        .map(|t| t.split(';').next().unwrap_or(t))
}

/// Image types shown inline (and only when the upload is an `image`: decoded by us).
pub const INLINE_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Why some content cannot be uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A recognised type that is not on the list (executables, installers, HTML, SVG, XML,
    /// scripts…), or unrecognised text that looks like markup or a script.
    Type(String),
    /// Allowed content, but not as the kind asked for.
    NotThisKind {
        /// The sniffed type.
        content_type: &'static str,
        /// The kind asked for.
        kind: UploadKind,
    },
}

impl Refusal {
    /// As an API error.
    pub fn into_error(self) -> ApiError {
        let msg = match self {
            Refusal::Type(what) => format!(
                "{what} cannot be uploaded (the type is decided from the file's bytes; executables, \
                 installers, HTML, SVG, XML and scripts are refused)"
            ),
            Refusal::NotThisKind { content_type, kind } => {
                format!(
                    "a {content_type} file cannot be uploaded as {}",
                    kind.as_str()
                )
            }
        };
        MediaError::Refused(msg).into()
    }
}

/// Decides the type of a file from `head` (its first [`SNIFF_BYTES`], or all of it when
/// shorter) and the kind it is stored as: `declared`, or the type's default kind.
pub fn classify(
    head: &[u8],
    declared: Option<UploadKind>,
) -> Result<(&'static str, UploadKind), Refusal> {
    let (content_type, kinds): (&'static str, &'static [UploadKind]) = match infer::get(head) {
        Some(t) => match ALLOWED.iter().find(|(m, _)| *m == t.mime_type()) {
            Some((m, kinds)) => (m, kinds),
            None => return Err(Refusal::Type(format!("a {} file", t.mime_type()))),
        },
        None if head.is_empty() => return Err(Refusal::Type("an empty file".into())),
        None => match text_class(head) {
            // `infer` wants whole headers; a short or odd executable still starts like one.
            TextClass::Binary if EXECUTABLE_MAGIC.iter().any(|m| head.starts_with(m)) => {
                return Err(Refusal::Type("an executable".into()));
            }
            TextClass::Binary => (OCTET_STREAM, &[File]),
            TextClass::Plain => (PLAIN_TEXT, &[File]),
            TextClass::Active => return Err(Refusal::Type("markup or a script".into())),
        },
    };
    let kind = match declared {
        None => kinds[0],
        Some(k) if kinds.contains(&k) => k,
        Some(kind) => return Err(Refusal::NotThisKind { content_type, kind }),
    };
    Ok((content_type, kind))
}

/// Leading bytes of executable formats (ELF, PE/DOS, Mach-O and fat binaries, Java class,
/// WebAssembly, Dalvik), refused even when too short for `infer` to name them.
const EXECUTABLE_MAGIC: &[&[u8]] = &[
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\0asm",
    b"dex\n",
];

enum TextClass {
    Binary,
    Plain,
    /// HTML, SVG, XML, or a script: content a browser or a shell would act on.
    Active,
}

/// Text or binary, for content `infer` does not know.
fn text_class(head: &[u8]) -> TextClass {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // Cut in the middle of a character at the end of the window: still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return TextClass::Binary,
    };
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
    {
        return TextClass::Binary;
    }
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with('<') || start.starts_with("#!") {
        return TextClass::Active;
    }
    let lower = text.to_ascii_lowercase();
    const ACTIVE: &[&str] = &[
        "<script",
        "<html",
        "<svg",
        "<?xml",
        "<!doctype",
        "<iframe",
        "<body",
        "<object",
        "<embed",
        "<meta",
        "<xsl",
        "javascript:",
    ];
    if ACTIVE.iter().any(|a| lower.contains(a)) {
        return TextClass::Active;
    }
    TextClass::Plain
}

/// File-name extensions refused whatever the content: what a desktop would run or a browser
/// would render if the downloaded file kept its name.
const REFUSED_EXTENSIONS: &[&str] = &[
    "exe",
    "dll",
    "com",
    "bat",
    "cmd",
    "scr",
    "pif",
    "cpl",
    "msi",
    "msp",
    "mst",
    "msc",
    "ps1",
    "psm1",
    "psd1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "mjs",
    "wsf",
    "wsh",
    "wsc",
    "hta",
    "jar",
    "apk",
    "app",
    "dmg",
    "pkg",
    "deb",
    "rpm",
    "sh",
    "bash",
    "zsh",
    "csh",
    "ksh",
    "command",
    "run",
    "elf",
    "lnk",
    "reg",
    "inf",
    "gadget",
    "application",
    "appx",
    "msix",
    "html",
    "htm",
    "xhtml",
    "shtml",
    "mht",
    "mhtml",
    "svg",
    "svgz",
    "xml",
    "xsl",
    "xslt",
    "php",
    "phtml",
    "py",
    "pyw",
    "pl",
    "rb",
    "swf",
    "url",
    "desktop",
    "workflow",
    "scpt",
    "iso",
    "img",
    "vhd",
    "vhdx",
];

/// The client's file name as metadata: no path, no control characters, no bidi overrides,
/// at most 255 characters.
pub fn clean_file_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or("");
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '"' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .take(255)
        .collect();
    // Dots and spaces off both ends together, however they alternate: Windows drops them
    // from the end when it saves a file, so `x.exe. .` would otherwise pass the extension
    // rule as `x.exe.` and be saved as `x.exe`.
    let cleaned = cleaned
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// Refuses a (cleaned) file name whose extension is on the refused list.
pub fn check_file_name(name: &str) -> Result<(), ApiError> {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.trim().to_ascii_lowercase());
    match ext {
        Some(e) if REFUSED_EXTENSIONS.contains(&e.as_str()) => Err(MediaError::Refused(format!(
            "files named .{e} cannot be uploaded (executables, scripts and markup are refused)"
        ))
        .into()),
        _ => Ok(()),
    }
}

/// `Content-Disposition` for a download: `inline` for decoded images of the inline types,
/// otherwise an attachment carrying the file name (ASCII fallback plus RFC 5987 UTF-8).
pub fn disposition(kind: UploadKind, content_type: &str, file_name: &str) -> String {
    if kind == UploadKind::Image && INLINE_IMAGE_TYPES.contains(&content_type) {
        return "inline".to_owned();
    }
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | '%') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub use super::declared::{Declared, MAX_DURATION_MS, MAX_VIDEO_SIDE};

/// The signature of a download URL: HMAC-SHA256 over (file id, user, expiry), base64url.
pub fn url_signature(
    key: &[u8],
    file: FileId,
    user: UserId,
    expires: i64,
) -> Result<String, ApiError> {
    let tag = url_mac(key, file, user, expires)?.finalize().into_bytes();
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag))
}

/// Whether `sig` is the signature of (file, user, expiry), compared in constant time.
pub fn url_signature_ok(key: &[u8], file: FileId, user: UserId, expires: i64, sig: &str) -> bool {
    let Ok(raw) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    url_mac(key, file, user, expires).is_ok_and(|mac| mac.verify_slice(&raw).is_ok())
}

fn url_mac(key: &[u8], file: FileId, user: UserId, expires: i64) -> Result<Hmac<Sha256>, ApiError> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|_| ApiError::internal(anyhow::anyhow!("HMAC refused the URL key")))?;
    // NUL separators: no field can contain one, so no two tuples sign the same bytes.
    mac.update(format!("confab-file-url\0v1\0{file}\0{user}\0{expires}").as_bytes());
    Ok(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_metadata_only() {
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("..\\..\\boot.ini")), "boot.ini");
        assert_eq!(clean_file_name(Some("a\0b\r\n.png")), "ab.png");
        assert_eq!(clean_file_name(Some("evil\u{202e}gnp.exe")), "evilgnp.exe");
        assert_eq!(
            clean_file_name(Some("%2e%2e%2fetc%2fpasswd")),
            "%2e%2e%2fetc%2fpasswd"
        );
        assert_eq!(clean_file_name(Some("..")), "file");
        // Found by the `file_name` fuzz target: alternating trailing dots and spaces.
        assert_eq!(clean_file_name(Some("evil.exe. .")), "evil.exe");
        assert_eq!(clean_file_name(Some(" . a.txt .\u{3000}.")), "a.txt");
        assert!(check_file_name(&clean_file_name(Some("evil.exe. . ."))).is_err());
        assert_eq!(clean_file_name(None), "file");
        assert_eq!(clean_file_name(Some(&"x".repeat(999))).len(), 255);
        assert!(check_file_name("report.pdf").is_ok());
        assert!(check_file_name("no-extension").is_ok());
        for bad in [
            "setup.exe",
            "x.HTML",
            "a.svg",
            "run.sh",
            "evilgnp.exe",
            "p.ps1 ",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn types_come_from_the_bytes_and_fit_a_kind() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(classify(png, None), Ok(("image/png", Image)));
        assert_eq!(classify(png, Some(File)), Ok(("image/png", File)));
        assert!(classify(png, Some(Video)).is_err());
        let mp4 = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2";
        assert_eq!(classify(mp4, None), Ok(("video/mp4", Video)));
        assert_eq!(classify(mp4, Some(Audio)), Ok(("video/mp4", Audio)));
        assert_eq!(
            classify(b"ID3\x04\0\0\0\0\0\0", None),
            Ok(("audio/mpeg", Audio))
        );
        assert_eq!(classify(b"%PDF-1.7\n", None), Ok(("application/pdf", File)));
        assert!(classify(b"%PDF-1.7\n", Some(Image)).is_err());
        assert_eq!(classify(b"a,b\n1,2\n", None), Ok((PLAIN_TEXT, File)));
        assert_eq!(
            classify(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2], None),
            Ok((OCTET_STREAM, File))
        );
        for active in [
            &b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"[..],
            b"<html><script>alert(1)</script>",
            b"  <!DOCTYPE html><p>hi",
            b"\xef\xbb\xbf<?xml version='1.0'?>",
            b"#!/bin/sh\nrm -rf /\n",
            b"hello <script>alert(1)</script>",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff",
            b"\x7fELF\x02\x01\x01\0",
            b"",
        ] {
            assert!(classify(active, Some(File)).is_err(), "{active:?}");
        }
    }

    #[test]
    fn declared_metadata_is_bounded_and_fits_the_kind() {
        let mut d = Declared::default();
        d.set("duration_ms", "1500").unwrap();
        d.set("width", "1280").unwrap();
        d.set("height", "720").unwrap();
        d.check_for(Video).unwrap();
        assert!(d.check_for(Audio).is_err(), "width on audio");
        assert!(d.check_for(Image).is_err());
        assert!(d.set("width", "5").is_err(), "twice");
        for bad in ["0", "-1", "1e3", "99999999999999999999", "", "86400001"] {
            assert!(
                Declared::default().set("duration_ms", bad).is_err(),
                "{bad}"
            );
        }
        assert!(Declared::default().set("width", "16385").is_err());
        assert!(Declared::default().set("kind", "exe").is_err());
        let mut half = Declared::default();
        half.set("width", "10").unwrap();
        assert!(half.check_for(Video).is_err());
    }

    #[test]
    fn signatures_bind_file_user_and_expiry() {
        let key = b"k".repeat(32);
        let sig = url_signature(&key, FileId(1), UserId(2), 1000).unwrap();
        assert!(url_signature_ok(&key, FileId(1), UserId(2), 1000, &sig));
        assert!(!url_signature_ok(&key, FileId(3), UserId(2), 1000, &sig));
        assert!(!url_signature_ok(&key, FileId(1), UserId(4), 1000, &sig));
        assert!(!url_signature_ok(&key, FileId(1), UserId(2), 1001, &sig));
        assert!(!url_signature_ok(
            b"other",
            FileId(1),
            UserId(2),
            1000,
            &sig
        ));
        assert!(!url_signature_ok(&key, FileId(1), UserId(2), 1000, "!!"));
    }

    #[test]
    fn only_decoded_inline_images_are_inline() {
        assert_eq!(
            disposition(UploadKind::Image, "image/png", "a.png"),
            "inline"
        );
        assert!(disposition(UploadKind::File, "image/png", "a.png").starts_with("attachment"));
        let d = disposition(UploadKind::File, "application/pdf", "résumé \"x\".pdf");
        assert_eq!(
            d,
            "attachment; filename=\"r_sum_ _x_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22x%22.pdf"
        );
    }
}

//! What the client declares about an upload: the multipart text parts that come before the
//! file (`kind`, `duration_ms`, `width`, `height`), each bounded, and whether they fit the
//! kind the bytes were sniffed as.

use super::model::UploadKind::{self, Audio, Video};
use crate::error::ApiError;

/// What the client declared about an upload (multipart text parts before the file).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Declared {
    /// `kind`: what the upload is for.
    pub kind: Option<UploadKind>,
    /// `duration_ms`: for audio and video.
    pub duration_ms: Option<i64>,
    /// `width`: for video.
    pub width: Option<i32>,
    /// `height`: for video.
    pub height: Option<i32>,
}

/// The longest declared duration: a day.
pub const MAX_DURATION_MS: i64 = 24 * 3600 * 1000;
/// The largest declared video side.
pub const MAX_VIDEO_SIDE: i32 = 16_384;

impl Declared {
    /// Records one text part; `name` is one of `kind`, `duration_ms`, `width`, `height`.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ApiError> {
        let value = value.trim();
        let int = |field: &'static str, max: i64| -> Result<i64, ApiError> {
            match value.parse::<i64>() {
                Ok(v) if (1..=max).contains(&v) => Ok(v),
                _ => Err(ApiError::invalid(
                    field,
                    format!("{field}: a whole number from 1 to {max}"),
                )),
            }
        };
        let side = |field: &'static str| -> Result<Option<i32>, ApiError> {
            let v = int(field, i64::from(MAX_VIDEO_SIDE))?;
            Ok(i32::try_from(v).ok())
        };
        let dup = |field: &'static str| ApiError::invalid(field, format!("{field}: given twice"));
        match name {
            "kind" => {
                if self.kind.is_some() {
                    return Err(dup("kind"));
                }
                self.kind = Some(UploadKind::parse(value).ok_or_else(|| {
                    ApiError::invalid("kind", "kind: image, video, audio or file")
                })?);
            }
            "duration_ms" => {
                if self.duration_ms.is_some() {
                    return Err(dup("duration_ms"));
                }
                self.duration_ms = Some(int("duration_ms", MAX_DURATION_MS)?);
            }
            "width" => {
                if self.width.is_some() {
                    return Err(dup("width"));
                }
                self.width = side("width")?;
            }
            "height" => {
                if self.height.is_some() {
                    return Err(dup("height"));
                }
                self.height = side("height")?;
            }
            _ => return Err(ApiError::invalid("file", "unknown part")),
        }
        Ok(())
    }

    /// Checks the declared metadata fits the kind the upload turned out to be.
    pub fn check_for(&self, kind: UploadKind) -> Result<(), ApiError> {
        if self.duration_ms.is_some() && !matches!(kind, Video | Audio) {
            return Err(ApiError::invalid(
                "duration_ms",
                format!("duration_ms is for audio and video, not {}", kind.as_str()),
            ));
        }
        if self.width.is_some() || self.height.is_some() {
            if kind != Video {
                return Err(ApiError::invalid(
                    "width",
                    format!(
                        "width and height are declared for video only (images are measured), not {}",
                        kind.as_str()
                    ),
                ));
            }
            if self.width.is_none() || self.height.is_none() {
                return Err(ApiError::invalid("width", "give both width and height"));
            }
        }
        Ok(())
    }
}

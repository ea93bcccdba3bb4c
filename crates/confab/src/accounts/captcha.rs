//! Image captchas asked before a code is sent (`codes.captcha_required`): a few characters
//! drawn into a noisy PNG. The answer is kept only as a hash in the cache, bound to its id,
//! for [`TTL`]; it is taken out on the first answer, right or wrong, so each captcha gets
//! exactly one guess.
//!
//! Rendered here with `image` (already a dependency, for uploads) and a built-in 5×7 font
//! rather than a captcha crate: the one well-known crate (`captcha`) pulls a second copy of
//! `image` (0.24) plus `lodepng` and an old `base64`. This is a speed bump against bulk code
//! requests, not a defence against a determined OCR; the per-target and per-IP limits in
//! [`super::codes::throttle`] are what bound abuse.

use std::io::Cursor;
use std::time::Duration;

use base64::Engine;
use confab_proto::codes::CaptchaOut;
use image::{ImageFormat, Rgb, RgbImage};
use rand::Rng;
use subtle::ConstantTimeEq;

use super::error::AccountsError;
use super::tokens::hash_secret;
use crate::error::ApiError;
use crate::state::AppState;

/// How long a captcha can be answered.
pub const TTL: Duration = Duration::from_secs(120);
/// Characters per captcha.
const LEN: usize = 5;
/// Image size.
const WIDTH: u32 = 160;
const HEIGHT: u32 = 60;
/// Pixels per font cell.
const SCALE: i32 = 5;

/// Characters that cannot be mistaken for one another (no 0/O, 1/I/L, 8/B, S/5…).
const ALPHABET: &[u8] = b"2345679ACEFHKMNPRTUWXY";

/// A 5×7 bitmap per character of [`ALPHABET`], one row per string, `#` = ink.
fn glyph(c: u8) -> [&'static str; 7] {
    match c {
        b'2' => [
            ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####",
        ],
        b'3' => [
            "####.", "....#", "....#", ".###.", "....#", "....#", "####.",
        ],
        b'4' => [
            "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#.",
        ],
        b'5' => [
            "#####", "#....", "####.", "....#", "....#", "#...#", ".###.",
        ],
        b'6' => [
            "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###.",
        ],
        b'7' => [
            "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#...",
        ],
        b'9' => [
            ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##..",
        ],
        b'A' => [
            ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ],
        b'C' => [
            ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###.",
        ],
        b'E' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#####",
        ],
        b'F' => [
            "#####", "#....", "#....", "####.", "#....", "#....", "#....",
        ],
        b'H' => [
            "#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#",
        ],
        b'K' => [
            "#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#",
        ],
        b'M' => [
            "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#",
        ],
        b'N' => [
            "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#", "#...#",
        ],
        b'P' => [
            "####.", "#...#", "#...#", "####.", "#....", "#....", "#....",
        ],
        b'R' => [
            "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#",
        ],
        b'T' => [
            "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#..",
        ],
        b'U' => [
            "#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###.",
        ],
        b'W' => [
            "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "##.##", "#...#",
        ],
        b'X' => [
            "#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#",
        ],
        _ => [
            "#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#..",
        ], // Y
    }
}

fn key(id: &str) -> String {
    format!("captcha:{id}")
}

fn digest(id: &str, answer: &str) -> String {
    hash_secret(&format!("{id}:{}", answer.trim().to_ascii_uppercase()))
}

/// A random answer from [`ALPHABET`].
fn answer(rng: &mut impl Rng) -> String {
    (0..LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

fn put(img: &mut RgbImage, x: i32, y: i32, c: Rgb<u8>) {
    if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y))
        && x < WIDTH
        && y < HEIGHT
    {
        img.put_pixel(x, y, c);
    }
}

fn dark(rng: &mut impl Rng) -> Rgb<u8> {
    Rgb([
        rng.random_range(0..110),
        rng.random_range(0..110),
        rng.random_range(0..110),
    ])
}

/// Draws `text` with per-character offset, slant and colour, then crossing lines and
/// speckles, and encodes it as PNG.
fn render(text: &str, rng: &mut impl Rng) -> Result<Vec<u8>, image::ImageError> {
    let mut img = RgbImage::from_fn(WIDTH, HEIGHT, |_, _| {
        let v = rng.random_range(215..=255);
        Rgb([v, v, rng.random_range(215..=255)])
    });
    let cell_w = (WIDTH as i32 - 10) / LEN as i32;
    for (i, c) in text.bytes().enumerate() {
        let color = dark(rng);
        let x0 = 6 + i as i32 * cell_w + rng.random_range(-3..=3);
        let y0 = rng.random_range(4..=HEIGHT as i32 - 7 * SCALE - 4);
        // Slant: each row shifts horizontally by `slant / 4` pixels.
        let slant = rng.random_range(-4..=4);
        for (row, line) in glyph(c).iter().enumerate() {
            let row = row as i32;
            for (col, ink) in line.bytes().enumerate() {
                if ink != b'#' {
                    continue;
                }
                let col = col as i32;
                for dy in 0..SCALE {
                    let y = y0 + row * SCALE + dy;
                    let shift = (y - y0) * slant / 4 / SCALE;
                    for dx in 0..SCALE {
                        put(&mut img, x0 + col * SCALE + dx + shift, y, color);
                    }
                }
            }
        }
    }
    for _ in 0..4 {
        let color = dark(rng);
        let (mut x, mut y) = (0f32, rng.random_range(0..HEIGHT) as f32);
        let (x1, y1) = (WIDTH as f32, rng.random_range(0..HEIGHT) as f32);
        let steps = WIDTH as usize;
        let dy = (y1 - y) / steps as f32;
        let wobble = rng.random_range(0.0..6.0f32);
        for s in 0..steps {
            let w = (s as f32 / 9.0).sin() * wobble;
            put(&mut img, x as i32, (y + w) as i32, color);
            put(&mut img, x as i32, (y + w) as i32 + 1, color);
            x += (x1 - x) / (steps - s) as f32;
            y += dy;
        }
    }
    for _ in 0..(WIDTH * HEIGHT / 12) {
        let x = rng.random_range(0..WIDTH) as i32;
        let y = rng.random_range(0..HEIGHT) as i32;
        let c = if rng.random_bool(0.5) {
            dark(rng)
        } else {
            Rgb([255, 255, 255])
        };
        put(&mut img, x, y, c);
    }
    let mut png = Cursor::new(Vec::new());
    img.write_to(&mut png, ImageFormat::Png)?;
    Ok(png.into_inner())
}

/// A new captcha: its id, its picture, its lifetime.
pub async fn create(state: &AppState) -> Result<CaptchaOut, ApiError> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let text = answer(&mut rand::rng());
    let png = tokio::task::spawn_blocking({
        let text = text.clone();
        move || render(&text, &mut rand::rng())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    remember(state, &id, &text).await?;
    Ok(CaptchaOut {
        captcha_id: id,
        image: format!(
            "data:image/png;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(png)
        ),
        expires_in: TTL.as_secs(),
    })
}

/// Stores the answer of captcha `id` (hashed), replacing any earlier one. [`create`] uses
/// it; tests use it to set an answer they know, since they cannot read the picture.
pub async fn remember(state: &AppState, id: &str, answer: &str) -> Result<(), ApiError> {
    state
        .cache
        .set(&key(id), digest(id, answer).as_bytes(), TTL)
        .await?;
    Ok(())
}

/// Checks an answer and uses the captcha up, whatever the outcome.
pub async fn verify(
    state: &AppState,
    id: Option<&str>,
    given: Option<&str>,
) -> Result<(), ApiError> {
    let (Some(id), Some(given)) = (id, given) else {
        return Err(AccountsError::CaptchaRequired.into());
    };
    if id.len() > 64 || given.len() > 16 {
        return Err(AccountsError::CaptchaInvalid.into());
    }
    let Some(stored) = state.cache.take(&key(id)).await? else {
        return Err(AccountsError::CaptchaInvalid.into());
    };
    if bool::from(digest(id, given).as_bytes().ct_eq(&stored)) {
        Ok(())
    } else {
        Err(AccountsError::CaptchaInvalid.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_has_a_distinct_glyph() {
        let mut seen = std::collections::HashSet::new();
        for &c in ALPHABET {
            let g = glyph(c);
            assert!(g.iter().all(|r| r.len() == 5), "{}", c as char);
            assert!(seen.insert(g), "{} duplicates another glyph", c as char);
        }
    }

    #[test]
    fn renders_a_png_of_the_right_size() {
        let mut rng = rand::rng();
        let text = answer(&mut rng);
        assert_eq!(text.len(), LEN);
        let png = render(&text, &mut rng).unwrap();
        let img = image::load_from_memory_with_format(&png, ImageFormat::Png).unwrap();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
    }

    #[test]
    fn answers_are_case_insensitive_and_bound_to_the_id() {
        assert_eq!(digest("a", "x7k"), digest("a", " X7K "));
        assert_ne!(digest("a", "X7K"), digest("b", "X7K"));
    }
}

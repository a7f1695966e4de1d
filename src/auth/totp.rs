//! Two-factor sign-in with an authenticator app: TOTP (RFC 6238, HMAC-SHA1,
//! 6 digits, 30-second steps, one step of drift either way) and the
//! single-use recovery codes that stand in for a lost phone.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
pub const RECOVERY_CODES: usize = 10;

/// A new shared secret, base32 as authenticator apps expect it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base32(&bytes)
}

/// The code for one time step (RFC 4226 section 5.3, over RFC 6238 steps).
fn code_at(secret: &[u8], step: i64) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    Some(binary % 10u32.pow(DIGITS))
}

/// The time step of a code that matches, if any, within one step of `unix_time`.
/// Steps at or before `last_used` are refused, so a code cannot be replayed.
pub fn verify(secret_b32: &str, code: &str, unix_time: i64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim().replace([' ', '-'], "");
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let secret = from_base32(secret_b32)?;
    let now = unix_time.div_euclid(STEP_SECS);
    (now - 1..=now + 1)
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| code_at(&secret, *step) == Some(wanted))
}

/// The current code, for tests and for nothing else.
pub fn current_code(secret_b32: &str, unix_time: i64) -> Option<String> {
    let secret = from_base32(secret_b32)?;
    code_at(&secret, unix_time.div_euclid(STEP_SECS)).map(|c| format!("{c:06}"))
}

/// The otpauth:// address an authenticator app reads from the QR code.
pub fn otpauth_url(secret_b32: &str, account: &str) -> String {
    format!(
        "otpauth://totp/safelog:{}?secret={secret_b32}&issuer=safelog&algorithm=SHA1&digits=6&period=30",
        percent_encode(account)
    )
}

/// The QR code of `text` as an SVG data URL for an `img` (no inline markup).
pub fn qr_data_url(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

/// Ten codes like `7KQ4-M2XP-9D3F`, easy to read aloud and type.
pub fn new_recovery_codes() -> Vec<String> {
    // No 0/O or 1/I: these get read back from paper.
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .map(|_| ALPHABET[(rng.next_u32() as usize) % ALPHABET.len()] as char)
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// How a typed recovery code is compared: case, spaces and dashes ignored.
pub fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(B32[((buffer >> (bits - 5)) & 31) as usize] as char);
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(B32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| *c != '=' && !c.is_whitespace()) {
        let v = B32
            .iter()
            .position(|x| *x as char == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, secret "12345678901234567890" (last 6 digits).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = base32(b"12345678901234567890");
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(current_code(&secret, time).unwrap(), code, "t={time}");
            assert!(verify(&secret, code, time, None).is_some());
        }
    }

    #[test]
    fn a_used_step_cannot_be_replayed_and_wrong_codes_fail() {
        let secret = new_secret();
        let code = current_code(&secret, 1_000_000).unwrap();
        let step = verify(&secret, &code, 1_000_000, None).unwrap();
        assert_eq!(verify(&secret, &code, 1_000_000, Some(step)), None);
        assert_eq!(verify(&secret, "12345", 1_000_000, None), None);
        let far = current_code(&secret, 1_000_000 + 300).unwrap();
        assert_eq!(verify(&secret, &far, 1_000_000, None), None);
    }

    #[test]
    fn base32_round_trips_and_recovery_codes_are_distinct() {
        let bytes = b"any bytes at all\x00\xff";
        assert_eq!(from_base32(&base32(bytes)).unwrap(), bytes);
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 14);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(normalise_recovery_code(" 7kq4 m2xp-9d3f "), "7KQ4M2XP9D3F");
    }
}

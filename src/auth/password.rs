//! Password hashing (argon2id) and the rules a new password must meet.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

pub const MIN_LENGTH: usize = 12;
const MAX_LENGTH: usize = 512;

/// Hashes with argon2id and a fresh salt.
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// True when `password` matches `stored`. A malformed stored hash matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies against a hash of nothing in particular, so that an unknown
/// email takes as long to refuse as a wrong password.
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("safelog-timing-equaliser").unwrap_or_default());
    let _ = verify(password, stored);
}

/// Why a new password is refused, said so that the person can fix it.
pub fn check_new(password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err("Use at least 12 characters. A short sentence you will remember works well.");
    }
    if length > MAX_LENGTH {
        return Err("Use at most 512 characters.");
    }
    if is_common(password) {
        return Err("That password is one of the most commonly used, so it is easy to guess. Choose another.");
    }
    Ok(())
}

/// Checks a new password typed twice, putting any problem beside `field`
/// (or `confirm_field` when the two differ).
pub fn check_new_pair(
    errors: &mut crate::forms::FieldErrors,
    field: &'static str,
    confirm_field: &'static str,
    password: &str,
    confirm: &str,
) {
    if let Err(why) = check_new(password) {
        errors.add(field, why);
    } else if password != confirm {
        errors.add(
            confirm_field,
            "The two passwords are different. Type the same one twice.",
        );
    }
}

/// The stems of the passwords that leaked lists show most often. A password
/// made of one of them plus digits and punctuation ("Password1234!") is refused,
/// and so is one character or a keyboard run repeated.
const COMMON_STEMS: &[&str] = &[
    "password",
    "passw0rd",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "abc",
    "abcdef",
    "abcdefghijkl",
    "football",
    "baseball",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "superman",
    "batman",
    "trustno",
    "whatever",
    "starwars",
    "liverpool",
    "arsenal",
    "chelsea",
    "manchester",
    "school",
    "teacher",
    "safeguarding",
    "safelog",
    "changeme",
    "secret",
    "login",
    "computer",
    "internet",
    "summer",
    "winter",
    "autumn",
    "spring",
    "london",
    "england",
    "qazwsx",
    "pokemon",
    "charlie",
    "michael",
    "jennifer",
    "jessica",
    "hello",
    "freedom",
    "mustang",
    "access",
    "flower",
    "cookie",
];

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    let rest_is_filler = lower
        .chars()
        .all(|c| c.is_alphabetic() || c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ');
    if letters.is_empty() {
        // Only digits and symbols: common when it is a run or a repeat.
        return is_run_or_repeat(&lower);
    }
    if rest_is_filler
        && COMMON_STEMS
            .iter()
            .any(|stem| letters == *stem || is_repeat_of(&letters, stem))
    {
        return true;
    }
    is_run_or_repeat(&lower)
}

fn is_repeat_of(text: &str, stem: &str) -> bool {
    !stem.is_empty()
        && text.len().is_multiple_of(stem.len())
        && text == stem.repeat(text.len() / stem.len())
}

/// "aaaaaaaaaaaa", "123412341234", "123456789012", "abcabcabcabc".
fn is_run_or_repeat(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    for unit in 1..=4 {
        if chars.len() >= unit * 2 && chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit]) {
            return true;
        }
    }
    let ascending = chars.windows(2).all(|w| {
        let (a, b) = (w[0] as u32, w[1] as u32);
        b == a + 1 || (w[0] == '9' && w[1] == '0')
    });
    ascending
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterz", &h));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn short_and_common_passwords_are_refused_with_a_reason() {
        assert!(check_new("short").unwrap_err().contains("12 characters"));
        for common in [
            "Password1234!",
            "password1234",
            "qwerty123456",
            "111111111111",
            "123456789012",
            "iloveyou2024",
            "Welcome12345",
            "abcabcabcabc",
            "passwordpassword",
        ] {
            assert!(check_new(common).is_err(), "{common} should be refused");
        }
        for fine in [
            "tea kettle on the windowsill",
            "Zoë's 3 pet rabbits",
            "correct horse battery",
        ] {
            assert!(check_new(fine).is_ok(), "{fine} should be accepted");
        }
    }
}

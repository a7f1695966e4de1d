//! Which characters safelog stores in text, and the guard that keeps the
//! rest out of every API request before a handler sees it.
//!
//! A pasted text can carry control characters nobody sees: a NUL (which
//! PostgreSQL cannot store at all, and SQLite stores silently, so the two
//! would differ), the other C0 controls and DEL (terminal escapes, form
//! feeds), and the C1 controls U+0080 to U+009F. C1 is refused too: no
//! keyboard or correctly decoded paste produces it (it is what Windows-1252
//! quotes become when mis-read as Latin-1, so the text is already wrong),
//! U+0085 is a line break to some tools and not to others, and U+009B is a
//! terminal escape. Tab, line feed and carriage return are kept where text
//! may run over several lines. Forms check their own fields (so the message
//! sits beside the field and the typed text comes back); [`guard`] refuses
//! any API query parameter or JSON string that holds one, naming the field,
//! so no field a parser forgot can reach the database.

use std::collections::BTreeMap;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::web;

use crate::error::{self, ApiError, AppError};

/// Whether `c` may not be stored; `multi_line` keeps tab, LF and CR.
pub fn refused(c: char, multi_line: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => !multi_line,
        c => c.is_control(),
    }
}

/// The first refused character of `value`, as a person is told it.
pub fn first_refused(value: &str, multi_line: bool) -> Option<String> {
    value
        .chars()
        .find(|c| refused(*c, multi_line))
        .map(|c| format!("U+{:04X}", u32::from(c)))
}

/// What to tell a person whose text holds a refused character.
pub fn message(code: &str, label: &str) -> String {
    format!(
        "Remove the invisible control character ({code}) from {label}: it cannot be stored. Retyping the text removes it."
    )
}

/// Every string in a JSON body that holds a refused character, by the
/// API's field names (`other_pupils[1].name`).
pub fn json_problems(value: &serde_json::Value) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    walk(value, String::new(), &mut found);
    found
}

fn walk(value: &serde_json::Value, at: String, found: &mut BTreeMap<String, String>) {
    match value {
        serde_json::Value::String(s) => {
            if let Some(code) = first_refused(s, true) {
                let name = if at.is_empty() { "body".into() } else { at };
                found.insert(name, message(&code, "this field"));
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, format!("{at}[{i}]"), found);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let name = if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                };
                walk(v, name, found);
            }
        }
        _ => {}
    }
}

fn query_problems(query: &str) -> BTreeMap<String, String> {
    let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default();
    pairs
        .into_iter()
        .filter_map(|(k, v)| {
            let code = first_refused(&v, true)?;
            let name: String = k.chars().filter(|c| !c.is_control()).take(60).collect();
            Some((name, message(&code, "this parameter")))
        })
        .collect()
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"))
}

/// Refuses a request whose query string (any route) or JSON body (under
/// `/api/`) holds a refused character: 422 with the fields named, before
/// anything is read from or written to the database.
pub async fn guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let mut problems = query_problems(req.query_string());
    let api = error::is_api(req.path());
    // A monitoring tool's alert is checked field by field by its parser
    // (`monitoring::ingest`), and the fields beyond the documented ones are
    // kept as the tool sent them, stored as escaped JSON: a control
    // character a tool put in one of those must not lose the alert.
    let own_checks = req.path() == "/api/v1/monitoring/alerts";
    if problems.is_empty() && api && is_json(&req) && !own_checks {
        // The body limit applies here first: answer it as the API answers
        // an oversized body (JSON 413), not with actix's plain text.
        let Ok(body) = req.extract::<web::Bytes>().await else {
            let refusal: actix_web::Error = ApiError(AppError::TooLarge).into();
            return Ok(req.error_response(refusal));
        };
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body) {
            problems = json_problems(&value);
        }
        req.set_payload(payload_of(body));
    }
    if problems.is_empty() {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let refusal: actix_web::Error = if api {
        ApiError(AppError::InvalidFields(problems)).into()
    } else {
        let named: Vec<String> = problems
            .keys()
            .map(|k| format!("\u{201c}{k}\u{201d}"))
            .collect();
        AppError::Invalid(format!(
            "The address holds an invisible control character in {}, so nothing was done. Remove it and try again.",
            named.join(", ")
        ))
        .into()
    };
    Ok(req.error_response(refusal))
}

fn payload_of(bytes: web::Bytes) -> actix_web::dev::Payload {
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(bytes);
    actix_web::dev::Payload::from(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_line_breaks_kept_where_text_runs_on() {
        for c in [
            '\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}',
        ] {
            assert!(refused(c, true), "{c:?}");
            assert!(refused(c, false), "{c:?}");
        }
        for c in ['\t', '\n', '\r'] {
            assert!(!refused(c, true));
            assert!(refused(c, false));
        }
        for c in ['a', 'ë', ' ', '\u{a0}', '\u{200b}', '\u{feff}', '😀'] {
            assert!(!refused(c, false), "{c:?}");
        }
        assert_eq!(first_refused("a\u{0}b", true).as_deref(), Some("U+0000"));
        assert_eq!(first_refused("line\r\nnext\ttab", true), None);
    }

    #[test]
    fn a_json_body_names_each_field_that_holds_one() {
        let body = serde_json::json!({
            "details": "x\u{0}",
            "platform": "fine",
            "other_pupils": [{"name": "ok"}, {"name": "\u{7f}"}],
            "child_at_risk": true,
        });
        let found = json_problems(&body);
        assert_eq!(
            found.keys().collect::<Vec<_>>(),
            ["details", "other_pupils[1].name"]
        );
        assert!(found["details"].contains("U+0000"));
    }
}

//! `POST /api/v1/monitoring/alerts`: a monitoring tool posts an alert with
//! the school's ingestion key. The key decides the school and the source;
//! nothing in the body can name another. A retry of the same tool alert
//! finds the first (200); a new one is stored (201). Fields the API does
//! not know are kept beside the alert, never refused. A critical alert
//! alerts the school's DSLs at once, as an urgent incident does.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime};
use serde_json::{json, Map, Value};

use super::model::{Alert, Severity};
use super::store::{self, LiveKey, NewAlert};
use crate::audit::{self, Event};
use crate::auth::session::{bearer, client_ip};
use crate::auth::tokens::digest;
use crate::db::dialect::write_transaction;
use crate::db::AnyConnection;
use crate::error::{ApiError, AppError};
use crate::forms::{FieldErrors, ONE_LINE_MAX};
use crate::state::AppState;

pub const KEY_REFUSED: &str = "Send this school's monitoring ingestion key as Authorization: Bearer KEY. The key given is not one, or it has been revoked.";

/// The fields the API reads; anything else is kept as it came.
const KNOWN: [&str; 9] = [
    "alert_id",
    "occurred_at",
    "severity",
    "device",
    "account",
    "pupil",
    "category",
    "text",
    "url",
];

/// The longest alert text kept, as for an incident's details.
pub const MAX_TEXT: usize = 20_000;
const MAX_URL: usize = 2_000;
const MAX_EXTRA: usize = 20_000;

/// An alert as posted, checked.
#[derive(Debug)]
pub struct Posted {
    pub alert_id: String,
    pub occurred_at: Option<NaiveDateTime>,
    pub severity: String,
    pub device: Option<String>,
    pub account: Option<String>,
    pub pupil: Option<String>,
    pub category: Option<String>,
    pub text: Option<String>,
    pub url: Option<String>,
    pub extra: Option<String>,
}

/// A string field, or None when absent or null; a field error for any
/// other JSON type or a control character a one-line field may not hold.
fn text_field(
    obj: &Map<String, Value>,
    errors: &mut FieldErrors,
    field: &'static str,
    max: usize,
    multi_line: bool,
) -> Option<String> {
    let v = match obj.get(field) {
        None | Some(Value::Null) => return None,
        Some(Value::String(s)) => s.trim().to_string(),
        // A number is a fair way to send an id or a level: kept as text.
        Some(Value::Number(n))
            if matches!(field, "alert_id" | "severity" | "pupil" | "account") =>
        {
            n.to_string()
        }
        Some(_) => {
            errors.add(
                field,
                format!("Send {field} as a string (or leave it out)."),
            );
            return None;
        }
    };
    if v.chars().count() > max {
        errors.add(field, format!("Keep {field} to {max} characters or fewer."));
    }
    crate::forms::plain(errors, field, &v, field, multi_line);
    (!v.is_empty()).then_some(v)
}

pub fn parse(body: &Value) -> Result<Posted, FieldErrors> {
    let mut errors = FieldErrors::default();
    let Some(obj) = body.as_object() else {
        errors.add("body", "Send the alert as a JSON object.");
        return Err(errors);
    };
    let alert_id = text_field(obj, &mut errors, "alert_id", ONE_LINE_MAX, false);
    if alert_id.is_none() && errors.get("alert_id").is_none() {
        errors.add("alert_id", "Send alert_id: the monitoring tool's own id for this alert, so that a retry is not stored twice.");
    }
    let severity = text_field(obj, &mut errors, "severity", 60, false);
    if severity.is_none() && errors.get("severity").is_none() {
        errors.add("severity", "Send severity: the tool's own level for this alert (the school maps it to low, medium, high or critical).");
    }
    let occurred_at = text_field(obj, &mut errors, "occurred_at", 60, false).and_then(|s| {
        match DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(t.naive_utc()),
            Err(_) => {
                errors.add(
                    "occurred_at",
                    "Send occurred_at as an RFC 3339 time with its offset, for example 2026-12-13T10:15:00Z.",
                );
                None
            }
        }
    });
    let device = text_field(obj, &mut errors, "device", ONE_LINE_MAX, false);
    let account = text_field(obj, &mut errors, "account", ONE_LINE_MAX, false);
    let pupil = text_field(obj, &mut errors, "pupil", ONE_LINE_MAX, false);
    let category = text_field(obj, &mut errors, "category", ONE_LINE_MAX, false);
    let text = text_field(obj, &mut errors, "text", MAX_TEXT, true);
    let url = text_field(obj, &mut errors, "url", MAX_URL, false);
    let rest: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let extra = (!rest.is_empty()).then(|| Value::Object(rest).to_string());
    if extra.as_ref().is_some_and(|e| e.len() > MAX_EXTRA) {
        errors.add(
            "body",
            format!("The fields beyond the documented ones come to more than {MAX_EXTRA} characters: send less."),
        );
    }
    errors.into_result()?;
    Ok(Posted {
        alert_id: alert_id.unwrap_or_default(),
        occurred_at,
        severity: severity.unwrap_or_default(),
        device,
        account,
        pupil,
        category,
        text,
        url,
        extra,
    })
}

/// What storing did.
pub enum Stored {
    Created(Alert),
    /// The same tool alert again: the one stored first.
    Existing(Alert),
}

/// Stores `p` for the key's school, or finds the alert it repeats.
pub fn store(
    conn: &mut AnyConnection,
    key: &LiveKey,
    p: &Posted,
    ip: &str,
    now: NaiveDateTime,
) -> Result<Stored, AppError> {
    let attempt = write_transaction(conn, |conn| {
        if let Some(a) = store::by_tool_id(conn, &key.school_id, &key.source_key, &p.alert_id)? {
            return Ok::<_, AppError>(Stored::Existing(a));
        }
        let severity = store::map_severity(conn, &key.school_id, &key.source_key, &p.severity)?;
        // Matched to the roll by the identifier the tool knows the pupil
        // by (their UPN); otherwise the text is kept for the DSL to match.
        let mut pupil_id = None;
        for ident in [&p.pupil, &p.account].into_iter().flatten() {
            pupil_id = store::pupil_by_identifier(conn, &key.school_id, ident)?;
            if pupil_id.is_some() {
                break;
            }
        }
        let id = store::insert_alert(
            conn,
            &NewAlert {
                school_id: &key.school_id,
                key_id: &key.id,
                source: &key.source,
                source_key: &key.source_key,
                tool_alert_id: &p.alert_id,
                occurred_at: p.occurred_at,
                tool_severity: &p.severity,
                severity,
                device: p.device.as_deref(),
                account: p.account.as_deref(),
                pupil_identifier: p.pupil.as_deref(),
                pupil_id: pupil_id.as_deref(),
                category_hint: p.category.as_deref(),
                text: p.text.as_deref(),
                url: p.url.as_deref(),
                extra: p.extra.as_deref(),
            },
            now,
        )?;
        audit::store::insert(
            conn,
            &Event::new("monitoring_alert_received", now)
                .school(&key.school_id)
                .record("monitoring_alert", &id)
                .ip(Some(ip))
                .detail(format!("severity {}", severity.as_str())),
        )?;
        if severity == Severity::Critical {
            super::alert_the_dsls(conn, &key.school_id, &id, now)?;
        }
        let a = store::get(conn, &key.school_id, &[], &id)?.ok_or(AppError::NotFound)?;
        Ok(Stored::Created(a))
    });
    match attempt {
        Ok(s) => Ok(s),
        // Two tries of one alert at once: the second insert meets the
        // unique index, and finds the first.
        Err(e) => match store::by_tool_id(conn, &key.school_id, &key.source_key, &p.alert_id) {
            Ok(Some(a)) => Ok(Stored::Existing(a)),
            _ => Err(e),
        },
    }
}

/// The receipt a tool gets: enough to match it up, none of the content.
fn receipt(a: &Alert, duplicate: bool) -> Value {
    json!({
        "id": a.id,
        "alert_id": a.tool_alert_id,
        "source": a.source,
        "severity": a.severity,
        "status": a.status,
        "received_at": a.received_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "duplicate": duplicate,
    })
}

pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let Some(key) = bearer(&req) else {
        return Err(AppError::Refused(KEY_REFUSED).into());
    };
    let hash = digest(&key);
    let found = crate::db::run(&state.pool, move |conn| {
        Ok(store::key_by_hash(conn, &hash)?)
    })
    .await?;
    let Some(key) = found else {
        return Err(AppError::Refused(KEY_REFUSED).into());
    };
    let posted = parse(&body).map_err(|e| ApiError(e.into_api_error()))?;
    let (ip, now) = (client_ip(&req), state.clock.now_naive());
    let stored = crate::db::run(&state.pool, move |conn| {
        store(conn, &key, &posted, &ip, now)
    })
    .await?;
    Ok(match stored {
        Stored::Created(a) => {
            state.mail.wake();
            HttpResponse::Created().json(receipt(&a, false))
        }
        Stored::Existing(a) => HttpResponse::Ok().json(receipt(&a, true)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_needs_its_id_and_severity_and_keeps_unknown_fields() {
        let e = parse(&json!({"text": "x"})).unwrap_err();
        assert!(e.get("alert_id").is_some() && e.get("severity").is_some());
        let p = parse(
            &json!({"alert_id": 7, "severity": "High", "vendor_score": 93,
                              "occurred_at": "2026-12-13T10:15:00+01:00"}),
        )
        .unwrap();
        assert_eq!(p.alert_id, "7");
        assert_eq!(p.extra.as_deref(), Some(r#"{"vendor_score":93}"#));
        assert_eq!(p.occurred_at.unwrap().format("%H:%M").to_string(), "09:15");
        let e = parse(
            &json!({"alert_id": "a", "severity": "1", "occurred_at": "yesterday",
                              "device": "pc\t1", "url": ["x"]}),
        )
        .unwrap_err();
        assert!(e.get("occurred_at").is_some());
        assert!(e.get("device").unwrap().contains("U+0009"));
        assert!(e.get("url").is_some());
    }
}

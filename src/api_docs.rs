//! `GET /api/v1/openapi.json`: the API described for client generators and
//! for people reading an error that points here. Written by hand beside the
//! handlers; a test checks that every `/api/v1` route in the route table is
//! in it.

use actix_web::HttpResponse;
use serde_json::{json, Value};

use crate::auth::{Access, Router};

pub fn routes(r: &mut Router<'_>) {
    r.get("/api/v1/openapi.json", Access::SignedIn, openapi);
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

fn op(summary: &str, body: Option<Value>, ok: &str) -> Value {
    let mut o = json!({
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {
            ok: {"description": "Success"},
            "401": {"description": "Not signed in", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "404": {"description": "No such record, or not yours to see", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            "422": {"description": "Invalid input: fields says what to fix", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
    });
    if let Some(schema) = body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    o
}

fn obj(props: &[(&str, &str)]) -> Value {
    let mut p = serde_json::Map::new();
    for (name, ty) in props {
        p.insert((*name).to_string(), json!({"type": ty}));
    }
    json!({"type": "object", "properties": p})
}

pub fn document() -> Value {
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let case = |summary: &str, body: Option<Value>| {
        let mut o = op(summary, body, "200");
        o["parameters"] = id.clone();
        json!({"post": o})
    };
    let incident_body = obj(&[
        ("pupil_name", "string"),
        ("tutor_group", "string"),
        ("incident_date", "string"),
        ("category", "string"),
        ("child_at_risk", "boolean"),
        ("details", "string"),
        ("actions_outcome", "string"),
        ("location", "string"),
        ("platform", "string"),
        ("other_pupils", "array"),
    ]);
    json!({
        "openapi": "3.0.3",
        "info": {"title": "safelog", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Online-safety incident log and case tracker. Get a token from /api/v1/auth/token and send it as Authorization: Bearer."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Error": obj(&[("error", "string"), ("message", "string"), ("fields", "object")]),
                "Incident": obj(&[
                    ("id", "string"), ("reference", "string"), ("pupil_name", "string"), ("tutor_group", "string"),
                    ("incident_date", "string"), ("details", "string"), ("actions_outcome", "string"), ("staff_initials", "string"),
                    ("lg_acknowledged", "boolean"), ("category", "string"), ("child_at_risk", "boolean"), ("location", "string"),
                    ("platform", "string"), ("status", "string"), ("owner_role", "string"), ("version", "integer"),
                ]),
            }
        },
        "paths": {
            "/api/v1/auth/token": {"post": {"summary": "Sign in: email, password and (with two-factor) totp; returns a bearer token",
                "requestBody": {"required": true, "content": {"application/json": {"schema": obj(&[("email", "string"), ("password", "string"), ("totp", "string")])}}},
                "responses": {"200": {"description": "token, token_type, expires_at"}, "401": {"description": "Refused"}, "429": {"description": "Too many attempts"}}}},
            "/api/v1/auth/logout": {"post": op("End this token's session", None, "204")},
            "/api/v1/me": {"get": op("Who the token belongs to", None, "200")},
            "/api/v1/openapi.json": {"get": op("This document", None, "200")},
            "/api/v1/categories": {"get": op("The school's categories", None, "200")},
            "/api/v1/pupils": {"get": op("Pupils matching ?q= (type-ahead)", None, "200")},
            "/api/v1/incidents": {
                "get": op("Incidents you may read: {items, total, page, per_page}; filters as query parameters", None, "200"),
                "post": op("Log an incident (Idempotency-Key header makes a retry safe)", Some(incident_body.clone()), "201"),
            },
            "/api/v1/incidents/{id}": {"get": {"parameters": id, "summary": "One incident with its timeline", "responses": {"200": {"description": "The incident", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Incident"}}}}, "404": {"description": "Not found or not yours"}}}},
            "/api/v1/incidents/{id}/corrections": case("Correct fields with a reason against a version (409 when stale)", Some(obj(&[("version", "integer"), ("reason", "string")]))),
            "/api/v1/incidents/{id}/notes": case("Add a note", Some(obj(&[("text", "string")]))),
            "/api/v1/incidents/{id}/entered-in-error": case("Mark entered in error (DSL, headteacher)", Some(obj(&[("reason", "string")]))),
            "/api/v1/incidents/{id}/take": case("Take ownership of the case", None),
            "/api/v1/incidents/{id}/assign": case("Assign the case to a lead", Some(obj(&[("user_id", "string")]))),
            "/api/v1/incidents/{id}/status": case("Change status with a reason; closing needs an outcome", Some(obj(&[("status", "string"), ("reason", "string"), ("outcome", "string")]))),
            "/api/v1/incidents/{id}/actions": case("Record an action", Some(obj(&[("text", "string")]))),
            "/api/v1/incidents/{id}/escalate": case("Escalate to the DSL", Some(obj(&[("reason", "string")]))),
            "/api/v1/incidents/{id}/referrals": case("Record a referral to an outside agency", Some(obj(&[("agency", "string"), ("date", "string"), ("reference", "string")]))),
            "/api/v1/incidents/{id}/acknowledge": case("Leadership acknowledgement (headteacher)", None),
            "/api/v1/reports/termly": {"get": op("A term's report for governors: ?year=2025&term=autumn", None, "200")},
            "/api/v1/export.csv": {"get": op("The log as CSV, with the list's filters", None, "200")},
        }
    })
}

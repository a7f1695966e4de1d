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

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn op(summary: &str, body: Option<Value>, ok: &str) -> Value {
    let mut o = json!({
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {
            ok: {"description": "Success"},
            "401": error_response("Not signed in"),
            "404": error_response("No such record, or not yours to see"),
            "422": error_response("Invalid input: fields says what to fix")
        }
    });
    if let Some(schema) = body {
        o["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema}}});
        o["responses"]["413"] = error_response("The body is over the 4 MB limit");
    }
    o
}

/// A JSON object with these properties, of which `required` must be sent.
/// A required string must hold more than spaces (`pattern: \S`), as the
/// server checks.
fn obj_req(props: &[(&str, Value)], required: &[&str]) -> Value {
    let mut p = serde_json::Map::new();
    for (name, schema) in props {
        let mut schema = schema.clone();
        if required.contains(name) && schema["type"] == "string" {
            schema["pattern"] = json!("\\S");
        }
        p.insert((*name).to_string(), schema);
    }
    json!({"type": "object", "properties": p, "required": required})
}

fn obj(props: &[(&str, &str)]) -> Value {
    let mut p = serde_json::Map::new();
    for (name, ty) in props {
        p.insert((*name).to_string(), json!({"type": ty}));
    }
    json!({"type": "object", "properties": p})
}

fn text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max})
}

pub fn document() -> Value {
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let case = |summary: &str, body: Option<Value>| {
        let mut o = op(summary, body, "200");
        o["parameters"] = id.clone();
        o["responses"]["409"] = error_response("The case is not in a state that allows this");
        json!({"post": o})
    };
    let date =
        json!({"type": "string", "format": "date", "description": "YYYY-MM-DD (or dd/mm/yyyy)"});
    let incident_body = obj_req(
        &[
            ("pupil_name", text(200)),
            ("pupil_id", json!({"type": "string", "nullable": true})),
            (
                "tutor_group",
                json!({"type": "string", "maxLength": 10, "description": "such as 8A or 11F"}),
            ),
            (
                "incident_date",
                json!({"type": "string", "format": "date", "nullable": true, "description": "YYYY-MM-DD, or null when not known"}),
            ),
            (
                "category",
                json!({"type": "string", "description": "a category code of the school, from GET /api/v1/categories"}),
            ),
            ("child_at_risk", json!({"type": "boolean"})),
            ("details", text(20000)),
            ("actions_outcome", text(20000)),
            (
                "location",
                json!({"type": "string", "nullable": true, "enum": ["in_school", "outside_school", "online_at_home", null]}),
            ),
            (
                "platform",
                json!({"type": "string", "nullable": true, "maxLength": 200}),
            ),
            (
                "other_pupils",
                json!({"type": "array", "maxItems": 10, "items": obj_req(&[
                ("name", text(200)),
                ("tutor_group", json!({"type": "string", "nullable": true, "maxLength": 10})),
                ("role", json!({"type": "string", "enum": ["reported", "affected", "alleged", "witness"]})),
            ], &["name", "role"])}),
            ),
        ],
        &["pupil_name", "tutor_group", "category", "details"],
    );
    let termly_params = json!([
        {"name": "year", "in": "query", "required": true, "description": "the calendar year the academic year starts in",
         "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
        {"name": "term", "in": "query", "required": true,
         "schema": {"type": "string", "enum": ["autumn", "spring", "summer"]}},
    ]);
    let mut termly = op(
        "A term's report for governors: ?year=2025&term=autumn. A lead reads any term begun; a governor only a published one (404 otherwise)",
        None,
        "200",
    );
    termly["parameters"] = termly_params;
    json!({
        "openapi": "3.0.3",
        "info": {"title": "safelog", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Online-safety incident log and case tracker. Get a token from /api/v1/auth/token and send it as Authorization: Bearer."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Error": obj_req(&[("error", json!({"type": "string"})), ("message", json!({"type": "string"})), ("fields", json!({"type": "object", "additionalProperties": {"type": "string"}}))], &["error", "message"]),
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
                "requestBody": {"required": true, "content": {"application/json": {"schema": obj_req(&[("email", json!({"type": "string"})), ("password", json!({"type": "string"})), ("totp", json!({"type": "string", "nullable": true}))], &["email", "password"])}}},
                "responses": {"200": {"description": "token, token_type, expires_at"}, "401": error_response("Refused"),
                              "403": error_response("The account must set up two-factor sign-in on the website first"),
                              "413": error_response("The body is over the 4 MB limit"),
                              "422": error_response("The body is not the JSON this endpoint expects"),
                              "429": error_response("Too many attempts")}}},
            "/api/v1/auth/logout": {"post": op("End this token's session", None, "204")},
            "/api/v1/me": {"get": op("Who the token belongs to", None, "200")},
            "/api/v1/openapi.json": {"get": op("This document", None, "200")},
            "/api/v1/categories": {"get": op("The school's categories", None, "200")},
            "/api/v1/pupils": {"get": op("Pupils matching ?q= (type-ahead)", None, "200")},
            "/api/v1/incidents": {
                "get": op("Incidents you may read: {items, total, page, per_page}; filters as query parameters", None, "200"),
                "post": op("Log an incident (Idempotency-Key header makes a retry safe)", Some(incident_body.clone()), "201"),
            },
            "/api/v1/incidents/{id}": {"get": {"parameters": id, "summary": "One incident with its timeline", "security": [{"bearer": []}], "responses": {"200": {"description": "The incident", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Incident"}}}}, "401": error_response("Not signed in"), "404": error_response("Not found or not yours")}}},
            "/api/v1/incidents/{id}/corrections": case("Correct fields with a reason against a version (409 when stale)", Some(obj_req(&[("version", json!({"type": "integer", "minimum": 1})), ("reason", text(2000))], &["version", "reason"]))),
            "/api/v1/incidents/{id}/notes": case("Add a note", Some(obj_req(&[("text", text(20000))], &["text"]))),
            "/api/v1/incidents/{id}/entered-in-error": case("Mark entered in error (DSL, headteacher)", Some(obj_req(&[("reason", text(2000))], &["reason"]))),
            "/api/v1/incidents/{id}/take": case("Take ownership of the case", None),
            "/api/v1/incidents/{id}/assign": case("Assign the case to a lead", Some(obj_req(&[("user_id", json!({"type": "string"}))], &["user_id"]))),
            "/api/v1/incidents/{id}/status": case("Change status with a reason; closing needs an outcome", Some(obj_req(&[("status", json!({"type": "string", "enum": ["new", "in_progress", "escalated", "closed"]})), ("reason", text(2000)), ("outcome", json!({"type": "string", "nullable": true, "maxLength": 20000}))], &["status", "reason"]))),
            "/api/v1/incidents/{id}/actions": case("Record an action", Some(obj_req(&[("text", text(20000))], &["text"]))),
            "/api/v1/incidents/{id}/escalate": case("Escalate to the DSL", Some(obj_req(&[("reason", text(2000))], &["reason"]))),
            "/api/v1/incidents/{id}/referrals": case("Record a referral to an outside agency (the date may not be in the future)", Some(obj_req(&[("agency", json!({"type": "string", "enum": ["police", "ceop", "iwf", "social_care", "lado", "prevent", "report_harmful_content", "platform", "action_fraud", "ico"]})), ("date", date), ("reference", text(200))], &["agency", "date", "reference"]))),
            "/api/v1/incidents/{id}/acknowledge": case("Leadership acknowledgement (headteacher)", None),
            "/api/v1/reports/termly": {"get": termly},
            "/api/v1/export.csv": {"get": op("The log as CSV, with the list's filters", None, "200")},
        }
    })
}

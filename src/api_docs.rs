//! `GET /api/v1/openapi.json`: the API described for client generators and
//! for people reading an error that points here. Written by hand beside the
//! handlers; a test checks that every `/api/v1` route in the route table is
//! in it, and `.ci/schemathesis` checks the running service against it, so
//! it says exactly what the parsers accept: a request that fits the schema
//! is refused only for a rule a schema cannot state (a status the case is
//! already in, a date after today, a code the school does not have), and
//! the operations with such rules say so in their 422.

use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use crate::auth::{Access, Router};

pub fn routes(r: &mut Router<'_>) {
    r.get("/api/v1/openapi.json", Access::SignedIn, openapi);
}

async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// What [`crate::plain_text::refused`] refuses in any text, as a regex
/// class body: the C0 controls except tab, line feed and carriage return;
/// DEL; the C1 controls. The API guard applies it to every JSON string.
const REFUSED: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";
/// Every control character (`char::is_control`, Unicode's Cc): a one-line
/// field refuses tab and line breaks too, once it is trimmed.
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";
/// What `str::trim` strips besides the controls above (Unicode White_Space):
/// text made only of these is blank.
const SPACE: &str = r" \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";
/// What may pad a one-line value: trimmed away before the value is checked,
/// so tab and line breaks are allowed at its ends but not inside it.
const PAD: &str = r"\t\n\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

fn string(pattern: String, min: Option<usize>, max: Option<usize>) -> Value {
    let mut s = json!({"type": "string", "pattern": pattern});
    if let Some(min) = min {
        s["minLength"] = json!(min);
    }
    if let Some(max) = max {
        s["maxLength"] = json!(max);
    }
    s
}

/// Text that may run over several lines and may be empty (`forms::optional`
/// of a text area).
fn free_text(max: usize) -> Value {
    string(format!("^[^{REFUSED}]*$"), None, Some(max))
}

/// Text that may run over several lines and must hold more than spaces
/// (`forms::required` of a text area).
fn required_text(max: usize) -> Value {
    string(
        format!("^[^{REFUSED}]*[^{CONTROL}{SPACE}][^{REFUSED}]*$"),
        Some(1),
        Some(max),
    )
}

/// One line that may be blank: no control character once trimmed.
fn line(max: usize) -> Value {
    string(
        format!("^[{PAD}]*(?:[^{CONTROL}{SPACE}](?:[^{CONTROL}]*[^{CONTROL}{SPACE}])?[{PAD}]*)?$"),
        None,
        Some(max),
    )
}

/// One line that must hold more than spaces (a name, a tutor group, a
/// reference): what `forms::required` accepts of a one-line field.
fn required_line(max: Option<usize>) -> Value {
    string(
        format!("^[{PAD}]*[^{CONTROL}{SPACE}](?:[^{CONTROL}]*[^{CONTROL}{SPACE}])?[{PAD}]*$"),
        Some(1),
        max,
    )
}

/// Any string the API guard lets through (sign-in fields are not trimmed).
fn any_text() -> Value {
    string(format!("^[^{REFUSED}]*$"), None, None)
}

fn nullable(mut schema: Value) -> Value {
    schema["nullable"] = json!(true);
    schema
}

/// A correction's field that null leaves as it is.
fn unchanged(schema: Value) -> Value {
    let said = schema["description"]
        .as_str()
        .map(|d| format!("{d}; "))
        .unwrap_or_default();
    with(
        nullable(schema),
        "description",
        json!(format!("{said}null or absent: unchanged")),
    )
}

fn with(mut schema: Value, key: &str, value: Value) -> Value {
    schema[key] = value;
    schema
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn json_response(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn incident_response(description: &str) -> Value {
    json_response(
        description,
        json!({"$ref": "#/components/schemas/Incident"}),
    )
}

/// A signed-in operation: `ok` is its success status and response.
fn op(summary: &str, body: Option<Value>, ok: (&str, Value)) -> Value {
    let mut o = json!({
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {
            ok.0: ok.1,
            "401": error_response("Not signed in"),
            "403": error_response("The account must finish or set up two-factor sign-in first"),
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

/// A 422 for a rule the schema cannot state: a request that fits the schema
/// may still be refused with it (`.ci/schemathesis.toml` names these
/// operations).
fn semantic_422(o: &mut Value, rule: &str) {
    o["responses"]["422"] = error_response(&format!(
        "Invalid input: fields says what to fix. Besides the schema: {rule}"
    ));
}

/// A JSON object with these properties, of which `required` must be sent.
fn obj_req(props: &[(&str, Value)], required: &[&str]) -> Value {
    let mut p = Map::new();
    for (name, schema) in props {
        p.insert((*name).to_string(), schema.clone());
    }
    json!({"type": "object", "properties": p, "required": required})
}

/// A request body: these properties, of which `required` must be sent. Any
/// other field is ignored (a client may send back what it read), but the
/// guard reads it too, so it is described as `Ignored`.
fn body(props: &[(&str, Value)], required: &[&str]) -> Value {
    with(
        obj_req(props, required),
        "additionalProperties",
        json!({"$ref": "#/components/schemas/Ignored"}),
    )
}

/// Any JSON value whose strings, however deep, hold no refused character:
/// no `type`, so `pattern` applies to strings only, `items` to arrays and
/// `additionalProperties` to objects.
fn ignored() -> Value {
    json!({
        "description": "A field the API ignores; the guard still refuses any string in it that holds a control character.",
        "pattern": format!("^[^{REFUSED}]*$"),
        "items": {"$ref": "#/components/schemas/Ignored"},
        "additionalProperties": {"$ref": "#/components/schemas/Ignored"},
    })
}

/// A response object: every property is always there.
fn returned(props: &[(&str, Value)]) -> Value {
    let names: Vec<&str> = props.iter().map(|(n, _)| *n).collect();
    obj_req(props, &names)
}

fn s() -> Value {
    json!({"type": "string"})
}

const STATUSES: [&str; 4] = ["new", "in_progress", "escalated", "closed"];
const LOCATIONS: [&str; 4] = ["in_school", "outside_school", "online_at_home", "unknown"];
const PUPIL_ROLES: [&str; 4] = ["reported", "affected", "alleged", "witness"];

fn incident_schema() -> Value {
    let at = || json!({"type": "string", "format": "date-time"});
    let other = returned(&[
        ("pupil_id", s()),
        ("name", s()),
        ("tutor_group", nullable(s())),
        ("role", json!({"type": "string", "enum": PUPIL_ROLES})),
    ]);
    let mut i = returned(&[
        ("id", s()),
        ("reference", s()),
        ("pupil_id", s()),
        ("pupil_name", s()),
        ("tutor_group", s()),
        ("year_group", json!({"type": "integer", "nullable": true})),
        (
            "incident_date",
            json!({"type": "string", "format": "date", "nullable": true, "description": "null when not known"}),
        ),
        ("category", s()),
        ("category_name", s()),
        (
            "four_c",
            json!({"type": "string", "enum": ["content", "contact", "conduct", "commerce", "none"]}),
        ),
        ("child_at_risk", json!({"type": "boolean"})),
        (
            "about_headteacher",
            json!({"type": "boolean", "description": "staff conduct about the headteacher: owned by the allegations lead, hidden from the headteacher"}),
        ),
        ("location", json!({"type": "string", "enum": LOCATIONS})),
        ("platform", nullable(s())),
        ("details", s()),
        ("actions_outcome", s()),
        ("staff_initials", s()),
        ("lg_acknowledged", json!({"type": "boolean"})),
        ("lg_acknowledged_at", nullable(at())),
        ("status", json!({"type": "string", "enum": STATUSES})),
        ("owner_role", s()),
        ("other_pupils", json!({"type": "array", "items": other})),
        ("version", json!({"type": "integer", "minimum": 1})),
        ("logged_at", at()),
        ("updated_at", at()),
        ("entered_in_error", json!({"type": "boolean"})),
    ]);
    let event = returned(&[
        ("kind", s()),
        ("at", at()),
        ("by_initials", s()),
        ("version", json!({"type": "integer"})),
        ("text", nullable(s())),
        ("field", nullable(s())),
        ("old_value", nullable(s())),
        ("new_value", nullable(s())),
        ("reason", nullable(s())),
    ]);
    i["properties"]["timeline"] = json!({"type": "array", "items": event,
        "description": "oldest first; on a single incident, not in lists"});
    i
}

pub fn document() -> Value {
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    // A case action answers the incident as it now is; `rule` is what
    // refuses a well-formed request, if anything does.
    let case = |summary: &str, body: Option<Value>, ok: &str, rule: Option<&str>| {
        let mut o = op(
            summary,
            body,
            (ok, incident_response("The incident as it now is")),
        );
        o["parameters"] = id.clone();
        o["responses"]["409"] =
            error_response("The case is not in a state that allows this (entered in error, already done, changed at the same moment)");
        if let Some(rule) = rule {
            semantic_422(&mut o, rule);
        }
        json!({"post": o})
    };
    let date =
        |description: &str| json!({"type": "string", "format": "date", "description": description});
    let incident_date = nullable(date(
        "YYYY-MM-DD (dd/mm/yyyy is read too); null, empty or absent when not known",
    ));
    let category = with(
        required_line(None),
        "description",
        json!("a category code of the school, from GET /api/v1/categories"),
    );
    let location = |description: &str| {
        json!({"type": "string", "nullable": true, "enum": [LOCATIONS[0], LOCATIONS[1], LOCATIONS[2], LOCATIONS[3], null],
                          "description": description})
    };
    let tutor_group = with(
        required_line(Some(20)),
        "description",
        json!("such as 8A or 11F"),
    );
    let incident_body = body(
        &[
            ("pupil_name", required_line(Some(200))),
            (
                "pupil_id",
                with(
                    nullable(line(200)),
                    "description",
                    json!("a pupil from GET /api/v1/pupils, when one was picked"),
                ),
            ),
            ("tutor_group", tutor_group.clone()),
            ("incident_date", incident_date.clone()),
            ("category", category.clone()),
            ("child_at_risk", json!({"type": "boolean"})),
            (
                "about_headteacher",
                json!({"type": "boolean", "description": "staff-conduct only: the allegation is about the headteacher, so it goes to the school's allegations lead (422 when the school has none) and the headteacher cannot read it"}),
            ),
            ("details", required_text(20000)),
            ("actions_outcome", free_text(20000)),
            ("location", location("null or absent when not known")),
            ("platform", nullable(line(200))),
            (
                "other_pupils",
                json!({"type": "array", "maxItems": 10, "items": body(&[
                ("name", required_line(Some(200))),
                ("tutor_group", nullable(line(20))),
                ("role", json!({"type": "string", "enum": PUPIL_ROLES})),
            ], &["name", "role"])}),
            ),
        ],
        &["pupil_name", "tutor_group", "category", "details"],
    );
    let correction_body = body(
        &[
            (
                "version",
                json!({"type": "integer", "minimum": 1, "maximum": i32::MAX, "description": "the version corrected (409 when it is no longer current)"}),
            ),
            ("reason", required_text(20000)),
            // Only the fields sent change; null leaves these as they are
            // (`CorrectionBody` reads null as absent), but clears a date or
            // a platform.
            ("pupil_name", unchanged(required_line(Some(200)))),
            ("tutor_group", unchanged(tutor_group)),
            ("incident_date", incident_date),
            ("category", unchanged(category)),
            ("child_at_risk", unchanged(json!({"type": "boolean"}))),
            ("details", unchanged(required_text(20000))),
            ("actions_outcome", unchanged(free_text(20000))),
            ("location", location("null or absent: unchanged")),
            ("platform", nullable(line(200))),
        ],
        &["version", "reason"],
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
        ("200", json!({"description": "The report"})),
    );
    termly["parameters"] = termly_params;
    semantic_422(&mut termly, "the term has not begun.");
    let mut create = op(
        "Log an incident (Idempotency-Key header makes a retry safe)",
        Some(incident_body),
        (
            "201",
            incident_response(
                "Logged (or, with the same Idempotency-Key, logged before); Location names it",
            ),
        ),
    );
    semantic_422(
        &mut create,
        "the category is not one of the school's, the date is after today or before 2000, or the pupil_id is not a pupil of the school.",
    );
    let list = returned(&[
        (
            "items",
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}),
        ),
        // Counting stops at 10,000: past it total is 10,000 and
        // total_exact false ("more than 10,000").
        (
            "total",
            json!({"type": "integer", "minimum": 0, "maximum": 10000}),
        ),
        ("total_exact", json!({"type": "boolean"})),
        // The next page: send it back as `after`. Null on the last page.
        ("next_after", nullable(s())),
        ("page", json!({"type": "integer", "minimum": 1})),
        ("per_page", json!({"type": "integer", "minimum": 1})),
    ]);
    let token_body = body(
        &[
            ("email", any_text()),
            ("password", any_text()),
            ("totp", nullable(any_text())),
            ("school", nullable(any_text())),
        ],
        &["email", "password"],
    );
    let token = returned(&[
        ("token", s()),
        ("token_type", json!({"type": "string", "enum": ["Bearer"]})),
        (
            "expires_at",
            json!({"type": "string", "format": "date-time"}),
        ),
    ]);
    let mut error = obj_req(
        &[
            ("error", s()),
            ("message", s()),
            (
                "fields",
                json!({"type": "object", "additionalProperties": {"type": "string"}}),
            ),
        ],
        &["error", "message"],
    );
    error["properties"]["current"] = json!({"$ref": "#/components/schemas/Incident",
        "description": "a correction against a stale version: the incident as it now is"});
    let (monitoring_paths, alert_schema) = monitoring(&id, &incident_body_for_promote());
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": {"title": "safelog", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Online-safety incident log and case tracker. Get a token from /api/v1/auth/token and send it as Authorization: Bearer. Text fields refuse control characters (U+0000 to U+001F and U+007F to U+009F; tab, line feed and carriage return only where text may run over several lines) and are trimmed."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {
                "Error": error,
                "Incident": incident_schema(),
                "Ignored": ignored(),
            }
        },
        "paths": {
            "/api/v1/auth/token": {"post": {"summary": "Sign in: email, password, (with two-factor) totp and (for someone in several schools) school: the id, URN or name of the school the token works in; returns a bearer token",
                "requestBody": {"required": true, "content": {"application/json": {"schema": token_body}}},
                "responses": {"200": json_response("A bearer token", token), "401": error_response("Refused"),
                              "403": error_response("The account must set up two-factor sign-in on the website first, or its school signs in only through its OpenID Connect provider"),
                              "413": error_response("The body is over the 4 MB limit"),
                              "422": error_response("The body is not the JSON this endpoint expects, or school names a school the person holds no role at"),
                              "429": error_response("Too many attempts")}}},
            "/api/v1/auth/logout": {"post": op("End this token's session", None, ("204", json!({"description": "Signed out"})))},
            "/api/v1/me": {"get": op("Who the token belongs to", None, ("200", json!({"description": "id, school_id, name, initials, email, roles (in school_id), two_factor, schools (id and name of each school the person may work in)"})))},
            "/api/v1/openapi.json": {"get": op("This document", None, ("200", json!({"description": "This document"})))},
            "/api/v1/categories": {"get": op("The school's categories", None, ("200", json!({"description": "items: code, name, four_c, owner_role, urgent, restricted, guidance"})))},
            "/api/v1/pupils": {"get": op("Pupils matching ?q= (type-ahead)", None, ("200", json!({"description": "items: id, name, tutor_group, year_group"})))},
            "/api/v1/incidents": {
                "get": op("Incidents you may read, newest first: {items, total, total_exact, next_after, page, per_page}; filters as query parameters. total counts up to 10,000 (total_exact false: more than that match). For the next page send next_after back as after (with page + 1 if you show page numbers); page alone counts past every earlier row", None, ("200", json_response("A page of incidents", list))),
                "post": create,
            },
            "/api/v1/incidents/{id}": {"get": {"parameters": id, "summary": "One incident with its timeline", "security": [{"bearer": []}], "responses": {"200": incident_response("The incident"), "401": error_response("Not signed in"), "403": error_response("The account must finish or set up two-factor sign-in first"), "404": error_response("Not found or not yours")}}},
            "/api/v1/incidents/{id}/corrections": case("Correct fields with a reason against a version (409 when stale)", Some(correction_body), "200",
                Some("a category the school does not have, a date after today or before 2000.")),
            "/api/v1/incidents/{id}/notes": case("Add a note", Some(body(&[("text", required_text(20000))], &["text"])), "201", None),
            "/api/v1/incidents/{id}/entered-in-error": case("Mark entered in error (DSL, headteacher)", Some(body(&[("reason", required_text(20000))], &["reason"])), "200", None),
            "/api/v1/incidents/{id}/take": case("Take ownership of the case", None, "200", None),
            "/api/v1/incidents/{id}/assign": case("Assign the case to a lead", Some(body(&[("user_id", required_line(None))], &["user_id"])), "200",
                Some("the user is not a lead who may read this case.")),
            "/api/v1/incidents/{id}/status": case("Change status with a reason; closing needs an outcome", Some(body(&[("status", json!({"type": "string", "enum": STATUSES})), ("reason", required_text(20000)), ("outcome", nullable(free_text(20000)))], &["status", "reason"])), "200",
                Some("the case is already in that status, or it is being closed without an outcome.")),
            "/api/v1/incidents/{id}/actions": case("Record an action", Some(body(&[("text", required_text(20000))], &["text"])), "200", None),
            "/api/v1/incidents/{id}/escalate": case("Escalate to the DSL", Some(body(&[("reason", required_text(20000))], &["reason"])), "200",
                Some("the category is for the headteacher alone.")),
            "/api/v1/incidents/{id}/referrals": case("Record a referral to an outside agency", Some(body(&[("agency", json!({"type": "string", "enum": ["police", "ceop", "iwf", "social_care", "lado", "prevent", "report_harmful_content", "platform", "action_fraud", "ico"]})), ("date", date("YYYY-MM-DD (dd/mm/yyyy is read too)")), ("reference", required_line(Some(200)))], &["agency", "date", "reference"])), "200",
                Some("the date is after today.")),
            "/api/v1/incidents/{id}/acknowledge": case("Leadership acknowledgement (headteacher)", None, "200", None),
            "/api/v1/incidents/{id}/decisions": case("Record a decision with its reason: no further action, not to refer, or not to share", Some(body(&[("decision", json!({"type": "string", "enum": ["no_further_action", "not_referred", "not_shared"]})), ("reason", required_text(20000))], &["decision", "reason"])), "200", None),
            "/api/v1/incidents/{id}/shares": case("Record information shared: with whom (agency or organisation, and the person), what, when, the lawful basis and the reason", Some(body(&[
                    ("shared_with", required_line(Some(200))),
                    ("person", nullable(line(200))),
                    ("what", required_text(20000)),
                    ("shared_on", date("YYYY-MM-DD (dd/mm/yyyy is read too)")),
                    ("lawful_basis", json!({"type": "string", "enum": ["public_task", "legal_obligation", "vital_interests", "legitimate_interests", "consent"]})),
                    ("reason", required_text(20000)),
                ], &["shared_with", "what", "shared_on", "lawful_basis", "reason"])), "200",
                Some("the date it was shared is after today.")),
            "/api/v1/reports/termly": {"get": termly},
            "/api/v1/export.csv": {"get": op("The log as CSV, with the list's filters", None, ("200", json!({"description": "CSV"})))},
        }
    });
    attachments(&mut doc);
    exclusions(&mut doc);
    retention(&mut doc);
    doc["components"]["securitySchemes"]["monitoringKey"] = json!({"type": "http", "scheme": "bearer",
        "description": "A school's monitoring ingestion key (Administration, Monitoring tools, or `safelog monitoring key add`): it decides the school and the source."});
    doc["components"]["schemas"]["MonitoringAlert"] = alert_schema;
    if let (Some(paths), Value::Object(more)) = (doc["paths"].as_object_mut(), monitoring_paths) {
        paths.extend(more);
    }
    doc
}

/// The attachment routes: a multipart upload, the list and the file.
fn attachments(doc: &mut Value) {
    let incident =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let attachment_id = json!({"name": "attachment_id", "in": "path", "required": true, "schema": {"type": "string"}});
    let attachment = returned(&[
        ("id", s()),
        ("name", s()),
        (
            "media_type",
            json!({"type": "string", "description": "decided from the file's content (magic bytes), not its name; application/octet-stream when not recognised"}),
        ),
        ("size", json!({"type": "integer", "minimum": 1})),
        (
            "sha256",
            json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
        ),
        (
            "uploaded_at",
            json!({"type": "string", "format": "date-time"}),
        ),
        ("uploaded_by_initials", s()),
        ("entered_in_error", json!({"type": "boolean"})),
        ("entered_in_error_reason", nullable(s())),
    ]);
    let mut upload = op(
        "Attach a file (multipart/form-data, field file); its type is read from its content",
        None,
        (
            "201",
            json_response(
                "The file as kept",
                json!({"$ref": "#/components/schemas/Attachment"}),
            ),
        ),
    );
    upload["parameters"] = json!([incident.clone()]);
    upload["requestBody"] = json!({"required": true, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}});
    upload["responses"]["409"] = error_response("The record was marked as entered in error");
    upload["responses"]["413"] =
        error_response("The request is over the largest upload safelog reads (51 MB)");
    semantic_422(
        &mut upload,
        "the category takes no files at all (nudes-sharing, abuse-imagery: holding the material may itself be an offence); the file is an image, or of a type not recognised, on a category the school marks \"no images\"; the file is empty, over the school's limit per file, or would take the incident over its limit.",
    );
    let mut list = op(
        "The files of an incident you may read (the member of staff who logged it sees those they added)",
        None,
        (
            "200",
            json_response(
                "The files, oldest first, entered in error too (marked)",
                returned(&[("items", json!({"type": "array", "items": {"$ref": "#/components/schemas/Attachment"}}))]),
            ),
        ),
    );
    list["parameters"] = json!([incident.clone()]);
    let mut file = op(
        "Download a file (audited); served as an attachment with nosniff and a sandboxing CSP",
        None,
        (
            "200",
            json!({"description": "The file's bytes, checked against its SHA-256", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}),
        ),
    );
    file["parameters"] = json!([incident, attachment_id]);
    file["responses"]["409"] = error_response(
        "The file on disk has changed or is missing: it no longer matches its SHA-256",
    );
    doc["components"]["schemas"]["Attachment"] = attachment;
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.insert(
            "/api/v1/incidents/{id}/attachments".into(),
            json!({"post": upload, "get": list}),
        );
        paths.insert(
            "/api/v1/incidents/{id}/attachments/{attachment_id}".into(),
            json!({"get": file}),
        );
    }
}

/// Conflicts of interest (issue 16): a pupil's exclusions, for the
/// administrator and the DSL; a pupil they may not see (another school's,
/// or one they are excluded from themselves) is a 404.
fn exclusions(doc: &mut Value) {
    let pupil = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let exclusion_id = json!({"name": "exclusion_id", "in": "path", "required": true, "schema": {"type": "string"}});
    let time = || json!({"type": "string", "format": "date-time"});
    let exclusion = returned(&[
        ("id", s()),
        ("pupil_id", s()),
        ("user_id", s()),
        ("user_name", s()),
        ("reason", s()),
        ("created_by", s()),
        ("created_at", time()),
        (
            "live",
            json!({"type": "boolean", "description": "false once lifted"}),
        ),
        ("ended_at", nullable(time())),
        ("ended_by", nullable(s())),
        ("end_reason", nullable(s())),
    ]);
    let one = || json!({"$ref": "#/components/schemas/Exclusion"});
    let mut list = op(
        "Who is excluded from a pupil (administrator, DSL): live ones first, lifted ones kept",
        None,
        (
            "200",
            json_response(
                "Every exclusion from the pupil",
                returned(&[("items", json!({"type": "array", "items": one()}))]),
            ),
        ),
    );
    list["parameters"] = json!([pupil.clone()]);
    let mut add = op(
        "Exclude a member of staff from a pupil (a parent or relative): from their next request they read nothing about the pupil and are never alerted about them",
        Some(body(
            &[("user_id", required_line(None)), ("reason", required_text(2000))],
            &["user_id", "reason"],
        )),
        ("201", json_response("The exclusion", one())),
    );
    add["parameters"] = json!([pupil.clone()]);
    semantic_422(
        &mut add,
        "user_id is not a member of staff of the school, or is already excluded from the pupil.",
    );
    let mut lift = op(
        "Lift an exclusion, with the reason; it is kept, marked lifted",
        Some(body(&[("reason", required_text(2000))], &["reason"])),
        ("200", json_response("The exclusion, lifted", one())),
    );
    lift["parameters"] = json!([pupil, exclusion_id]);
    lift["responses"]["409"] = error_response("The exclusion was lifted already");
    doc["components"]["schemas"]["Exclusion"] = exclusion;
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.insert(
            "/api/v1/pupils/{id}/exclusions".into(),
            json!({"get": list, "post": add}),
        );
        paths.insert(
            "/api/v1/pupils/{id}/exclusions/{exclusion_id}/lift".into(),
            json!({"post": lift}),
        );
    }
}

/// `GET /api/v1/retention/due`: the DPO's and the DSL's review queue.
fn retention(doc: &mut Value) {
    let item = returned(&[
        ("id", s()),
        ("reference", s()),
        ("category", s()),
        (
            "incident_date",
            json!({"type": "string", "format": "date", "nullable": true}),
        ),
        (
            "logged_at",
            json!({"type": "string", "format": "date-time"}),
        ),
        (
            "review_on",
            json!({"type": "string", "format": "date", "nullable": true}),
        ),
        (
            "period",
            json!({"type": "string", "description": "the review period in words, e.g. \"date of birth + 25 years\""}),
        ),
        (
            "legal_holds",
            json!({"type": "array", "items": {"type": "string"}, "description": "names of the active legal holds covering it (a held record cannot be destroyed)"}),
        ),
    ]);
    let due = op(
        "Records due for retention review (review date on or before today), oldest first, of those you review (DPO, DSL); and how many pupils named in records have no date of birth (their records have no review date)",
        None,
        (
            "200",
            json_response(
                "The records due",
                returned(&[
                    ("items", json!({"type": "array", "items": item})),
                    ("pupils_without_date_of_birth", json!({"type": "integer", "minimum": 0})),
                ]),
            ),
        ),
    );
    if let Some(paths) = doc["paths"].as_object_mut() {
        paths.insert("/api/v1/retention/due".into(), json!({"get": due}));
    }
}

/// The body `promote` takes: the incident's fields, none required (those
/// not sent come from the alert; `details` has no default).
fn incident_body_for_promote() -> Value {
    body(
        &[
            ("pupil_name", required_line(Some(200))),
            ("pupil_id", nullable(line(200))),
            ("tutor_group", required_line(Some(20))),
            ("incident_date", json!({"type": "string", "nullable": true})),
            ("category", required_line(None)),
            ("child_at_risk", json!({"type": "boolean"})),
            ("details", required_text(20000)),
            ("actions_outcome", free_text(20000)),
            (
                "location",
                json!({"type": "string", "nullable": true, "enum": [LOCATIONS[0], LOCATIONS[1], LOCATIONS[2], LOCATIONS[3], null]}),
            ),
            ("platform", nullable(line(200))),
        ],
        &["details"],
    )
}

/// The monitoring alert routes (issue 17) and the alert's schema.
fn monitoring(id: &Value, promote_body: &Value) -> (Value, Value) {
    let at = || json!({"type": "string", "format": "date-time"});
    let ns = || nullable(s());
    let severity = || json!({"type": "string", "enum": ["low", "medium", "high", "critical"]});
    let alert = obj_req(
        &[
            ("id", s()),
            ("source", s()),
            ("alert_id", s()),
            ("received_at", at()),
            ("occurred_at", nullable(at())),
            ("severity", severity()),
            ("tool_severity", s()),
            ("pupil", ns()),
            ("pupil_id", ns()),
            ("pupil_name", ns()),
            ("category", ns()),
            (
                "status",
                json!({"type": "string", "enum": ["new", "acknowledged", "dismissed", "promoted"]}),
            ),
            ("first_looked_at", nullable(at())),
            ("acknowledged_at", nullable(at())),
            ("decided_at", nullable(at())),
            (
                "dismiss_reason",
                json!({"type": "string", "nullable": true, "enum": ["false_positive", "already_known", "not_safeguarding", "other", null]}),
            ),
            ("dismiss_note", ns()),
            ("incident_id", ns()),
            ("device", ns()),
            ("account", ns()),
            ("text", ns()),
            ("url", ns()),
            (
                "extra",
                json!({"description": "the fields the tool sent beyond the documented ones, as sent", "nullable": true}),
            ),
        ],
        &[
            "id",
            "source",
            "alert_id",
            "received_at",
            "severity",
            "status",
        ],
    );
    let one = || {
        json_response(
            "The alert as it now is",
            json!({"$ref": "#/components/schemas/MonitoringAlert"}),
        )
    };
    let with_id = |mut o: Value| {
        o["parameters"] = id.clone();
        o
    };
    let list_params = json!([
        // Empty, as a form's "Any" sends it, is no filter.
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["", "new", "acknowledged", "dismissed", "promoted", "open", "all"]}},
        {"name": "severity", "in": "query", "schema": {"type": "string", "enum": ["", "all", "low", "medium", "high", "critical"]}},
        {"name": "source", "in": "query", "schema": line(60)},
        {"name": "pupil_id", "in": "query", "schema": line(200)},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000000}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    ]);
    let mut list = op(
        "The school's monitoring alerts (DSL, Online Safety Lead): most severe first, newest first; {items, total, page, per_page}; no text, address, device or account (GET one alert for those: that read is audited)",
        None,
        ("200", json!({"description": "A page of alerts"})),
    );
    list["parameters"] = list_params;
    let ingest_body = with(
        obj_req(
            &[
                (
                    "alert_id",
                    json!({"description": "the tool's own id for the alert (a string, or a number kept as text): a retry with the same id makes no second alert", "anyOf": [required_line(Some(200)), {"type": "number"}]}),
                ),
                (
                    "occurred_at",
                    json!({"type": "string", "format": "date-time", "description": "RFC 3339, with its offset"}),
                ),
                (
                    "severity",
                    json!({"anyOf": [required_line(Some(60)), {"type": "number"}], "description": "the tool's own level (a string, or a number kept as text), mapped by the school (Administration, Monitoring tools) to low, medium, high or critical"}),
                ),
                ("device", line(200)),
                ("account", json!({"anyOf": [line(200), {"type": "number"}]})),
                (
                    "pupil",
                    json!({"anyOf": [line(200), {"type": "number"}], "description": "the pupil as the tool knows them (username, UPN or MIS id); matched to the roll by UPN"}),
                ),
                (
                    "category",
                    with(
                        line(200),
                        "description",
                        json!("a hint: one of the school's category codes"),
                    ),
                ),
                ("text", free_text(20000)),
                ("url", line(2000)),
            ],
            &["alert_id", "severity"],
        ),
        "additionalProperties",
        json!({"description": "kept with the alert as sent"}),
    );
    let example = json!({
        "alert_id": "evt-20261213-0042",
        "occurred_at": "2026-12-13T10:15:00Z",
        "severity": "4",
        "device": "LAPTOP-17",
        "account": "jsmith@pupils.school.org.uk",
        "pupil": "A123456789012",
        "category": "self-harm",
        "text": "Search typed: ...",
        "url": "https://example.com/page",
        "rule": "vendor field kept as sent"
    });
    let ingest = json!({
        "summary": "A monitoring tool posts an alert (generic webhook). Authorization: Bearer with the school's ingestion key, which decides the school and the source. 201 when new; 200 with the alert stored first when the same alert_id comes again. A critical alert emails the school's DSLs (no content).",
        "security": [{"monitoringKey": []}],
        "requestBody": {"required": true, "content": {"application/json": {"schema": ingest_body, "example": example}}},
        "responses": {
            "201": json_response("Stored", json!({"type": "object"})),
            "200": json_response("Already stored (a retry)", json!({"type": "object"})),
            "401": error_response("No key, or a revoked one"),
            "413": error_response("The body is over the 4 MB limit"),
            "422": error_response("Invalid input: fields says what to fix"),
        }
    });
    let mut ack = with_id(op(
        "Acknowledge: who and when (409 when it is no longer new)",
        None,
        ("200", one()),
    ));
    ack["responses"]["409"] = error_response("The alert is no longer new");
    let dismiss_body = body(
        &[
            ("reason", with(required_text(2000), "description", json!("false_positive, already_known, not_safeguarding, other, or the reason in words (taken as other)"))),
            ("note", nullable(free_text(2000))),
        ],
        &["reason"],
    );
    let mut dismiss = with_id(op(
        "Dismiss with a reason",
        Some(dismiss_body),
        ("200", one()),
    ));
    dismiss["responses"]["409"] = error_response("The alert is already dismissed or promoted");
    semantic_422(&mut dismiss, "reason other needs a note.");
    let mut promote = with_id(op(
        "Promote to an incident: the incident's fields as POST /api/v1/incidents takes them; those not sent come from the alert (pupil when matched, date, category, where, platform). The alert and the incident link to each other. 201 with the alert (incident_id set); 200 when it was already promoted",
        Some(promote_body.clone()),
        ("201", one()),
    ));
    promote["responses"]["409"] = error_response("The alert is already dismissed");
    semantic_422(&mut promote, "as for logging: the category is not one of the school's, the date is after today, the pupil is not given or not found.");
    let get = with_id(op(
        "One alert, all of it (the read is audited; the first read is the first look)",
        None,
        ("200", one()),
    ));
    (
        json!({
            "/api/v1/monitoring/alerts": {"get": list, "post": ingest},
            "/api/v1/monitoring/alerts/{id}": {"get": get},
            "/api/v1/monitoring/alerts/{id}/acknowledge": {"post": ack},
            "/api/v1/monitoring/alerts/{id}/dismiss": {"post": dismiss},
            "/api/v1/monitoring/alerts/{id}/promote": {"post": promote},
        }),
        alert,
    )
}

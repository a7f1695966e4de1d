//! The transfer pages: sending from a pupil's page, the transfers list,
//! one transfer (opening and confirming receipt on the receiving side).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::document::{self, Document, Making};
use super::flow::{self, Actor, LinkTo};
use super::model::{overdue_before, Side, Transfer};
use super::store;
use super::views::{self, Names, Receive, ReceiveForm, SendPage, TransferPage};
use crate::accounts::model::School;
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::{CurrentUser, Role};
use crate::db::{self, AnyConnection};
use crate::error::AppError;
use crate::forms::{self, FieldErrors, Form};
use crate::incidents::Viewer;
use crate::pupils::model::Pupil;
use crate::state::AppState;
use crate::views::{page, page_with, see_other, Page};

/// A pupil of the viewer's school that the viewer may know of, or 404.
pub fn known_pupil(conn: &mut AnyConnection, viewer: &Viewer, id: &str) -> Result<Pupil, AppError> {
    let pupil =
        crate::pupils::store::in_school(conn, &viewer.school_id, id)?.ok_or(AppError::NotFound)?;
    if !crate::incidents::store::known_pupils::knows(conn, viewer, &pupil)? {
        return Err(AppError::NotFound);
    }
    Ok(pupil)
}

/// The names a page shows: the people who sent, opened and confirmed, and
/// the receiving schools, by id.
pub fn names_for(conn: &mut AnyConnection, transfers: &[&Transfer]) -> Result<Names, AppError> {
    let mut ids: Vec<String> = Vec::new();
    for t in transfers {
        ids.extend(t.opened_by.clone());
        ids.extend(t.confirmed_by.clone());
    }
    ids.sort();
    ids.dedup();
    let mut names = crate::cases::store::user_names(conn, ids)?;
    for s in crate::accounts::store::all_schools(conn)? {
        if transfers
            .iter()
            .any(|t| t.to_school_id.as_deref() == Some(s.id.as_str()))
        {
            names.insert(s.id, s.name);
        }
    }
    Ok(names)
}

/// Every school of the deployment a file may go to: all but this one.
fn destinations(conn: &mut AnyConnection, school_id: &str) -> Result<Vec<School>, AppError> {
    Ok(crate::accounts::store::all_schools(conn)?
        .into_iter()
        .filter(|s| s.id != school_id)
        .collect())
}

struct SendData {
    /// The fingerprint of the key packages are signed with.
    fingerprint: String,
    pupil: Pupil,
    schools: Vec<School>,
    preview: Document,
    pending: Vec<Transfer>,
    names: Names,
}

/// Everything the send page shows; the preview of the file is a read of
/// the pupil's incidents, audited as one.
async fn send_data(
    state: &AppState,
    user: &CurrentUser,
    ip: String,
    id: String,
) -> Result<SendData, AppError> {
    let viewer = Viewer::of(user);
    let (name, initials, now) = (
        user.name.clone(),
        user.initials.clone(),
        state.clock.now_naive(),
    );
    db::run(&state.pool, move |conn| {
        let pupil = known_pupil(conn, &viewer, &id)?;
        let schools = destinations(conn, &viewer.school_id)?;
        let preview = document::build(
            conn,
            &Making {
                transfer_id: "preview",
                school_id: &viewer.school_id,
                made_by_name: &name,
                made_by_initials: &initials,
                receiving_urn: None,
                receiving_name: None,
                now,
            },
            &pupil,
        )?;
        let pending: Vec<Transfer> = store::sent_of_pupil(conn, &pupil.id)?
            .into_iter()
            .filter(|t| t.confirmed_at.is_none() && t.to_school_id.is_some())
            .collect();
        let names = names_for(conn, &pending.iter().collect::<Vec<_>>())?;
        let fingerprint = super::keys::ensure(conn, now)?.fingerprint();
        crate::audit::store::insert(
            conn,
            &crate::audit::Event::new("transfer_previewed", now)
                .school(&viewer.school_id)
                .actor(&viewer.user_id)
                .record("pupil", &pupil.id)
                .detail(format!("{} incidents shown", preview.incidents.len()))
                .ip(Some(&ip)),
        )?;
        Ok(SendData {
            fingerprint,
            pupil,
            schools,
            preview,
            pending,
            names,
        })
    })
    .await
}

fn send_page_with(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    d: &SendData,
    chosen: &str,
    errors: &FieldErrors,
) -> maud::Markup {
    views::send(
        &Page::for_user("Send a pupil's file", user, csrf),
        &SendPage {
            pupil: &d.pupil,
            schools: &d.schools,
            chosen,
            errors,
            preview: &d.preview,
            sent: &d.pending,
            names: &d.names,
            due: overdue_before(state.clock.now_naive()),
            fingerprint: &d.fingerprint,
        },
    )
}

/// `GET /pupils/{id}/transfer` (the DSL).
pub async fn send_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let d = send_data(&state, &user, client_ip(&req), id.into_inner()).await?;
    Ok(page(send_page_with(
        &state,
        &user,
        &csrf,
        &d,
        "",
        &FieldErrors::default(),
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SendForm {
    pub to_school: String,
}

/// `POST /pupils/{id}/transfer` (the DSL): sends the file to the chosen
/// school, alerts its DSLs, and shows the transfer.
pub async fn send(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: Form<SendForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req);
    let id = id.into_inner();
    let chosen = form.to_school.trim().to_string();
    let (viewer, now) = (Viewer::of(&user), state.clock.now_naive());
    let (name, initials, user_id, ip2) = (
        user.name.clone(),
        user.initials.clone(),
        user.id.clone(),
        ip.clone(),
    );
    let pupil_id = id.clone();
    let to = chosen.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let pupil = known_pupil(conn, &viewer, &pupil_id)?;
        let Some(to) = destinations(conn, &viewer.school_id)?
            .into_iter()
            .find(|s| s.id == to)
        else {
            return Ok(Err(
                "Choose the pupil's new school from the list.".to_string()
            ));
        };
        let from = crate::accounts::store::school(conn, &viewer.school_id)?;
        let actor = Actor {
            user_id: Some(&user_id),
            name: &name,
            initials: &initials,
            ip: Some(&ip2),
        };
        flow::send_within(conn, &actor, &from, &pupil, &to, now)
    })
    .await?;
    match outcome {
        Ok((transfer_id, alerted)) => {
            state.mail.wake();
            let marker = if alerted == 0 { "sent=nodsl" } else { "sent=1" };
            Ok(see_other(&format!("/transfers/{transfer_id}?{marker}")))
        }
        Err(message) => {
            let d = send_data(&state, &user, ip, id).await?;
            let mut errors = FieldErrors::default();
            errors.add("to_school", message);
            Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                send_page_with(&state, &user, &csrf, &d, &chosen, &errors),
            ))
        }
    }
}

/// `GET /transfers` (the DSL; a trust's safeguarding lead reads it).
pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let school_id = user.school_id.clone();
    let excluded = user.excluded_pupils.clone();
    let (received, sent, names) = db::run(&state.pool, move |conn| {
        let mine = |t: &Transfer| !t.about_any(&school_id, &excluded);
        let received: Vec<Transfer> = store::received_by(conn, &school_id)?
            .into_iter()
            .filter(mine)
            .collect();
        let sent: Vec<Transfer> = store::sent_by(conn, &school_id)?
            .into_iter()
            .filter(mine)
            .collect();
        let all: Vec<&Transfer> = received.iter().chain(sent.iter()).collect();
        let names = names_for(conn, &all)?;
        Ok((received, sent, names))
    })
    .await?;
    Ok(page(views::list(
        &Page::for_user("Child protection files", &user, &csrf),
        &views::ListPage {
            received: &received,
            sent: &sent,
            names: &names,
            due: overdue_before(state.clock.now_naive()),
            may_import: user.has(Role::Dsl),
        },
    )))
}

/// The transfer, if it is this school's (sent or received), and which side
/// the school is on; 404 for every other school.
fn of_school(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> Result<(Transfer, Side), AppError> {
    let t = store::get(conn, id)?.ok_or(AppError::NotFound)?;
    let side = t.side_of(school_id).ok_or(AppError::NotFound)?;
    Ok((t, side))
}

/// Pupils of the receiving school the file may be about: same UPN, or
/// same name; and the whole roll to choose from.
fn candidates(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    doc: &Document,
) -> Result<(Vec<Pupil>, Vec<Pupil>), AppError> {
    let mut found = crate::pupils::store::named(conn, &viewer.school_id, &doc.pupil.name)?;
    let mut roll = crate::pupils::store::roll(conn, &viewer.school_id)?;
    roll.retain(|p| !viewer.excluded_from(&p.id));
    if let Some(upn) = &doc.pupil.upn {
        for p in &roll {
            if p.upn.as_deref() == Some(upn.as_str()) && !found.iter().any(|f| f.id == p.id) {
                found.insert(0, p.clone());
            }
        }
    }
    let mut known = Vec::new();
    for p in found {
        if crate::incidents::store::known_pupils::knows(conn, viewer, &p)? {
            known.push(p);
        }
    }
    Ok((known, roll))
}

struct Shown {
    t: Transfer,
    side: Side,
    doc: Option<Document>,
    names: Names,
    candidates: Vec<Pupil>,
    roll: Vec<Pupil>,
    linked: Option<Pupil>,
}

/// Loads a transfer for `user`: opens it (the receiving school's DSL, the
/// first time) and audits the read of the file.
async fn shown(
    state: &AppState,
    user: &CurrentUser,
    ip: String,
    id: String,
) -> Result<Shown, AppError> {
    let viewer = Viewer::of(user);
    let dsl = user.has(Role::Dsl);
    let (name, initials, now) = (
        user.name.clone(),
        user.initials.clone(),
        state.clock.now_naive(),
    );
    db::run(&state.pool, move |conn| {
        let (mut t, side) = of_school(conn, &viewer.school_id, &id)?;
        if t.about_any(&viewer.school_id, &viewer.excluded_pupils) {
            return Err(AppError::NotFound);
        }
        let actor = Actor {
            user_id: Some(&viewer.user_id),
            name: &name,
            initials: &initials,
            ip: Some(&ip),
        };
        if side == Side::Receiver && dsl && t.opened_at.is_none() {
            flow::open(conn, &t, &actor, now)?;
            t = store::get(conn, &id)?.ok_or(AppError::NotFound)?;
        }
        // A file on its way is its receiving DSL's to open first; a trust's
        // safeguarding lead reads it once receipt is confirmed.
        let readable = side == Side::Sender || dsl || t.confirmed_at.is_some();
        let doc = if readable {
            flow::audit_read(conn, &viewer.school_id, &t, &actor, now)?;
            Some(Document::parse(&t.document).map_err(AppError::internal)?)
        } else {
            None
        };
        let (candidates, roll) = match (&doc, side, dsl, t.confirmed_at) {
            (Some(doc), Side::Receiver, true, None) => candidates(conn, &viewer, doc)?,
            _ => (Vec::new(), Vec::new()),
        };
        let linked = match (&t.linked_pupil_id, side) {
            (Some(pid), Side::Receiver) => {
                crate::pupils::store::in_school(conn, &viewer.school_id, pid)?
            }
            _ => None,
        };
        let names = names_for(conn, &[&t])?;
        Ok(Shown {
            t,
            side,
            doc,
            names,
            candidates,
            roll,
            linked,
        })
    })
    .await
}

fn render(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    s: &Shown,
    typed: &ReceiveForm,
    errors: &FieldErrors,
    done: Option<&str>,
) -> maud::Markup {
    let receive = (s.side == Side::Receiver
        && user.has(Role::Dsl)
        && s.t.confirmed_at.is_none()
        && s.doc.is_some())
    .then_some(Receive {
        candidates: &s.candidates,
        roll: &s.roll,
        typed,
        errors,
    });
    views::transfer(
        &Page::for_user("Child protection file", user, csrf),
        &TransferPage {
            t: &s.t,
            side: s.side,
            doc: s.doc.as_ref(),
            names: &s.names,
            due: overdue_before(state.clock.now_naive()),
            receive,
            linked: s.linked.as_ref(),
            done,
        },
    )
}

/// `GET /transfers/{id}`: the receipt, and the file for those who read it.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let s = shown(&state, &user, client_ip(&req), id.into_inner()).await?;
    // Fixed markers from our own redirects, never text from the address.
    let query = req.query_string();
    let done = if query == "sent=1" {
        Some("Sent. Their DSL is told by email and on their start page; this page shows when they open it and confirm receipt.")
    } else if query == "sent=nodsl" {
        Some("Sent, but that school has no DSL in safelog yet, so nobody there has been told: phone the school, and ask their administrator to give their DSL the role. It waits for them here.")
    } else if query == "confirmed=1" {
        Some("Receipt confirmed. The sending school sees it, and the file shows on the pupil's page.")
    } else if query == "imported=1" {
        Some("The package's signature checks out and it is taken in: opened and receipt confirmed by you, and linked to the pupil below. Tell the sending school you have it.")
    } else {
        None
    };
    let typed = ReceiveForm {
        new_name: s
            .doc
            .as_ref()
            .map(|d| d.pupil.name.clone())
            .unwrap_or_default(),
        ..ReceiveForm::default()
    };
    Ok(page(render(
        &state,
        &user,
        &csrf,
        &s,
        &typed,
        &FieldErrors::default(),
        done,
    )))
}

/// The receiving DSL's choice, checked.
fn parse_link(
    f: &ReceiveForm,
    candidates: &[Pupil],
    roll: &[Pupil],
) -> Result<LinkTo, FieldErrors> {
    let mut errors = FieldErrors::default();
    let link = match f.link.as_str() {
        "new" => {
            let name = forms::required(
                &mut errors,
                "new_name",
                &f.new_name,
                "the pupil's name",
                forms::ONE_LINE_MAX,
            );
            let group = forms::optional(
                &mut errors,
                "new_tutor_group",
                &f.new_tutor_group,
                "the tutor group",
                20,
            );
            LinkTo::New {
                name,
                tutor_group: Some(group).filter(|g| !g.is_empty()),
            }
        }
        "other" => {
            if !roll.iter().any(|p| p.id == f.other_pupil) {
                errors.add("other_pupil", "Choose the pupil from your roll.");
            }
            LinkTo::Existing(f.other_pupil.clone())
        }
        "" => {
            errors.add(
                "link",
                "Choose whose record this file joins: a pupil listed, another pupil on your roll, or a new pupil record.",
            );
            LinkTo::Existing(String::new())
        }
        id if candidates.iter().any(|c| c.id == id) => LinkTo::Existing(id.to_string()),
        _ => {
            errors.add("link", "Choose whose record this file joins.");
            LinkTo::Existing(String::new())
        }
    };
    errors.into_result().map(|()| link)
}

/// `POST /transfers/{id}/receive` (the receiving school's DSL): links the
/// file to a pupil and confirms receipt.
pub async fn receive(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    form: Form<ReceiveForm>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req);
    let id = id.into_inner();
    let s = shown(&state, &user, ip.clone(), id.clone()).await?;
    if s.side != Side::Receiver {
        return Err(AppError::NotFound);
    }
    let typed = form.into_inner();
    let refuse = |errors: FieldErrors| {
        Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&state, &user, &csrf, &s, &typed, &errors, None),
        ))
    };
    if s.t.confirmed_at.is_some() {
        let mut errors = FieldErrors::default();
        errors.add("link", "Receipt of this file was already confirmed.");
        return refuse(errors);
    }
    let link = match parse_link(&typed, &s.candidates, &s.roll) {
        Ok(l) => l,
        Err(errors) => return refuse(errors),
    };
    let (t, school_id, now) = (s.t.clone(), user.school_id.clone(), state.clock.now_naive());
    let (uid, name, initials, ip2) = (
        user.id.clone(),
        user.name.clone(),
        user.initials.clone(),
        ip.clone(),
    );
    let outcome = db::run(&state.pool, move |conn| {
        let actor = Actor {
            user_id: Some(&uid),
            name: &name,
            initials: &initials,
            ip: Some(&ip2),
        };
        flow::confirm(conn, &t, &school_id, &link, &actor, now)
    })
    .await?;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/transfers/{id}?confirmed=1"))),
        Err(message) => {
            let mut errors = FieldErrors::default();
            errors.add("link", message);
            refuse(errors)
        }
    }
}

/// The pupil page's card, for the DSL (and a trust's safeguarding lead):
/// what was sent from here and what was received for this pupil.
pub fn pupil_card(
    conn: &mut AnyConnection,
    user: &CurrentUser,
    pupil: &Pupil,
    now: chrono::NaiveDateTime,
) -> Result<Option<maud::Markup>, AppError> {
    if !user.roles.any(&[Role::Dsl, Role::TrustSafeguardingLead]) {
        return Ok(None);
    }
    let sent = store::sent_of_pupil(conn, &pupil.id)?;
    let received = store::received_for_pupil(conn, &user.school_id, &pupil.id)?;
    let all: Vec<&Transfer> = sent.iter().chain(received.iter()).collect();
    let names = names_for(conn, &all)?;
    Ok(Some(views::pupil_card(
        pupil,
        &sent,
        &received,
        &names,
        overdue_before(now),
        user.has(Role::Dsl),
    )))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PackageQuery {
    pub urn: String,
}

/// `GET /pupils/{id}/transfer-package?urn=` (the DSL): the pupil's file as
/// one signed package for the school with that URN on another system.
/// Recorded as sent (downloaded) and in the audit trail; the URN is a
/// school's public number, so it may be in the address.
pub async fn download(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    id: web::Path<String>,
    query: web::Query<PackageQuery>,
) -> Result<HttpResponse, AppError> {
    let ip = client_ip(&req);
    let id = id.into_inner();
    let urn = match crate::accounts::model::Urn::parse(query.urn.trim()) {
        Ok(urn) => urn,
        Err(why) => {
            let d = send_data(&state, &user, ip, id).await?;
            let mut errors = FieldErrors::default();
            errors.add(
                "urn",
                format!("{why} Type the receiving school's URN (Get Information about Schools) to download its package."),
            );
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                send_page_with(&state, &user, &csrf, &d, "", &errors),
            ));
        }
    };
    let (viewer, now) = (Viewer::of(&user), state.clock.now_naive());
    let (name, initials, user_id) = (user.name.clone(), user.initials.clone(), user.id.clone());
    let own = school_urn(&state, &user).await?;
    if own.as_deref() == Some(urn.as_str()) {
        let d = send_data(&state, &user, ip, id).await?;
        let mut errors = FieldErrors::default();
        errors.add(
            "urn",
            "That is your own school's URN. Type the URN of the pupil's new school.",
        );
        return Ok(page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            send_page_with(&state, &user, &csrf, &d, "", &errors),
        ));
    }
    let (transfer_id, bytes) = db::run(&state.pool, move |conn| {
        let pupil = known_pupil(conn, &viewer, &id)?;
        let from = crate::accounts::store::school(conn, &viewer.school_id)?;
        let local = crate::accounts::store::school_by_urn(conn, &urn)?;
        let key = super::keys::ensure(conn, now)?;
        crate::db::dialect::write_transaction(conn, |conn| {
            let transfer_id = uuid::Uuid::new_v4().to_string();
            let doc = document::build(
                conn,
                &Making {
                    transfer_id: &transfer_id,
                    school_id: &from.id,
                    made_by_name: &name,
                    made_by_initials: &initials,
                    receiving_urn: Some(urn.as_str()),
                    receiving_name: local.as_ref().map(|s| s.name.as_str()),
                    now,
                },
                &pupil,
            )?;
            let text = doc.to_json()?;
            let bytes = super::package::make(&text, &doc, &key).map_err(AppError::internal)?;
            store::insert(
                conn,
                &store::NewTransfer {
                    id: &transfer_id,
                    document_id: &transfer_id,
                    kind: super::model::Kind::PackageOut,
                    from_school_id: Some(&from.id),
                    from_pupil_id: Some(&pupil.id),
                    from_school_name: &from.name,
                    from_school_urn: from.urn.as_deref(),
                    to_school_id: None,
                    to_urn: Some(urn.as_str()),
                    pupil_name: &pupil.name,
                    incident_count: flow::count(&doc),
                    document: &text,
                    sent_at: now,
                    sent_by: Some(&user_id),
                    sent_by_name: &name,
                    key_fingerprint: Some(&key.fingerprint()),
                },
            )?;
            flow::audit_both(
                conn,
                "transfer_package_downloaded",
                &[Some(&from.id), local.as_ref().map(|s| s.id.as_str())],
                &transfer_id,
                &Actor {
                    user_id: Some(&user_id),
                    name: &name,
                    initials: &initials,
                    ip: Some(&ip),
                },
                &format!(
                    "package for URN {}; {} incidents",
                    urn.as_str(),
                    doc.incidents.len()
                ),
                now,
            )?;
            Ok::<_, AppError>((transfer_id, bytes))
        })
    })
    .await?;
    // No pupil's name in the file's name: downloads lists keep it.
    let file = format!(
        "child-protection-file-{}-{}.json",
        state.clock.today().format("%Y-%m-%d"),
        &transfer_id[..8]
    );
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .body(bytes))
}

/// `GET /transfers/import` (the DSL): the upload page.
pub async fn import_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let urn = school_urn(&state, &user).await?;
    Ok(page(views::import(
        &Page::for_user("Import a package", &user, &csrf),
        urn.as_deref(),
        None,
        "",
    )))
}

async fn school_urn(state: &AppState, user: &CurrentUser) -> Result<Option<String>, AppError> {
    let school_id = user.school_id.clone();
    db::run(&state.pool, move |conn| {
        Ok(crate::accounts::store::school(conn, &school_id)?.urn)
    })
    .await
}

/// The uploaded package and the fingerprint typed, or a message.
async fn package_of(
    mut parts: actix_multipart::Multipart,
) -> Result<(Vec<u8>, String), (String, String)> {
    use futures_util::StreamExt;
    let (mut file, mut key) = (None, String::new());
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| {
            (
                "Choose the package file and upload it.".to_string(),
                key.clone(),
            )
        })?;
        let name = part
            .content_disposition()
            .and_then(|d| d.get_name())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| {
                (
                    "The upload was interrupted; try again.".to_string(),
                    key.clone(),
                )
            })?;
            if bytes.len() + chunk.len() > super::package::MAX_BYTES {
                return Err((
                    "The file is larger than 20 MB: it is not a transfer package.".into(),
                    key.clone(),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_deref() {
            Some("file") => file = Some(bytes),
            Some("key") => key = String::from_utf8_lossy(&bytes).chars().take(100).collect(),
            _ => {}
        }
    }
    match file.filter(|f| !f.is_empty()) {
        Some(f) => Ok((f, key)),
        None => Err(("Choose the package file and upload it.".into(), key)),
    }
}

/// `POST /transfers/import` (the DSL): checks the package and takes it in
/// as received history; a refusal stores nothing and says why.
pub async fn import_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    parts: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    let urn = school_urn(&state, &user).await?;
    let refuse = |message: &str, key: &str| {
        page_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            views::import(
                &Page::for_user("Import a package", &user, &csrf),
                urn.as_deref(),
                Some(message),
                key,
            ),
        )
    };
    let (bytes, key) = match package_of(parts).await {
        Ok(got) => got,
        Err((message, key)) => return Ok(refuse(&message, &key)),
    };
    let (school_id, user_id, name, initials, ip, now) = (
        user.school_id.clone(),
        user.id.clone(),
        user.name.clone(),
        user.initials.clone(),
        client_ip(&req),
        state.clock.now_naive(),
    );
    let expected = key.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let school = crate::accounts::store::school(conn, &school_id)?;
        flow::take_in(
            conn,
            &bytes,
            &school,
            Some(&expected),
            &Actor {
                user_id: Some(&user_id),
                name: &name,
                initials: &initials,
                ip: Some(&ip),
            },
            now,
        )
    })
    .await?;
    match outcome {
        Ok(done) => Ok(see_other(&format!(
            "/transfers/{}?imported=1",
            done.transfer_id
        ))),
        Err(message) => Ok(refuse(&message, &key)),
    }
}

/// `GET /admin/transfer-key` (administrators): the deployment's public key
/// and its fingerprint, to give schools that receive its packages.
pub async fn key_page(
    state: web::Data<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
) -> Result<HttpResponse, AppError> {
    let now = state.clock.now_naive();
    let key = db::run(&state.pool, move |conn| super::keys::ensure(conn, now)).await?;
    Ok(page(views::key(
        &Page::for_user("Package signing key", &user, &csrf),
        &key,
    )))
}

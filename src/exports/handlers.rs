//! The export download (from the incident list and the API) and the
//! spreadsheet upload page.

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};

use super::export::{self, Audit, ExportError};
use super::import::{self, ImportError, Options, Source};
use super::store::Scope;
use super::views::{self, Shown};
use crate::auth::csrf::CsrfToken;
use crate::auth::session::client_ip;
use crate::auth::CurrentUser;
use crate::db;
use crate::error::{ApiError, AppError};
use crate::incidents::filters::ListQuery;
use crate::incidents::saved_search::{self, SearchRef};
use crate::incidents::Viewer;
use crate::state::AppState;
use crate::views::{page, page_with, Page};

/// `GET /incidents/export.csv`: the list's "Download CSV", with its
/// filters and its saved search (never typed text in the address).
pub async fn export_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ListQuery>,
    saved: web::Query<SearchRef>,
) -> Result<HttpResponse, AppError> {
    let (query, expired) = saved_search::apply(&state, &user, &query, &saved.f).await?;
    if expired {
        return Err(AppError::Invalid(
            "That search has expired (a search is kept for two hours). Search the list again, then download it.".into(),
        ));
    }
    let (filters, _) = query.parse().map_err(|errors| {
        let said: Vec<&str> = errors.iter().map(|(_, m)| m).collect();
        AppError::Invalid(format!(
            "The list's filters need correcting before it can be downloaded: {}",
            said.join(" ")
        ))
    })?;
    download(&state, &req, &user, filters, "page").await
}

/// `GET /api/v1/export.csv`: the same, with the list API's query parameters.
pub async fn export_api(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filters, _) = query.parse().map_err(|e| ApiError(e.into_api_error()))?;
    Ok(download(&state, &req, &user, filters, "api").await?)
}

/// Starts the export on a blocking thread and answers once it is in the
/// audit trail; the rows then stream through a small channel, so the
/// response holds a few chunks at most, and stops if the client goes away.
async fn download(
    state: &AppState,
    req: &HttpRequest,
    user: &CurrentUser,
    filters: crate::incidents::filters::Filters,
    via: &'static str,
) -> Result<HttpResponse, AppError> {
    let scope = Scope {
        school_id: user.school_id.clone(),
        viewer: Some(Viewer::of(user)),
        filters,
    };
    let audit = Audit {
        actor: Some(user.id.clone()),
        ip: Some(client_ip(req)),
        via,
        at: state.clock.now_naive(),
    };
    let pool = state.pool.clone();
    let (chunks, body) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (ready_tx, ready_rx) = oneshot::channel::<Result<i64, AppError>>();
    actix_web::rt::task::spawn_blocking(move || {
        let mut ready = Some(ready_tx);
        let out = ChannelWriter::new(chunks.clone());
        let result = export::run(&pool, &scope, &audit, out, &mut |rows| {
            if let Some(tx) = ready.take() {
                let _ = tx.send(Ok(rows));
            }
        });
        match (result, ready.take()) {
            (Ok(_), _) => {}
            (Err(ExportError::Before(e)), Some(tx)) => {
                let _ = tx.send(Err(e));
            }
            (Err(ExportError::During(cause)), Some(tx)) => {
                let _ = tx.send(Err(AppError::internal(cause)));
            }
            (Err(ExportError::Before(e)), None) => {
                tracing::warn!(error = %e, "export stopped part-way");
                let _ = chunks.blocking_send(Err(std::io::Error::other("export stopped")));
            }
            (Err(ExportError::During(cause)), None) => {
                // A client that went away is not an error worth more.
                tracing::warn!(cause = %cause, "export stopped part-way");
                let _ = chunks.blocking_send(Err(std::io::Error::other("export stopped")));
            }
        }
    });
    let rows = ready_rx.await.map_err(AppError::internal)??;
    let stream = futures_util::stream::unfold(body, |mut body| async move {
        body.recv().await.map(|chunk| (chunk, body))
    });
    let name = format!(
        "safelog-export-{}.csv",
        state.clock.today().format("%Y-%m-%d")
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header(("X-Safelog-Rows", rows.to_string()))
        .streaming(stream))
}

/// Buffers what the csv writer writes and hands it on in chunks of about
/// 64 kB, waiting while the channel is full (the client is slower than the
/// database); fails once the response has gone.
struct ChannelWriter {
    buffer: Vec<u8>,
    chunks: mpsc::Sender<Result<Bytes, std::io::Error>>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn new(chunks: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        Self {
            buffer: Vec::with_capacity(CHUNK),
            chunks,
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.chunks
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `GET /import/log`: the upload form.
pub async fn import_page(user: CurrentUser, csrf: CsrfToken) -> Result<HttpResponse, AppError> {
    Ok(page(views::import_page(
        &Page::for_user("Import the old incident log", &user, &csrf),
        None,
    )))
}

/// The largest spreadsheet accepted: years of a busy school's log are a
/// few megabytes.
const MAX_FILE: usize = 10 * 1024 * 1024;

/// What the upload form sent: a file, or (from the dry run's page) the same
/// file again as base64 text, and whether to import or only check.
struct Upload {
    bytes: Vec<u8>,
    file_name: String,
    dry_run: bool,
}

/// The part's bytes, up to `limit`.
async fn part_bytes(part: &mut actix_multipart::Field, limit: usize) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.next().await {
        let chunk = chunk.map_err(|_| "The upload was interrupted; try again.".to_string())?;
        if bytes.len() + chunk.len() > limit {
            return Err("The file is larger than 10 MB; is it the incident log?".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A file name as kept with the incidents: its last part, printable, short.
fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() {
        "spreadsheet.csv".into()
    } else {
        clean.trim().to_string()
    }
}

async fn read_upload(mut parts: Multipart) -> Result<Upload, String> {
    let choose = || "Choose the spreadsheet (saved as CSV) and upload it.".to_string();
    let mut file: Option<(Vec<u8>, String)> = None;
    let mut content: Option<Vec<u8>> = None;
    let mut named: Option<String> = None;
    let mut dry_run = true;
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| choose())?;
        let (name, filename) = match part.content_disposition() {
            Some(d) => (
                d.get_name().unwrap_or("").to_string(),
                d.get_filename().map(str::to_string),
            ),
            None => (String::new(), None),
        };
        match name.as_str() {
            "file" => {
                let bytes = part_bytes(&mut part, MAX_FILE).await?;
                if !bytes.is_empty() {
                    file = Some((bytes, clean_name(filename.as_deref().unwrap_or(""))));
                }
            }
            "content" => {
                let text = part_bytes(&mut part, MAX_FILE / 3 * 4 + 4).await?;
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(text.trim_ascii())
                    .map_err(|_| choose())?;
                content = Some(decoded);
            }
            "file_name" => {
                let bytes = part_bytes(&mut part, 1024).await?;
                named = Some(clean_name(&String::from_utf8_lossy(&bytes)));
            }
            "mode" => {
                let bytes = part_bytes(&mut part, 64).await?;
                dry_run = bytes.as_slice() != b"import";
            }
            _ => {
                part_bytes(&mut part, 1024).await?;
            }
        }
    }
    let (bytes, file_name) = match (file, content) {
        (Some(f), _) => f,
        (None, Some(c)) if !c.is_empty() => (c, named.unwrap_or_else(|| clean_name(""))),
        _ => return Err(choose()),
    };
    Ok(Upload {
        bytes,
        file_name,
        dry_run,
    })
}

/// `POST /import/log`: a dry run (the default) or the import itself.
pub async fn import_upload(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: CurrentUser,
    csrf: CsrfToken,
    parts: Multipart,
) -> Result<HttpResponse, AppError> {
    let page_info = Page::for_user("Import the old incident log", &user, &csrf);
    let upload = match read_upload(parts).await {
        Ok(u) => u,
        Err(message) => {
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::import_page(&page_info, Some(&Shown::Unreadable(message))),
            ))
        }
    };
    let (school_id, actor, ip) = (user.school_id.clone(), user.id.clone(), client_ip(&req));
    let (now, today) = (state.clock.now_naive(), state.clock.today());
    let Upload {
        bytes,
        file_name,
        dry_run,
    } = upload;
    let name = file_name.clone();
    let (outcome, bytes) = db::run(&state.pool, move |conn| {
        let opts = Options {
            school_id: &school_id,
            file_name: &name,
            dry_run,
            actor: Some(&actor),
            ip: Some(&ip),
            via: "upload",
        };
        let outcome = import::run(
            conn,
            Source::Bytes(&bytes),
            &opts,
            now,
            today,
            &mut |_, _| {},
        );
        Ok((outcome, bytes))
    })
    .await?;
    let report = match outcome {
        Ok(report) => report,
        Err(ImportError::File(e)) => {
            return Ok(page_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                views::import_page(&page_info, Some(&Shown::Unreadable(e.to_string()))),
            ))
        }
        Err(ImportError::App(e)) => return Err(e),
    };
    let status = if report.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // After a clean dry run the page offers the import itself, carrying
    // the file so that it need not be chosen again.
    let again = (report.dry_run && report.problems.is_empty() && report.tally.created > 0)
        .then(|| base64::engine::general_purpose::STANDARD.encode(&bytes));
    Ok(page_with(
        status,
        views::import_page(
            &page_info,
            Some(&Shown::Report {
                report: &report,
                file_name: &file_name,
                content: again.as_deref(),
            }),
        ),
    ))
}

//! Building the application: the middleware every response passes through
//! and the route tables of each feature. It stands on top of every feature;
//! nothing imports it back (the shared state lives in `state`).

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{
    body::MessageBody, dev::ServiceRequest, dev::ServiceResponse, web, App, HttpServer,
};

use crate::auth::access::{RouteInfo, Router};
use crate::auth::tokens::Keys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{self, DbPool, OpenError};
use crate::error::{self, AppError};
use crate::mail::{self, MailWorker};
use crate::state::AppState;

/// Why the service could not start: each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] OpenError),
    #[error("cannot listen on {addr}: {reason}; stop the program using it or choose another address with SAFELOG_BIND")]
    Bind { addr: String, reason: String },
    #[error("cannot listen for metrics on {addr}: {reason}; choose another address with SAFELOG_METRICS_BIND")]
    MetricsBind { addr: String, reason: String },
    #[error("{0}")]
    Secret(String),
    #[error(transparent)]
    Mail(#[from] mail::SetupError),
}

/// A bound, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    mail: MailWorker,
}

impl Application {
    /// Opens and migrates the database, binds the listener (port 0 picks a
    /// free one) and builds the server.
    pub fn build(config: Config, clock: Clock) -> Result<Self, StartError> {
        let pool = db::open(&config.database_url)?;
        Self::build_with_pool(config, clock, pool)
    }

    pub fn build_with_pool(config: Config, clock: Clock, pool: DbPool) -> Result<Self, StartError> {
        let listener = TcpListener::bind(config.bind).map_err(|e| StartError::Bind {
            addr: config.bind.to_string(),
            reason: e.to_string(),
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartError::Bind {
                addr: config.bind.to_string(),
                reason: e.to_string(),
            })?
            .port();
        let workers = config.workers;
        let keys = Keys::load(&config).map_err(StartError::Secret)?;
        // AppState's handle keeps the worker running for as long as the
        // server lives; if a step below fails, the handles are dropped and
        // the worker stops by itself.
        let metrics = std::sync::Arc::new(crate::metrics::Metrics::default());
        let metrics_listener = match config.metrics_bind {
            Some(addr) => {
                let listener = TcpListener::bind(addr).map_err(|e| StartError::MetricsBind {
                    addr: addr.to_string(),
                    reason: e.to_string(),
                })?;
                if let Ok(bound) = listener.local_addr() {
                    metrics.set_listener(bound);
                }
                Some(listener)
            }
            None => None,
        };
        // The key transfer packages are signed with: made once, kept.
        pool.get()
            .map_err(|e| StartError::Secret(format!("cannot reach the database: {e}")))
            .and_then(|mut conn| {
                crate::transfers::keys::ensure(&mut conn, clock.now_naive())
                    .map(|_| ())
                    .map_err(|e| {
                        StartError::Secret(format!(
                            "cannot make or read the package signing key: {}",
                            e.message()
                        ))
                    })
            })?;
        let mail = mail::spawn(pool.clone(), &config, clock.clone())?;
        crate::cases::reminders::spawn(
            pool.clone(),
            clock.clone(),
            mail.clone(),
            std::time::Duration::from_millis(config.reminder_poll_ms.max(1)),
            metrics.clone(),
        );
        if let Some(root) = config.pupil_drop.clone() {
            crate::pupils::drop::spawn(
                pool.clone(),
                clock.clone(),
                root,
                std::time::Duration::from_millis(config.pupil_drop_poll_ms.max(1)),
            );
        }
        let writer = crate::db::writer::Writer::start(&config.database_url)?;
        let state = web::Data::new(AppState {
            pool,
            writer,
            config,
            clock,
            keys,
            mail: mail.clone(),
            metrics,
        });
        let methods = web::Data::new(crate::methods::Methods::from_table(&route_table()));
        // Providers' discovery documents and keys, shared by the workers.
        let sso_cache = web::Data::new(crate::sso::Cache::new());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(methods.clone())
                .app_data(sso_cache.clone())
                .app_data(web::PayloadConfig::new(BODY_LIMIT))
                .app_data(
                    web::FormConfig::default()
                        .limit(BODY_LIMIT)
                        .error_handler(form_error),
                )
                .app_data(
                    web::JsonConfig::default()
                        .limit(BODY_LIMIT)
                        .error_handler(json_error),
                )
                .wrap(from_fn(crate::plain_text::guard))
                .wrap(from_fn(crate::auth::csrf::protect))
                .wrap(from_fn(security_headers))
                .wrap(from_fn(crate::telemetry::log_requests))
                .wrap(from_fn(crate::metrics::only_metrics_on_its_listener))
                .configure(routes)
                .default_service(web::to(not_found))
        })
        // Requests in flight get this long to finish after SIGTERM or Ctrl-C.
        .shutdown_timeout(30);
        if let Some(n) = workers {
            server = server.workers(n);
        }
        let mut server = server.listen(listener).map_err(|e| StartError::Bind {
            addr: "the listener".into(),
            reason: e.to_string(),
        })?;
        if let Some(listener) = metrics_listener {
            server = server
                .listen(listener)
                .map_err(|e| StartError::MetricsBind {
                    addr: "the metrics listener".into(),
                    reason: e.to_string(),
                })?;
        }
        let server = server.run();
        Ok(Self { port, server, mail })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The mail worker's handle, to wake or stop it from outside a handler.
    pub fn mail(&self) -> MailWorker {
        self.mail.clone()
    }

    pub fn server(self) -> Server {
        self.server
    }

    /// Runs until SIGTERM or Ctrl-C, then lets requests in flight complete.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Every URL of the service, feature by feature, each with who may use it.
fn feature_routes(r: &mut Router<'_>) {
    crate::health::routes(r);
    crate::assets::routes(r);
    crate::auth::routes(r);
    crate::sso::routes(r);
    crate::dashboard::routes(r);
    crate::accounts::routes(r);
    crate::reports::routes(r);
    crate::exports::routes(r);
    crate::incidents::routes(r);
    crate::pupils::routes(r);
    crate::cases::routes(r);
    crate::attachments::routes(r);
    crate::retention::routes(r);
    crate::transfers::routes(r);
    crate::access_requests::routes(r);
    crate::trust::routes(r);
    crate::monitoring::routes(r);
    crate::categories::admin::routes(r);
    crate::categories::trust::routes(r);
    crate::trust_admin::routes(r);
    crate::api_docs::routes(r);
    crate::metrics::routes(r);
}

fn routes(cfg: &mut web::ServiceConfig) {
    let mut table = Vec::new();
    feature_routes(&mut Router::new(Some(cfg), &mut table));
}

/// The route table: every method, path and access rule the service has.
pub fn route_table() -> Vec<RouteInfo> {
    let mut table = Vec::new();
    feature_routes(&mut Router::new(None, &mut table));
    table
}

use crate::error::BODY_LIMIT;

/// The parse error is neither shown nor logged: it can quote what was typed.
fn form_error(
    err: actix_web::error::UrlencodedError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    if matches!(
        err,
        UrlencodedError::Overflow { .. }
            | UrlencodedError::Payload(actix_web::error::PayloadError::Overflow)
    ) {
        return error::for_path(req.path(), AppError::TooLarge);
    }
    error::for_path(
        req.path(),
        AppError::Invalid("This form arrived incomplete or too large, so nothing was saved. Go back and try again.".into()),
    )
}

fn json_error(
    err: actix_web::error::JsonPayloadError,
    req: &actix_web::HttpRequest,
) -> actix_web::Error {
    // serde's message can quote the body; say only where it went wrong.
    let message = match &err {
        actix_web::error::JsonPayloadError::Deserialize(e) => format!(
            "The request body is not the JSON this endpoint expects (line {}, column {}); see /api/v1/openapi.json.",
            e.line(),
            e.column()
        ),
        actix_web::error::JsonPayloadError::Overflow { .. }
        | actix_web::error::JsonPayloadError::OverflowKnownLength { .. }
        | actix_web::error::JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            return error::for_path(req.path(), AppError::TooLarge)
        }
        actix_web::error::JsonPayloadError::ContentType => "Send the body as JSON with Content-Type: application/json.".into(),
        _ => "The request body could not be read as JSON, or is too large.".into(),
    };
    error::for_path(req.path(), AppError::Invalid(message))
}

async fn not_found(
    req: actix_web::HttpRequest,
) -> Result<actix_web::HttpResponse, actix_web::Error> {
    let allowed = req
        .app_data::<web::Data<crate::methods::Methods>>()
        .and_then(|m| m.allowed(req.path()));
    Err(error::for_path(
        req.path(),
        allowed.map_or(AppError::NotFound, AppError::MethodNotAllowed),
    ))
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers on every response. Nothing is cached but the static assets: a
/// shared school laptop must not show the last person's pages from cache.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.is_https());
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    // A downloaded attachment sets its own, stricter policy (a sandbox).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // `same-origin`: no URL (which can name a record) ever goes to another
    // site, and our own form posts keep their Origin. `no-referrer` made
    // browsers send `Origin: null` on every form post.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    Ok(res)
}

//! Email. Every email is first written to the `outbox` table with
//! [`enqueue`], inside the transaction of the change that causes it, so an
//! alert exists exactly when the incident it reports does. A background
//! [`MailWorker`] (started by [`spawn`] when the application is built)
//! delivers queued emails over SMTP, retrying with exponential back-off
//! for as long as it takes: an outage delays mail and loses none. Emails
//! that have not gone are listed for administrators by [`undelivered`] and
//! [`last_delivery_error`].
//!
//! Typical use in a handler:
//!
//! ```text
//! db::run(&state.pool, move |conn| {
//!     write_transaction(conn, |conn| {
//!         // ... the change ...
//!         mail::enqueue(conn, &mail::NewMail { .. }, now)?;
//!         Ok(())
//!     })
//! })
//! .await?;
//! state.mail.wake(); // after the commit, so the worker can see the row
//! ```

mod marks;
mod store;
mod transport;
mod worker;

pub use store::{
    enqueue, last_delivery_error, undelivered, DeliveryError, NewMail, UndeliveredMail,
};
pub use worker::{spawn, MailWorker};

/// Written in an email body where its links start; replaced with
/// `SAFELOG_BASE_URL` when the email is sent, so code that queues an email
/// inside a transaction need not know the address people use.
pub const BASE_URL: &str = "{base_url}";

/// Why mail delivery could not be set up: each says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("SAFELOG_SMTP_URL is not usable ({0}); write it as smtp://HOST:PORT, smtp://HOST?tls=required or smtps://HOST, with USER:PASSWORD@ before HOST if the server needs a login")]
    SmtpUrl(String),
    #[error("SAFELOG_MAIL_FROM is not an email address ({0}); write it as address@example.org or \"Name <address@example.org>\"")]
    MailFrom(String),
    #[error("the mail worker needs an async runtime and none is running")]
    NoRuntime,
}

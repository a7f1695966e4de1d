//! SMTP: building a plain-text message from an outbox row and handing it to
//! the server named by `SAFELOG_SMTP_URL`. Errors come back as text for the
//! row's `last_error`; none of them carries the subject or body.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::SetupError;

/// How long one SMTP command may take before lettre gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    base_url: String,
}

impl Smtp {
    /// Reads the SMTP URL and From address once, at start-up, so a typo
    /// stops the service with a message instead of failing every email.
    pub(crate) fn new(url: &str, from: &str, base_url: &str) -> Result<Self, SetupError> {
        // lettre's error text names the part that is wrong, never the
        // password in the URL.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SetupError::SmtpUrl(e.to_string()))?;
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SetupError::MailFrom(e.to_string()))?;
        Ok(Self {
            transport: builder.timeout(Some(COMMAND_TIMEOUT)).build(),
            from,
            base_url: base_url.to_string(),
        })
    }

    /// Sends one email. `id` becomes the Message-ID, so if the accepted
    /// at-least-once edge ever sends an email twice, mail clients see the
    /// same message and can show it once.
    pub(crate) async fn send(
        &self,
        id: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e: lettre::address::AddressError| {
            format!("invalid recipient address: {e}")
        })?;
        // A subject is one line; a stray newline from a template must not
        // become a header of its own.
        let subject = subject.replace(['\r', '\n'], " ");
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{id}@{}>", self.from.email.domain())))
            .header(ContentType::TEXT_PLAIN)
            .body(body.replace(super::BASE_URL, &self.base_url))
            .map_err(|e| format!("cannot build the email: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

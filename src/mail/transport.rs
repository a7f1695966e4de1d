//! SMTP: building a plain-text message from an outbox row and handing it to
//! the server named by `SAFELOG_SMTP_URL`. Errors come back as text for the
//! row's `last_error`; none of them carries the subject or body.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::{AsyncSmtpTransport, Message, Tokio1Executor};
use tokio::sync::Mutex;

use super::SetupError;

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection is secured, as the URL says (lettre's own reading of
/// `smtp://`, `smtp://...?tls=required|opportunistic` and `smtps://`).
enum Security {
    Plain,
    StartTls {
        params: TlsParameters,
        required: bool,
    },
    Implicit(TlsParameters),
}

pub(crate) struct Smtp {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    from: Mailbox,
    base_url: String,
    /// The connection kept open for the next email.
    open: Mutex<Option<AsyncSmtpConnection>>,
}

impl Smtp {
    /// Reads the SMTP URL and From address once, at start-up, so a typo
    /// stops the service with a message instead of failing every email.
    pub(crate) fn new(url: &str, from: &str, base_url: &str) -> Result<Self, SetupError> {
        // lettre's error text names the part that is wrong, never the
        // password in the URL; its reading of the URL is the one we follow.
        AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SetupError::SmtpUrl(e.to_string()))?;
        let parsed = url::Url::parse(url).map_err(|e| SetupError::SmtpUrl(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| SetupError::SmtpUrl("the SMTP URL names no host".into()))?
            .to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        let params =
            || TlsParameters::new(host.clone()).map_err(|e| SetupError::SmtpUrl(e.to_string()));
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtps", _) => (Security::Implicit(params()?), 465),
            ("smtp", Some("required")) => (
                Security::StartTls {
                    params: params()?,
                    required: true,
                },
                587,
            ),
            ("smtp", Some("opportunistic")) => (
                Security::StartTls {
                    params: params()?,
                    required: false,
                },
                587,
            ),
            _ => (Security::Plain, 25),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let credentials = parsed
            .password()
            .map(|password| Credentials::new(decode(parsed.username()), decode(password)));
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| SetupError::MailFrom(e.to_string()))?;
        Ok(Self {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            from,
            base_url: base_url.to_string(),
            open: Mutex::new(None),
        })
    }

    /// A new connection, greeted, secured and signed in as the URL says.
    ///
    /// The socket is ours, with Nagle's algorithm off: lettre writes a
    /// message's body and its closing `.` separately, and with Nagle on the
    /// `.` waited for the server's delayed acknowledgement (up to 40 ms on
    /// Linux). For all that time the email was as good as sent (a crash
    /// then closes the socket, which flushes the `.`, and the server
    /// accepts it) but not yet marked sent: 15 of 20 `kill -9`s repeated an
    /// alert. (With `smtps://` lettre opens the socket itself, and the
    /// delay stays.)
    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let mut conn = match &self.security {
            Security::Implicit(params) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(CONNECT_TIMEOUT),
                &self.hello,
                Some(params.clone()),
                None,
            )
            .await
            .map_err(|e| e.to_string())?,
            Security::Plain | Security::StartTls { .. } => {
                let tcp = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
                )
                .await
                .map_err(|_| "connecting to the SMTP server timed out".to_string())?
                .map_err(|e| format!("cannot connect to the SMTP server: {e}"))?;
                tcp.set_nodelay(true).map_err(|e| e.to_string())?;
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                        .await
                        .map_err(|e| e.to_string())?;
                if let Security::StartTls { params, required } = &self.security {
                    if conn.can_starttls() {
                        conn.starttls(params.clone(), &self.hello)
                            .await
                            .map_err(|e| e.to_string())?;
                    } else if *required {
                        conn.abort().await;
                        return Err(
                            "the SMTP server does not offer STARTTLS, which the URL requires"
                                .into(),
                        );
                    }
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(conn)
    }

    /// Starts one email: the server takes its sender, recipient and DATA
    /// command; what is left, its content and closing line, goes with
    /// [`Outgoing::finish`]. The worker writes its "sent" mark in between
    /// (see `worker.rs`). `id` becomes the Message-ID, so if the accepted
    /// at-least-once edge ever sends an email twice, mail clients see the
    /// same message and can show it once.
    pub(crate) async fn start(
        &self,
        id: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<Outgoing<'_>, String> {
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
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        // Taken out while in use: if the worker's time limit drops this
        // future mid-conversation, the half-used connection goes with it.
        let kept = self.open.lock().await.take();
        let mut conn = match kept {
            // A kept connection the server has since closed answers no NOOP.
            Some(mut conn) => {
                if conn.test_connected().await {
                    conn
                } else {
                    self.connect().await?
                }
            }
            None => self.connect().await?,
        };
        // What lettre's own `send` does before the content, with its
        // options for addresses and content that are not ASCII. A
        // connection that fails here is dropped, not kept.
        let ascii_addresses = envelope
            .to()
            .iter()
            .chain(envelope.from())
            .all(|a: &lettre::Address| AsRef::<str>::as_ref(a).is_ascii());
        let mut options = Vec::new();
        if !ascii_addresses {
            if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err("the SMTP server does not take addresses that are not ASCII".into());
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            if !conn.server_info().supports_feature(Extension::EightBitMime) {
                return Err("the SMTP server does not take content that is not ASCII".into());
            }
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let text = |e: lettre::transport::smtp::Error| e.to_string();
        conn.command(Mail::new(envelope.from().cloned(), options))
            .await
            .map_err(text)?;
        for recipient in envelope.to() {
            conn.command(Rcpt::new(recipient.clone(), vec![]))
                .await
                .map_err(text)?;
        }
        conn.command(Data).await.map_err(text)?;
        Ok(Outgoing {
            smtp: self,
            conn,
            bytes,
        })
    }
}

/// An email the server is waiting for the content of.
pub(crate) struct Outgoing<'a> {
    smtp: &'a Smtp,
    conn: AsyncSmtpConnection,
    bytes: Vec<u8>,
}

impl Outgoing<'_> {
    /// Sends the content and its closing line, and reads the server's
    /// answer: `Ok` once the server has accepted the email.
    pub(crate) async fn finish(mut self) -> Result<(), String> {
        let sent = self.conn.message(&self.bytes).await.map(|_| ());
        if sent.is_ok() && !self.conn.has_broken() {
            *self.smtp.open.lock().await = Some(self.conn);
        }
        sent.map_err(|e| e.to_string())
    }
}

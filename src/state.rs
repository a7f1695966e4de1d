//! The state every handler can reach. It sits beneath every feature (beside
//! `config`, `db` and `clock`) so that a feature never imports the route
//! assembly in `app` to get at it.

use crate::auth::tokens::Keys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::DbPool;
use crate::mail::MailWorker;

/// What every handler can reach.
pub struct AppState {
    pub pool: DbPool,
    /// Where logging's writes go to be committed together (`db::writer`).
    pub writer: crate::db::writer::Writer,
    pub config: Config,
    pub clock: Clock,
    pub keys: Keys,
    /// Wake it after a transaction that queued an email commits.
    pub mail: MailWorker,
    /// What `/metrics` reports; counted by the request log and the reminders.
    pub metrics: std::sync::Arc<crate::metrics::Metrics>,
}

//! The overdue reminder: an incident not picked up within the school's
//! pick-up time (default one school day) alerts its owner role again and
//! the headteacher, once. A background task looks every minute; the
//! `reminders` table's primary key keeps "once" true across instances.

use std::time::Duration as StdDuration;

use chrono::{Datelike, Duration, NaiveDateTime, Weekday};

use super::alerts::{self, About, AlertKind, To};
use super::store;
use crate::auth::Role;
use crate::clock::Clock;
use crate::db::dialect::write_transaction;
use crate::db::{AnyConnection, DbPool};
use crate::mail::MailWorker;

/// An incident logged before this moment should have been picked up by `now`:
/// `now` less `school_days` weekdays (a weekend does not count).
pub fn picked_up_by(now: NaiveDateTime, school_days: i32) -> NaiveDateTime {
    let mut at = now;
    let mut left = school_days.max(1);
    while left > 0 {
        at -= Duration::days(1);
        if !matches!(at.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    at
}

/// Sends every reminder that is due now; returns how many incidents had one.
pub fn send_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
) -> Result<usize, crate::error::AppError> {
    let mut sent = 0;
    for school in crate::accounts::store::all_schools(conn)? {
        let due = picked_up_by(now, school_pickup_days(conn, &school.id)?);
        for incident in store::overdue_without_reminder(conn, &school.id, due)? {
            let done = write_transaction(conn, |conn| {
                if !store::claim_reminder(conn, &incident.id, &school.id, now)? {
                    return Ok::<_, crate::error::AppError>(false);
                }
                let category =
                    crate::categories::store::by_code(conn, &school.id, &incident.category_code)?;
                let (name, urgent) =
                    category.map_or((String::new(), false), |c| (c.name, c.urgent));
                let about = About {
                    incident: &incident,
                    category_name: &name,
                    urgent,
                };
                let mut roles = vec![incident.owner(), Role::Headteacher];
                roles.dedup();
                alerts::send(conn, &about, AlertKind::Overdue, To::Roles(&roles), now)?;
                Ok(true)
            });
            match done {
                Ok(true) => sent += 1,
                Ok(false) => {}
                // Another instance claimed it first (unique key): nothing to do.
                Err(e) => tracing::info!(error = %e, "reminder skipped"),
            }
        }
    }
    Ok(sent)
}

fn school_pickup_days(conn: &mut AnyConnection, school_id: &str) -> diesel::QueryResult<i32> {
    use crate::db::schema::schools;
    use diesel::prelude::*;
    schools::table
        .find(school_id)
        .select(schools::pickup_school_days)
        .first(conn)
}

/// Runs [`send_due`] every `every` until the pool's last user is gone.
pub fn spawn(
    pool: DbPool,
    clock: Clock,
    mail: MailWorker,
    every: StdDuration,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime: overdue reminders are not running");
        return;
    };
    runtime.spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let (pool, now) = (pool.clone(), clock.now_naive());
            let round = tokio::task::spawn_blocking(move || {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                send_due(&mut conn, now).map_err(|e| e.message())
            })
            .await;
            metrics.observe_reminder_run(match &round {
                Ok(Ok(n)) => Ok(*n),
                _ => Err(()),
            });
            match round {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => {
                    tracing::info!(incidents = n, "overdue reminders sent");
                    mail.wake();
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "overdue reminders failed; will try again")
                }
                Err(e) => tracing::error!(error = %e, "overdue reminder round failed"),
            }
            if mail.is_stopped() {
                break;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    #[test]
    fn one_school_day_skips_the_weekend() {
        // Wednesday 12 Nov 2025: due by Tuesday at the same time.
        assert_eq!(picked_up_by(at(2025, 11, 12, 10), 1), at(2025, 11, 11, 10));
        // Monday: an incident from Friday at the same time is just due.
        assert_eq!(picked_up_by(at(2025, 11, 17, 10), 1), at(2025, 11, 14, 10));
        // Saturday and Sunday: still Friday.
        assert_eq!(picked_up_by(at(2025, 11, 15, 10), 1), at(2025, 11, 14, 10));
        assert_eq!(picked_up_by(at(2025, 11, 12, 10), 2), at(2025, 11, 10, 10));
    }
}

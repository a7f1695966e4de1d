//! SQL for the metrics: the outbox's depth and its oldest unsent email.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::AnyConnection;

/// (emails not yet sent, when the oldest of them was queued).
pub fn unsent(conn: &mut AnyConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    let count = outbox::table
        .filter(outbox::sent_at.is_null())
        .count()
        .get_result(conn)?;
    let oldest = outbox::table
        .filter(outbox::sent_at.is_null())
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn)?;
    Ok((count, oldest))
}

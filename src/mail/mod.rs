//! TEMPORARY stand-in until the outbox module lands: writes the outbox row.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::AnyConnection;

pub struct NewMail<'a> {
    pub school_id: Option<&'a str>,
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

pub fn enqueue(
    conn: &mut AnyConnection,
    mail: &NewMail<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(uuid::Uuid::new_v4().to_string()),
            outbox::school_id.eq(mail.school_id),
            outbox::kind.eq(mail.kind),
            outbox::to_address.eq(mail.to),
            outbox::subject.eq(mail.subject),
            outbox::body.eq(mail.body),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(now),
            outbox::attempts.eq(0),
        ))
        .execute(conn)?;
    Ok(())
}

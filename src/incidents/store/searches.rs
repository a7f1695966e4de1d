//! SQL for the list page's saved searches (see `incidents::saved_search`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::list_searches;
use crate::db::AnyConnection;

pub struct NewSearch<'a> {
    pub school_id: &'a str,
    pub user_id: &'a str,
    pub session_id: &'a str,
    pub typed: &'a str,
    pub expires_at: NaiveDateTime,
}

/// Keeps a search and returns its id; this person's expired searches go.
pub fn save(
    conn: &mut AnyConnection,
    new: &NewSearch<'_>,
    now: NaiveDateTime,
) -> QueryResult<String> {
    diesel::delete(
        list_searches::table
            .filter(list_searches::user_id.eq(new.user_id))
            .filter(list_searches::expires_at.le(now)),
    )
    .execute(conn)?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    diesel::insert_into(list_searches::table)
        .values((
            list_searches::id.eq(&id),
            list_searches::school_id.eq(new.school_id),
            list_searches::user_id.eq(new.user_id),
            list_searches::session_id.eq(new.session_id),
            list_searches::typed.eq(new.typed),
            list_searches::created_at.eq(now),
            list_searches::expires_at.eq(new.expires_at),
        ))
        .execute(conn)?;
    Ok(id)
}

/// The typed part of a search, if it is this session's and has not expired.
pub fn load(
    conn: &mut AnyConnection,
    id: &str,
    user_id: &str,
    session_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    list_searches::table
        .filter(list_searches::id.eq(id))
        .filter(list_searches::user_id.eq(user_id))
        .filter(list_searches::session_id.eq(session_id))
        .filter(list_searches::expires_at.gt(now))
        .select(list_searches::typed)
        .first(conn)
        .optional()
}

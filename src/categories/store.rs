//! SQL for categories.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::defaults::DEFAULTS;
use super::model::Category;
use crate::db::schema::categories;
use crate::db::AnyConnection;

/// Gives a school the default taxonomy. Called when a school is created;
/// [`for_school`] also calls it for a school made before categories existed.
pub fn seed_defaults(
    conn: &mut AnyConnection,
    school_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    // A savepoint when the caller is already in a transaction: all sixteen
    // or none.
    conn.transaction(|conn| {
        for (position, d) in (1..).zip(DEFAULTS.iter()) {
            diesel::insert_into(categories::table)
                .values((
                    categories::id.eq(uuid::Uuid::new_v4().to_string()),
                    categories::school_id.eq(school_id),
                    categories::code.eq(d.code),
                    categories::name.eq(d.name),
                    categories::four_c.eq(d.four_c.as_str()),
                    categories::owner_role.eq(d.owner.as_str()),
                    categories::guidance.eq(d.guidance),
                    categories::urgent.eq(d.urgent),
                    categories::restricted.eq(d.restricted),
                    categories::position.eq(position),
                    categories::active.eq(true),
                    categories::created_at.eq(at),
                    categories::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Every category of a school, active or not, in the order staff see them.
/// A school with none yet (made before categories existed) is given the
/// defaults first; if two requests race to do that, the unique index lets
/// one win and the other reads what it wrote.
pub fn for_school(
    conn: &mut AnyConnection,
    school_id: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<Category>> {
    let found = load(conn, school_id)?;
    if !found.is_empty() {
        return Ok(found);
    }
    match seed_defaults(conn, school_id, at) {
        Ok(())
        | Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => load(conn, school_id),
        Err(e) => Err(e),
    }
}

fn load(conn: &mut AnyConnection, school_id: &str) -> QueryResult<Vec<Category>> {
    categories::table
        .filter(categories::school_id.eq(school_id))
        .order((categories::position.asc(), categories::code.asc()))
        .select(Category::as_select())
        .load(conn)
}

/// One category of a school by its code.
pub fn by_code(
    conn: &mut AnyConnection,
    school_id: &str,
    code: &str,
) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::school_id.eq(school_id))
        .filter(categories::code.eq(code))
        .select(Category::as_select())
        .first(conn)
        .optional()
}

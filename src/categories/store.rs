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

/// One category of a school by id, or NotFound.
pub fn in_school(conn: &mut AnyConnection, school_id: &str, id: &str) -> QueryResult<Category> {
    categories::table
        .filter(categories::school_id.eq(school_id))
        .filter(categories::id.eq(id))
        .select(Category::as_select())
        .first(conn)
}

/// What an administrator may change about a category.
pub struct Edit<'a> {
    pub name: &'a str,
    pub four_c: &'a str,
    pub owner_role: &'a str,
    pub guidance: &'a str,
    pub urgent: bool,
    pub active: bool,
}

pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    e: &Edit<'_>,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(categories::table.find(id))
        .set((
            categories::name.eq(e.name),
            categories::four_c.eq(e.four_c),
            categories::owner_role.eq(e.owner_role),
            categories::guidance.eq(e.guidance),
            categories::urgent.eq(e.urgent),
            categories::active.eq(e.active),
            categories::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Adds a school's own category after its others; false when the code is taken.
pub fn create(
    conn: &mut AnyConnection,
    school_id: &str,
    code: &str,
    e: &Edit<'_>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    if by_code(conn, school_id, code)?.is_some() {
        return Ok(false);
    }
    let last: Option<i32> = categories::table
        .filter(categories::school_id.eq(school_id))
        .select(diesel::dsl::max(categories::position))
        .first(conn)?;
    diesel::insert_into(categories::table)
        .values((
            categories::id.eq(uuid::Uuid::new_v4().to_string()),
            categories::school_id.eq(school_id),
            categories::code.eq(code),
            categories::name.eq(e.name),
            categories::four_c.eq(e.four_c),
            categories::owner_role.eq(e.owner_role),
            categories::guidance.eq(e.guidance),
            categories::urgent.eq(e.urgent),
            categories::restricted.eq(false),
            categories::position.eq(last.unwrap_or(0) + 1),
            categories::active.eq(e.active),
            categories::created_at.eq(at),
            categories::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn set_pickup_days(conn: &mut AnyConnection, school_id: &str, days: i32) -> QueryResult<()> {
    use crate::db::schema::schools;
    diesel::update(schools::table.find(school_id))
        .set(schools::pickup_school_days.eq(days))
        .execute(conn)?;
    Ok(())
}

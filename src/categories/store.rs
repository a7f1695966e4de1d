//! SQL for categories.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::defaults::{DefaultCategory, DEFAULTS};
use super::model::{Category, TrustCategory};
use crate::db::schema::{categories, schools, trust_categories};
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
    let seeded = seed_defaults(conn, school_id, at).and_then(|()| {
        let trust: Option<String> = schools::table
            .find(school_id)
            .select(schools::trust_id)
            .first(conn)?;
        match trust {
            Some(trust_id) => carry_trust_set(conn, school_id, &trust_id, at),
            None => Ok(()),
        }
    });
    match seeded {
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

/// Changes a school's own category. A category the trust shares is left
/// as it is (only [`update_for_trust`] changes it): false then.
pub fn update(
    conn: &mut AnyConnection,
    id: &str,
    e: &Edit<'_>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        categories::table
            .find(id)
            .filter(categories::trust_category_id.is_null()),
    )
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
    Ok(n > 0)
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

/// Adds one of the standard categories to a school that lacks it (made
/// before it was a default), as the standard set has it, after its others;
/// false when the school has a category with that code already.
pub fn add_standard(
    conn: &mut AnyConnection,
    school_id: &str,
    d: &DefaultCategory,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let e = Edit {
        name: d.name,
        four_c: d.four_c.as_str(),
        owner_role: d.owner.as_str(),
        guidance: d.guidance,
        urgent: d.urgent,
        active: true,
    };
    create(conn, school_id, d.code, &e, at)
}

/// The standard categories a school does not have: those added to the
/// defaults after it was made, which its categories page offers.
pub fn standard_missing(categories: &[Category]) -> Vec<&'static DefaultCategory> {
    DEFAULTS
        .iter()
        .filter(|d| !categories.iter().any(|c| c.code == d.code))
        .collect()
}

pub fn set_pickup_days(conn: &mut AnyConnection, school_id: &str, days: i32) -> QueryResult<()> {
    diesel::update(schools::table.find(school_id))
        .set(schools::pickup_school_days.eq(days))
        .execute(conn)?;
    Ok(())
}

// A trust's shared categories. Each school of the trust carries each of
// them as a row of its own (matched by code), changed here and nowhere
// else, in the transaction that changes the trust's.

/// Every category a trust shares, in its order.
pub fn trust_set(conn: &mut AnyConnection, trust_id: &str) -> QueryResult<Vec<TrustCategory>> {
    trust_categories::table
        .filter(trust_categories::trust_id.eq(trust_id))
        .order((
            trust_categories::position.asc(),
            trust_categories::code.asc(),
        ))
        .select(TrustCategory::as_select())
        .load(conn)
}

/// One of this trust's categories, or NotFound: never another trust's.
pub fn trust_category(
    conn: &mut AnyConnection,
    trust_id: &str,
    id: &str,
) -> QueryResult<TrustCategory> {
    trust_categories::table
        .filter(trust_categories::trust_id.eq(trust_id))
        .filter(trust_categories::id.eq(id))
        .select(TrustCategory::as_select())
        .first(conn)
}

/// Adds a category to a trust's shared set, after its others, and carries
/// it into every school of the trust. `None` when the trust shares one
/// with this code already.
pub fn create_for_trust(
    conn: &mut AnyConnection,
    trust_id: &str,
    code: &str,
    e: &Edit<'_>,
    restricted: bool,
    at: NaiveDateTime,
) -> QueryResult<Option<TrustCategory>> {
    let taken: i64 = trust_categories::table
        .filter(trust_categories::trust_id.eq(trust_id))
        .filter(trust_categories::code.eq(code))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Ok(None);
    }
    let last: Option<i32> = trust_categories::table
        .filter(trust_categories::trust_id.eq(trust_id))
        .select(diesel::dsl::max(trust_categories::position))
        .first(conn)?;
    let id = uuid::Uuid::new_v4().to_string();
    diesel::insert_into(trust_categories::table)
        .values((
            trust_categories::id.eq(&id),
            trust_categories::trust_id.eq(trust_id),
            trust_categories::code.eq(code),
            trust_categories::name.eq(e.name),
            trust_categories::four_c.eq(e.four_c),
            trust_categories::owner_role.eq(e.owner_role),
            trust_categories::guidance.eq(e.guidance),
            trust_categories::urgent.eq(e.urgent),
            trust_categories::restricted.eq(restricted),
            trust_categories::position.eq(last.unwrap_or(0) + 1),
            trust_categories::active.eq(e.active),
            trust_categories::created_at.eq(at),
            trust_categories::updated_at.eq(at),
        ))
        .execute(conn)?;
    let made = trust_category(conn, trust_id, &id)?;
    carry_everywhere(conn, &made, at)?;
    Ok(Some(made))
}

/// Changes a trust's category and, with it, every school's row of it.
pub fn update_for_trust(
    conn: &mut AnyConnection,
    tc: &TrustCategory,
    e: &Edit<'_>,
    at: NaiveDateTime,
) -> QueryResult<TrustCategory> {
    diesel::update(trust_categories::table.find(&tc.id))
        .set((
            trust_categories::name.eq(e.name),
            trust_categories::four_c.eq(e.four_c),
            trust_categories::owner_role.eq(e.owner_role),
            trust_categories::guidance.eq(e.guidance),
            trust_categories::urgent.eq(e.urgent),
            trust_categories::active.eq(e.active),
            trust_categories::updated_at.eq(at),
        ))
        .execute(conn)?;
    let changed = trust_category(conn, &tc.trust_id, &tc.id)?;
    carry_everywhere(conn, &changed, at)?;
    Ok(changed)
}

/// Carries one trust category into every school of its trust; returns how
/// many schools carry it.
pub fn carry_everywhere(
    conn: &mut AnyConnection,
    tc: &TrustCategory,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    let schools: Vec<String> = schools::table
        .filter(schools::trust_id.eq(&tc.trust_id))
        .order(schools::id.asc())
        .select(schools::id)
        .load(conn)?;
    for school_id in &schools {
        carry_into(conn, tc, school_id, at)?;
    }
    Ok(schools.len())
}

/// A school joining a trust starts from the trust's shared set.
pub fn carry_trust_set(
    conn: &mut AnyConnection,
    school_id: &str,
    trust_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    for tc in trust_set(conn, trust_id)? {
        carry_into(conn, &tc, school_id, at)?;
    }
    Ok(())
}

/// The school's row with the trust category's code takes the trust's
/// values and is marked as the trust's (its incidents keep it, by code); a
/// school without one gains it, after its others. Whether a category is
/// restricted is never loosened here: only staff-conduct is, from the
/// default set, and no administrator changes it.
fn carry_into(
    conn: &mut AnyConnection,
    tc: &TrustCategory,
    school_id: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    match by_code(conn, school_id, &tc.code)? {
        Some(row) => {
            diesel::update(categories::table.find(&row.id))
                .set((
                    categories::name.eq(&tc.name),
                    categories::four_c.eq(&tc.four_c),
                    categories::owner_role.eq(&tc.owner_role),
                    categories::guidance.eq(&tc.guidance),
                    categories::urgent.eq(tc.urgent),
                    categories::restricted.eq(row.restricted || tc.restricted),
                    categories::active.eq(tc.active),
                    categories::trust_category_id.eq(&tc.id),
                    categories::updated_at.eq(at),
                ))
                .execute(conn)?;
        }
        None => {
            let last: Option<i32> = categories::table
                .filter(categories::school_id.eq(school_id))
                .select(diesel::dsl::max(categories::position))
                .first(conn)?;
            diesel::insert_into(categories::table)
                .values((
                    categories::id.eq(uuid::Uuid::new_v4().to_string()),
                    categories::school_id.eq(school_id),
                    categories::code.eq(&tc.code),
                    categories::name.eq(&tc.name),
                    categories::four_c.eq(&tc.four_c),
                    categories::owner_role.eq(&tc.owner_role),
                    categories::guidance.eq(&tc.guidance),
                    categories::urgent.eq(tc.urgent),
                    categories::restricted.eq(tc.restricted),
                    categories::position.eq(last.unwrap_or(0) + 1),
                    categories::active.eq(tc.active),
                    categories::created_at.eq(at),
                    categories::updated_at.eq(at),
                    categories::trust_category_id.eq(&tc.id),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

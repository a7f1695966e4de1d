//! The trust dashboard's figures: for each school of the trust, counts
//! (grouped in SQL), through the same visibility rule as every other read
//! ([`crate::incidents::store::visibility::listed_to`]) with the trust
//! lead's reading rights in that school, so a figure never counts an
//! incident they could not open.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::auth::Role;
use crate::cases::reminders::picked_up_by;
use crate::db::schema::{incidents, referrals, schools, trust_roles, trusts};
use crate::db::AnyConnection;
use crate::error::AppError;
use crate::incidents::store::visibility::listed_to;
use crate::incidents::Viewer;

/// One school's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchoolFigures {
    pub school_id: String,
    pub school_name: String,
    /// Not closed.
    pub open: i64,
    pub new: i64,
    /// New, and logged before the school's pick-up time.
    pub new_past_pickup: i64,
    /// Not yet acknowledged by the leadership group (as the list's
    /// "not yet acknowledged" filter counts them).
    pub unacknowledged: i64,
    /// Referrals of cases still open.
    pub open_referrals: i64,
    /// Referrals recorded with "reference to follow", open case or not.
    pub awaiting_reference: i64,
    /// The school has asked the trust lead to work its cases.
    pub asked_for_help: bool,
}

pub struct TrustBoard {
    pub trust_name: String,
    pub schools: Vec<SchoolFigures>,
}

/// The board of the trust that `school_id` belongs to, if `user_id` is its
/// safeguarding lead.
pub fn for_lead(
    conn: &mut AnyConnection,
    user_id: &str,
    school_id: &str,
    now: NaiveDateTime,
) -> Result<Option<TrustBoard>, AppError> {
    let trust: Option<(String, String)> = trusts::table
        .inner_join(schools::table)
        .filter(schools::id.eq(school_id))
        .filter(diesel::dsl::exists(
            trust_roles::table
                .filter(trust_roles::trust_id.eq(trusts::id))
                .filter(trust_roles::user_id.eq(user_id))
                .filter(trust_roles::role.eq(Role::TrustSafeguardingLead.as_str())),
        ))
        .select((trusts::id, trusts::name))
        .first(conn)
        .optional()?;
    let Some((trust_id, trust_name)) = trust else {
        return Ok(None);
    };
    let schools: Vec<(String, String, i32)> = schools::table
        .filter(schools::trust_id.eq(&trust_id))
        .order((schools::name.asc(), schools::id.asc()))
        .select((schools::id, schools::name, schools::pickup_school_days))
        .load(conn)?;
    let mut figures = Vec::with_capacity(schools.len());
    // Excluded from a pupil of any school: that pupil counts nowhere.
    let excluded_pupils = crate::pupils::exclusions::store::live_pupils_of(conn, user_id)?;
    for (id, name, pickup_days) in schools {
        let viewer = Viewer {
            user_id: user_id.to_string(),
            school_id: id.clone(),
            roles: [Role::TrustSafeguardingLead].into_iter().collect(),
            excluded_pupils: excluded_pupils.clone(),
        };
        figures.push(school_figures(
            conn,
            &viewer,
            name,
            picked_up_by(now, pickup_days),
        )?);
    }
    Ok(Some(TrustBoard {
        trust_name,
        schools: figures,
    }))
}

fn school_figures(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    school_name: String,
    due: NaiveDateTime,
) -> QueryResult<SchoolFigures> {
    let by_status: Vec<(String, i64)> = incidents::table
        .filter(listed_to(viewer))
        .group_by(incidents::status)
        .select((incidents::status, count_star()))
        .load(conn)?;
    let of = |status: &str| {
        by_status
            .iter()
            .filter(|(s, _)| s == status)
            .map(|(_, n)| *n)
            .sum::<i64>()
    };
    let open = by_status.iter().map(|(_, n)| *n).sum::<i64>() - of("closed");
    let new_past_pickup = incidents::table
        .filter(listed_to(viewer))
        .filter(incidents::status.eq("new"))
        .filter(incidents::logged_at.lt(due))
        .select(count_star())
        .get_result(conn)?;
    let unacknowledged = incidents::table
        .filter(listed_to(viewer))
        .filter(incidents::lg_acknowledged_at.is_null())
        .select(count_star())
        .get_result(conn)?;
    // Referrals are few: each one's incident is checked against the rule
    // (a referral of an incident the lead cannot open is not counted).
    let refs: Vec<(String, Option<String>)> = referrals::table
        .filter(referrals::school_id.eq(&viewer.school_id))
        .select((referrals::incident_id, referrals::reference))
        .load(conn)?;
    let readable: Vec<(String, String)> = incidents::table
        .filter(listed_to(viewer))
        .filter(incidents::id.eq_any(refs.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()))
        .select((incidents::id, incidents::status))
        .load(conn)?;
    let readable: std::collections::HashMap<String, String> = readable.into_iter().collect();
    let open_referrals = refs
        .iter()
        .filter(|(id, _)| readable.get(id).is_some_and(|s| s != "closed"))
        .count() as i64;
    let awaiting_reference = refs
        .iter()
        .filter(|(id, reference)| reference.is_none() && readable.contains_key(id))
        .count() as i64;
    Ok(SchoolFigures {
        school_id: viewer.school_id.clone(),
        school_name,
        open,
        new: of("new"),
        new_past_pickup,
        unacknowledged,
        open_referrals,
        awaiting_reference,
        asked_for_help: crate::accounts::store::trust_help_open(conn, &viewer.school_id)?,
    })
}

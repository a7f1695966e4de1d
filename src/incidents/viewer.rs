//! Who is looking, and what PRODUCT.md's visibility table lets them read.
//!
//! The rule is enforced in SQL by [`super::store::visibility`], which turns a
//! [`Viewer`] into the WHERE clause of every read (one incident, lists,
//! counts, search, chronology), so nothing can leak into a count. The
//! methods here decide, for an incident the query has already let through,
//! how much of it to show; they state the same table and must agree with it.
//!
//! A viewer also carries the pupils they are excluded from (a conflict of
//! interest: PRODUCT.md, "Anyone marked as excluded from a pupil"), read
//! once per request with the session, so the rule adds nothing to a query
//! when the list is empty, as it nearly always is.

use crate::auth::roles::RoleSet;
use crate::auth::{CurrentUser, Role};
use crate::categories::Category;

/// The person reading incidents.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: String,
    pub school_id: String,
    pub roles: RoleSet,
    /// The pupils this person is excluded from (live exclusions, in any
    /// school), sorted: nothing about them reaches this viewer.
    pub excluded_pupils: Vec<String>,
}

impl Viewer {
    pub fn of(user: &CurrentUser) -> Self {
        Self {
            user_id: user.id.clone(),
            school_id: user.school_id.clone(),
            roles: user.roles.clone(),
            excluded_pupils: user.excluded_pupils.clone(),
        }
    }

    /// Excluded from this pupil: reads nothing about them.
    pub fn excluded_from(&self, pupil_id: &str) -> bool {
        self.excluded_pupils.iter().any(|p| p == pupil_id)
    }

    /// Reads every incident of the school, restricted ones included, but
    /// not allegations about the headteacher.
    pub fn reads_restricted(&self) -> bool {
        self.roles.has(Role::Headteacher)
    }

    /// Holds a role of the school itself, not only a trust's: may log,
    /// correct and add notes (a trust safeguarding lead only reads).
    pub fn writes(&self) -> bool {
        self.roles.iter().any(|r| !Role::TRUST.contains(&r))
    }

    /// Reads every incident of the school except restricted ones.
    pub fn reads_unrestricted(&self) -> bool {
        // A trust safeguarding lead reads, in each school of the trust,
        // what the DSL reads.
        self.roles.any(Role::LEADS) || self.roles.has(Role::TrustSafeguardingLead)
    }

    /// Reads allegations about the headteacher (and, from this role, nothing
    /// else but what they logged).
    pub fn reads_allegations(&self) -> bool {
        self.roles.has(Role::AllegationsLead)
    }

    /// Reads the incidents of the categories the DPO owns.
    pub fn reads_dpo_categories(&self) -> bool {
        self.roles.has(Role::Dpo)
    }

    /// Whether this viewer reads an incident of `category` in full (its case
    /// notes, who viewed it) rather than only as the person who logged it.
    pub fn reads_in_full(&self, category: &Category, about_headteacher: bool) -> bool {
        if about_headteacher {
            return self.reads_allegations();
        }
        if self.reads_restricted() {
            return true;
        }
        if category.restricted {
            return false;
        }
        self.reads_unrestricted() || (self.reads_dpo_categories() && category.owner() == Role::Dpo)
    }

    /// May mark an incident "entered in error" (PRODUCT.md: the DSL or the
    /// headteacher), given that they read it in full.
    pub fn may_mark_in_error(&self) -> bool {
        self.roles.any(&[Role::Dsl, Role::Headteacher])
    }

    /// Sees on an incident's page who has viewed it.
    pub fn sees_viewers(&self) -> bool {
        self.roles.any(&[
            Role::Dsl,
            Role::Headteacher,
            Role::AllegationsLead,
            Role::TrustSafeguardingLead,
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(owner: &str, restricted: bool) -> Category {
        let at = chrono::NaiveDate::from_ymd_opt(2025, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap_or_default();
        Category {
            id: "c".into(),
            school_id: "s".into(),
            code: "x".into(),
            name: "X".into(),
            four_c: "none".into(),
            owner_role: owner.into(),
            guidance: String::new(),
            urgent: false,
            restricted,
            position: 1,
            active: true,
            created_at: at,
            updated_at: at,
            trust_category_id: None,
        }
    }

    fn viewer(roles: &[Role]) -> Viewer {
        Viewer {
            user_id: "u".into(),
            school_id: "s".into(),
            roles: roles.iter().copied().collect(),
            excluded_pupils: Vec::new(),
        }
    }

    #[test]
    fn only_the_headteacher_reads_a_restricted_incident_in_full() {
        let staff_conduct = category("headteacher", true);
        let bullying = category("dsl", false);
        let breach = category("dpo", false);
        assert!(viewer(&[Role::Headteacher]).reads_in_full(&staff_conduct, false));
        for role in [Role::Dsl, Role::OnlineSafetyLead, Role::Dpo, Role::Staff] {
            assert!(
                !viewer(&[role]).reads_in_full(&staff_conduct, false),
                "{role}"
            );
        }
        assert!(viewer(&[Role::OnlineSafetyLead]).reads_in_full(&bullying, false));
        assert!(!viewer(&[Role::Dpo]).reads_in_full(&bullying, false));
        assert!(viewer(&[Role::Dpo]).reads_in_full(&breach, false));
        assert!(!viewer(&[Role::Staff, Role::Governor, Role::Admin]).reads_in_full(&breach, false));
    }

    #[test]
    fn only_the_allegations_lead_reads_an_allegation_about_the_headteacher_in_full() {
        let staff_conduct = category("headteacher", true);
        assert!(viewer(&[Role::AllegationsLead]).reads_in_full(&staff_conduct, true));
        for role in [
            Role::Headteacher,
            Role::Dsl,
            Role::OnlineSafetyLead,
            Role::Dpo,
        ] {
            assert!(
                !viewer(&[role]).reads_in_full(&staff_conduct, true),
                "{role}"
            );
        }
        assert!(!viewer(&[Role::AllegationsLead]).reads_in_full(&staff_conduct, false));
    }
}

//! Who owns a new incident (PRODUCT.md "Categories and routing"), decided
//! in this one function so that alerts can hang off the same decision.

use crate::auth::Role;
use crate::categories::Category;

/// Where an incident goes, and what the person who logged it must do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub owner: Role,
    /// Staff are told to tell the DSL in person now.
    pub urgent: bool,
    /// Seen only by the headteacher (or, about the headteacher, only by
    /// the allegations lead).
    pub restricted: bool,
    /// An allegation about the headteacher: the allegations lead owns it.
    pub about_headteacher: bool,
}

/// The category's owner owns the incident, except that the DSL owns any
/// incident where a child may have been put at risk. A restricted category
/// keeps its owner even then: an allegation about a member of staff goes to
/// the headteacher (and on to the LADO), and routing it to a DSL who may not
/// read it would leave it with no one. An allegation about the headteacher
/// goes to the allegations lead instead (KCSIE Part 4: the chair of
/// governors), never to the head it is about; only a restricted category
/// can carry it, since only those are hidden from the leads.
pub fn decide(category: &Category, child_at_risk: bool, about_headteacher: bool) -> Route {
    let about_headteacher = about_headteacher && category.restricted;
    let owner = if about_headteacher {
        Role::AllegationsLead
    } else if child_at_risk && !category.restricted {
        Role::Dsl
    } else {
        category.owner()
    };
    Route {
        owner,
        urgent: category.urgent,
        restricted: category.restricted,
        about_headteacher,
    }
}

impl Route {
    /// What `incidents.owner_role` holds: the owner, except that an
    /// allegation about the headteacher keeps the category's owner there
    /// and is marked by `about_headteacher` instead (the column's CHECK
    /// predates the role; see the allegations_lead migration).
    pub fn stored_owner(&self) -> Role {
        if self.about_headteacher {
            Role::Headteacher
        } else {
            self.owner
        }
    }
}

/// Who the owner is, as the person who logged it is told.
pub fn owner_phrase(owner: Role) -> &'static str {
    match owner {
        Role::Dsl => "the Designated Safeguarding Lead",
        Role::OnlineSafetyLead => "the Online Safety Lead",
        Role::Headteacher => "the headteacher",
        Role::Dpo => "the data protection officer",
        Role::AllegationsLead => "the allegations lead (chair of governors)",
        Role::Staff
        | Role::Governor
        | Role::Admin
        | Role::Leadership
        | Role::TrustSafeguardingLead
        | Role::TrustAdmin
        | Role::Trustee
        | Role::MonitoringTriager => "the school's leads",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::defaults::DEFAULTS;

    fn category(code: &str) -> Category {
        let d = DEFAULTS.iter().find(|d| d.code == code).unwrap();
        let at = chrono::NaiveDateTime::default();
        Category {
            id: "c".into(),
            school_id: "s".into(),
            code: d.code.into(),
            name: d.name.into(),
            four_c: d.four_c.as_str().into(),
            owner_role: d.owner.as_str().into(),
            guidance: d.guidance.into(),
            urgent: d.urgent,
            restricted: d.restricted,
            position: 1,
            active: true,
            created_at: at,
            updated_at: at,
            trust_category_id: None,
        }
    }

    #[test]
    fn the_category_owns_unless_a_child_was_at_risk() {
        assert_eq!(
            decide(&category("system-misuse"), false, false).owner,
            Role::OnlineSafetyLead
        );
        assert_eq!(
            decide(&category("system-misuse"), true, false).owner,
            Role::Dsl
        );
        assert_eq!(
            decide(&category("data-breach"), false, false).owner,
            Role::Dpo
        );
        assert_eq!(
            decide(&category("reputation"), false, false).owner,
            Role::Headteacher
        );
        assert!(decide(&category("nudes-sharing"), false, false).urgent);
    }

    #[test]
    fn a_restricted_category_stays_with_the_headteacher_even_when_a_child_was_at_risk() {
        let route = decide(&category("staff-conduct"), true, false);
        assert_eq!(route.owner, Role::Headteacher);
        assert!(route.restricted);
    }

    #[test]
    fn an_allegation_about_the_headteacher_goes_to_the_allegations_lead_and_only_from_staff_conduct(
    ) {
        let route = decide(&category("staff-conduct"), true, true);
        assert_eq!(route.owner, Role::AllegationsLead);
        assert!(route.about_headteacher);
        let route = decide(&category("reputation"), false, true);
        assert_eq!(route.owner, Role::Headteacher);
        assert!(!route.about_headteacher);
    }
}

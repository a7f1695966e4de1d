//! The roles of PRODUCT.md. A person may hold several, per school.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Staff,
    OnlineSafetyLead,
    Dsl,
    Headteacher,
    Dpo,
    Governor,
    Admin,
    /// A senior leader (deputy or assistant head): acknowledges for the
    /// leadership group and reads what the Online Safety Lead reads.
    Leadership,
    /// The chair of governors (in a trust, often its CEO): owns allegations
    /// about the headteacher (KCSIE Part 4), which the headteacher must not
    /// read.
    AllegationsLead,
    /// A trust's safeguarding lead: held across a trust (`trust_roles`),
    /// never as a school membership. In a school of the trust it reads what
    /// the DSL reads, and it sees the trust dashboard. Not in [`Role::ALL`],
    /// which lists the roles a school gives.
    TrustSafeguardingLead,
    /// A trust's administrator: held across a trust. Manages the trust's
    /// schools, its shared categories and who holds its trust roles; reads
    /// no incident.
    TrustAdmin,
    /// A trustee (a member of the trust's board): reads the trust's
    /// published termly reports, as a governor reads a school's; nothing
    /// else.
    Trustee,
    /// A member of staff the school's administrator has named to triage
    /// monitoring alerts beside the DSL and the Online Safety Lead (KCSIE:
    /// "and whoever the school names"). Not a membership a school gives as
    /// the others: it follows from the administrator's list
    /// (`monitoring_triagers`) in the school the person is working in, so
    /// it is not in [`Role::ALL`].
    MonitoringTriager,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Staff,
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Dpo,
        Role::Governor,
        Role::Admin,
        Role::Leadership,
        Role::AllegationsLead,
    ];

    /// The leads who read incidents of every (unrestricted) category.
    pub const LEADS: &'static [Role] = &[
        Role::OnlineSafetyLead,
        Role::Dsl,
        Role::Headteacher,
        Role::Leadership,
    ];

    /// Who acknowledges for the leadership group ("LG Acknowledged").
    pub const ACKNOWLEDGERS: &'static [Role] = &[Role::Headteacher, Role::Leadership];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::OnlineSafetyLead => "online_safety_lead",
            Role::Dsl => "dsl",
            Role::Headteacher => "headteacher",
            Role::Dpo => "dpo",
            Role::Governor => "governor",
            Role::Admin => "admin",
            Role::Leadership => "leadership",
            Role::AllegationsLead => "allegations_lead",
            Role::TrustSafeguardingLead => "trust_safeguarding_lead",
            Role::TrustAdmin => "trust_admin",
            Role::Trustee => "trustee",
            Role::MonitoringTriager => "monitoring_triager",
        }
    }

    /// How the role is named to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Staff => "Staff",
            Role::OnlineSafetyLead => "Online Safety Lead",
            Role::Dsl => "Designated Safeguarding Lead",
            Role::Headteacher => "Headteacher",
            Role::Dpo => "Data protection officer",
            Role::Governor => "Governor / trustee",
            Role::Admin => "Administrator",
            Role::Leadership => "Senior leader (leadership group)",
            Role::AllegationsLead => "Allegations lead (chair of governors)",
            Role::TrustSafeguardingLead => "Trust safeguarding lead",
            Role::TrustAdmin => "Trust administrator",
            Role::Trustee => "Trustee (trust board)",
            Role::MonitoringTriager => "Named to triage monitoring alerts",
        }
    }

    /// The roles held across a trust rather than given by a school.
    pub const TRUST: [Role; 3] = [Role::TrustSafeguardingLead, Role::TrustAdmin, Role::Trustee];

    /// The roles a trust may hold across its schools: its own, and the
    /// allegations lead (in an academy trust often the CEO, for every
    /// school's headteacher), which a school may also give.
    pub const TRUST_WIDE: [Role; 4] = [
        Role::TrustSafeguardingLead,
        Role::TrustAdmin,
        Role::Trustee,
        Role::AllegationsLead,
    ];

    /// Every role but plain staff can read incident content or reports, so
    /// by default each of them signs in with a second factor.
    pub fn reads_sensitive_data(self) -> bool {
        self != Role::Staff
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!("'{s}' is not a role: use one of {}", names.join(", "))
            })
    }
}

/// The roles one person holds in their school.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    pub fn has(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.0.contains(r))
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn labels(&self) -> String {
        self.iter().map(Role::label).collect::<Vec<_>>().join(", ")
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        RoleSet(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_names_and_say_what_is_allowed_otherwise() {
        assert_eq!(
            "online-safety-lead".parse::<Role>(),
            Ok(Role::OnlineSafetyLead)
        );
        assert_eq!("DSL".parse::<Role>(), Ok(Role::Dsl));
        let err = "caretaker".parse::<Role>().unwrap_err();
        assert!(err.contains("headteacher"), "{err}");
    }
}

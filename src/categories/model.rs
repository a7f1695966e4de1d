//! A category as stored, and its 4C.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::Role;
use crate::db::schema::{categories, trust_categories};

/// KCSIE's four areas of online risk, or none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FourC {
    Content,
    Contact,
    Conduct,
    Commerce,
    None,
}

impl FourC {
    pub const ALL: [FourC; 5] = [
        FourC::Content,
        FourC::Contact,
        FourC::Conduct,
        FourC::Commerce,
        FourC::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FourC::Content => "content",
            FourC::Contact => "contact",
            FourC::Conduct => "conduct",
            FourC::Commerce => "commerce",
            FourC::None => "none",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FourC::Content => "Content",
            FourC::Contact => "Contact",
            FourC::Conduct => "Conduct",
            FourC::Commerce => "Commerce",
            FourC::None => "None of the 4Cs",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: String,
    pub school_id: String,
    pub code: String,
    pub name: String,
    pub four_c: String,
    pub owner_role: String,
    pub guidance: String,
    pub urgent: bool,
    pub restricted: bool,
    pub position: i32,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Set when the school's trust shares this category: the trust alone
    /// changes it ([`crate::categories::trust`]).
    pub trust_category_id: Option<String>,
}

impl Category {
    /// The role that owns the category's incidents. The column's CHECK
    /// allows only lead roles; should it ever hold something else, the DSL
    /// owns it, because the DSL is who must never miss an incident.
    pub fn owner(&self) -> Role {
        self.owner_role.parse().unwrap_or(Role::Dsl)
    }

    pub fn four_c(&self) -> FourC {
        FourC::parse(&self.four_c).unwrap_or(FourC::None)
    }

    /// Whether the school's trust shares it (and so only the trust changes it).
    pub fn from_trust(&self) -> bool {
        self.trust_category_id.is_some()
    }
}

/// A category a trust shares with its schools. Each school of the trust
/// carries it as a [`Category`] of its own (same code), which only the
/// trust changes.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = trust_categories)]
pub struct TrustCategory {
    pub id: String,
    pub trust_id: String,
    pub code: String,
    pub name: String,
    pub four_c: String,
    pub owner_role: String,
    pub guidance: String,
    pub urgent: bool,
    pub restricted: bool,
    pub position: i32,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TrustCategory {
    pub fn owner(&self) -> Role {
        self.owner_role.parse().unwrap_or(Role::Dsl)
    }

    pub fn four_c(&self) -> FourC {
        FourC::parse(&self.four_c).unwrap_or(FourC::None)
    }
}

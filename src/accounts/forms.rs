//! The account form, parsed: after this no raw string travels further.

use serde::Deserialize;

use super::model::Urn;
use crate::auth::roles::Role;
use crate::forms::{self, FieldErrors};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub initials: String,
    #[serde(default)]
    pub role: Vec<String>,
}

pub struct Account {
    pub name: String,
    pub email: String,
    pub initials: String,
    pub roles: Vec<Role>,
}

impl TryFrom<&AccountInput> for Account {
    type Error = FieldErrors;

    fn try_from(input: &AccountInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = forms::required(&mut errors, "name", &input.name, "their name", 200);
        let email = forms::email(&mut errors, "email", &input.email);
        let initials = forms::required(
            &mut errors,
            "initials",
            &input.initials,
            "their initials",
            10,
        )
        .to_uppercase();
        let mut roles = Vec::new();
        for r in &input.role {
            match r.parse::<Role>() {
                Ok(role) if !roles.contains(&role) => roles.push(role),
                Ok(_) => {}
                Err(why) => errors.add("role", why),
            }
        }
        if roles.is_empty() {
            errors.add("role", "Choose at least one role.");
        }
        errors.into_result()?;
        roles.sort();
        Ok(Account {
            name,
            email,
            initials,
            roles,
        })
    }
}

/// The school settings form.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SchoolInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub require_2fa: String,
    #[serde(default)]
    pub report_min_count: String,
    #[serde(default)]
    pub urn: String,
}

pub struct SchoolSettings {
    pub name: String,
    /// `None` when left blank: a school made at setup may not know it yet,
    /// and a blank never takes away a URN already given.
    pub urn: Option<Urn>,
    pub require_2fa: &'static str,
    /// k: governors' reports show counts from 1 to k-1 as "<k".
    pub report_min_count: i32,
}

/// The largest k a school may choose: beyond it a termly report would
/// hide nearly every line.
pub const REPORT_MIN_COUNT_MAX: i32 = 10;

impl TryFrom<&SchoolInput> for SchoolSettings {
    type Error = FieldErrors;

    fn try_from(input: &SchoolInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = forms::required(&mut errors, "name", &input.name, "the school's name", 200);
        let require_2fa = match input.require_2fa.as_str() {
            "leads" => "leads",
            "all" => "all",
            "none" => "none",
            _ => {
                errors.add("require_2fa", "Choose who must use two-factor sign-in.");
                "leads"
            }
        };
        let report_min_count = match input.report_min_count.trim().parse::<i32>() {
            Ok(k) if (1..=REPORT_MIN_COUNT_MAX).contains(&k) => k,
            _ => {
                errors.add(
                    "report_min_count",
                    format!("Enter a whole number from 1 to {REPORT_MIN_COUNT_MAX} (3 is usual)."),
                );
                3
            }
        };
        let urn = match input.urn.trim() {
            "" => None,
            typed => match Urn::parse(typed) {
                Ok(urn) => Some(urn),
                Err(_) => {
                    errors.add(
                        "urn",
                        "Enter the school's URN: the six digits the DfE gave it (find it on Get Information about Schools).",
                    );
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(SchoolSettings {
            name,
            urn,
            require_2fa,
            report_min_count,
        })
    }
}

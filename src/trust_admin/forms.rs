//! The trust administrator's forms, parsed: after this no raw string
//! travels further.

use serde::Deserialize;

use crate::accounts::people::{Fields, Person, PersonInput};
use crate::accounts::schools::SchoolToAdd;
use crate::auth::Role;
use crate::forms::FieldErrors;

/// Adding a school, with (optionally) its first administrator.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SchoolInput {
    pub name: String,
    pub urn: String,
    pub admin_email: String,
    pub admin_name: String,
    pub admin_initials: String,
}

pub const ADMIN_FIELDS: Fields = Fields {
    email: "admin_email",
    name: "admin_name",
    initials: "admin_initials",
};

pub struct NewSchool {
    pub school: SchoolToAdd,
    pub admin: Option<Person>,
}

impl TryFrom<&SchoolInput> for NewSchool {
    type Error = FieldErrors;

    fn try_from(input: &SchoolInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let school = SchoolToAdd::parse(&input.name, &input.urn)
            .map_err(|e| merge(&mut errors, &e))
            .ok();
        let person = PersonInput {
            email: input.admin_email.clone(),
            name: input.admin_name.clone(),
            initials: input.admin_initials.clone(),
        };
        let nobody = [&person.email, &person.name, &person.initials]
            .iter()
            .all(|t| t.trim().is_empty());
        let admin = if nobody {
            None
        } else {
            person
                .parse(ADMIN_FIELDS)
                .map_err(|e| merge(&mut errors, &e))
                .ok()
        };
        match (school, errors.into_result()) {
            (Some(school), Ok(())) => Ok(NewSchool { school, admin }),
            (_, Err(errors)) => Err(errors),
            (None, Ok(())) => Err(FieldErrors::default()),
        }
    }
}

/// Naming another administrator of a school.
pub const PERSON_FIELDS: Fields = Fields {
    email: "email",
    name: "name",
    initials: "initials",
};

/// Giving a trust role to an email.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct GrantInput {
    pub email: String,
    pub name: String,
    pub initials: String,
    pub role: String,
}

pub struct Grant {
    pub person: Person,
    pub role: Role,
}

impl TryFrom<&GrantInput> for Grant {
    type Error = FieldErrors;

    fn try_from(input: &GrantInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let person = PersonInput {
            email: input.email.clone(),
            name: input.name.clone(),
            initials: input.initials.clone(),
        }
        .parse(PERSON_FIELDS)
        .map_err(|e| merge(&mut errors, &e))
        .ok();
        let role = trust_role(&input.role);
        if role.is_none() {
            errors.add("role", "Choose one of the trust's roles.");
        }
        match (person, role, errors.into_result()) {
            (Some(person), Some(role), Ok(())) => Ok(Grant { person, role }),
            (_, _, Err(errors)) => Err(errors),
            _ => Err(FieldErrors::default()),
        }
    }
}

/// Taking a trust role away: which one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RemoveInput {
    pub role: String,
}

pub fn trust_role(typed: &str) -> Option<Role> {
    crate::accounts::store::trust_role(typed.trim())
}

fn merge(into: &mut FieldErrors, from: &FieldErrors) {
    for (field, message) in from.iter() {
        into.add(field, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_school_is_checked_with_its_administrator_only_when_one_is_named() {
        let mut input = SchoolInput {
            name: "Elm Primary".into(),
            urn: "12345".into(),
            ..SchoolInput::default()
        };
        let errors = NewSchool::try_from(&input).err().unwrap();
        assert!(errors.get("urn").unwrap().contains("six digits"));
        assert!(errors.get("admin_email").is_none());
        input.urn = "123456".into();
        assert!(NewSchool::try_from(&input).unwrap().admin.is_none());
        input.admin_name = "Ann Admin".into();
        let errors = NewSchool::try_from(&input).err().unwrap();
        assert_eq!(errors.get("admin_email"), Some("Enter an email address."));
        input.admin_email = "ann@elm.sch.uk".into();
        let made = NewSchool::try_from(&input).unwrap();
        assert_eq!(made.admin.unwrap().email, "ann@elm.sch.uk");
    }

    #[test]
    fn only_a_trust_role_is_given_here() {
        let mut input = GrantInput {
            email: "tia@hill.sch.uk".into(),
            role: "dsl".into(),
            ..GrantInput::default()
        };
        assert!(Grant::try_from(&input).err().unwrap().get("role").is_some());
        input.role = "trustee".into();
        assert_eq!(Grant::try_from(&input).unwrap().role, Role::Trustee);
    }
}

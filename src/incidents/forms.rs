//! The log form and the correction form, parsed: after this no raw string
//! travels further. Both the page and the API fill an [`IncidentInput`]
//! (the page from its fields, the API from its JSON) and parse it the same
//! way, so they accept and refuse exactly the same things.
//!
//! Parsing needs two things a plain `TryFrom` could not see: today (per the
//! clock, for "not in the future") and the school's categories.

use chrono::NaiveDate;

use super::model::{Location, PupilRole};
use crate::categories::Category;
use crate::forms::FieldErrors;
use crate::pupils::model::{year_group_of, PupilRef};

/// The longest any free text may be.
pub const MAX_TEXT: usize = 20_000;
/// How many other pupils a form offers; the API takes up to [`MAX_OTHERS`].
pub const FORM_OTHERS: usize = 3;
pub const MAX_OTHERS: usize = 10;

/// Another pupil as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OtherInput {
    pub name: String,
    pub tutor_group: String,
    pub role: String,
}

impl OtherInput {
    fn is_blank(&self) -> bool {
        self.name.trim().is_empty()
            && self.tutor_group.trim().is_empty()
            && self.role.trim().is_empty()
    }
}

/// Everything the log form (and the correction form) sends, as typed, so a
/// rejected form can come back with every value kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncidentInput {
    pub pupil_name: String,
    /// Set by the type-ahead when a listed pupil is picked.
    pub pupil_id: String,
    pub tutor_group: String,
    pub incident_date: String,
    pub date_not_known: bool,
    pub category: String,
    pub child_at_risk: bool,
    /// Staff conduct only: "Is this about the headteacher?"
    pub about_headteacher: bool,
    pub details: String,
    pub actions_outcome: String,
    pub location: String,
    pub platform: String,
    pub others: Vec<OtherInput>,
    /// Other pupils a page form sent beyond the last numbered slot
    /// (`other_11_name`, ...), counted so that they are refused, not dropped.
    pub others_beyond: usize,
    /// The form's one-time key: a second submission of the same form finds
    /// the incident the first made.
    pub submission_key: String,
    /// Correction form only: the version being corrected, and why.
    pub version: String,
    pub reason: String,
}

/// Field names of the other pupils (`other_1_name`, ...), static because
/// field errors are keyed by them.
const OTHER_FIELDS: [[&str; 3]; MAX_OTHERS] = [
    ["other_1_name", "other_1_tutor_group", "other_1_role"],
    ["other_2_name", "other_2_tutor_group", "other_2_role"],
    ["other_3_name", "other_3_tutor_group", "other_3_role"],
    ["other_4_name", "other_4_tutor_group", "other_4_role"],
    ["other_5_name", "other_5_tutor_group", "other_5_role"],
    ["other_6_name", "other_6_tutor_group", "other_6_role"],
    ["other_7_name", "other_7_tutor_group", "other_7_role"],
    ["other_8_name", "other_8_tutor_group", "other_8_role"],
    ["other_9_name", "other_9_tutor_group", "other_9_role"],
    ["other_10_name", "other_10_tutor_group", "other_10_role"],
];

/// The names of the fields of other pupil `i` (from 0): name, tutor group, role.
pub fn other_fields(i: usize) -> [&'static str; 3] {
    OTHER_FIELDS.get(i).copied().unwrap_or(OTHER_FIELDS[0])
}

impl IncidentInput {
    /// From a urlencoded form's pairs. A checkbox is on when present; other
    /// pupils come as `other_N_name`, `other_N_tutor_group`, `other_N_role`.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut input = IncidentInput::default();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "pupil_name" => input.pupil_name = v,
                "pupil_id" => input.pupil_id = v,
                "tutor_group" => input.tutor_group = v,
                "incident_date" => input.incident_date = v,
                "date_not_known" => input.date_not_known = true,
                "category" => input.category = v,
                "child_at_risk" => input.child_at_risk = true,
                "about_headteacher" => input.about_headteacher = true,
                "details" => input.details = v,
                "actions_outcome" => input.actions_outcome = v,
                "location" => input.location = v,
                "platform" => input.platform = v,
                "submission_key" => input.submission_key = v,
                "version" => input.version = v,
                "reason" => input.reason = v,
                other => input.set_other(other, v),
            }
        }
        input
    }

    fn set_other(&mut self, key: &str, value: String) {
        let Some(rest) = key.strip_prefix("other_") else {
            return;
        };
        let Some((n, part)) = rest.split_once('_') else {
            return;
        };
        let Ok(n) = n.parse::<usize>() else {
            return;
        };
        if n > MAX_OTHERS {
            if part == "name" && !value.trim().is_empty() {
                self.others_beyond += 1;
            }
            return;
        }
        if n == 0 {
            return;
        }
        if self.others.len() < n {
            self.others.resize(n, OtherInput::default());
        }
        let slot = &mut self.others[n - 1];
        match part {
            "name" => slot.name = value,
            "tutor_group" => slot.tutor_group = value,
            "role" => slot.role = value,
            _ => {}
        }
    }
}

/// What parsing needs from outside the form.
pub struct Context<'a> {
    pub today: NaiveDate,
    pub categories: &'a [Category],
    /// A correction may keep the category the incident already has, even if
    /// it is no longer offered.
    pub current_category: Option<&'a str>,
}

/// The fields logging and correcting share, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentFields {
    pub pupil: PupilRef,
    pub tutor_group: String,
    pub year_group: Option<i32>,
    pub incident_date: Option<NaiveDate>,
    pub category_code: String,
    pub child_at_risk: bool,
    pub location: Location,
    pub platform: Option<String>,
    pub details: String,
    pub actions_taken: String,
}

/// Another pupil, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherRef {
    pub pupil: PupilRef,
    pub role: PupilRole,
    /// The field to blame if the name turns out to be ambiguous.
    pub name_field: &'static str,
}

/// A new incident, checked.
#[derive(Clone, Debug)]
pub struct NewIncident {
    pub fields: IncidentFields,
    pub others: Vec<OtherRef>,
    pub idempotency_key: Option<String>,
    /// Ticked "about the headteacher"; routing honours it only for a
    /// restricted category (staff conduct).
    pub about_headteacher: bool,
}

/// A correction, checked.
#[derive(Clone, Debug)]
pub struct Correction {
    pub version: i32,
    pub reason: String,
    pub fields: IncidentFields,
}

fn text(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    max: usize,
    label: &str,
) -> String {
    crate::forms::optional(errors, field, value, label, max)
}

fn fields(input: &IncidentInput, ctx: &Context<'_>, errors: &mut FieldErrors) -> IncidentFields {
    let pupil_name = crate::forms::required(
        errors,
        "pupil_name",
        &input.pupil_name,
        "the pupil's name",
        200,
    );
    let tutor_group = crate::forms::required(
        errors,
        "tutor_group",
        &input.tutor_group,
        "the pupil's tutor group, e.g. 8A",
        20,
    );
    let incident_date = incident_date(input, ctx.today, errors);
    let category_code = input.category.trim().to_string();
    let known = ctx.categories.iter().any(|c| {
        c.code == category_code && (c.active || ctx.current_category == Some(c.code.as_str()))
    });
    if category_code.is_empty() {
        errors.add("category", "Choose a category.");
    } else if !known {
        errors.add("category", "Choose one of the categories listed.");
    }
    let location = match input.location.trim() {
        "" => Location::Unknown,
        l => Location::parse(l).unwrap_or_else(|| {
            errors.add("location", "Choose where it happened from the list.");
            Location::Unknown
        }),
    };
    let platform = text(
        errors,
        "platform",
        &input.platform,
        200,
        "the platform or service",
    );
    let details =
        crate::forms::required(errors, "details", &input.details, "what happened", MAX_TEXT);
    let actions_taken = text(
        errors,
        "actions_outcome",
        &input.actions_outcome,
        MAX_TEXT,
        "the actions taken",
    );
    let pupil_id = input.pupil_id.trim();
    if crate::plain_text::first_refused(pupil_id, false).is_some() {
        errors.add("pupil_name", "Choose the pupil again from the list.");
    }
    IncidentFields {
        pupil: PupilRef {
            id: (!pupil_id.is_empty()).then(|| pupil_id.to_string()),
            name: pupil_name,
            tutor_group: Some(tutor_group.clone()),
        },
        year_group: year_group_of(&tutor_group),
        tutor_group,
        incident_date,
        category_code,
        child_at_risk: input.child_at_risk,
        location,
        platform: (!platform.is_empty()).then_some(platform),
        details,
        actions_taken,
    }
}

/// A date, or "not known" when ticked; never guessed.
fn incident_date(
    input: &IncidentInput,
    today: NaiveDate,
    errors: &mut FieldErrors,
) -> Option<NaiveDate> {
    let typed = input.incident_date.trim();
    match (typed.is_empty(), input.date_not_known) {
        (true, true) => None,
        (true, false) => {
            errors.add(
                "incident_date",
                "Enter the date of the incident, or tick \u{201c}Date not known\u{201d}.",
            );
            None
        }
        (false, true) => {
            errors.add(
                "incident_date",
                "Enter a date or tick \u{201c}Date not known\u{201d}, not both.",
            );
            None
        }
        (false, false) => {
            let Some(d) = crate::forms::parse_date(typed) else {
                errors.add(
                    "incident_date",
                    "Enter the date as dd/mm/yyyy, for example 05/05/2020.",
                );
                return None;
            };
            if d > today {
                errors.add(
                    "incident_date",
                    "The date of the incident cannot be in the future.",
                );
            } else if d < NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(d) {
                errors.add(
                    "incident_date",
                    "The date of the incident cannot be before 2000.",
                );
            }
            Some(d)
        }
    }
}

fn others(input: &IncidentInput, errors: &mut FieldErrors) -> Vec<OtherRef> {
    let listed = input.others.iter().filter(|o| !o.is_blank()).count() + input.others_beyond;
    if listed > MAX_OTHERS {
        errors.add(
            "other_pupils",
            format!(
                "List at most {MAX_OTHERS} other pupils; this lists {listed}. Name the others in the details."
            ),
        );
    }
    let mut out = Vec::new();
    for (i, o) in input.others.iter().enumerate().take(MAX_OTHERS) {
        if o.is_blank() {
            continue;
        }
        let [name_f, group_f, role_f] = other_fields(i);
        let name = crate::forms::required(errors, name_f, &o.name, "the pupil's name", 200);
        let group = text(errors, group_f, &o.tutor_group, 20, "the tutor group");
        let role = PupilRole::parse(o.role.trim());
        if role.is_none() {
            errors.add(role_f, "Choose how this pupil is involved.");
        }
        if let Some(role) = role {
            out.push(OtherRef {
                pupil: PupilRef {
                    id: None,
                    name,
                    tutor_group: (!group.is_empty()).then_some(group),
                },
                role,
                name_field: name_f,
            });
        }
    }
    out
}

impl NewIncident {
    pub fn parse(input: &IncidentInput, ctx: &Context<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let fields = fields(input, ctx, &mut errors);
        let others = others(input, &mut errors);
        errors.into_result()?;
        let key = input.submission_key.trim();
        Ok(NewIncident {
            fields,
            others,
            about_headteacher: input.about_headteacher,
            idempotency_key: (!key.is_empty()
                && key.len() <= 200
                && crate::plain_text::first_refused(key, false).is_none())
            .then(|| key.to_string()),
        })
    }
}

impl Correction {
    pub fn parse(input: &IncidentInput, ctx: &Context<'_>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let fields = fields(input, ctx, &mut errors);
        let reason = crate::forms::required(
            &mut errors,
            "reason",
            &input.reason,
            "why you are making this correction",
            MAX_TEXT,
        );
        let version = input.version.trim().parse::<i32>().ok().filter(|v| *v >= 1);
        if version.is_none() {
            errors.add(
                "version",
                "Reload the record and make the correction again.",
            );
        }
        errors.into_result()?;
        Ok(Correction {
            version: version.unwrap_or(1),
            reason,
            fields,
        })
    }
}

/// A free-text entry (a note, a reason), checked.
pub fn note_text(value: &str, field: &'static str, label: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::default();
    let v = crate::forms::required(&mut errors, field, value, label, MAX_TEXT);
    errors.into_result()?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(code: &str) -> Category {
        let at = chrono::NaiveDateTime::default();
        Category {
            id: code.into(),
            school_id: "s".into(),
            code: code.into(),
            name: code.into(),
            four_c: "none".into(),
            owner_role: "dsl".into(),
            guidance: String::new(),
            urgent: false,
            restricted: false,
            position: 1,
            active: true,
            created_at: at,
            updated_at: at,
            trust_category_id: None,
        }
    }

    fn ctx(cats: &[Category]) -> Context<'_> {
        Context {
            today: NaiveDate::from_ymd_opt(2025, 11, 12).unwrap(),
            categories: cats,
            current_category: None,
        }
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_complete_form_parses_and_an_unknown_date_stays_unknown() {
        let cats = [category("grooming-contact")];
        let input = IncidentInput::from_pairs(&pairs(&[
            ("pupil_name", " Sarah Jones "),
            ("tutor_group", "11F"),
            ("date_not_known", "on"),
            ("category", "grooming-contact"),
            ("details", "An unknown adult sent an image."),
            ("other_2_name", "Łukasz Nowak"),
            ("other_2_role", "witness"),
            ("submission_key", "k1"),
        ]));
        let new = NewIncident::parse(&input, &ctx(&cats)).unwrap();
        assert_eq!(new.fields.pupil.name, "Sarah Jones");
        assert_eq!(new.fields.year_group, Some(11));
        assert_eq!(new.fields.incident_date, None);
        assert_eq!(new.fields.location, Location::Unknown);
        assert_eq!(new.others.len(), 1);
        assert_eq!(new.others[0].role, PupilRole::Witness);
        assert_eq!(new.others[0].name_field, "other_2_name");
        assert_eq!(new.idempotency_key.as_deref(), Some("k1"));
    }

    #[test]
    fn each_problem_is_kept_beside_its_field() {
        let cats = [category("other")];
        let input = IncidentInput::from_pairs(&pairs(&[
            ("incident_date", "13/11/2025"),
            ("category", "made-up"),
            ("details", &"x".repeat(MAX_TEXT + 1)),
            ("other_1_name", "Joe"),
        ]));
        let errors = NewIncident::parse(&input, &ctx(&cats)).unwrap_err();
        for field in [
            "pupil_name",
            "tutor_group",
            "incident_date",
            "category",
            "details",
            "other_1_role",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("incident_date").unwrap().contains("future"));
        let early = IncidentInput {
            incident_date: "31/12/1999".into(),
            ..Default::default()
        };
        let errors = NewIncident::parse(&early, &ctx(&cats)).unwrap_err();
        assert!(errors.get("incident_date").unwrap().contains("2000"));
        let neither = IncidentInput::default();
        let errors = NewIncident::parse(&neither, &ctx(&cats)).unwrap_err();
        assert!(errors.get("incident_date").unwrap().contains("not known"));
    }
}

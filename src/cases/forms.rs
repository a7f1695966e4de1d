//! Case actions as typed on the record page or sent to the API, parsed:
//! after this no raw string travels further.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer};

use crate::forms::{self, FieldErrors};
use crate::incidents::forms::MAX_TEXT;
use crate::incidents::model::Status;

/// The outside agencies a referral can name (PRODUCT.md "The case").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agency {
    Police,
    Ceop,
    Iwf,
    SocialCare,
    Lado,
    Prevent,
    ReportHarmfulContent,
    Platform,
    ActionFraud,
    Ico,
}

impl Agency {
    pub const ALL: [Agency; 10] = [
        Agency::Police,
        Agency::Ceop,
        Agency::Iwf,
        Agency::SocialCare,
        Agency::Lado,
        Agency::Prevent,
        Agency::ReportHarmfulContent,
        Agency::Platform,
        Agency::ActionFraud,
        Agency::Ico,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Agency::Police => "police",
            Agency::Ceop => "ceop",
            Agency::Iwf => "iwf",
            Agency::SocialCare => "social_care",
            Agency::Lado => "lado",
            Agency::Prevent => "prevent",
            Agency::ReportHarmfulContent => "report_harmful_content",
            Agency::Platform => "platform",
            Agency::ActionFraud => "action_fraud",
            Agency::Ico => "ico",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Agency::Police => "Police (101/999)",
            Agency::Ceop => "CEOP",
            Agency::Iwf => "Internet Watch Foundation (IWF)",
            Agency::SocialCare => "Children's social care / MASH",
            Agency::Lado => "LADO",
            Agency::Prevent => "Prevent",
            Agency::ReportHarmfulContent => "Report Harmful Content",
            Agency::Platform => "The platform itself",
            Agency::ActionFraud => "Action Fraud",
            Agency::Ico => "ICO",
        }
    }

    pub fn parse(s: &str) -> Option<Agency> {
        Agency::ALL.into_iter().find(|a| a.as_str() == s.trim())
    }

    /// How a stored agency code is named to people (an unknown code as itself).
    pub fn label_of(code: &str) -> &str {
        Agency::parse(code).map(Agency::label).unwrap_or(code)
    }
}

/// A decision a lead records with its reason (KCSIE: record the reasons
/// for decisions, including not to refer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    NoFurtherAction,
    NotReferred,
    NotShared,
}

impl Decision {
    pub const ALL: [Decision; 3] = [
        Decision::NoFurtherAction,
        Decision::NotReferred,
        Decision::NotShared,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Decision::NoFurtherAction => "no_further_action",
            Decision::NotReferred => "not_referred",
            Decision::NotShared => "not_shared",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Decision::NoFurtherAction => "No further action",
            Decision::NotReferred => "Decided not to refer",
            Decision::NotShared => "Decided not to share information",
        }
    }

    pub fn parse(s: &str) -> Option<Decision> {
        Decision::ALL.into_iter().find(|d| d.as_str() == s.trim())
    }

    pub fn label_of(code: &str) -> &str {
        Decision::parse(code).map(Decision::label).unwrap_or(code)
    }
}

/// The lawful basis of an information share (UK GDPR Art. 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LawfulBasis {
    PublicTask,
    LegalObligation,
    VitalInterests,
    LegitimateInterests,
    Consent,
}

impl LawfulBasis {
    pub const ALL: [LawfulBasis; 5] = [
        LawfulBasis::PublicTask,
        LawfulBasis::LegalObligation,
        LawfulBasis::VitalInterests,
        LawfulBasis::LegitimateInterests,
        LawfulBasis::Consent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LawfulBasis::PublicTask => "public_task",
            LawfulBasis::LegalObligation => "legal_obligation",
            LawfulBasis::VitalInterests => "vital_interests",
            LawfulBasis::LegitimateInterests => "legitimate_interests",
            LawfulBasis::Consent => "consent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LawfulBasis::PublicTask => "Public task",
            LawfulBasis::LegalObligation => "Legal obligation",
            LawfulBasis::VitalInterests => "Vital interests",
            LawfulBasis::LegitimateInterests => "Legitimate interests",
            LawfulBasis::Consent => "Consent",
        }
    }

    pub fn parse(s: &str) -> Option<LawfulBasis> {
        LawfulBasis::ALL
            .into_iter()
            .find(|b| b.as_str() == s.trim())
    }

    pub fn label_of(code: &str) -> &str {
        LawfulBasis::parse(code)
            .map(LawfulBasis::label)
            .unwrap_or(code)
    }
}

/// One case action, checked.
#[derive(Clone, Debug)]
pub enum CaseAction {
    TakeOwnership,
    Assign {
        user_id: String,
    },
    Status {
        status: Status,
        reason: String,
        outcome: Option<String>,
    },
    Action {
        text: String,
    },
    Escalate {
        reason: String,
    },
    /// `reference` None: the agency has not given one yet ("reference to
    /// follow"); the referral waits on the dashboard until it is added.
    Referral {
        agency: Agency,
        date: NaiveDate,
        reference: Option<String>,
    },
    AddReference {
        referral_id: String,
        reference: String,
    },
    Acknowledge,
    Decision {
        decision: Decision,
        reason: String,
    },
    Share {
        shared_with: String,
        person: Option<String>,
        what: String,
        date: NaiveDate,
        basis: LawfulBasis,
        reason: String,
    },
}

/// What any case form or request may carry; each action reads its fields.
/// A JSON null reads as the field left out: without that, one null (an
/// `"outcome": null` beside a status that is not closing) made the whole
/// body unreadable, and the API answered as if nothing had been sent.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct CaseInput {
    #[serde(deserialize_with = "null_as_empty")]
    pub user_id: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub status: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub reason: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub outcome: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub text: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub agency: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub date: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub reference: String,
    /// "yes" when the agency's reference is to follow.
    #[serde(deserialize_with = "null_as_empty")]
    pub reference_to_follow: String,
    /// A decision with a reason: `no_further_action`, `not_referred` or
    /// `not_shared`.
    #[serde(deserialize_with = "null_as_empty")]
    pub decision: String,
    /// An information share: with which agency or organisation, the
    /// person there, what was shared, and the lawful basis.
    #[serde(deserialize_with = "null_as_empty")]
    pub shared_with: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub person: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub what: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub shared_on: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub lawful_basis: String,
    /// The referral a reference is added to (from the URL).
    #[serde(skip)]
    pub referral: String,
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(d).map(Option::unwrap_or_default)
}

impl CaseInput {
    /// Parses the fields `action` needs; `today` bounds a referral's date.
    pub fn parse(&self, action: &str, today: NaiveDate) -> Result<CaseAction, FieldErrors> {
        let mut e = FieldErrors::default();
        let parsed = match action {
            "take" => CaseAction::TakeOwnership,
            "acknowledge" => CaseAction::Acknowledge,
            "assign" => {
                let id = self.user_id.trim();
                if id.is_empty() || crate::plain_text::first_refused(id, false).is_some() {
                    e.add("user_id", "Choose who to assign the case to.");
                }
                CaseAction::Assign {
                    user_id: self.user_id.trim().to_string(),
                }
            }
            "status" => {
                let status = Status::parse(self.status.trim());
                if status.is_none() {
                    e.add(
                        "status",
                        "Choose a status: new, in_progress, escalated or closed.",
                    );
                }
                let reason = forms::required(
                    &mut e,
                    "reason",
                    &self.reason,
                    "the reason for the decision",
                    MAX_TEXT,
                );
                let outcome =
                    forms::optional(&mut e, "outcome", &self.outcome, "the outcome", MAX_TEXT);
                CaseAction::Status {
                    status: status.unwrap_or(Status::InProgress),
                    reason,
                    outcome: (!outcome.is_empty()).then_some(outcome),
                }
            }
            "actions" => CaseAction::Action {
                text: forms::required(&mut e, "text", &self.text, "what was done", MAX_TEXT),
            },
            "escalate" => CaseAction::Escalate {
                reason: forms::required(
                    &mut e,
                    "reason",
                    &self.reason,
                    "why it is escalated",
                    MAX_TEXT,
                ),
            },
            "referrals" => {
                let agency = Agency::parse(&self.agency);
                if agency.is_none() {
                    e.add("agency", "Choose the agency the referral went to.");
                }
                let date = match forms::parse_date(&self.date) {
                    Some(d) if d > today => {
                        e.add("date", "The referral date cannot be in the future.");
                        d
                    }
                    Some(d) => d,
                    None => {
                        e.add(
                            "date",
                            "Enter the date of the referral as dd/mm/yyyy, such as 12/11/2025.",
                        );
                        today
                    }
                };
                let to_follow = !self.reference_to_follow.trim().is_empty()
                    && self.reference_to_follow.trim() != "false";
                let reference = if to_follow && self.reference.trim().is_empty() {
                    None
                } else if self.reference.trim().is_empty() {
                    e.add(
                        "reference",
                        "Enter the agency's reference number, or tick \u{201c}Reference to follow\u{201d} if they have not given one yet.",
                    );
                    None
                } else {
                    Some(forms::required(
                        &mut e,
                        "reference",
                        &self.reference,
                        "the agency's reference number",
                        200,
                    ))
                };
                CaseAction::Referral {
                    agency: agency.unwrap_or(Agency::Police),
                    date,
                    reference,
                }
            }
            "reference" => CaseAction::AddReference {
                referral_id: self.referral.trim().to_string(),
                reference: forms::required(
                    &mut e,
                    "reference",
                    &self.reference,
                    "the agency's reference number",
                    200,
                ),
            },
            "decisions" => {
                let decision = Decision::parse(&self.decision);
                if decision.is_none() {
                    e.add(
                        "decision",
                        "Choose the decision: no further action, not to refer, or not to share.",
                    );
                }
                CaseAction::Decision {
                    decision: decision.unwrap_or(Decision::NoFurtherAction),
                    reason: forms::required(
                        &mut e,
                        "reason",
                        &self.reason,
                        "the reason for the decision",
                        MAX_TEXT,
                    ),
                }
            }
            "shares" => {
                let shared_with = forms::required(
                    &mut e,
                    "shared_with",
                    &self.shared_with,
                    "the agency or organisation it was shared with",
                    200,
                );
                let person = forms::optional(
                    &mut e,
                    "person",
                    &self.person,
                    "the person it was shared with",
                    200,
                );
                let what = forms::required(&mut e, "what", &self.what, "what was shared", MAX_TEXT);
                let date = match forms::parse_date(&self.shared_on) {
                    Some(d) if d > today => {
                        e.add(
                            "shared_on",
                            "The date it was shared cannot be in the future.",
                        );
                        d
                    }
                    Some(d) => d,
                    None => {
                        e.add(
                            "shared_on",
                            "Enter the date it was shared as dd/mm/yyyy, such as 12/11/2025.",
                        );
                        today
                    }
                };
                let basis = LawfulBasis::parse(&self.lawful_basis);
                if basis.is_none() {
                    e.add(
                        "lawful_basis",
                        "Choose the lawful basis: public task, legal obligation, vital interests, legitimate interests or consent.",
                    );
                }
                let reason = forms::required(
                    &mut e,
                    "reason",
                    &self.reason,
                    "the reason for sharing",
                    MAX_TEXT,
                );
                CaseAction::Share {
                    shared_with,
                    person: (!person.is_empty()).then_some(person),
                    what,
                    date,
                    basis: basis.unwrap_or(LawfulBasis::PublicTask),
                    reason,
                }
            }
            _ => {
                e.add("action", "That is not a case action.");
                CaseAction::TakeOwnership
            }
        };
        e.into_result()?;
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 11, 12).unwrap()
    }

    #[test]
    fn closing_needs_a_reason_and_a_referral_needs_agency_date_and_reference() {
        let err = CaseInput {
            status: "closed".into(),
            ..Default::default()
        }
        .parse("status", today())
        .unwrap_err();
        assert!(err.get("reason").is_some());
        let err = CaseInput {
            agency: "mi5".into(),
            date: "01/01/2030".into(),
            ..Default::default()
        }
        .parse("referrals", today())
        .unwrap_err();
        assert!(
            err.get("agency").is_some()
                && err.get("date").is_some()
                && err.get("reference").is_some()
        );
        let ok = CaseInput {
            agency: "ceop".into(),
            date: "2025-11-10".into(),
            reference: "C-1".into(),
            ..Default::default()
        }
        .parse("referrals", today());
        assert!(matches!(
            ok,
            Ok(CaseAction::Referral {
                agency: Agency::Ceop,
                ..
            })
        ));
    }
}

//! What the record page says after a case action ("You took
//! OS-2026-0002"). The redirect after the action carries only a fixed code
//! (`?done=taken`), never a name or any text typed, so nothing about the
//! pupil reaches a URL, a log line or the browser's history; the page
//! words the message from the record as it now stands.

use super::CaseInfo;
use crate::incidents::model::Incident;

/// The code an action's redirect carries.
pub fn code(action: &str) -> &'static str {
    match action {
        "take" => "taken",
        "assign" => "assigned",
        "status" => "status",
        "actions" => "action",
        "escalate" => "escalated",
        "referrals" => "referral",
        "reference" => "reference",
        "acknowledge" => "acknowledged",
        "decisions" => "decision",
        "shares" => "shared",
        _ => "saved",
    }
}

/// The message for `code` about `i` as it is now; None for an unknown code.
pub fn message(code: &str, i: &Incident, case: &CaseInfo) -> Option<String> {
    let r = &i.reference;
    let owner = case.owner_name.as_deref().unwrap_or("the lead");
    Some(match code {
        "taken" => format!(
            "You took {r}. It is yours now, and its status is {}.",
            i.status().label()
        ),
        "assigned" => format!("You assigned {r} to {owner}. They have been alerted."),
        "status" => format!("You changed the status of {r} to {}.", i.status().label()),
        "action" => format!("Your action on {r} is on its timeline."),
        "escalated" => format!(
            "You escalated {r} to the Designated Safeguarding Lead. They have been alerted."
        ),
        "referral" => format!("Your referral for {r} is recorded."),
        "reference" => format!("The referral's reference for {r} is recorded."),
        "acknowledged" => format!("You acknowledged {r} for the leadership group."),
        "decision" => format!("Your decision on {r} and its reason are on its timeline."),
        "shared" => format!("The information shared about {r} is recorded."),
        _ => return None,
    })
}

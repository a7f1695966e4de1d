//! An exclusion as read back: who is kept out of which pupil, why, who
//! said so, and (once lifted) who let them back and why.

use chrono::NaiveDateTime;
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct Exclusion {
    pub id: String,
    pub pupil_id: String,
    pub user_id: String,
    pub user_name: String,
    pub reason: String,
    pub created_by: String,
    pub created_by_name: String,
    pub created_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    pub ended_by: Option<String>,
    pub ended_by_name: Option<String>,
    pub end_reason: Option<String>,
}

impl Exclusion {
    pub fn live(&self) -> bool {
        self.ended_at.is_none()
    }
}

fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// An exclusion as the API answers it.
#[derive(Debug, Serialize)]
pub struct ExclusionJson {
    pub id: String,
    pub pupil_id: String,
    pub user_id: String,
    pub user_name: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
    pub live: bool,
    pub ended_at: Option<String>,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
}

impl From<&Exclusion> for ExclusionJson {
    fn from(e: &Exclusion) -> Self {
        Self {
            id: e.id.clone(),
            pupil_id: e.pupil_id.clone(),
            user_id: e.user_id.clone(),
            user_name: e.user_name.clone(),
            reason: e.reason.clone(),
            created_by: e.created_by.clone(),
            created_at: iso(e.created_at),
            live: e.live(),
            ended_at: e.ended_at.map(iso),
            ended_by: e.ended_by.clone(),
            end_reason: e.end_reason.clone(),
        }
    }
}

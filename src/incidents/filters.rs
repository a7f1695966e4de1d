//! The incident list's filters and paging, as the page's query string and
//! the API's query parameters give them, parsed.

use chrono::NaiveDate;
use serde::Deserialize;

use super::model::Status;
use crate::auth::Role;
use crate::forms::FieldErrors;
use crate::reports::terms::TermName;

/// The query string as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub status: String,
    pub category: String,
    /// A pupil's id (from their chronology), or part of a name.
    pub pupil: String,
    pub tutor_group: String,
    pub year_group: String,
    pub from: String,
    pub to: String,
    /// An academic year (the calendar year it starts in) and, optionally,
    /// one of its terms: the school's own term dates bound the range.
    pub year: String,
    pub term: String,
    pub owner: String,
    /// Any value but empty: only incidents not yet acknowledged.
    pub unacknowledged: String,
    pub q: String,
    pub page: String,
    pub per_page: String,
    /// Where the previous page ended ([`Cursor`]): the next page starts
    /// after it without counting past every row before it.
    pub after: String,
}

/// Filters, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub status: Option<Status>,
    pub category: Option<String>,
    pub pupil: Option<String>,
    pub tutor_group: Option<String>,
    pub year_group: Option<i32>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Resolved to dates by the store, with the school's term dates.
    pub term: Option<TermFilter>,
    pub owner: Option<Role>,
    pub unacknowledged: bool,
    pub q: Option<String>,
}

/// An academic year, or one term of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermFilter {
    /// The calendar year the academic year starts in: 2025 for 2025/26.
    pub year: i32,
    /// None: the whole academic year.
    pub term: Option<TermName>,
}

impl Filters {
    /// The names of the filters in use, for the audit trail: which kinds of
    /// search someone made, never what they searched for.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let mut add = |on: bool, name| {
            if on {
                names.push(name);
            }
        };
        add(self.status.is_some(), "status");
        add(self.category.is_some(), "category");
        add(self.pupil.is_some(), "pupil");
        add(self.tutor_group.is_some(), "tutor_group");
        add(self.year_group.is_some(), "year_group");
        add(self.from.is_some(), "from");
        add(self.to.is_some(), "to");
        add(self.term.is_some(), "term");
        add(self.owner.is_some(), "owner");
        add(self.unacknowledged, "unacknowledged");
        add(self.q.is_some(), "text");
        names
    }
}

/// Which page of the list. With `after`, the page is the rows after that
/// one (keyset paging: an index seek, however deep); without, the rows
/// after `(page - 1) * per_page` others, which only the "Newer" link and
/// an address typed by hand use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
    pub after: Option<Cursor>,
}

impl Paging {
    pub const DEFAULT_PER_PAGE: i64 = 25;
    pub const MAX_PER_PAGE: i64 = 100;

    pub fn first(per_page: i64) -> Self {
        Paging {
            page: 1,
            per_page,
            after: None,
        }
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }
}

/// The last row of a page in the list's order (newest first, then id):
/// `20251112T101500.000000_<id>`. Holds a time and an id, never anything
/// about the pupil or what happened, so it may sit in an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub logged_at: chrono::NaiveDateTime,
    pub id: String,
}

impl Cursor {
    const TIME: &'static str = "%Y%m%dT%H%M%S%.6f";

    pub fn parse(v: &str) -> Option<Cursor> {
        let (at, id) = v.split_once('_')?;
        let id_ok = (1..=64).contains(&id.len())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if at.len() != 22 || !id_ok {
            return None;
        }
        let logged_at = chrono::NaiveDateTime::parse_from_str(at, Self::TIME).ok()?;
        Some(Cursor {
            logged_at,
            id: id.to_string(),
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.logged_at.format(Self::TIME), self.id)
    }
}

fn text(v: &str, max: usize) -> Option<String> {
    let v = v.trim();
    (!v.is_empty()).then(|| v.chars().take(max).collect())
}

impl ListQuery {
    pub fn parse(&self) -> Result<(Filters, Paging), FieldErrors> {
        let mut errors = FieldErrors::default();
        let status = match self.status.trim() {
            "" => None,
            s => {
                let st = Status::parse(s);
                if st.is_none() {
                    errors.add("status", "Choose a status from the list.");
                }
                st
            }
        };
        let year_group = match self.year_group.trim() {
            "" => None,
            y => match y.parse::<i32>() {
                Ok(n) if (0..=14).contains(&n) => Some(n),
                _ => {
                    errors.add("year_group", "Enter a year group from 0 (Reception) to 14.");
                    None
                }
            },
        };
        let mut date = |field: &'static str, v: &str| match v.trim() {
            "" => None,
            d => {
                let parsed = crate::forms::parse_date(d);
                if parsed.is_none() {
                    errors.add(field, "Enter a date as dd/mm/yyyy.");
                }
                parsed
            }
        };
        let from = date("from", &self.from);
        let to = date("to", &self.to);
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                errors.add("to", "The end of the date range is before its start.");
            }
        }
        let term = match (self.year.trim(), self.term.trim()) {
            ("", "") => None,
            ("", _) => {
                errors.add("year", "Choose the academic year of the term.");
                None
            }
            (y, t) => {
                let year = y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y));
                if year.is_none() {
                    errors.add(
                        "year",
                        "Enter the year the academic year starts in, e.g. 2025 for 2025/26.",
                    );
                }
                let name = match t {
                    "" => None,
                    t => match t.parse::<TermName>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            errors.add("term", "Choose Autumn, Spring or Summer.");
                            None
                        }
                    },
                };
                year.map(|year| TermFilter { year, term: name })
            }
        };
        let owner = match self.owner.trim() {
            "" => None,
            o => {
                let role = o.parse::<Role>().ok();
                if role.is_none() {
                    errors.add("owner", "Choose an owner from the list.");
                }
                role
            }
        };
        for (field, value, label) in [
            ("q", &self.q, "the search"),
            ("pupil", &self.pupil, "the pupil"),
            ("tutor_group", &self.tutor_group, "the tutor group"),
            ("category", &self.category, "the category"),
        ] {
            crate::forms::plain(&mut errors, field, value.trim(), label, false);
        }
        let number = |v: &str, default: i64| v.trim().parse::<i64>().ok().unwrap_or(default);
        let after = match self.after.trim() {
            "" => None,
            a => {
                let c = Cursor::parse(a);
                if c.is_none() {
                    errors.add(
                        "after",
                        "This link to the next page is not valid. Open the list again.",
                    );
                }
                c
            }
        };
        let paging = Paging {
            page: number(&self.page, 1).max(1),
            per_page: number(&self.per_page, Paging::DEFAULT_PER_PAGE)
                .clamp(1, Paging::MAX_PER_PAGE),
            after,
        };
        errors.into_result()?;
        Ok((
            Filters {
                status,
                category: text(&self.category, 60),
                pupil: text(&self.pupil, 200),
                tutor_group: text(&self.tutor_group, 20),
                year_group,
                from,
                to,
                term,
                owner,
                unacknowledged: !self.unacknowledged.trim().is_empty(),
                q: text(&self.q, 200),
            },
            paging,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_needs_its_academic_year() {
        let q = ListQuery {
            year: "2025".into(),
            term: "Spring".into(),
            ..Default::default()
        };
        let (f, _) = q.parse().unwrap();
        assert_eq!(
            f.term,
            Some(TermFilter {
                year: 2025,
                term: Some(TermName::Spring)
            })
        );
        assert_eq!(f.names(), vec!["term"]);
        let whole_year = ListQuery {
            year: "2024".into(),
            ..Default::default()
        };
        assert_eq!(whole_year.parse().unwrap().0.term.unwrap().term, None);
        let no_year = ListQuery {
            term: "autumn".into(),
            ..Default::default()
        };
        assert!(no_year.parse().unwrap_err().get("year").is_some());
        let bad = ListQuery {
            year: "2025".into(),
            term: "winter".into(),
            ..Default::default()
        };
        assert!(bad.parse().unwrap_err().get("term").is_some());
    }

    #[test]
    fn filters_parse_and_name_themselves_without_their_values() {
        let q = ListQuery {
            status: "new".into(),
            q: "Snapchat".into(),
            from: "01/09/2025".into(),
            page: "0".into(),
            per_page: "1000".into(),
            ..Default::default()
        };
        let (f, p) = q.parse().unwrap();
        assert_eq!(f.status, Some(Status::New));
        assert_eq!(f.names(), vec!["status", "from", "text"]);
        assert_eq!(
            p,
            Paging {
                page: 1,
                per_page: 100,
                after: None,
            }
        );
        let bad = ListQuery {
            year_group: "twelve".into(),
            ..Default::default()
        };
        assert!(bad.parse().unwrap_err().get("year_group").is_some());
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_refuses_anything_else() {
        let c = Cursor {
            logged_at: chrono::NaiveDate::from_ymd_opt(2025, 11, 12)
                .unwrap()
                .and_hms_micro_opt(10, 15, 0, 42)
                .unwrap(),
            id: "0b6c2c1e-9a3f-4c1e-8d5e-1f2a3b4c5d6e".into(),
        };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c.clone()));
        let q = ListQuery {
            after: c.to_string(),
            page: "3".into(),
            ..Default::default()
        };
        assert_eq!(q.parse().unwrap().1.after, Some(c));
        for bad in [
            "x",
            "20251112T101500.000042_",
            "20251112T101500_abc",
            "20251112T101500.000042_a b",
        ] {
            let q = ListQuery {
                after: bad.into(),
                ..Default::default()
            };
            assert!(q.parse().unwrap_err().get("after").is_some(), "{bad}");
        }
    }
}

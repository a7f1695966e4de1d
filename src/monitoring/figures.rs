//! The inbox's figures: for the alerts of the last 30 days, per severity,
//! the median time from arrival to the first look and to the decision
//! (dismissed or promoted), and how many were not looked at within the
//! school's target: those looked at late, and those still waiting past it.

use chrono::{Duration, NaiveDateTime};

use super::model::Severity;
use super::store;
use crate::db::AnyConnection;

pub const WINDOW_DAYS: i64 = 30;

#[derive(Clone, Debug, Default)]
pub struct Row {
    pub received: usize,
    pub median_to_look: Option<Duration>,
    pub median_to_decision: Option<Duration>,
    pub looked_late: usize,
    /// Not looked at yet, and the target has passed (whenever it arrived).
    pub waiting_past_target: usize,
}

pub struct Figures {
    pub target_hours: i32,
    /// Most severe first.
    pub rows: Vec<(Severity, Row)>,
}

fn median(mut v: Vec<Duration>) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    v.sort();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    })
}

pub fn load(
    conn: &mut AnyConnection,
    school_id: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Figures> {
    let target_hours = store::look_within_hours(conn, school_id)?;
    let target = Duration::hours(i64::from(target_hours));
    let timings = store::timings_since(conn, school_id, now - Duration::days(WINDOW_DAYS))?;
    let waiting = store::unlooked_before(conn, school_id, now - target)?;
    let rows = Severity::ALL
        .into_iter()
        .map(|s| {
            let mine: Vec<_> = timings
                .iter()
                .filter(|t| Severity::parse(&t.0) == Some(s))
                .collect();
            let to_look: Vec<Duration> = mine.iter().filter_map(|t| t.2.map(|l| l - t.1)).collect();
            let row = Row {
                received: mine.len(),
                looked_late: to_look.iter().filter(|d| **d > target).count(),
                median_to_look: median(to_look),
                median_to_decision: median(
                    mine.iter().filter_map(|t| t.3.map(|d| d - t.1)).collect(),
                ),
                waiting_past_target: waiting
                    .iter()
                    .filter(|w| Severity::parse(w) == Some(s))
                    .count(),
            };
            (s, row)
        })
        .collect();
    Ok(Figures { target_hours, rows })
}

/// A duration as a lead reads it: "45 min", "3 h 20 min", "2 days 4 h".
pub fn span(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    match m {
        0..=59 => format!("{m} min"),
        60..=2879 => format!("{} h {} min", m / 60, m % 60),
        _ => format!("{} days {} h", m / 1440, (m % 1440) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        let m = |v: &[i64]| median(v.iter().map(|x| Duration::minutes(*x)).collect());
        assert_eq!(m(&[]), None);
        assert_eq!(m(&[10, 1, 5]), Some(Duration::minutes(5)));
        assert_eq!(m(&[10, 20, 1, 5]), Some(Duration::seconds(450)));
        assert_eq!(span(Duration::minutes(200)), "3 h 20 min");
    }
}

//! Times as a school in the UK reads them. Everything is stored in UTC;
//! people see UK time (GMT, or BST from 01:00 UTC on the last Sunday of
//! March to 01:00 UTC on the last Sunday of October).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

/// The last Sunday of a month, at 01:00 UTC, when the UK's clocks change.
fn change_over(year: i32, month: u32) -> NaiveDateTime {
    let mut day = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or_default();
    while day.weekday() != Weekday::Sun {
        day = day.pred_opt().unwrap_or(day);
    }
    day.and_hms_opt(1, 0, 0).unwrap_or_default()
}

/// A UTC time as UK local time.
pub fn uk(utc: NaiveDateTime) -> NaiveDateTime {
    let summer = utc >= change_over(utc.year(), 3) && utc < change_over(utc.year(), 10);
    if summer {
        utc + Duration::hours(1)
    } else {
        utc
    }
}

/// "12/11/2025 10:30": a stored UTC time, shown in UK time.
pub fn moment(utc: NaiveDateTime) -> String {
    uk(utc).format("%d/%m/%Y %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn uk_time_is_gmt_in_winter_and_bst_in_summer() {
        assert_eq!(moment(at(2025, 11, 12, 10, 30)), "12/11/2025 10:30");
        assert_eq!(moment(at(2025, 7, 1, 23, 30)), "02/07/2025 00:30");
        // 2025: BST from 30 March 01:00 UTC to 26 October 01:00 UTC.
        assert_eq!(uk(at(2025, 3, 30, 0, 59)), at(2025, 3, 30, 0, 59));
        assert_eq!(uk(at(2025, 3, 30, 1, 0)), at(2025, 3, 30, 2, 0));
        assert_eq!(uk(at(2025, 10, 26, 0, 59)), at(2025, 10, 26, 1, 59));
        assert_eq!(uk(at(2025, 10, 26, 1, 0)), at(2025, 10, 26, 1, 0));
    }
}

//! Bar charts drawn as SVG in the page: elements and attributes only, no
//! style attribute and no script (the Content-Security-Policy allows
//! neither), coloured by classes in style.css. Each chart is hidden from
//! screen readers because the table after it carries the same numbers.

use maud::{html, Markup};

use crate::reports::model::Shown;

/// One bar: its label and the count as shown.
pub struct Bar<'a> {
    pub label: &'a str,
    pub shown: Shown,
}

const WIDTH: i64 = 720;
const ROW: i64 = 40;
const BAR: i64 = 16;
/// Room at the right for the number after the longest bar.
const NUMBER_ROOM: i64 = 60;

/// Horizontal bars, each under its label. A suppressed count ("<3") gets
/// no bar, only its text: a bar's length would give the number away.
pub fn bars(title: &str, bars: &[Bar<'_>]) -> Markup {
    let most = bars.iter().map(|b| b.shown.bar()).max().unwrap_or(0);
    let height = ROW * i64::try_from(bars.len()).unwrap_or(0) + 8;
    let scale = |n: i64| -> i64 {
        if most == 0 {
            0
        } else {
            (n * (WIDTH - NUMBER_ROOM) / most).max(if n > 0 { 2 } else { 0 })
        }
    };
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {height}"))
            width="100%" preserveAspectRatio="xMinYMin meet" aria-hidden="true" focusable="false" {
            title { (title) }
            @for (i, b) in bars.iter().enumerate() {
                @let top = ROW * i64::try_from(i).unwrap_or(0);
                @let length = scale(b.shown.bar());
                text.label x="0" y=(top + 13) { (b.label) }
                @if length > 0 {
                    rect.bar x="0" y=(top + 18) width=(length) height=(BAR) {}
                }
                text.value x=(length + 6) y=(top + 31) { (b.shown) }
            }
        }
    }
}

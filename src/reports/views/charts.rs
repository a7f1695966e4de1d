//! A breakdown drawn as a bar chart that is also its table: one row per
//! line, the label, the count as text, and a bar after the count. Each
//! breakdown is shown once (a chart followed by a table of the same numbers
//! printed everything twice), screen readers read an ordinary table, and
//! the bars are SVG attributes only: no style attribute and no script (the
//! Content-Security-Policy allows neither), coloured by classes in
//! style.css.

use maud::{html, Markup};

use crate::reports::model::Shown;

/// One line: its label and the count as shown.
pub struct Bar<'a> {
    pub label: &'a str,
    pub shown: Shown,
}

/// The table: `caption` names it for screen readers; `heads` head the
/// label column and the count's.
pub fn table(caption: &str, heads: (&str, &str), bars: &[Bar<'_>]) -> Markup {
    let most = bars.iter().map(|b| b.shown.bar()).max().unwrap_or(0);
    html! {
        table.figures.bars {
            caption { (caption) }
            thead { tr { th scope="col" { (heads.0) } th.count scope="col" { (heads.1) } } }
            tbody {
                @for b in bars {
                    tr {
                        th scope="row" { (b.label) }
                        td.count { span.barline { span.n { (b.shown) } (bar(b.shown.bar(), most)) } }
                    }
                }
            }
        }
    }
}

/// A bar as long as `n` is against the longest, `most`. A suppressed count
/// ("<3") has a length of nought and so no bar: its length would give the
/// number away.
fn bar(n: i64, most: i64) -> Markup {
    let percent = if most > 0 && n > 0 {
        (n * 100 / most).max(1)
    } else {
        0
    };
    html! {
        @if percent > 0 {
            svg.bar xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 10"
                preserveAspectRatio="none" aria-hidden="true" focusable="false" {
                rect x="0" y="0" width=(percent) height="10" {}
            }
        }
    }
}

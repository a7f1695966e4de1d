//! Writing cells that a spreadsheet shows as text and never runs: a cell
//! beginning with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula
//! (or can be made into one) in Excel, LibreOffice and Google Sheets, so it
//! is prefixed with `'`. Quoting and line ends (RFC 4180, CRLF) are the csv
//! writer's job.

use std::borrow::Cow;

/// The UTF-8 byte-order mark: without it Excel reads "Zoë" as "ZoÃ«".
pub const BOM: &str = "\u{feff}";

pub fn safe(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

/// A csv writer for exports: CRLF line ends, quotes only where needed.
pub fn writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_defused_and_plain_text_is_left_alone() {
        for risky in [
            "=HYPERLINK(\"x\")",
            "+44 7700",
            "-1",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(safe(risky), format!("'{risky}"));
        }
        for plain in ["Zoë", "", "a=b", "1+1", "'already"] {
            assert_eq!(safe(plain), plain);
        }
    }

    #[test]
    fn the_writer_quotes_per_rfc_4180_with_crlf() {
        let mut w = writer(Vec::new());
        w.write_record(["a,b", "say \"hi\"", "line\nbreak", "plain"])
            .unwrap();
        let out = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(out, "\"a,b\",\"say \"\"hi\"\"\",\"line\nbreak\",plain\r\n");
    }
}

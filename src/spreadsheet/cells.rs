//! Writing cells that a spreadsheet shows as text and never runs. A cell is
//! prefixed with `'` when it begins with a tab or a carriage return, or when
//! its first visible character (after any spaces and invisible characters: a
//! zero-width space, a byte-order mark, a bidi control) is one that Excel,
//! LibreOffice or Google Sheets would start a formula or a DDE link with:
//! `=`, `+`, `-`, `@`, `|`, or their fullwidth (`＝`) and small (`﹦`) forms,
//! which some spreadsheets fold to ASCII before they parse. Quoting and line
//! ends (RFC 4180, CRLF) are the csv writer's job.

use std::borrow::Cow;

/// The UTF-8 byte-order mark: without it Excel reads "Zoë" as "ZoÃ«".
pub const BOM: &str = "\u{feff}";

pub fn safe(value: &str) -> Cow<'_, str> {
    if starts_formula(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Whether a spreadsheet could read `value` as a formula (see the module
/// comment); the import uses it too, to take off only the `'` that
/// [`safe`] put on.
pub fn starts_formula(value: &str) -> bool {
    if value.starts_with(['\t', '\r']) {
        return true;
    }
    matches!(
        value.chars().find(|c| !invisible(*c)),
        Some(
            '=' | '+'
                | '-'
                | '@'
                | '|'
                | '\u{ff1d}'
                | '\u{ff0b}'
                | '\u{ff0d}'
                | '\u{ff20}'
                | '\u{ff5c}'
                | '\u{fe66}'
                | '\u{fe62}'
                | '\u{fe63}'
                | '\u{fe6b}'
        )
    )
}

/// Characters a person does not see at the start of a cell: spaces and
/// line breaks, control characters, and Unicode's format characters
/// (zero-width spaces and joiners, bidi marks and isolates, the byte-order
/// mark, the soft hyphen, fillers and tags).
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202f}'
                | '\u{205f}'..='\u{206f}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
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
            "|calc",
        ] {
            assert_eq!(safe(risky), format!("'{risky}"));
        }
        for plain in [
            "Zoë", "", "a=b", "1+1", "'already", "<3", "cmd|x", "e-safety",
        ] {
            assert_eq!(safe(plain), plain);
        }
    }

    #[test]
    fn a_formula_behind_invisible_characters_or_in_wide_forms_is_defused() {
        let hostile = [
            "\u{ff1d}1+1",        // fullwidth =
            "\u{ff0b}1",          // fullwidth +
            "\u{ff0d}1",          // fullwidth -
            "\u{ff20}SUM(A1)",    // fullwidth @
            "\u{ff5c}calc",       // fullwidth |
            "\u{fe66}1+1",        // small =
            "\u{fe62}1",          // small +
            "\u{fe63}1",          // small -
            "\u{fe6b}SUM(A1)",    // small @
            "\u{200b}=1+1",       // zero-width space
            "\u{feff}=1+1",       // byte-order mark
            "\u{202e}=1+1",       // right-to-left override
            "\u{2066}=1+1",       // left-to-right isolate
            "\u{200e}\u{200f}+1", // bidi marks
            "\u{2060}@x",         // word joiner
            "\u{ad}-1",           // soft hyphen
            " =1+1",              // a space
            "\u{a0}=1+1",         // no-break space
            "\u{3000}=1+1",       // ideographic space
            "\n=1+1",             // a line break
            "\u{200b}\u{feff} \u{202a}\u{ff1d}HYPERLINK(\"x\")",
            "|calc",
            "\u{e0041}=1", // a tag character
        ];
        for cell in hostile {
            assert_eq!(safe(cell), format!("'{cell}"), "{cell:?}");
            assert!(starts_formula(cell), "{cell:?}");
        }
        for plain in [
            "\u{200b}Zoë",
            "\u{feff}Amy",
            "x\u{ff1d}1",
            "Aoife Ní Bhriain",
        ] {
            assert_eq!(safe(plain), plain, "{plain:?}");
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

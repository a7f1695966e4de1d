//! What every form shares: the problems found in what a person typed, each
//! kept beside its field, so a rejected form comes back with their text.

use std::collections::BTreeMap;

use crate::error::AppError;

/// Field name to the message shown next to it.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(BTreeMap<&'static str, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every field with its message, by field name.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Ok when nothing was found, for `?` in parsers.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// As the API answers it: 422 with a map of field to message.
    pub fn into_api_error(self) -> AppError {
        AppError::InvalidFields(
            self.0
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }
}

/// The longest field that is a one-line input on every form (a name, a
/// group, a reference); longer fields are text areas, where tab and line
/// breaks belong.
pub const ONE_LINE_MAX: usize = 200;

/// A required text: trimmed, present, not too long, and free of control
/// characters ([`crate::plain_text`]).
pub fn required(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    label: &str,
    max_chars: usize,
) -> String {
    let v = value.trim();
    if v.is_empty() {
        errors.add(field, format!("Enter {label}."));
    } else {
        optional(errors, field, v, label, max_chars);
    }
    v.to_string()
}

/// A text that may be left empty: trimmed, not too long, and free of
/// control characters.
pub fn optional(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    label: &str,
    max_chars: usize,
) -> String {
    let v = value.trim();
    if v.chars().count() > max_chars {
        errors.add(
            field,
            format!("Keep {label} to {max_chars} characters or fewer."),
        );
    }
    plain(errors, field, v, label, max_chars > ONE_LINE_MAX);
    v.to_string()
}

/// Refuses control characters in `value` (tab and line breaks too, unless
/// `multi_line`), with a message beside `field`.
pub fn plain(
    errors: &mut FieldErrors,
    field: &'static str,
    value: &str,
    label: &str,
    multi_line: bool,
) {
    if let Some(code) = crate::plain_text::first_refused(value, multi_line) {
        errors.add(field, crate::plain_text::message(&code, label));
    }
}

/// An email address, lower-cased; only its shape is checked.
pub fn email(errors: &mut FieldErrors, field: &'static str, value: &str) -> String {
    let v = crate::accounts::model::normalise_email(value);
    if value.chars().any(char::is_control) {
        errors.add(
            field,
            "Remove the invisible control character from the email address; retyping it removes it.",
        );
    }
    let shaped = v.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    });
    if v.is_empty() {
        errors.add(field, "Enter an email address.");
    } else if !shaped || v.chars().any(|c| c.is_whitespace() || c.is_control()) || v.len() > 254 {
        errors.add(field, "Enter an email address like name@school.org.uk.");
    }
    v
}

/// A submitted HTML form. Unlike `web::Form` (serde_urlencoded), repeated
/// fields such as several ticked `role` boxes fill a `Vec`, as browsers send them.
pub struct Form<T>(pub T);

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(
        req: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let bytes = actix_web::web::Bytes::from_request(req, payload);
        let path = req.path().to_string();
        Box::pin(async move {
            let incomplete = || {
                crate::error::for_path(
                    &path,
                    AppError::Invalid(
                        "This form arrived incomplete or too large, so nothing was saved. Go back and try again.".into(),
                    ),
                )
            };
            let body = bytes.await.map_err(|_| incomplete())?;
            serde_html_form::from_bytes::<T>(&body)
                .map(Form)
                .map_err(|_| incomplete())
        })
    }
}

/// The forms a date may be written in, for messages that say what to type.
pub const DATE_FORMS: &str = "dd/mm/yyyy or yyyy-mm-dd, for example 05/05/2020 or 2020-05-05";

/// A date as schools write it: `dd/mm/yyyy` (a day or month may be one
/// digit, as people type them) or ISO `yyyy-mm-dd` exactly. None for
/// anything else, including a day that does not exist (31/02/2021). Spaces
/// around the date are ignored; spaces, signs or other separators within it
/// are not, because chrono's own parser lets `+2021-1- 1` through.
pub fn parse_date(value: &str) -> Option<chrono::NaiveDate> {
    let v = value.trim();
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let (y, m, d) = match v.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] if digits(y, 4, 4) && digits(m, 2, 2) && digits(d, 2, 2) => (*y, *m, *d),
        _ => match v.split('/').collect::<Vec<_>>().as_slice() {
            [d, m, y] if digits(y, 4, 4) && digits(m, 1, 2) && digits(d, 1, 2) => (*y, *m, *d),
            _ => return None,
        },
    };
    chrono::NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_the_british_way_or_as_iso() {
        let may5 = chrono::NaiveDate::from_ymd_opt(2020, 5, 5);
        assert_eq!(parse_date("05/05/2020"), may5);
        assert_eq!(parse_date("5/5/2020"), may5);
        assert_eq!(parse_date("2020-05-05"), may5);
        assert_eq!(
            parse_date("11/07/2020"),
            chrono::NaiveDate::from_ymd_opt(2020, 7, 11)
        );
        assert_eq!(parse_date("31/02/2021"), None);
        assert_eq!(parse_date("05/05/20"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date(" 2020-05-05 "), may5);
        for lenient in [
            "+2020-05-05",
            "2020-5-5",
            "2020-05- 5",
            "2020 -05-05",
            "05 /05/2020",
            "05-05-2020",
            "05.05.2020",
            "2020/05/05",
            "2020-05-05T00:00",
            "020-05-05",
            "005/05/2020",
            "\u{ff10}5/05/2020",
        ] {
            assert_eq!(parse_date(lenient), None, "{lenient}");
        }
    }
}

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

/// A required single-line text: trimmed, present and not too long.
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
    } else if v.chars().count() > max_chars {
        errors.add(
            field,
            format!("Keep {label} to {max_chars} characters or fewer."),
        );
    }
    v.to_string()
}

/// An email address, lower-cased; only its shape is checked.
pub fn email(errors: &mut FieldErrors, field: &'static str, value: &str) -> String {
    let v = crate::accounts::model::normalise_email(value);
    let shaped = v.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
    });
    if v.is_empty() {
        errors.add(field, "Enter an email address.");
    } else if !shaped || v.chars().any(char::is_whitespace) || v.len() > 254 {
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

/// A date as schools write it: `dd/mm/yyyy` (or `d/m/yyyy`, with `-` or `.`
/// between) or ISO `yyyy-mm-dd`. None for anything else, including a day
/// that does not exist (31/02/2021).
pub fn parse_date(value: &str) -> Option<chrono::NaiveDate> {
    let v = value.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        return Some(d);
    }
    let parts: Vec<&str> = v.split(['/', '-', '.']).collect();
    let [d, m, y] = parts.as_slice() else {
        return None;
    };
    if y.len() != 4 || d.is_empty() || d.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
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
    }
}

//! The package: one file that carries a pupil's file to a school on
//! another system (or another safelog). It is JSON:
//!
//! ```text
//! {"format": "safelog-transfer-package", "version": 1,
//!  "document": "<the transfer document, as a JSON string>",
//!  "html": "<a readable rendering of it, a whole HTML page>",
//!  "signature": {"algorithm": "Ed25519", "public_key": "<base64>",
//!                "key_fingerprint": "ab12 ...", "document": "<base64>", "html": "<base64>"}}
//! ```
//!
//! Each signature is over the exact UTF-8 bytes of its string, so checking
//! it never depends on how anyone re-serialises JSON: parse the package,
//! take the two strings as they are, verify. Any changed byte of either
//! fails; so does a signature or key that is not the one made with them.
//! The key in the package proves the file is whole; that it is the sending
//! school's deployment's key is shown by its fingerprint, which the
//! sending school's administrator reads on Administration → Package
//! signing key and can give the receiving school (the import can be told
//! to expect it).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, VerifyingKey};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::{Deserialize, Serialize};

use super::document::Document;
use super::keys::{self, DeploymentKey};

pub const FORMAT: &str = "safelog-transfer-package";
pub const VERSION: u32 = 1;
/// A package larger than this is not one of ours (a file of a hundred
/// incidents is a few hundred kilobytes).
pub const MAX_BYTES: usize = 20 * 1024 * 1024;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Package {
    pub format: String,
    pub version: u32,
    pub document: String,
    pub html: String,
    pub signature: Signatures,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Signatures {
    pub algorithm: String,
    pub public_key: String,
    pub key_fingerprint: String,
    pub document: String,
    pub html: String,
}

/// A package's file: its document signed, and its readable copy.
pub fn make(document_text: &str, doc: &Document, key: &DeploymentKey) -> Result<Vec<u8>, String> {
    let html = page(doc).into_string();
    let package = Package {
        format: FORMAT.into(),
        version: VERSION,
        document: document_text.to_string(),
        signature: Signatures {
            algorithm: "Ed25519".into(),
            public_key: key.public_base64(),
            key_fingerprint: key.fingerprint(),
            document: key.sign(document_text.as_bytes()),
            html: key.sign(html.as_bytes()),
        },
        html,
    };
    serde_json::to_vec_pretty(&package).map_err(|e| e.to_string())
}

/// A package that checked out: its document, the exact text signed, and
/// the fingerprint of the key that signed it.
#[derive(Debug)]
pub struct Verified {
    pub document: Document,
    pub document_text: String,
    pub fingerprint: String,
}

const NOT_A_PACKAGE: &str =
    "This file is not a safelog transfer package (a .json file downloaded with \"Download the package\"). Nothing was stored.";

/// Checks a package's format, key and both signatures, then reads its
/// document. Each refusal says what is wrong, in one sentence, and never
/// quotes the file.
pub fn verify(bytes: &[u8]) -> Result<Verified, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "This file is larger than {} MB: it is not a transfer package. Nothing was stored.",
            MAX_BYTES / (1024 * 1024)
        ));
    }
    let package: Package = serde_json::from_slice(bytes).map_err(|_| NOT_A_PACKAGE.to_string())?;
    if package.format != FORMAT {
        return Err(NOT_A_PACKAGE.into());
    }
    if package.version != VERSION {
        return Err(format!(
            "This package is version {}; this safelog reads version {VERSION}. Ask the sending school for a package this version reads. Nothing was stored.",
            package.version
        ));
    }
    let s = &package.signature;
    let bad = || {
        "The package's signature does not match its contents: it was changed after it was signed, or damaged on the way. Ask the sending school for it again. Nothing was stored.".to_string()
    };
    if s.algorithm != "Ed25519" {
        return Err(bad());
    }
    let key: [u8; 32] = STANDARD
        .decode(&s.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
    let signature = |b64: &str| -> Result<Signature, String> {
        let raw: [u8; 64] = STANDARD
            .decode(b64)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        Ok(Signature::from_bytes(&raw))
    };
    key.verify_strict(package.document.as_bytes(), &signature(&s.document)?)
        .map_err(|_| bad())?;
    key.verify_strict(package.html.as_bytes(), &signature(&s.html)?)
        .map_err(|_| bad())?;
    let document = Document::parse(&package.document)
        .map_err(|why| format!("The package is signed, but {why}. Nothing was stored."))?;
    Ok(Verified {
        document,
        document_text: package.document,
        fingerprint: keys::fingerprint(&key),
    })
}

/// Inline styles: the page is read from a file, with nothing else to load.
const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#1b1b1b}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:0}h3{font-size:1.05rem}\
.card{border:1px solid #c8ccd0;border-radius:6px;padding:1rem;margin:1rem 0}\
.banner{background:#fff4d6;border-left:6px solid #b07d00;padding:.75rem 1rem}\
dl.record{display:grid;grid-template-columns:14rem 1fr;gap:.25rem 1rem}dl.record dt{font-weight:600}\
dl.record dd{margin:0}.text{white-space:pre-wrap}.muted{color:#555}\
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}\
.timeline li{margin-bottom:.75rem}.meta{margin:0}dl.change dt{font-weight:600}\
@media (max-width:40rem){dl.record{grid-template-columns:1fr}}\
@media print{.card{break-inside:avoid}}";

/// The readable copy inside a package: a whole page, with its styles.
pub fn page(doc: &Document) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Child protection file: " (doc.pupil.name) }
                // The fixed stylesheet above, never anything typed: maud would
                // HTML-escape it, which CSS inside <style> does not undo.
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Child protection file: " (doc.pupil.name) }
                p.banner {
                    strong { "Confidential: safeguarding records." }
                    " Sent by " (doc.sending_school.name)
                    @if let Some(u) = &doc.sending_school.urn { " (URN " (u) ")" }
                    " for the school with URN " (doc.receiving_school.urn.as_deref().unwrap_or("(not given)"))
                    ". Keep it with the pupil's child protection file, separately from the main file."
                }
                (super::views::document_body(doc))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DeploymentKey {
        DeploymentKey::for_tests([7u8; 32])
    }

    fn doc() -> (Document, String) {
        let doc = Document {
            format: super::super::document::FORMAT.into(),
            version: super::super::document::VERSION,
            transfer_id: "t1".into(),
            made_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
            made_by: super::super::document::Person {
                name: Some("Dee".into()),
                initials: "D".into(),
            },
            sending_school: super::super::document::SchoolRef {
                name: "Oak".into(),
                urn: Some("100001".into()),
            },
            receiving_school: super::super::document::ReceivingSchool {
                urn: Some("200002".into()),
                name: None,
            },
            pupil: super::super::document::PupilDetails {
                name: "Pip".into(),
                date_of_birth: None,
                upn: None,
                tutor_group: None,
                year_group: None,
                child_identifier: None,
                nhs_number: None,
            },
            incidents: Vec::new(),
        };
        let text = doc.to_json().unwrap();
        (doc, text)
    }

    #[test]
    fn a_package_verifies_and_any_changed_byte_does_not() {
        let (d, text) = doc();
        let bytes = make(&text, &d, &key()).unwrap();
        let ok = verify(&bytes).unwrap();
        assert_eq!(ok.document, d);
        assert_eq!(ok.document_text, text);
        assert_eq!(ok.fingerprint, key().fingerprint());
        let s = String::from_utf8(bytes).unwrap();
        for (from, to) in [("Pip", "Pop"), ("Oak", "Elm"), ("<h1>", "<h2>")] {
            let changed = s.replacen(from, to, 1);
            assert_ne!(changed, s);
            let err = verify(changed.as_bytes()).unwrap_err();
            assert!(err.contains("signature does not match"), "{from}: {err}");
        }
        assert!(verify(b"not json")
            .unwrap_err()
            .contains("not a safelog transfer package"));
        assert!(verify(b"{\"format\": \"x\"}")
            .unwrap_err()
            .contains("not a safelog"));
    }

    #[test]
    fn a_package_signed_with_another_key_but_naming_ours_is_refused() {
        let (d, text) = doc();
        let ours = make(&text, &d, &key()).unwrap();
        let theirs = make(&text, &d, &DeploymentKey::for_tests([9u8; 32])).unwrap();
        let mut p: Package = serde_json::from_slice(&theirs).unwrap();
        let o: Package = serde_json::from_slice(&ours).unwrap();
        p.signature.public_key = o.signature.public_key;
        let bytes = serde_json::to_vec(&p).unwrap();
        assert!(verify(&bytes)
            .unwrap_err()
            .contains("signature does not match"));
    }
}

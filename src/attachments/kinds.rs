//! What a file is, decided from its content (magic bytes, through the
//! `infer` crate), never from its name or the type the browser claims; and
//! whether a category may take it.
//!
//! A file of no recognised type is kept as `text/plain` when it is UTF-8
//! text, and otherwise as `application/octet-stream` (it is only ever
//! served as a download, never shown, so its type cannot make the browser
//! run it). On a category the school marks "no images" an unrecognised
//! binary file is refused as well: safelog cannot tell it is not an image.

/// A file's type as its content shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    pub media_type: String,
    /// An image decoder recognises it (a photo, a screenshot, a scan saved
    /// as an image).
    pub image: bool,
    /// Neither a known format nor text.
    pub unknown_binary: bool,
}

pub fn detect(bytes: &[u8]) -> Detected {
    // A kind infer reads as text (XML, HTML) is looked into like any text:
    // an SVG that opens with an XML declaration is `text/xml` to infer, and
    // an image all the same.
    let kind = infer::get(bytes);
    if let Some(kind) = kind.filter(|k| k.matcher_type() != infer::MatcherType::Text) {
        return Detected {
            media_type: kind.mime_type().to_string(),
            image: kind.matcher_type() == infer::MatcherType::Image,
            unknown_binary: false,
        };
    }
    let text_type = kind.map_or("text/plain", |k| k.mime_type());
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => {
            // An SVG is a picture written as text: no magic number, but an
            // image all the same.
            let head: String = text.chars().take(2048).collect::<String>().to_lowercase();
            if head.contains("<svg") {
                Detected {
                    media_type: "image/svg+xml".into(),
                    image: true,
                    unknown_binary: false,
                }
            } else {
                Detected {
                    media_type: text_type.into(),
                    image: false,
                    unknown_binary: false,
                }
            }
        }
        _ => Detected {
            media_type: "application/octet-stream".into(),
            image: false,
            unknown_binary: true,
        },
    }
}

/// Why a category refuses every file, quoting its guidance; None when it
/// takes files.
pub fn refused_by_category(code: &str, guidance: &str) -> Option<String> {
    crate::categories::safeguards::refuses_attachments(code).then(|| {
        let guidance = guidance.trim();
        if guidance.is_empty() {
            "No file can be attached to this category: holding the material may itself be an offence.".to_string()
        } else {
            format!(
                "No file can be attached to this category: holding the material may itself be an offence. The category's guidance: \u{201c}{guidance}\u{201d}"
            )
        }
    })
}

/// Why a file is refused on a category the school marks "no images".
pub fn refused_as_image(d: &Detected) -> Option<&'static str> {
    if d.image {
        Some("This category takes no images (the school's setting): this file is an image, so it was not kept. A document such as a PDF letter can still be attached.")
    } else if d.unknown_binary {
        Some("This category takes no images (the school's setting), and this file's type is not one safelog recognises, so it cannot be told from an image and was not kept. Save it as a PDF and attach that.")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
    ];

    #[test]
    fn the_type_comes_from_the_content_not_the_name() {
        let png = detect(PNG);
        assert_eq!(png.media_type, "image/png");
        assert!(png.image);
        let pdf = detect(b"%PDF-1.7\n1 0 obj\n");
        assert_eq!(pdf.media_type, "application/pdf");
        assert!(!pdf.image && refused_as_image(&pdf).is_none());
        assert_eq!(detect(b"plain words").media_type, "text/plain");
        assert!(detect(b"<?xml version=\"1.0\"?><svg></svg>").image);
        let odd = detect(&[0u8, 1, 2, 3, 0xff, 0xfe]);
        assert!(odd.unknown_binary && refused_as_image(&odd).is_some());
    }

    #[test]
    fn the_image_crime_categories_refuse_every_file_and_say_why() {
        let why =
            refused_by_category("nudes-sharing", "Do not view, copy. No attachments.").unwrap();
        assert!(why.contains("No attachments."));
        assert!(refused_by_category("online-bullying", "Record the words.").is_none());
    }
}

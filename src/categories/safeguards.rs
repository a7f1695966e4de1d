//! What no school may remove (PRODUCT.md routing rule 5): the DSL owns
//! nudes-sharing, ai-generated-imagery and abuse-imagery and they stay
//! urgent; staff-conduct stays with the headteacher alone; all four stay
//! offered, and their guidance may be added to but not cut.
//!
//! The image categories ([`NO_IMAGES`]) also carry the no-view, no-upload
//! rule: their guidance tells staff not to view, copy or save the images,
//! and [`refuses_attachments`] is what anything that takes a file (an
//! attachment or evidence upload) must ask first.

use super::defaults::DEFAULTS;
use super::store::Edit;

/// The categories whose safeguards no school or trust may remove.
pub const GUARDED: [&str; 4] = [
    "nudes-sharing",
    "ai-generated-imagery",
    "abuse-imagery",
    "staff-conduct",
];

/// Sexual images of children, real or AI-made: nobody in school views,
/// copies, stores or uploads them (UKCIS 2024 treats AI-generated and
/// "nudified" images as real ones). The DSL owns them, they are urgent,
/// and no file is ever attached to such an incident.
pub const NO_IMAGES: [&str; 3] = ["nudes-sharing", "ai-generated-imagery", "abuse-imagery"];

/// Whether an incident of this category must refuse any file: the one
/// question a file-upload or attachment feature asks before storing one.
pub fn refuses_attachments(code: &str) -> bool {
    NO_IMAGES.contains(&code)
}

/// The first safeguard an edit would remove, as (field, message).
pub fn check(code: &str, e: &Edit<'_>) -> Option<(&'static str, String)> {
    all(code, e).into_iter().next()
}

/// Every safeguard an edit would remove, as (field, message), so that a
/// refused change lists every problem at once.
pub fn all(code: &str, e: &Edit<'_>) -> Vec<(&'static str, String)> {
    let (owner, urgent) = match code {
        c if NO_IMAGES.contains(&c) => ("dsl", true),
        "staff-conduct" => ("headteacher", false),
        _ => return Vec::new(),
    };
    let default_guidance = DEFAULTS
        .iter()
        .find(|d| d.code == code)
        .map_or("", |d| d.guidance);
    let mut out = Vec::new();
    if e.owner_role != owner {
        out.push((
            "owner_role",
            format!(
                "This category must stay with the {}: it is a safeguard.",
                if owner == "dsl" { "DSL" } else { "headteacher" }
            ),
        ));
    }
    if urgent && !e.urgent {
        out.push((
            "urgent",
            "This category must stay urgent: it is a safeguard.".into(),
        ));
    }
    if !e.active {
        out.push((
            "active",
            "This category must stay offered to staff: it is a safeguard.".into(),
        ));
    }
    if !e.guidance.contains(default_guidance) {
        out.push((
            "guidance",
            "Keep the standard guidance (you may add to it): it is a safeguard.".into(),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit<'a>(owner: &'a str, urgent: bool, active: bool, guidance: &'a str) -> Edit<'a> {
        Edit {
            name: "x",
            four_c: "conduct",
            owner_role: owner,
            guidance,
            urgent,
            active,
        }
    }

    #[test]
    fn the_three_safeguards_cannot_be_removed_and_other_categories_are_free() {
        let g = DEFAULTS
            .iter()
            .find(|d| d.code == "nudes-sharing")
            .unwrap()
            .guidance;
        assert_eq!(
            check("nudes-sharing", &edit("online_safety_lead", true, true, g))
                .unwrap()
                .0,
            "owner_role"
        );
        assert_eq!(
            check("nudes-sharing", &edit("dsl", false, true, g))
                .unwrap()
                .0,
            "urgent"
        );
        assert_eq!(
            check("nudes-sharing", &edit("dsl", true, false, g))
                .unwrap()
                .0,
            "active"
        );
        assert_eq!(
            check("nudes-sharing", &edit("dsl", true, true, "shorter"))
                .unwrap()
                .0,
            "guidance"
        );
        let more = format!("{g} Ring Mrs Patel on 0123.");
        assert!(check("nudes-sharing", &edit("dsl", true, true, &more)).is_none());
        let sg = DEFAULTS
            .iter()
            .find(|d| d.code == "staff-conduct")
            .unwrap()
            .guidance;
        assert_eq!(
            check("staff-conduct", &edit("dsl", false, true, sg))
                .unwrap()
                .0,
            "owner_role"
        );
        let ai = DEFAULTS
            .iter()
            .find(|d| d.code == "ai-generated-imagery")
            .unwrap();
        assert!(ai.urgent && ai.owner.as_str() == "dsl");
        for (owner, urgent, active, guidance, field) in [
            ("online_safety_lead", true, true, ai.guidance, "owner_role"),
            ("dsl", false, true, ai.guidance, "urgent"),
            ("dsl", true, false, ai.guidance, "active"),
            ("dsl", true, true, "Look at it first.", "guidance"),
        ] {
            assert_eq!(
                check(
                    "ai-generated-imagery",
                    &edit(owner, urgent, active, guidance)
                )
                .unwrap()
                .0,
                field,
                "ai-generated-imagery keeps the nudes-sharing safeguards"
            );
        }
        assert!(check(
            "online-bullying",
            &edit("online_safety_lead", false, false, "")
        )
        .is_none());
    }
}

#[cfg(test)]
mod image_tests {
    use super::*;

    #[test]
    fn the_image_categories_refuse_attachments_and_others_do_not() {
        for code in ["nudes-sharing", "ai-generated-imagery", "abuse-imagery"] {
            assert!(refuses_attachments(code), "{code}");
            assert!(GUARDED.contains(&code), "{code} is in the locked set");
            let d = DEFAULTS.iter().find(|d| d.code == code).unwrap();
            assert!(d.guidance.contains("No attachments") || d.guidance.contains("Do not view"));
        }
        for code in ["misogyny", "misinformation", "staff-conduct"] {
            assert!(!refuses_attachments(code), "{code}");
        }
    }
}

//! What no school may remove (PRODUCT.md routing rule 5): the DSL owns
//! nudes-sharing and abuse-imagery and they stay urgent; staff-conduct stays
//! with the headteacher alone; all three stay offered, and their guidance
//! may be added to but not cut. The two image-crime categories also take
//! no file at all ([`refuses_files`]): holding the image is itself the
//! offence.

use super::defaults::DEFAULTS;
use super::store::Edit;

/// The categories whose safeguards no school or trust may remove.
pub const GUARDED: [&str; 3] = ["nudes-sharing", "abuse-imagery", "staff-conduct"];

/// The first safeguard an edit would remove, as (field, message).
pub fn check(code: &str, e: &Edit<'_>) -> Option<(&'static str, String)> {
    all(code, e).into_iter().next()
}

/// What a guarded category keeps whatever a school does.
struct Guard {
    owner: &'static str,
    urgent: bool,
    /// No attachment of any kind: the law makes holding the file an
    /// offence, so safelog never offers to keep one.
    no_files: bool,
}

fn guard(code: &str) -> Option<Guard> {
    match code {
        "nudes-sharing" | "abuse-imagery" => Some(Guard {
            owner: "dsl",
            urgent: true,
            no_files: true,
        }),
        "staff-conduct" => Some(Guard {
            owner: "headteacher",
            urgent: false,
            no_files: false,
        }),
        _ => None,
    }
}

/// Whether a category refuses every attachment by design (the image-crime
/// categories, and any added with the same safeguard).
pub fn refuses_files(code: &str) -> bool {
    guard(code).is_some_and(|g| g.no_files)
}

/// Every safeguard an edit would remove, as (field, message), so that a
/// refused change lists every problem at once.
pub fn all(code: &str, e: &Edit<'_>) -> Vec<(&'static str, String)> {
    let Some(Guard { owner, urgent, .. }) = guard(code) else {
        return Vec::new();
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
        assert!(refuses_files("nudes-sharing") && refuses_files("abuse-imagery"));
        assert!(!refuses_files("staff-conduct") && !refuses_files("online-bullying"));
        assert!(check(
            "online-bullying",
            &edit("online_safety_lead", false, false, "")
        )
        .is_none());
    }
}

//! The default taxonomy of PRODUCT.md, given to every new school. The
//! categories KCSIE 2025 and the 2026 draft added ([`KCSIE_2025_2026`]) are
//! in it for new schools; a school made before them is offered them on its
//! categories page and has them only once its administrator accepts.

use super::model::FourC;
use crate::auth::Role;

/// One default category.
pub struct DefaultCategory {
    pub code: &'static str,
    pub name: &'static str,
    pub four_c: FourC,
    pub owner: Role,
    pub urgent: bool,
    pub restricted: bool,
    pub guidance: &'static str,
}

const fn cat(
    code: &'static str,
    name: &'static str,
    four_c: FourC,
    owner: Role,
    guidance: &'static str,
) -> DefaultCategory {
    DefaultCategory {
        code,
        name,
        four_c,
        owner,
        urgent: false,
        restricted: false,
        guidance,
    }
}

const fn urgent(mut c: DefaultCategory) -> DefaultCategory {
    c.urgent = true;
    c
}

const fn restricted(mut c: DefaultCategory) -> DefaultCategory {
    c.restricted = true;
    c
}

/// In the order staff see them.
pub const DEFAULTS: [DefaultCategory; 19] = [
    urgent(cat(
        "nudes-sharing",
        "Nudes or semi-nudes shared by or of pupils",
        FourC::Conduct,
        Role::Dsl,
        "Do not view, copy, print, share, store or save the images, or ask the pupil to. Do not delete them. Tell the DSL in person now. No attachments.",
    )),
    // UKCIS (2024) treats AI-generated and "nudified" images of pupils as
    // real ones, and the 2026 KCSIE draft names them as child-on-child
    // abuse: the same safeguards as nudes-sharing.
    urgent(cat(
        "ai-generated-imagery",
        "AI-generated or \"nudified\" images of pupils (deepfakes)",
        FourC::Conduct,
        Role::Dsl,
        "Treat them as real images. Do not view, copy, print, share, store or save the images, or ask the pupil to. Do not delete them. Tell the DSL in person now. No attachments.",
    )),
    urgent(cat(
        "abuse-imagery",
        "Suspected child sexual abuse imagery, or an adult sending sexual content",
        FourC::Content,
        Role::Dsl,
        "Illegal. Do not view further or screenshot. Do not switch the device off; isolate it. Record only where it was seen. Police referral.",
    )),
    urgent(cat(
        "grooming-contact",
        "Grooming, sextortion or contact from an unknown adult",
        FourC::Contact,
        Role::Dsl,
        "Do not contact the sender. Do not pay. Note usernames and times.",
    )),
    urgent(cat(
        "self-harm",
        "Self-harm or suicide content, or a disclosure",
        FourC::Content,
        Role::Dsl,
        "Do not leave the pupil alone if at risk.",
    )),
    cat(
        "online-bullying",
        "Online bullying or child-on-child abuse",
        FourC::Conduct,
        Role::Dsl,
        "Record the exact words used. Do not collect sexual images as evidence.",
    ),
    cat(
        "misogyny",
        "Misogyny or sexist abuse online",
        FourC::Conduct,
        Role::Dsl,
        "Record the exact words used and where they appeared.",
    ),
    cat(
        "radicalisation",
        "Radicalisation or extremist content",
        FourC::Content,
        Role::Dsl,
        "",
    ),
    cat(
        "exploitation",
        "Criminal or financial exploitation (drugs, gangs, money mules)",
        FourC::Contact,
        Role::Dsl,
        "",
    ),
    cat(
        "filtering-breach",
        "Filtering or monitoring alert, or a bypass (VPN, proxy)",
        FourC::Content,
        Role::Dsl,
        "KCSIE makes the DSL responsible for filtering and monitoring.",
    ),
    cat(
        "harmful-content",
        "Harmful or inappropriate content seen (pornography, violence)",
        FourC::Content,
        Role::OnlineSafetyLead,
        "Report it; do not reopen the material.",
    ),
    cat(
        "misinformation",
        "Misinformation, disinformation or conspiracy theories",
        FourC::Content,
        Role::OnlineSafetyLead,
        "Note where it was seen and who shared it; do not reshare it.",
    ),
    cat(
        "system-misuse",
        "Misuse of school systems or accounts (hacking, shared passwords)",
        FourC::Conduct,
        Role::OnlineSafetyLead,
        "Preserve logs.",
    ),
    cat(
        "device-misuse",
        "Misuse of phones or devices (photos without consent, use in lessons)",
        FourC::Conduct,
        Role::OnlineSafetyLead,
        "",
    ),
    cat(
        "scams-gambling",
        "Gambling, scams or phishing",
        FourC::Commerce,
        Role::OnlineSafetyLead,
        "",
    ),
    cat(
        "reputation",
        "Negative posts about the school or staff on social media",
        FourC::Conduct,
        Role::Headteacher,
        "Collect the facts; do not respond online.",
    ),
    cat(
        "data-breach",
        "Personal data lost or exposed",
        FourC::None,
        Role::Dpo,
        "Do not forward the data. The school may have 72 hours to report it.",
    ),
    restricted(cat(
        "staff-conduct",
        "Concern or allegation about a staff member's online conduct",
        FourC::Contact,
        Role::Headteacher,
        "Do not investigate; do not tell the staff member. Only the headteacher can see this record.",
    )),
    cat(
        "other",
        "Other online-safety concern",
        FourC::None,
        Role::OnlineSafetyLead,
        "",
    ),
];

/// The categories added to the defaults for KCSIE 2025 (misinformation,
/// disinformation and conspiracy theories as content risks) and the 2026
/// draft (AI-generated intimate images as child-on-child abuse; misogyny).
/// A school made before them is offered them; nothing changes until its
/// administrator adds them.
pub const KCSIE_2025_2026: [&str; 3] = ["misinformation", "ai-generated-imagery", "misogyny"];

/// A default category by its code.
pub fn standard(code: &str) -> Option<&'static DefaultCategory> {
    DEFAULTS.iter().find(|d| d.code == code)
}

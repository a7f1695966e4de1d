//! Column headers, shared by export and import so they always agree.

/// The policy spreadsheet's seven columns, in its order, with its headers.
pub const SPREADSHEET: [&str; 7] = [
    "Student Name",
    "Tutor Group",
    "Incident Date",
    "Incident Details",
    "Actions and Outcome",
    "Staff Initials",
    "LG Acknowledged",
];

/// safelog's own columns, after the seven.
pub const SAFELOG: [&str; 21] = [
    "Reference",
    "Category",
    "4C",
    "Owner Role",
    "Status",
    "Child at Risk",
    "Where",
    "Platform",
    "Other Pupils Involved",
    "Logged By",
    "Logged At",
    "Acknowledged By",
    "Acknowledged At",
    "Referrals",
    "Outcome",
    "Closed At",
    // The pupil's identifiers (issue 16): the consistent child identifier
    // and the NHS number, blank when the school has not recorded them.
    "Child Identifier",
    "NHS Number",
    "Decisions",
    "Information Shared",
    "Attachments",
];

/// A header as compared: case, surrounding and repeated spaces ignored.
pub fn normalise(header: &str) -> String {
    header
        .trim_start_matches('\u{feff}')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

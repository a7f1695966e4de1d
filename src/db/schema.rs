//! The tables, written by hand for both backends (TEXT ids made in Rust,
//! TIMESTAMP columns holding UTC set from Rust, no enum or JSON types).

diesel::table! {
    schools (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

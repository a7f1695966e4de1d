//! The tables, written by hand for both backends (TEXT ids made in Rust,
//! TIMESTAMP columns holding UTC set from Rust, no enum or JSON types).

diesel::table! {
    schools (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        require_2fa -> Text,
        report_min_count -> Integer,
        pickup_school_days -> Integer,
    }
}

diesel::table! {
    terms (id) {
        id -> Text,
        school_id -> Text,
        academic_year -> Integer,
        term -> Text,
        starts_on -> Date,
        ends_on -> Date,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        school_id -> Text,
        email -> Text,
        name -> Text,
        initials -> Text,
        password_hash -> Text,
        active -> Bool,
        totp_secret -> Nullable<Text>,
        totp_pending_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        school_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        school_id -> Text,
        stage -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    sign_in_failures (id) {
        id -> Text,
        email -> Nullable<Text>,
        ip -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    one_time_links (id) {
        id -> Text,
        purpose -> Text,
        token_hash -> Text,
        user_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Text,
        user_id -> Text,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        school_id -> Nullable<Text>,
        actor_id -> Nullable<Text>,
        action -> Text,
        record_type -> Nullable<Text>,
        record_id -> Nullable<Text>,
        detail -> Nullable<Text>,
        ip -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        school_id -> Nullable<Text>,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        next_attempt_at -> Timestamp,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> schools (school_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    schools,
    users,
    user_roles,
    sessions,
    sign_in_failures,
    one_time_links,
    recovery_codes,
    audit_events,
    outbox,
    terms,
);

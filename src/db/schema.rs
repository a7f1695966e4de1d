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
        /// The DfE's unique reference number: six digits; none for a school
        /// made before URNs were asked for.
        urn -> Nullable<Text>,
        trust_id -> Nullable<Text>,
    }
}

diesel::table! {
    trusts (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Roles held across a whole trust (not a membership of any school).
    trust_roles (user_id, trust_id, role) {
        user_id -> Text,
        trust_id -> Text,
        role -> Text,
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
        /// The home school: where a sign-in starts. Which school a request
        /// works in is the session's, never this.
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
    /// Memberships: the roles an account holds in each of its schools.
    user_roles (user_id, school_id, role) {
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
        /// When an SSO session ends with the provider's token, if sooner
        /// than safelog's own limit.
        expires_at -> Nullable<Timestamp>,
        /// `password`, `oidc`, or `oidc_mfa` (the provider vouched for a
        /// second factor).
        method -> Text,
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

diesel::table! {
    categories (id) {
        id -> Text,
        school_id -> Text,
        code -> Text,
        name -> Text,
        four_c -> Text,
        owner_role -> Text,
        guidance -> Text,
        urgent -> Bool,
        restricted -> Bool,
        position -> Integer,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The trust category this row carries, for a category the school's
        /// trust shares (which only the trust changes); none for the
        /// school's own.
        trust_category_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// A trust's shared categories: each school of the trust carries each
    /// as a row of its own in `categories`, matched by code.
    trust_categories (id) {
        id -> Text,
        trust_id -> Text,
        code -> Text,
        name -> Text,
        four_c -> Text,
        owner_role -> Text,
        guidance -> Text,
        urgent -> Bool,
        restricted -> Bool,
        position -> Integer,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Each trust role given or taken away: by whom (none from the command
    /// line) and when. Only ever added to.
    trust_role_changes (id) {
        id -> Text,
        trust_id -> Text,
        user_id -> Text,
        role -> Text,
        change -> Text,
        by_user_id -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    pupils (id) {
        id -> Text,
        school_id -> Text,
        name -> Text,
        name_key -> Text,
        tutor_group -> Nullable<Text>,
        year_group -> Nullable<Integer>,
        date_of_birth -> Nullable<Date>,
        upn -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        on_roll_at -> Nullable<Timestamp>,
        mis_id -> Nullable<Text>,
        left_at -> Nullable<Timestamp>,
        child_identifier -> Nullable<Text>,
        nhs_number -> Nullable<Text>,
    }
}

diesel::table! {
    pupil_drop_runs (id) {
        id -> Text,
        school_id -> Text,
        file_name -> Text,
        file_sha256 -> Text,
        ran_at -> Timestamp,
        outcome -> Text,
        added -> Integer,
        moved -> Integer,
        updated -> Integer,
        unchanged -> Integer,
        returned -> Integer,
        left_roll -> Integer,
        refused_rows -> Integer,
        message -> Nullable<Text>,
    }
}

diesel::table! {
    incidents (id) {
        id -> Text,
        school_id -> Text,
        reference -> Text,
        pupil_id -> Text,
        tutor_group -> Text,
        year_group -> Nullable<Integer>,
        incident_date -> Nullable<Date>,
        category_code -> Text,
        child_at_risk -> Bool,
        location -> Text,
        platform -> Nullable<Text>,
        details -> Text,
        actions_taken -> Text,
        search_text -> Text,
        status -> Text,
        owner_role -> Text,
        owner_user_id -> Nullable<Text>,
        logged_by -> Nullable<Text>,
        staff_initials -> Text,
        logged_at -> Timestamp,
        updated_at -> Timestamp,
        version -> Integer,
        lg_acknowledged_by -> Nullable<Text>,
        lg_acknowledged_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        closed_at -> Nullable<Timestamp>,
        entered_in_error_at -> Nullable<Timestamp>,
        entered_in_error_by -> Nullable<Text>,
        entered_in_error_reason -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        /// The day it counts on in reports: incident_date, or the day it was logged.
        counted_on -> Date,
        /// Staff-conduct about the headteacher: owned by the allegations
        /// lead, hidden from the headteacher. The 32nd column: the most
        /// diesel's `32-column-tables` allows.
        about_headteacher -> Bool,
    }
}

diesel::table! {
    incident_references (school_id, year) {
        school_id -> Text,
        year -> Integer,
        last_seq -> Integer,
    }
}

diesel::table! {
    incident_imports (incident_id) {
        incident_id -> Text,
        school_id -> Text,
        import_file -> Text,
        import_line -> Integer,
        import_key -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    incident_pupils (incident_id, pupil_id) {
        incident_id -> Text,
        school_id -> Text,
        pupil_id -> Text,
        role -> Text,
        position -> Integer,
    }
}

diesel::table! {
    incident_events (id) {
        id -> Text,
        incident_id -> Text,
        school_id -> Text,
        seq -> Integer,
        incident_version -> Integer,
        kind -> Text,
        by_user_id -> Nullable<Text>,
        by_initials -> Text,
        at -> Timestamp,
        text -> Nullable<Text>,
        field -> Nullable<Text>,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        reason -> Nullable<Text>,
        visible_to_reporter -> Bool,
    }
}

diesel::table! {
    referrals (id) {
        id -> Text,
        incident_id -> Text,
        school_id -> Text,
        agency -> Text,
        referred_on -> Date,
        reference -> Nullable<Text>,
        made_by -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    report_commentaries (school_id, academic_year, term) {
        school_id -> Text,
        academic_year -> Integer,
        term -> Text,
        commentary -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    report_publications (id) {
        id -> Text,
        school_id -> Text,
        academic_year -> Integer,
        term -> Text,
        version -> Integer,
        figures -> Text,
        commentary -> Text,
        reason -> Nullable<Text>,
        published_at -> Timestamp,
        published_by -> Text,
    }
}

diesel::joinable!(users -> schools (school_id));
diesel::joinable!(schools -> trusts (trust_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(incident_events -> incidents (incident_id));
diesel::joinable!(incident_pupils -> incidents (incident_id));
diesel::joinable!(incident_imports -> incidents (incident_id));
diesel::joinable!(referrals -> incidents (incident_id));
diesel::joinable!(alerts -> incidents (incident_id));
diesel::joinable!(reminders -> incidents (incident_id));

diesel::table! {
    /// A school's requests that its trust's safeguarding lead work its
    /// cases; open while `ended_at` is empty.
    trust_help (id) {
        id -> Text,
        school_id -> Text,
        asked_by -> Text,
        asked_at -> Timestamp,
        reason -> Text,
        ended_by -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        school_id -> Text,
        incident_id -> Text,
        user_id -> Text,
        kind -> Text,
        created_at -> Timestamp,
        seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    reminders (incident_id) {
        incident_id -> Text,
        school_id -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    /// A member of staff kept out of everything about one pupil (a parent
    /// or relative); live while `ended_at` is empty. Never deleted.
    pupil_exclusions (id) {
        id -> Text,
        school_id -> Text,
        pupil_id -> Text,
        user_id -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
        end_reason -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    alerts,
    reminders,
    schools,
    trusts,
    trust_roles,
    trust_categories,
    trust_role_changes,
    trust_help,
    users,
    user_roles,
    sessions,
    sign_in_failures,
    one_time_links,
    recovery_codes,
    audit_events,
    outbox,
    terms,
    categories,
    pupils,
    pupil_drop_runs,
    pupil_exclusions,
    incidents,
    incident_pupils,
    incident_imports,
    incident_references,
    incident_events,
    referrals,
    report_commentaries,
    report_publications,
);

diesel::table! {
    list_searches (id) {
        id -> Text,
        school_id -> Text,
        user_id -> Text,
        session_id -> Text,
        typed -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// Filtering and monitoring ingestion keys (issue 17): a digest of the
    /// key, one live key per source and school.
    monitoring_keys (id) {
        id -> Text,
        school_id -> Text,
        source -> Text,
        /// The source's name lower-cased: what keys, mappings and alerts match on.
        source_key -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    monitoring_severities (school_id, source_key, tool_value) {
        school_id -> Text,
        source_key -> Text,
        tool_value -> Text,
        severity -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    trust_report_commentaries (trust_id, academic_year, term) {
        trust_id -> Text,
        academic_year -> Integer,
        term -> Text,
        commentary -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    monitoring_settings (school_id) {
        school_id -> Text,
        look_within_hours -> Integer,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    monitoring_alerts (id) {
        id -> Text,
        school_id -> Text,
        key_id -> Text,
        source -> Text,
        source_key -> Text,
        tool_alert_id -> Text,
        received_at -> Timestamp,
        occurred_at -> Nullable<Timestamp>,
        tool_severity -> Text,
        severity -> Text,
        severity_rank -> Integer,
        device -> Nullable<Text>,
        account -> Nullable<Text>,
        pupil_identifier -> Nullable<Text>,
        pupil_id -> Nullable<Text>,
        category_hint -> Nullable<Text>,
        text -> Nullable<Text>,
        url -> Nullable<Text>,
        extra -> Nullable<Text>,
        status -> Text,
        first_looked_at -> Nullable<Timestamp>,
        first_looked_by -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        dismiss_reason -> Nullable<Text>,
        dismiss_note -> Nullable<Text>,
        incident_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// A pupil's child protection file sent to another school: within the
    /// deployment, or as a signed package to or from another system.
    transfers (id) {
        id -> Text,
        document_id -> Text,
        kind -> Text,
        from_school_id -> Nullable<Text>,
        from_pupil_id -> Nullable<Text>,
        from_school_name -> Text,
        from_school_urn -> Nullable<Text>,
        to_school_id -> Nullable<Text>,
        to_urn -> Nullable<Text>,
        pupil_name -> Text,
        incident_count -> Integer,
        /// The transfer document, exactly as made (the bytes a package signs).
        document -> Text,
        sent_at -> Timestamp,
        sent_by -> Nullable<Text>,
        sent_by_name -> Text,
        opened_at -> Nullable<Timestamp>,
        opened_by -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        confirmed_by -> Nullable<Text>,
        linked_pupil_id -> Nullable<Text>,
        key_fingerprint -> Nullable<Text>,
    }
}

diesel::table! {
    /// The deployment's key pair for signing transfer packages (one row).
    signing_keys (id) {
        id -> Text,
        public_key -> Text,
        private_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    trust_report_publications (id) {
        id -> Text,
        trust_id -> Text,
        academic_year -> Integer,
        term -> Text,
        version -> Integer,
        figures -> Text,
        commentary -> Text,
        reason -> Nullable<Text>,
        published_at -> Timestamp,
        published_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(trust_report_publications, users);

diesel::table! {
    monitoring_triagers (school_id, user_id) {
        school_id -> Text,
        user_id -> Text,
        named_at -> Timestamp,
        named_by -> Nullable<Text>,
    }
}

diesel::table! {
    filtering_decisions (id) {
        id -> Text,
        school_id -> Text,
        decided_on -> Date,
        change -> Text,
        decided_by -> Text,
        reason -> Text,
        corrects_id -> Nullable<Text>,
        recorded_at -> Timestamp,
        recorded_by -> Text,
    }
}

diesel::table! {
    /// A school's or a trust's OpenID Connect providers (sso feature).
    oidc_providers (id) {
        id -> Text,
        school_id -> Nullable<Text>,
        trust_id -> Nullable<Text>,
        name -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret -> Text,
        preset -> Text,
        tenant_id -> Nullable<Text>,
        hosted_domain -> Nullable<Text>,
        domains -> Text,
        mfa_acr -> Nullable<Text>,
        self_sign_up_domain -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        last_success_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        removed_by -> Nullable<Text>,
        role_claim -> Nullable<Text>,
        role_map -> Text,
        role_map_by -> Nullable<Text>,
        role_map_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Files attached to an incident (issue 16). The bytes live in the
    /// data folder under their SHA-256 (`crate::attachments::files`).
    attachments (id) {
        id -> Text,
        school_id -> Text,
        incident_id -> Text,
        name -> Text,
        media_type -> Text,
        size -> BigInt,
        sha256 -> Text,
        uploaded_by -> Nullable<Text>,
        uploaded_by_initials -> Text,
        uploaded_at -> Timestamp,
        entered_in_error_at -> Nullable<Timestamp>,
        entered_in_error_by -> Nullable<Text>,
        entered_in_error_reason -> Nullable<Text>,
    }
}

diesel::table! {
    monitoring_review_drafts (school_id, academic_year) {
        school_id -> Text,
        academic_year -> Integer,
        commentary -> Text,
        updated_at -> Timestamp,
        updated_by -> Text,
    }
}

diesel::table! {
    monitoring_review_publications (id) {
        id -> Text,
        school_id -> Text,
        academic_year -> Integer,
        version -> Integer,
        figures -> Text,
        commentary -> Text,
        reason -> Nullable<Text>,
        published_at -> Timestamp,
        published_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(monitoring_triagers, users);
diesel::allow_tables_to_appear_in_same_query!(filtering_decisions, users);
diesel::allow_tables_to_appear_in_same_query!(monitoring_review_publications, users);
diesel::allow_tables_to_appear_in_same_query!(incidents, monitoring_alerts);

diesel::table! {
    /// OpenID Connect sign-ins started and not yet finished.
    oidc_logins (state_hash) {
        state_hash -> Text,
        provider_id -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Per school: password sign-in on or off, days unseen before an
    /// account is listed for deactivation.
    sign_in_settings (school_id) {
        school_id -> Text,
        password_sign_in -> Bool,
        dormant_after_days -> Integer,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    attachment_settings (school_id) {
        school_id -> Text,
        max_file_bytes -> BigInt,
        max_incident_bytes -> BigInt,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(oidc_providers, schools);
diesel::allow_tables_to_appear_in_same_query!(oidc_providers, trusts);

diesel::table! {
    attachment_no_images (school_id, category_code) {
        school_id -> Text,
        category_code -> Text,
    }
}

diesel::table! {
    /// Decisions a lead records with a reason (no further action, not
    /// referred, not shared).
    case_decisions (id) {
        id -> Text,
        school_id -> Text,
        incident_id -> Text,
        decision -> Text,
        reason -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    /// Information shared about a case, with its lawful basis.
    information_shares (id) {
        id -> Text,
        school_id -> Text,
        incident_id -> Text,
        shared_with -> Text,
        person -> Nullable<Text>,
        what -> Text,
        shared_on -> Date,
        lawful_basis -> Text,
        reason -> Text,
        recorded_by -> Nullable<Text>,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(attachments -> incidents (incident_id));
diesel::joinable!(case_decisions -> incidents (incident_id));
diesel::joinable!(information_shares -> incidents (incident_id));
diesel::allow_tables_to_appear_in_same_query!(attachments, incidents);
diesel::allow_tables_to_appear_in_same_query!(case_decisions, incidents);
diesel::allow_tables_to_appear_in_same_query!(information_shares, incidents);

diesel::table! {
    /// A subject access request and its one-month clock.
    access_requests (id) {
        id -> Text,
        school_id -> Text,
        reference -> Text,
        pupil_id -> Text,
        requester_name -> Text,
        relationship -> Text,
        received_on -> Date,
        extension_months -> Integer,
        extension_reason -> Nullable<Text>,
        paused_days -> Integer,
        paused_on -> Nullable<Date>,
        state -> Text,
        keep_staff_names -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Each step of a subject access request, with who and when.
    access_request_events (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        detail -> Nullable<Text>,
        by_user_id -> Nullable<Text>,
        by_name -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    /// A passage the DPO withholds from a pack, with the reason.
    access_request_redactions (id) {
        id -> Text,
        request_id -> Text,
        incident_reference -> Text,
        field -> Text,
        passage -> Nullable<Text>,
        reason -> Text,
        by_user_id -> Nullable<Text>,
        at -> Timestamp,
    }
}

diesel::table! {
    /// A pack exactly as released.
    access_request_releases (request_id) {
        request_id -> Text,
        content -> Text,
        sha256 -> Text,
        released_by -> Nullable<Text>,
        released_by_name -> Text,
        released_at -> Timestamp,
    }
}

diesel::table! {
    /// Retention decisions (issue 16): keep with a reason and a new review
    /// date, or destroy. A destroy row is the record's tombstone.
    retention_decisions (id) {
        id -> Text,
        school_id -> Text,
        incident_id -> Text,
        decision -> Text,
        reason -> Text,
        review_on -> Nullable<Date>,
        was_due_on -> Nullable<Date>,
        decided_by -> Text,
        decided_as -> Text,
        decided_at -> Timestamp,
        files_removed -> Integer,
    }
}

diesel::table! {
    /// A school's review period per category (none: date of birth + 25 years).
    retention_periods (school_id, category_code) {
        school_id -> Text,
        category_code -> Text,
        basis -> Text,
        years -> Integer,
        updated_at -> Timestamp,
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    legal_holds (id) {
        id -> Text,
        school_id -> Text,
        name -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        lifted_by -> Nullable<Text>,
        lifted_at -> Nullable<Timestamp>,
        lifted_reason -> Nullable<Text>,
    }
}

diesel::table! {
    /// What a legal hold names: an incident, or a pupil (all their records).
    legal_hold_records (id) {
        id -> Text,
        hold_id -> Text,
        school_id -> Text,
        incident_id -> Nullable<Text>,
        pupil_id -> Nullable<Text>,
        added_by -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    /// The pupil a destroyed record points at instead of the children it named.
    retention_placeholders (school_id) {
        school_id -> Text,
        pupil_id -> Text,
    }
}

diesel::joinable!(retention_decisions -> incidents (incident_id));
diesel::joinable!(retention_decisions -> users (decided_by));
diesel::joinable!(legal_hold_records -> legal_holds (hold_id));
diesel::allow_tables_to_appear_in_same_query!(retention_decisions, incidents);
diesel::allow_tables_to_appear_in_same_query!(retention_decisions, users);
diesel::allow_tables_to_appear_in_same_query!(legal_hold_records, legal_holds);
diesel::allow_tables_to_appear_in_same_query!(legal_hold_records, incidents);
diesel::allow_tables_to_appear_in_same_query!(legal_holds, users);
diesel::allow_tables_to_appear_in_same_query!(retention_decisions, incident_pupils);
diesel::allow_tables_to_appear_in_same_query!(incidents, retention_periods);
diesel::allow_tables_to_appear_in_same_query!(attachments, retention_decisions);

//! Hand-kept schema shared by both backends; must match `migrations/sqlite` and `migrations/postgres`.

diesel::table! {
    app_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    regions (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        search_name -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        full_name -> Text,
        phone -> Text,
        role -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_areas (user_id, region_code) {
        user_id -> Integer,
        region_code -> Text,
        assigned_on -> Nullable<Date>,
    }
}

diesel::table! {
    user_sessions (token_hash) {
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    login_failures (throttle_key) {
        throttle_key -> Text,
        failures -> Integer,
        first_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        actor_user_id -> Nullable<Integer>,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        detail -> Text,
    }
}

diesel::table! {
    households (id) {
        id -> Integer,
        region_code -> Text,
        rt -> Text,
        rw -> Text,
        address -> Text,
        nomor_kk -> Nullable<Text>,
        landmark -> Text,
        search_text -> Text,
        open_members -> Integer,
        priority_members -> Integer,
        last_visited_on -> Nullable<Date>,
        last_visit_outcome -> Nullable<Text>,
        worklist_rank -> Integer,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> Integer,
        household_id -> Integer,
        nik -> Nullable<Text>,
        name -> Text,
        name_search -> Text,
        sex -> Text,
        birth_date -> Date,
        relationship -> Text,
        jkn_number -> Nullable<Text>,
        segment -> Text,
        class -> Nullable<Text>,
        status -> Text,
        inactive_reason -> Nullable<Text>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        mistaken_at -> Nullable<Timestamp>,
        mistaken_by -> Nullable<Integer>,
        mistaken_reason -> Nullable<Text>,
    }
}

diesel::table! {
    visits (id) {
        id -> Integer,
        household_id -> Integer,
        region_code -> Text,
        visitor_id -> Integer,
        visited_on -> Date,
        outcome -> Text,
        note -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        accuracy_m -> Nullable<Double>,
        created_at -> Timestamp,
        voided_at -> Nullable<Timestamp>,
        voided_by -> Nullable<Integer>,
        void_reason -> Nullable<Text>,
    }
}

diesel::table! {
    visit_members (id) {
        id -> Integer,
        visit_id -> Integer,
        member_id -> Integer,
        observed_status -> Text,
        action -> Text,
        new_segment -> Nullable<Text>,
        rehab_reference -> Nullable<Text>,
        revisit_on -> Nullable<Date>,
        new_class -> Nullable<Text>,
    }
}

diesel::table! {
    reactivations (id) {
        id -> Integer,
        kind -> Text,
        member_id -> Integer,
        visit_id -> Integer,
        region_code -> Text,
        reported_by -> Integer,
        reported_on -> Date,
        method -> Text,
        segment -> Nullable<Text>,
        state -> Text,
        decided_by -> Nullable<Integer>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        created_at -> Timestamp,
        decided_via -> Nullable<Text>,
        flagged_on -> Nullable<Date>,
    }
}

diesel::table! {
    submissions (submission_key) {
        submission_key -> Text,
        user_id -> Integer,
        result_path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    thresholds (valid_from) {
        valid_from -> Date,
        coverage_bp -> Integer,
        activity_bp -> Integer,
        note -> Text,
    }
}

diesel::table! {
    figures (region_code, figure_date) {
        region_code -> Text,
        figure_date -> Date,
        population -> Integer,
        registered -> Integer,
        active -> Integer,
        imported_at -> Timestamp,
        imported_by -> Nullable<Integer>,
        source -> Text,
    }
}

diesel::table! {
    figure_segments (region_code, figure_date, segment) {
        region_code -> Text,
        figure_date -> Date,
        segment -> Text,
        registered -> Nullable<Integer>,
        active -> Nullable<Integer>,
    }
}

diesel::table! {
    figure_rollups (region_code, figure_date) {
        region_code -> Text,
        figure_date -> Date,
        population -> BigInt,
        registered -> BigInt,
        active -> BigInt,
        units -> Integer,
        fresh -> Integer,
        oldest -> Nullable<Date>,
    }
}

diesel::table! {
    region_villages (code) {
        code -> Text,
        villages -> Integer,
    }
}

diesel::table! {
    assignment_history (id) {
        id -> Integer,
        user_id -> Integer,
        region_code -> Text,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        changed_by -> Nullable<Integer>,
    }
}

diesel::table! {
    household_assignments (household_id) {
        household_id -> Integer,
        user_id -> Integer,
        assigned_on -> Date,
        assigned_by -> Nullable<Integer>,
    }
}

diesel::table! {
    field_activity (region_code, user_id) {
        region_code -> Text,
        user_id -> Integer,
        visits -> Integer,
        households -> Integer,
        reported -> Integer,
        confirmed -> Integer,
        rejected -> Integer,
        last_visit_on -> Nullable<Date>,
        flagged -> Integer,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(user_areas -> users (user_id));
diesel::joinable!(user_areas -> regions (region_code));
diesel::joinable!(user_sessions -> users (user_id));
diesel::joinable!(households -> regions (region_code));
diesel::joinable!(members -> households (household_id));
diesel::joinable!(visits -> households (household_id));
diesel::joinable!(visits -> users (visitor_id));
diesel::joinable!(visit_members -> visits (visit_id));
diesel::joinable!(visit_members -> members (member_id));
diesel::joinable!(reactivations -> members (member_id));
diesel::joinable!(reactivations -> visits (visit_id));
diesel::joinable!(figures -> regions (region_code));
diesel::joinable!(assignment_history -> regions (region_code));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(household_assignments -> households (household_id));
diesel::joinable!(household_assignments -> users (user_id));
diesel::joinable!(field_activity -> users (user_id));

diesel::table! {
    contribution_rules (rule, valid_from) {
        rule -> Text,
        valid_from -> Date,
        value -> BigInt,
        basis -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    incentive_rates (region_code, outcome, valid_from) {
        region_code -> Text,
        outcome -> Text,
        valid_from -> Date,
        amount -> BigInt,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recap_periods (id) {
        id -> Integer,
        region_code -> Text,
        month -> Date,
        closed_by -> Integer,
        closed_at -> Timestamp,
    }
}

diesel::table! {
    recap_lines (period_id, user_id, source_month) {
        period_id -> Integer,
        user_id -> Integer,
        source_month -> Date,
        visits -> BigInt,
        households -> BigInt,
        revisits_due -> BigInt,
        revisits_kept -> BigInt,
        reactivations_reported -> BigInt,
        reactivations_confirmed -> BigInt,
        reactivations_rejected -> BigInt,
        registrations_reported -> BigInt,
        registrations_confirmed -> BigInt,
        registrations_rejected -> BigInt,
        median_days -> Nullable<Integer>,
        amount -> BigInt,
    }
}

diesel::joinable!(recap_lines -> recap_periods (period_id));
diesel::joinable!(recap_lines -> users (user_id));
diesel::joinable!(recap_periods -> users (closed_by));

diesel::allow_tables_to_appear_in_same_query!(
    app_meta,
    incentive_rates,
    recap_periods,
    recap_lines,
    contribution_rules,
    regions,
    users,
    user_areas,
    user_sessions,
    login_failures,
    audit_log,
    households,
    members,
    visits,
    visit_members,
    reactivations,
    submissions,
    thresholds,
    figures,
    figure_segments,
    figure_rollups,
    region_villages,
    assignment_history,
    api_tokens,
    household_assignments,
    field_activity,
    roster_imports,
    roster_import_errors,
    member_history,
    member_arrears,
    roster_held_moves,
    figure_previews,
    figure_preview_chunks,
    pemda_quotas,
    dinsos_answers,
    village_officials,
    village_official_members,
);

diesel::table! {
    roster_imports (id) {
        id -> Integer,
        extract_date -> Date,
        file_name -> Text,
        imported_by -> Nullable<Integer>,
        state -> Text,
        percent_done -> Integer,
        rows_read -> Integer,
        rows_invalid -> Integer,
        members_created -> Integer,
        members_changed -> Integer,
        households_created -> Integer,
        claims_confirmed -> Integer,
        claims_flagged -> Integer,
        message -> Nullable<Text>,
        started_at -> Timestamp,
        updated_at -> Timestamp,
        rows_held -> Integer,
        rows_warned -> Integer,
        ignored_columns -> Text,
    }
}

diesel::table! {
    roster_import_errors (import_id, line, column_name) {
        import_id -> Integer,
        line -> Integer,
        column_name -> Text,
        value -> Text,
        message -> Text,
        warning -> Bool,
    }
}

diesel::table! {
    member_history (member_id, valid_from) {
        member_id -> Integer,
        valid_from -> Date,
        segment -> Text,
        status -> Text,
        inactive_reason -> Nullable<Text>,
        import_id -> Nullable<Integer>,
    }
}

diesel::joinable!(member_history -> members (member_id));

diesel::table! {
    member_arrears (member_id, as_of) {
        member_id -> Integer,
        as_of -> Date,
        months -> Nullable<Integer>,
        amount -> Nullable<BigInt>,
        import_id -> Nullable<Integer>,
        visit_id -> Nullable<Integer>,
    }
}

diesel::joinable!(member_arrears -> members (member_id));
diesel::joinable!(roster_import_errors -> roster_imports (import_id));

diesel::table! {
    roster_held_moves (id) {
        id -> Integer,
        import_id -> Integer,
        line -> Integer,
        member_id -> Integer,
        nik -> Nullable<Text>,
        nomor_kk -> Nullable<Text>,
        name -> Text,
        sex -> Text,
        birth_date -> Date,
        region_code -> Text,
        rt -> Text,
        rw -> Text,
        address -> Text,
        jkn_number -> Nullable<Text>,
        segment -> Text,
        class -> Nullable<Text>,
        status -> Text,
        inactive_reason -> Nullable<Text>,
        extract_date -> Date,
        state -> Text,
        decided_by -> Nullable<Integer>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(roster_held_moves -> roster_imports (import_id));
diesel::joinable!(roster_held_moves -> members (member_id));

diesel::table! {
    figure_previews (id) {
        id -> Integer,
        preview_key -> Text,
        user_id -> Integer,
        file_name -> Text,
        created_at -> Timestamp,
        summary -> Text,
        applied_summary -> Nullable<Text>,
    }
}

diesel::table! {
    figure_preview_chunks (preview_id, seq) {
        preview_id -> Integer,
        seq -> Integer,
        payload -> Text,
    }
}

diesel::joinable!(figure_previews -> users (user_id));
diesel::joinable!(figure_preview_chunks -> figure_previews (preview_id));

diesel::table! {
    pemda_quotas (region_code, valid_from) {
        region_code -> Text,
        valid_from -> Date,
        places -> BigInt,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dinsos_answers (claim_id) {
        claim_id -> Integer,
        answer -> Text,
        note -> Text,
        decided_by -> Integer,
        decided_at -> Timestamp,
    }
}

diesel::table! {
    village_officials (region_code) {
        region_code -> Text,
        officials -> Integer,
        source -> Text,
        updated_by -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    village_official_members (member_id) {
        member_id -> Integer,
        source -> Text,
        marked_by -> Nullable<Integer>,
        marked_on -> Date,
    }
}

diesel::joinable!(dinsos_answers -> reactivations (claim_id));
diesel::joinable!(village_official_members -> members (member_id));

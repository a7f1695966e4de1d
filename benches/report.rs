//! How long a governors' termly report takes over a million incidents.
//!
//! ```text
//! cargo bench --bench report                       # SQLite, 1,000,000 incidents
//! SAFELOG_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench report                   # and PostgreSQL too
//! SAFELOG_BENCH_ROWS=200000 cargo bench --bench report
//! SAFELOG_BENCH_KEEP=1 cargo bench --bench report  # keep the databases
//! ```
//!
//! Fills a fresh database with one school and N incidents spread evenly
//! over six academic years (September 2019 to August 2025), in one
//! transaction of raw per-backend SQL: 10% undated, 80% acknowledged, 90%
//! closed, 1% entered in error, one referral for every 20. Then it times
//! `reports::report::load` (every figure of the report, as the page and
//! the JSON get them) for a recent and an old term, cold and warm.
//! Not part of `cargo test` (harness = false, run only by `cargo bench`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use safelog::db::AnyConnection;
use safelog::reports::terms::TermName;

/// The academic years the incidents are spread over.
const FIRST_DAY: &str = "2019-09-01 00:00:00";
const SPAN_SECONDS: i64 = 2192 * 86_400;

const CATEGORIES: [&str; 16] = [
    "nudes-sharing",
    "abuse-imagery",
    "grooming-contact",
    "self-harm",
    "online-bullying",
    "radicalisation",
    "exploitation",
    "filtering-breach",
    "harmful-content",
    "system-misuse",
    "device-misuse",
    "scams-gambling",
    "reputation",
    "data-breach",
    "staff-conduct",
    "other",
];

fn case(expr: &str, values: &[&str]) -> String {
    let arms: String = values
        .iter()
        .enumerate()
        .map(|(n, v)| format!(" WHEN {n} THEN '{v}'"))
        .collect();
    format!("CASE {expr}{arms} END")
}

/// The incidents, as one INSERT ... SELECT over a series. `logged` and
/// the date arithmetic are the only per-backend parts.
fn incidents_sql(sqlite: bool, school: &str, pupil: &str, rows: i64) -> String {
    let (series, date_of, minus_days, plus_hours, plus_days) = if sqlite {
        (
            format!(
                "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows}) \
                 SELECT i, datetime('{FIRST_DAY}', '+' || ((i * {SPAN_SECONDS}) / {rows}) || ' seconds') AS logged FROM s"
            ),
            "date(logged)",
            "date(logged, '-' || ((i * 7) % 5) || ' days')",
            "datetime(logged, '+' || ((i * 37) % 72) || ' hours', '+30 minutes')",
            "datetime(logged, '+' || ((i * 17) % 60) || ' days', '+2 hours')",
        )
    } else {
        (
            format!(
                "SELECT i, TIMESTAMP '{FIRST_DAY}' + ((i * {SPAN_SECONDS}) / {rows}) * INTERVAL '1 second' AS logged \
                 FROM generate_series(CAST(1 AS BIGINT), {rows}) AS s(i)"
            ),
            "CAST(logged AS DATE)",
            "CAST(logged AS DATE) - CAST((i * 7) % 5 AS INTEGER)",
            "logged + ((i * 37) % 72) * INTERVAL '1 hour' + INTERVAL '30 minutes'",
            "logged + ((i * 17) % 60) * INTERVAL '1 day' + INTERVAL '2 hours'",
        )
    };
    let category = case("((i * 7919) % 16)", &CATEGORIES);
    let location = case(
        "((i * 13) % 4)",
        &["in_school", "outside_school", "online_at_home", "unknown"],
    );
    let incident_date = format!("CASE WHEN i % 10 = 0 THEN NULL ELSE {minus_days} END");
    format!(
        "INSERT INTO incidents (id, school_id, reference, pupil_id, tutor_group, year_group, \
            incident_date, category_code, child_at_risk, location, platform, details, actions_taken, \
            search_text, status, owner_role, owner_user_id, logged_by, staff_initials, logged_at, \
            updated_at, version, lg_acknowledged_by, lg_acknowledged_at, outcome, closed_at, \
            entered_in_error_at, entered_in_error_by, entered_in_error_reason, idempotency_key, counted_on) \
         SELECT 'inc-' || i, '{school}', 'B-' || i, '{pupil}', '9B', \
            CASE WHEN i % 50 = 0 THEN NULL ELSE 7 + ((i * 31) % 7) END, \
            {incident_date}, {category}, FALSE, {location}, NULL, 'bench', '', '', \
            CASE WHEN i % 10 = 3 THEN 'in_progress' ELSE 'closed' END, 'dsl', NULL, NULL, 'BB', logged, \
            logged, 1, NULL, CASE WHEN i % 5 = 0 THEN NULL ELSE {plus_hours} END, NULL, \
            CASE WHEN i % 10 = 3 THEN NULL ELSE {plus_days} END, \
            CASE WHEN i % 100 = 7 THEN logged ELSE NULL END, NULL, \
            CASE WHEN i % 100 = 7 THEN 'bench' ELSE NULL END, NULL, \
            COALESCE({incident_date}, {date_of}) \
         FROM ({series}) AS g"
    )
}

fn referrals_sql(sqlite: bool) -> String {
    let agency = case(
        "(CAST(substr(id, 5) AS INTEGER) % 10)",
        &[
            "police",
            "ceop",
            "iwf",
            "social_care",
            "lado",
            "prevent",
            "report_harmful_content",
            "platform",
            "action_fraud",
            "ico",
        ],
    );
    let referred_on = if sqlite {
        "date(counted_on, '+2 days')"
    } else {
        "counted_on + 2"
    };
    format!(
        "INSERT INTO referrals (id, incident_id, school_id, agency, referred_on, reference, made_by, recorded_at) \
         SELECT 'ref-' || id, id, school_id, {agency}, {referred_on}, NULL, NULL, logged_at \
         FROM incidents WHERE CAST(substr(id, 5) AS INTEGER) % 20 = 0"
    )
}

fn seed(conn: &mut AnyConnection, rows: i64) -> String {
    let at = chrono::NaiveDate::from_ymd_opt(2019, 8, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let school = safelog::accounts::store::create_school(conn, "Bench School", at)
        .unwrap()
        .id;
    safelog::categories::store::for_school(conn, &school, at).unwrap();
    let pupil = "bench-pupil";
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let started = Instant::now();
    let batch = format!(
        "BEGIN; \
         INSERT INTO pupils (id, school_id, name, name_key, tutor_group, year_group, created_at, updated_at) \
         VALUES ('{pupil}', '{school}', 'Bench Pupil', 'bench pupil', '9B', 9, '2019-08-01 00:00:00', '2019-08-01 00:00:00'); \
         {}; {}; COMMIT;",
        incidents_sql(sqlite, &school, pupil, rows),
        referrals_sql(sqlite),
    );
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(&batch).unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute(&batch).unwrap(),
    }
    println!(
        "  filled {rows} incidents (and {} referrals) in {:.1} s",
        rows / 20,
        started.elapsed().as_secs_f64()
    );
    school
}

fn time_reports(conn: &mut AnyConnection, school: &str, label: &str) {
    let today = chrono::NaiveDate::from_ymd_opt(2025, 11, 12).unwrap();
    for (year, term) in [(2024, TermName::Summer), (2020, TermName::Autumn)] {
        let mut times: Vec<Duration> = Vec::new();
        let mut total = 0;
        for _ in 0..7 {
            let started = Instant::now();
            let r = safelog::reports::report::load(conn, school, year, term, today).unwrap();
            times.push(started.elapsed());
            total = r.live.total;
            assert!(r.live.open_at_end_of_term > 0 && r.live.acknowledged > 0);
        }
        let first = times[0];
        times.sort();
        println!(
            "  {label}: {term} {year}/{:02}: {total} incidents in the term; first {:.0} ms, median {:.0} ms, best {:.0} ms",
            (year + 1) % 100,
            first.as_secs_f64() * 1000.0,
            times[times.len() / 2].as_secs_f64() * 1000.0,
            times[0].as_secs_f64() * 1000.0,
        );
    }
}

/// Where the time goes: each query of the latest term's report on its own.
fn breakdown(conn: &mut AnyConnection, school: &str) {
    use safelog::reports::{figures, store};
    let term = store::term(conn, school, 2024, TermName::Summer).unwrap();
    let t = figures::terms(conn, school, &term).unwrap();
    let w = t.window;
    let mut each = |name: &str, f: &mut dyn FnMut(&mut AnyConnection)| {
        let started = Instant::now();
        f(conn);
        print!(
            " {name} {:.0} ms;",
            started.elapsed().as_secs_f64() * 1000.0
        );
    };
    print!("  each query:");
    each("groups", &mut |c| {
        drop(store::groups(c, school, &w).unwrap())
    });
    each("total", &mut |c| {
        store::total(c, school, &w).unwrap();
    });
    each("acknowledgement+median", &mut |c| {
        store::acknowledgement(c, school, &w).unwrap();
    });
    each("open at end", &mut |c| {
        store::open_at_end(c, school, &w).unwrap();
    });
    each("referrals", &mut |c| {
        drop(store::referrals_by_agency(c, school, &w).unwrap())
    });
    println!();
    if let AnyConnection::Sqlite(c) = conn {
        #[derive(diesel::QueryableByName)]
        struct Plan {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let plan: Vec<Plan> = diesel::sql_query(format!(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM incidents WHERE school_id = '{school}' \
             AND counted_on <= '{}' AND entered_in_error_at IS NULL AND logged_at < '{end}' \
             AND (closed_at IS NULL OR closed_at >= '{end}')",
            w.last,
            end = w.end_instant()
        ))
        .load(c)
        .unwrap();
        for p in plan {
            println!("  plan: {}", p.detail);
        }
    }
}

fn run(url: &str, rows: i64) {
    let pool = safelog::db::open(url).unwrap();
    let mut conn = pool.get().unwrap();
    let school = seed(&mut conn, rows);
    time_reports(&mut conn, &school, "as filled");
    breakdown(&mut conn, &school);
    match &mut *conn {
        AnyConnection::Sqlite(c) => c.batch_execute("ANALYZE;").unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute("VACUUM ANALYZE;").unwrap(),
    }
    time_reports(&mut conn, &school, "after ANALYZE");
    breakdown(&mut conn, &school);
}

fn main() {
    let rows: i64 = std::env::var("SAFELOG_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("safelog-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("SQLite ({})", dir.display());
    run(
        &format!("sqlite://{}", dir.join("bench.db").display()),
        rows,
    );
    if std::env::var_os("SAFELOG_BENCH_KEEP").is_some() {
        println!(
            "  kept for a look with sqlite3: {}",
            dir.join("bench.db").display()
        );
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    match std::env::var("SAFELOG_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("safelog_bench_{}", uuid::Uuid::new_v4().simple());
            let mut c = PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            println!("PostgreSQL");
            run(&format!("{base}/{name}"), rows);
            if std::env::var_os("SAFELOG_BENCH_KEEP").is_some() {
                println!("  kept for a look with psql: {base}/{name}");
            } else {
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .unwrap();
            }
        }
        Err(_) => println!("PostgreSQL: skipped (set SAFELOG_BENCH_POSTGRES_URL to include it)"),
    }
}

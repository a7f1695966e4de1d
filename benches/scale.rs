//! The incident list and its text search at trust scale (issue 14), each
//! beside the database doing the same work directly.
//!
//! ```text
//! cargo bench --bench scale                        # SQLite, 1,000,000 incidents
//! cargo bench --bench scale -- 100000              # or SAFELOG_BENCH_ROWS=100000
//! SAFELOG_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench scale                    # and PostgreSQL too
//! SAFELOG_BENCH_ROUNDS=5                           # rounds per measure (default 15)
//! ```
//!
//! Fills a fresh database (migrated as the service migrates it) with one
//! school, 2,000 pupils and N incidents over six years, seeded: the same N
//! gives the same rows. One incident in 20 says "bullying"; none says
//! "zebra"; one in 16 is of the restricted category. Then for each measure
//! it alternates rounds of safelog's own store call (what the page and the
//! API run, with the incidents' pupils and categories filled in) and of
//! the reference, the same page and bounded count as hand-written SQL sent
//! straight to the database, and prints min/median/max of each and the
//! ratio of the medians; the concurrent measures run 8 clients at once and
//! give p99 too. The old list query (every row counted, `LIKE` over every
//! row) is timed once beside them for the "before" column.
//! Not part of `cargo test` (harness = false, run only by `cargo bench`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use safelog::auth::Role;
use safelog::db::{AnyConnection, DbPool};
use safelog::incidents::filters::{Filters, Paging};
use safelog::incidents::store::read;
use safelog::incidents::viewer::Viewer;

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

const WORDS: [&str; 16] = [
    "snapchat",
    "whatsapp",
    "instagram",
    "tiktok",
    "discord",
    "roblox",
    "minecraft",
    "fortnite",
    "youtube",
    "telegram",
    "messages",
    "photos",
    "comments",
    "videos",
    "threats",
    "rumours",
];

fn case(expr: &str, values: &[&str]) -> String {
    let arms: String = values
        .iter()
        .enumerate()
        .map(|(n, v)| format!(" WHEN {n} THEN '{v}'"))
        .collect();
    format!("CASE {expr}{arms} END")
}

/// The incidents as one INSERT ... SELECT over a series (the same rows on
/// both backends).
fn incidents_sql(sqlite: bool, school: &str, rows: i64) -> String {
    const FIRST_DAY: &str = "2019-09-01 00:00:00";
    const SPAN_SECONDS: i64 = 2192 * 86_400;
    let series = if sqlite {
        format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows}) \
             SELECT i, datetime('{FIRST_DAY}', '+' || ((i * {SPAN_SECONDS}) / {rows}) || ' seconds') AS logged FROM s"
        )
    } else {
        format!(
            "SELECT i, TIMESTAMP '{FIRST_DAY}' + ((i * {SPAN_SECONDS}) / {rows}) * INTERVAL '1 second' AS logged \
             FROM generate_series(CAST(1 AS BIGINT), {rows}) AS s(i)"
        )
    };
    let date_of = if sqlite {
        "date(logged)"
    } else {
        "CAST(logged AS DATE)"
    };
    let details = format!(
        "'Pupil shared ' || {} || ' about another pupil on ' || {} || \
         CASE WHEN i % 20 = 7 THEN ', which was bullying' ELSE ', and was upset' END || \
         '. Reported by form tutor ' || CAST(i % 97 AS TEXT) || '.'",
        case("((i * 7919) % 16)", &WORDS),
        case("((i * 104729) % 16)", &WORDS),
    );
    let category = case("((i * 31) % 16)", &CATEGORIES);
    format!(
        "INSERT INTO incidents (id, school_id, reference, pupil_id, tutor_group, year_group, \
            incident_date, category_code, child_at_risk, location, platform, details, actions_taken, \
            search_text, status, owner_role, owner_user_id, logged_by, staff_initials, logged_at, \
            updated_at, version, lg_acknowledged_by, lg_acknowledged_at, outcome, closed_at, \
            entered_in_error_at, entered_in_error_by, entered_in_error_reason, idempotency_key, counted_on) \
         SELECT 'inc-' || CAST(i AS TEXT), '{school}', 'OS-B-' || CAST(i AS TEXT), \
            'pupil-' || CAST((i * 37) % 2000 AS TEXT), '9B', 9, {date_of}, {category}, FALSE, \
            'online_at_home', NULL, d, '', lower(d), 'closed', 'dsl', NULL, NULL, 'BB', logged, \
            logged, 1, NULL, NULL, NULL, logged, \
            CASE WHEN i % 100 = 7 THEN logged ELSE NULL END, NULL, \
            CASE WHEN i % 100 = 7 THEN 'bench' ELSE NULL END, NULL, {date_of} \
         FROM (SELECT i, logged, {details} AS d FROM ({series}) AS g) AS h"
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
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let series = if sqlite {
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 1999) SELECT i FROM s"
    } else {
        "SELECT i FROM generate_series(0, 1999) AS s(i)"
    };
    let started = Instant::now();
    let batch = format!(
        "BEGIN; \
         INSERT INTO pupils (id, school_id, name, name_key, tutor_group, year_group, created_at, updated_at) \
         SELECT 'pupil-' || CAST(i AS TEXT), '{school}', 'Pupil Number' || CAST(i AS TEXT), \
            'pupil number' || CAST(i AS TEXT), '9B', 9, '2019-08-01 00:00:00', '2019-08-01 00:00:00' \
         FROM ({series}) AS s; \
         {}; COMMIT;",
        incidents_sql(sqlite, &school, rows),
    );
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(&batch).unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute(&batch).unwrap(),
    }
    match conn {
        AnyConnection::Sqlite(c) => c
            .batch_execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute("VACUUM ANALYZE").unwrap(),
    }
    println!(
        "  filled {rows} incidents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    school
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[allow(dead_code)]
    one: i32,
}

/// The reference: the list's page and bounded count as plain SQL, the
/// visibility rule of a DSL written out.
fn raw_list(conn: &mut AnyConnection, school: &str, q: Option<&str>) {
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    // The pupils named first, as safelog does, so each arm of the OR has
    // an index.
    let named = |conn: &mut AnyConnection, q: &str| {
        let ids: Vec<Id> = diesel::sql_query(format!(
            "SELECT id FROM pupils WHERE school_id = '{school}' AND name_key LIKE '%{q}%'"
        ))
        .load(conn)
        .unwrap();
        if ids.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = ids.iter().map(|i| format!("'{}'", i.id)).collect();
            format!(" OR pupil_id IN ({})", list.join(", "))
        }
    };
    let search = match q {
        None => String::new(),
        Some(q) if sqlite => format!(
            " AND ((search_rowid IN (SELECT rowid FROM incidents_search WHERE incidents_search MATCH '\"{q}\"') \
               AND search_text LIKE '%{q}%') OR reference = '{Q}'{N})",
            Q = q.to_uppercase(),
            N = named(conn, q),
        ),
        Some(q) => format!(
            " AND (search_text LIKE '%{q}%' OR reference = '{Q}'{N})",
            Q = q.to_uppercase(),
            N = named(conn, q),
        ),
    };
    let visible = |search: &str| {
        format!(
            "school_id = '{school}' AND entered_in_error_at IS NULL AND (logged_by = 'bench-dsl' OR \
             (about_headteacher = FALSE AND NOT (category_code IN \
             (SELECT code FROM categories WHERE school_id = '{school}' AND restricted = TRUE)))){search}"
        )
    };
    let counted: Vec<One> = diesel::sql_query(format!(
        "SELECT 1 AS one FROM incidents WHERE {} LIMIT 10001",
        visible(&search)
    ))
    .load(conn)
    .unwrap();
    assert!(!counted.is_empty() || q.is_some());
    // The same plan safelog chooses: a search matching many rows walks the
    // list's index (on SQLite, the condition hidden from the planner).
    let page_search = if sqlite && counted.len() > 2_000 && !search.is_empty() {
        format!(" AND coalesce(({}), FALSE)", &search[5..])
    } else {
        search.clone()
    };
    let _: Vec<Id> = diesel::sql_query(format!(
        "SELECT * FROM incidents WHERE {} ORDER BY logged_at DESC, id DESC LIMIT 26",
        visible(&page_search)
    ))
    .load(conn)
    .unwrap();
}

/// The old list query: every matching row counted, then a page.
fn old_list(conn: &mut AnyConnection, school: &str, q: Option<&str>) {
    let search = q.map_or(String::new(), |q| {
        format!(
            " AND (search_text LIKE '%{q}%' OR reference = '{Q}' \
               OR pupil_id IN (SELECT id FROM pupils WHERE school_id = '{school}' AND name_key LIKE '%{q}%'))",
            Q = q.to_uppercase()
        )
    });
    let visible = format!(
        "school_id = '{school}' AND entered_in_error_at IS NULL AND (logged_by = 'bench-dsl' OR \
         (about_headteacher = FALSE AND category_code NOT IN \
         (SELECT code FROM categories WHERE school_id = '{school}' AND restricted = TRUE))){search}"
    );
    let _: Vec<One> = diesel::sql_query(format!(
        "SELECT CAST(count(*) AS INTEGER) AS one FROM incidents WHERE {visible}"
    ))
    .load(conn)
    .unwrap();
    let _: Vec<Id> = diesel::sql_query(format!(
        "SELECT * FROM incidents WHERE {visible} ORDER BY logged_at DESC, id DESC LIMIT 25 OFFSET 0"
    ))
    .load(conn)
    .unwrap();
}

fn app_list(conn: &mut AnyConnection, viewer: &Viewer, q: Option<&str>) {
    let filters = Filters {
        q: q.map(str::to_string),
        ..Default::default()
    };
    let found = read::list(conn, viewer, &filters, &Paging::first(25)).unwrap();
    assert!(!found.items.is_empty() || q.is_some());
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// min / median / max (and p99 when there are enough samples).
fn spread(mut t: Vec<Duration>) -> (f64, f64, f64, f64) {
    t.sort();
    let at = |p: f64| ms(t[((t.len() - 1) as f64 * p).round() as usize]);
    (at(0.0), at(0.5), at(1.0), at(0.99))
}

fn row(measure: &str, app: Vec<Duration>, raw: Vec<Duration>, p99: bool) {
    let (a0, a50, a100, a99) = spread(app);
    let (r0, r50, r100, r99) = spread(raw);
    let tail = |p: f64| {
        if p99 {
            format!(", p99 {p:.1}")
        } else {
            String::new()
        }
    };
    println!(
        "| {measure} | {a0:.1} / {a50:.1} / {a100:.1}{} | {r0:.1} / {r50:.1} / {r100:.1}{} | {:.2}× |",
        tail(a99),
        tail(r99),
        a50 / r50
    );
}

/// One call of each, alternating, `rounds` times.
fn alternate(
    rounds: usize,
    mut app: impl FnMut(),
    mut raw: impl FnMut(),
) -> (Vec<Duration>, Vec<Duration>) {
    let (mut a, mut r) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        app();
        a.push(t.elapsed());
        let t = Instant::now();
        raw();
        r.push(t.elapsed());
    }
    (a, r)
}

/// `clients` threads, each with its own connection, each timing `each`
/// calls of `f`; every call's latency.
fn concurrently(
    pool: &DbPool,
    clients: usize,
    each: usize,
    f: impl Fn(&mut AnyConnection) + Sync,
) -> Vec<Duration> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let f = &f;
                s.spawn(move || {
                    let mut conn = pool.get().unwrap();
                    (0..each)
                        .map(|_| {
                            let t = Instant::now();
                            f(&mut conn);
                            t.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

fn run(url: &str, rows: i64, rounds: usize) {
    let pool = safelog::db::open(url).unwrap();
    let mut conn = pool.get().unwrap();
    let school = seed(&mut conn, rows);
    let viewer = Viewer {
        user_id: "bench-dsl".into(),
        school_id: school.clone(),
        roles: [Role::Dsl].into_iter().collect(),
        excluded_pupils: Vec::new(),
    };
    // A DSL excluded from one pupil (a conflict of interest): the list
    // gains a NOT IN and a subquery, which should cost next to nothing.
    let some_pupil: String = {
        use diesel::prelude::*;
        use safelog::db::schema::incidents;
        incidents::table
            .filter(incidents::school_id.eq(&school))
            .select(incidents::pupil_id)
            .first(&mut *conn)
            .unwrap()
    };
    let excluded = Viewer {
        excluded_pupils: vec![some_pupil],
        ..viewer.clone()
    };
    println!("| measure (ms: min / median / max) | safelog | the database directly | ratio |");
    println!("|---|---|---|---|");
    for (name, q, who) in [
        ("DSL's list, page 1", None, &viewer),
        ("search, a word in 5%", Some("bullying"), &viewer),
        ("search, a word in none", Some("zebra"), &viewer),
        ("excluded DSL's list, page 1", None, &excluded),
        ("excluded DSL's search 5%", Some("bullying"), &excluded),
    ] {
        let c = &mut *conn;
        let mut a = Vec::new();
        let mut r = Vec::new();
        for _ in 0..rounds {
            let t = Instant::now();
            app_list(c, who, q);
            a.push(t.elapsed());
            let t = Instant::now();
            raw_list(c, &school, q);
            r.push(t.elapsed());
        }
        row(name, a, r, false);
    }
    // 8 clients at once, alternating rounds of the app and the reference;
    // this thread's connection goes back to the pool meanwhile.
    drop(conn);
    for (name, q) in [
        ("DSL's list, page 1, 8 clients", None),
        ("search 5%, 8 clients", Some("bullying")),
        ("search none, 8 clients", Some("zebra")),
    ] {
        let each = rounds.max(5);
        let (mut a, mut r) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            a.extend(concurrently(&pool, 8, each, |c| app_list(c, &viewer, q)));
            r.extend(concurrently(&pool, 8, each, |c| raw_list(c, &school, q)));
        }
        row(name, a, r, true);
    }
    // The old queries, once each (seconds at a million rows).
    let mut conn = pool.get().unwrap();
    for (name, q) in [
        ("before: DSL's list, page 1 (old query)", None),
        ("before: search 5% (old query)", Some("bullying")),
        ("before: search none (old query)", Some("zebra")),
    ] {
        let (a, r) = alternate(2, || old_list(&mut conn, &school, q), || {});
        let (a0, a50, a100, _) = spread(a);
        drop(r);
        println!("| {name} | {a0:.1} / {a50:.1} / {a100:.1} | | |");
    }
}

fn main() {
    let rows = common::rows();
    let rounds: usize = common::env_or("SAFELOG_BENCH_ROUNDS", 15);
    let dir = std::env::temp_dir().join(format!("safelog-scale-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("SQLite, {rows} incidents ({})", dir.display());
    run(
        &format!("sqlite://{}", dir.join("bench.db").display()),
        rows,
        rounds,
    );
    let _ = std::fs::remove_dir_all(&dir);

    match std::env::var("SAFELOG_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("safelog_scale_{}", uuid::Uuid::new_v4().simple());
            let mut c = PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            println!("PostgreSQL, {rows} incidents");
            run(&format!("{base}/{name}"), rows, rounds);
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut c)
                .unwrap();
        }
        Err(_) => println!("PostgreSQL: skipped (set SAFELOG_BENCH_POSTGRES_URL to include it)"),
    }
}

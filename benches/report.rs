//! The governors' termly report and the trust's, over a million
//! incidents, each beside the database doing the same work directly.
//!
//! ```text
//! cargo bench --bench report                       # SQLite, 1,000,000 incidents
//! cargo bench --bench report -- 200000             # or SAFELOG_BENCH_ROWS=200000
//! SAFELOG_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo bench --bench report                   # and PostgreSQL too
//! SAFELOG_BENCH_ROUNDS=5                           # rounds per measure (default 11)
//! SAFELOG_BENCH_KEEP=1 cargo bench --bench report  # keep the databases
//! cargo test --bench report -- 20000               # CI: that it still works
//! ```
//!
//! Fills two fresh databases (migrated as the service migrates them): one
//! with one school and N incidents, one with a trust of 20 schools holding
//! N incidents between them (school j has j + 1 shares; one school in four
//! keeps its own term dates). The incidents are spread evenly over six
//! academic years (September 2019 to August 2025), in one transaction of
//! raw per-backend SQL, the same rows for the same N: 10% undated, 80%
//! acknowledged (of those, one in 20 imported without a person), 90%
//! closed, 1% entered in error, one referral for every 20.
//!
//! For a recent and an old term, as filled and after `ANALYZE`, it then
//! alternates rounds of safelog's own call (`reports::report::load`, every
//! figure of a school's report as the page and the JSON get them;
//! `trust::reports::report::load`, every school's figures of the trust's)
//! and of the reference ([`reference`]: the same figures as aggregate SQL
//! written by hand), checks both count the same, and prints min / median /
//! max of each and the ratio of the medians.
//! Not part of `cargo test` (harness = false, run only by `cargo bench`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Bool, Date, Double, Integer, Nullable, Text, Timestamp};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use safelog::db::AnyConnection;
use safelog::reports::model::Figures;
use safelog::reports::terms::{Term, TermName};
use safelog::trust::reports::store::Trust;

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
/// `school` and `pupil` are SQL expressions (a quoted id, or a CASE over
/// `i` spreading the rows over a trust's schools).
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
         SELECT 'inc-' || i, {school}, 'B-' || i, {pupil}, '9B', \
            CASE WHEN i % 50 = 0 THEN NULL ELSE 7 + ((i * 31) % 7) END, \
            {incident_date}, {category}, FALSE, {location}, NULL, 'bench', '', '', \
            CASE WHEN i % 10 = 3 THEN 'in_progress' ELSE 'closed' END, 'dsl', NULL, NULL, 'BB', logged, \
            logged, 1, CASE WHEN i % 5 = 0 OR i % 25 = 1 THEN NULL ELSE 'bench-lead' END, \
            CASE WHEN i % 5 = 0 THEN NULL ELSE {plus_hours} END, NULL, \
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

/// The rows' schools: school j holds j + 1 shares of them (the largest
/// twenty times the smallest), picked by a hash of the row number so that
/// every term has some of each. One school: all of them.
fn school_of_row(ids: &[String], value: impl Fn(usize, &str) -> String) -> String {
    if let [one] = ids {
        return value(0, one);
    }
    let shares = ids.len() * (ids.len() + 1) / 2;
    let mut arms = String::new();
    let mut upto = 0;
    for (j, id) in ids.iter().enumerate() {
        upto += j + 1;
        arms.push_str(&format!(
            " WHEN (i * 48271) % {shares} < {upto} THEN {}",
            value(j, id)
        ));
    }
    format!("CASE{arms} END")
}

/// Fills `schools` with `rows` incidents between them (and a referral for
/// every 20th), in one transaction; the same rows for the same arguments.
fn seed(conn: &mut AnyConnection, schools: &[String], rows: i64) {
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let started = Instant::now();
    let pupils: String = schools
        .iter()
        .enumerate()
        .map(|(j, s)| {
            format!(
                "INSERT INTO pupils (id, school_id, name, name_key, tutor_group, year_group, created_at, updated_at) \
                 VALUES ('bench-pupil-{j}', '{s}', 'Bench Pupil', 'bench pupil', '9B', 9, '2019-08-01 00:00:00', '2019-08-01 00:00:00'); "
            )
        })
        .collect();
    let school = school_of_row(schools, |_, id| format!("'{id}'"));
    let pupil = school_of_row(schools, |j, _| format!("'bench-pupil-{j}'"));
    let batch = format!(
        "BEGIN; \
         INSERT INTO users (id, school_id, email, name, initials, password_hash, active, created_at, updated_at) \
         VALUES ('bench-lead', '{}', 'lead@bench.test', 'Bench Lead', 'BL', '-', TRUE, '2019-08-01 00:00:00', '2019-08-01 00:00:00'); \
         {pupils} {}; {}; COMMIT;",
        schools[0],
        incidents_sql(sqlite, &school, &pupil, rows),
        referrals_sql(sqlite),
    );
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(&batch).unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute(&batch).unwrap(),
    }
    println!(
        "  filled {rows} incidents (and {} referrals) in {} school(s) in {:.1} s",
        rows / 20,
        schools.len(),
        started.elapsed().as_secs_f64()
    );
}

fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

fn one_school(conn: &mut AnyConnection, rows: i64) -> String {
    let school = safelog::accounts::store::create_school(conn, "Bench School", at(2019, 8, 1))
        .unwrap()
        .id;
    safelog::categories::store::for_school(conn, &school, at(2019, 8, 1)).unwrap();
    seed(conn, std::slice::from_ref(&school), rows);
    school
}

/// A trust of 20 schools with `rows` incidents between them. One school
/// in four keeps its own term dates (each term starting two days later
/// than the default), so the trust's schools count different windows.
fn trust(conn: &mut AnyConnection, rows: i64) -> Trust {
    use safelog::accounts::store;
    let t = store::create_trust(conn, "Bench Trust", at(2019, 8, 1)).unwrap();
    let schools: Vec<String> = (0..20)
        .map(|j| {
            let new = store::NewSchool {
                name: &format!("Bench School {j:02}"),
                urn: None,
                trust_id: Some(&t.id),
            };
            store::add_school(conn, &new, at(2019, 8, 1)).unwrap().id
        })
        .collect();
    seed(conn, &schools, rows);
    for school in schools.iter().skip(1).step_by(4) {
        for year in 2018..=2025 {
            let terms = TermName::ALL.map(|name| {
                let mut t = Term::default_for(year, name);
                t.starts_on += chrono::TimeDelta::days(2);
                t
            });
            safelog::reports::store::save_year(conn, school, &terms, "bench-lead", at(2019, 8, 1))
                .unwrap();
        }
    }
    Trust {
        id: t.id,
        name: t.name,
    }
}

/// What the reference is given: a school's windows (found by safelog's
/// term-date lookups beforehand; the reference reads the term rows too).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Windows {
    term: (NaiveDate, NaiveDate),
    previous: (NaiveDate, NaiveDate),
    last_year: (NaiveDate, NaiveDate),
}

fn windows(conn: &mut AnyConnection, school: &str, year: i32, name: TermName) -> Windows {
    use safelog::reports::{figures, store};
    let term = store::term(conn, school, year, name).unwrap();
    let t = figures::terms(conn, school, &term).unwrap();
    let p = store::window(conn, school, &t.previous).unwrap();
    let l = store::window(conn, school, &t.same_term_last_year).unwrap();
    Windows {
        term: (t.window.first, t.window.last),
        previous: (p.first, p.last),
        last_year: (l.first, l.last),
    }
}

/// A school's figures as the reference counts them.
#[derive(Debug, Default, PartialEq)]
struct Raw {
    total: i64,
    previous: i64,
    last_year: i64,
    acknowledged: i64,
    median: Option<f64>,
    open: i64,
    referrals: i64,
    awaiting: i64,
    by_code: BTreeMap<String, i64>,
    by_month: BTreeMap<String, i64>,
    /// Rounded to one decimal, ascending (the trust's only).
    hours: Vec<f64>,
}

#[derive(QueryableByName)]
struct GroupRow {
    #[diesel(sql_type = Text)]
    school_id: String,
    #[diesel(sql_type = Text)]
    category_code: String,
    #[diesel(sql_type = Nullable<Integer>)]
    #[allow(dead_code)]
    year_group: Option<i32>,
    #[diesel(sql_type = Text)]
    #[allow(dead_code)]
    location: String,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    acknowledged: i64,
    #[diesel(sql_type = BigInt)]
    timed: i64,
}

#[derive(QueryableByName)]
struct KindRow {
    #[diesel(sql_type = Text)]
    school_id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    awaiting: i64,
}

#[derive(QueryableByName)]
struct Hours {
    #[diesel(sql_type = Text)]
    school_id: String,
    #[diesel(sql_type = Double)]
    h: f64,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct CategoryRow {
    #[diesel(sql_type = Text)]
    school_id: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    four_c: String,
    #[diesel(sql_type = Bool)]
    active: bool,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct TermRow {
    #[diesel(sql_type = Text)]
    school_id: String,
    #[diesel(sql_type = Integer)]
    academic_year: i32,
    #[diesel(sql_type = Text)]
    term: String,
    #[diesel(sql_type = Date)]
    starts_on: NaiveDate,
    #[diesel(sql_type = Date)]
    ends_on: NaiveDate,
}

#[derive(QueryableByName)]
#[allow(dead_code)]
struct SchoolRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    report_min_count: i32,
}

/// The reference: every figure of the report for each of `schools`, as
/// plain SQL written by hand and sent straight to the database. Schools
/// that count the same windows are counted together (`school_id IN`),
/// each query one UNION ALL arm per set of windows: one scan of the term
/// for the breakdowns and the acknowledged counts, the median's middle
/// rows (one school) or every time to acknowledge (a trust, which keeps
/// them all), the previous terms' totals and the open cases in one, the
/// referrals by agency with those awaiting a reference, the decisions,
/// the categories, and the schools' k and term dates. The publication
/// and draft lookups (which find nothing here) are left out.
fn reference(conn: &mut AnyConnection, schools: &[(String, Windows)]) -> BTreeMap<String, Raw> {
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    let date = |d: NaiveDate| {
        if sqlite {
            format!("'{d}'")
        } else {
            format!("DATE '{d}'")
        }
    };
    let instant = |d: NaiveDate| {
        let s = d.succ_opt().unwrap().format("%Y-%m-%d 00:00:00");
        if sqlite {
            format!("'{s}'")
        } else {
            format!("TIMESTAMP '{s}'")
        }
    };
    let (month, hours) = if sqlite {
        (
            "substr(counted_on, 1, 7)",
            "((julianday(lg_acknowledged_at) - julianday(logged_at)) * 24.0)",
        )
    } else {
        (
            "to_char(counted_on, 'YYYY-MM')",
            "CAST(EXTRACT(EPOCH FROM (lg_acknowledged_at - logged_at)) / 3600.0 AS DOUBLE PRECISION)",
        )
    };
    let list = |ids: &[&str]| {
        ids.iter()
            .map(|s| format!("'{s}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sets: BTreeMap<Windows, Vec<&str>> = BTreeMap::new();
    for (s, w) in schools {
        sets.entry(*w).or_default().push(s);
    }
    let all = list(&schools.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>());
    let arms = |f: &dyn Fn(&Windows, &str) -> String| {
        sets.iter()
            .map(|(w, ids)| f(w, &list(ids)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    };

    let _: Vec<SchoolRow> = diesel::sql_query(format!(
        "SELECT id, name, report_min_count FROM schools WHERE id IN ({all})"
    ))
    .load(conn)
    .unwrap();
    let _: Vec<TermRow> = diesel::sql_query(format!(
        "SELECT school_id, academic_year, term, starts_on, ends_on FROM terms WHERE school_id IN ({all})"
    ))
    .load(conn)
    .unwrap();
    let groups: Vec<GroupRow> = diesel::sql_query(arms(&|w, ids| {
        let (f, l) = w.term;
        format!(
            "SELECT school_id, category_code, year_group, location, {month} AS month, COUNT(*) AS n, \
               SUM(CASE WHEN lg_acknowledged_at < {e} THEN 1 ELSE 0 END) AS acknowledged, \
               SUM(CASE WHEN lg_acknowledged_at < {e} AND lg_acknowledged_by IS NOT NULL THEN 1 ELSE 0 END) AS timed \
             FROM incidents WHERE school_id IN ({ids}) AND counted_on BETWEEN {} AND {} \
               AND entered_in_error_at IS NULL \
             GROUP BY school_id, category_code, year_group, location, {month}",
            date(f),
            date(l),
            e = instant(l)
        )
    }))
    .load(conn)
    .unwrap();
    let counts: Vec<KindRow> = diesel::sql_query(arms(&|w, ids| {
        let count = |kind: &str, (f, l): (NaiveDate, NaiveDate)| {
            format!(
                "SELECT school_id, '{kind}' AS kind, COUNT(*) AS n, CAST(0 AS BIGINT) AS awaiting FROM incidents \
                 WHERE school_id IN ({ids}) AND counted_on BETWEEN {} AND {} \
                   AND entered_in_error_at IS NULL GROUP BY school_id",
                date(f),
                date(l)
            )
        };
        // The open cases as safelog counts them: the never closed and the
        // closed since the term's end, two counts added up.
        let open = |closed: &str| {
            format!(
                "SELECT school_id, 'open' AS kind, COUNT(*) AS n, CAST(0 AS BIGINT) AS awaiting FROM incidents \
                 WHERE school_id IN ({ids}) AND counted_on <= {} AND logged_at < {e} \
                   AND entered_in_error_at IS NULL AND {closed} GROUP BY school_id",
                date(w.term.1),
                e = instant(w.term.1)
            )
        };
        format!(
            "{} UNION ALL {} UNION ALL {} UNION ALL {}",
            count("previous", w.previous),
            count("last_year", w.last_year),
            open("closed_at IS NULL"),
            open(&format!("closed_at >= {}", instant(w.term.1)))
        )
    }))
    .load(conn)
    .unwrap();
    let referrals: Vec<KindRow> = diesel::sql_query(arms(&|w, ids| {
        format!(
            "SELECT r.school_id AS school_id, r.agency AS kind, COUNT(*) AS n, \
               SUM(CASE WHEN r.reference IS NULL THEN 1 ELSE 0 END) AS awaiting \
             FROM referrals r JOIN incidents i ON i.id = r.incident_id \
             WHERE r.school_id IN ({ids}) AND r.referred_on BETWEEN {} AND {} \
               AND i.entered_in_error_at IS NULL GROUP BY r.school_id, r.agency",
            date(w.term.0),
            date(w.term.1)
        )
    }))
    .load(conn)
    .unwrap();
    let decisions: Vec<KindRow> = diesel::sql_query(arms(&|w, ids| {
        let from = if sqlite {
            format!("'{} 00:00:00'", w.term.0)
        } else {
            format!("TIMESTAMP '{} 00:00:00'", w.term.0)
        };
        format!(
            "SELECT d.school_id AS school_id, d.decision AS kind, COUNT(*) AS n, CAST(0 AS BIGINT) AS awaiting \
             FROM case_decisions d JOIN incidents i ON i.id = d.incident_id \
             WHERE d.school_id IN ({ids}) AND d.decided_at >= {from} AND d.decided_at < {} \
               AND i.entered_in_error_at IS NULL GROUP BY d.school_id, d.decision",
            instant(w.term.1)
        )
    }))
    .load(conn)
    .unwrap();
    let _: Vec<CategoryRow> = diesel::sql_query(format!(
        "SELECT school_id, code, name, four_c, active, created_at FROM categories \
         WHERE school_id IN ({all}) ORDER BY school_id, position, code"
    ))
    .load(conn)
    .unwrap();
    assert!(decisions.is_empty());

    let mut out: BTreeMap<String, Raw> = schools
        .iter()
        .map(|(s, _)| (s.clone(), Raw::default()))
        .collect();
    let mut timed: BTreeMap<&str, i64> = BTreeMap::new();
    for g in &groups {
        let r = out.get_mut(&g.school_id).unwrap();
        r.total += g.n;
        r.acknowledged += g.acknowledged;
        *r.by_code.entry(g.category_code.clone()).or_default() += g.n;
        *r.by_month.entry(g.month.clone()).or_default() += g.n;
        *timed.entry(&g.school_id).or_default() += g.timed;
    }
    for c in &counts {
        let r = out.get_mut(&c.school_id).unwrap();
        match c.kind.as_str() {
            "previous" => r.previous = c.n,
            "last_year" => r.last_year = c.n,
            _ => r.open += c.n,
        }
    }
    for c in &referrals {
        let r = out.get_mut(&c.school_id).unwrap();
        r.referrals += c.n;
        r.awaiting += c.awaiting;
    }
    let acknowledged_in = |w: &Windows, ids: &str| {
        format!(
            "school_id IN ({ids}) AND counted_on BETWEEN {} AND {} AND entered_in_error_at IS NULL \
             AND lg_acknowledged_at < {} AND lg_acknowledged_by IS NOT NULL",
            date(w.term.0),
            date(w.term.1),
            instant(w.term.1)
        )
    };
    let median = |v: &[f64]| match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    };
    if let [(school, w)] = schools {
        // One school: the middle one or two by duration.
        let t = timed.get(school.as_str()).copied().unwrap_or(0);
        if t > 0 {
            let middle: Vec<Hours> = diesel::sql_query(format!(
                "SELECT school_id, {hours} AS h FROM incidents WHERE {} ORDER BY h LIMIT {} OFFSET {}",
                acknowledged_in(w, &list(&[school])),
                if t % 2 == 0 { 2 } else { 1 },
                (t - 1) / 2
            ))
            .load(conn)
            .unwrap();
            let v: Vec<f64> = middle.iter().map(|m| m.h).collect();
            out.get_mut(school).unwrap().median = median(&v);
        }
    } else {
        // A trust keeps every school's times (for the medians across schools).
        let all_hours: Vec<Hours> = diesel::sql_query(format!(
            "SELECT school_id, h FROM ({}) AS t ORDER BY school_id, h",
            arms(&|w, ids| format!(
                "SELECT school_id, {hours} AS h FROM incidents WHERE {}",
                acknowledged_in(w, ids)
            ))
        ))
        .load(conn)
        .unwrap();
        let mut by_school: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for h in &all_hours {
            by_school.entry(&h.school_id).or_default().push(h.h);
        }
        for (s, v) in by_school {
            let r = out.get_mut(s).unwrap();
            r.median = median(&v);
            r.hours = v.iter().map(|h| (h * 10.0).round() / 10.0).collect();
        }
    }
    for r in out.values_mut() {
        r.median = r.median.map(|h| (h * 10.0).round() / 10.0);
    }
    out
}

/// safelog's figures of a school in the reference's terms, to check the
/// reference counts the same.
fn as_raw(f: &Figures, hours: Vec<f64>) -> Raw {
    Raw {
        total: f.total,
        previous: f.previous_term_total,
        last_year: f.same_term_last_year_total,
        acknowledged: f.acknowledged,
        median: f.median_hours_to_acknowledge,
        open: f.open_at_end_of_term,
        referrals: f.referrals_by_agency.iter().map(|c| c.count).sum(),
        awaiting: f.referrals_awaiting_reference,
        by_code: f
            .by_category
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| (c.key.clone(), c.count))
            .collect(),
        by_month: f
            .by_month
            .iter()
            .filter(|c| c.count > 0)
            .map(|c| (c.key.clone(), c.count))
            .collect(),
        hours,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (min, median, max) in ms.
fn spread(mut t: Vec<Duration>) -> (f64, f64, f64) {
    t.sort();
    (ms(t[0]), ms(t[t.len() / 2]), ms(t[t.len() - 1]))
}

/// `rounds` calls of each, alternating; a table row of both and the
/// ratio of the medians.
fn alternate(
    conn: &mut AnyConnection,
    measure: &str,
    rounds: usize,
    app: impl Fn(&mut AnyConnection),
    raw: impl Fn(&mut AnyConnection),
) {
    let (mut a, mut r) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let t = Instant::now();
        app(conn);
        a.push(t.elapsed());
        let t = Instant::now();
        raw(conn);
        r.push(t.elapsed());
    }
    let (a0, a50, a100) = spread(a);
    let (r0, r50, r100) = spread(r);
    println!(
        "| {measure} | {a0:.1} / {a50:.1} / {a100:.1} | {r0:.1} / {r50:.1} / {r100:.1} | {:.2}x |",
        a50 / r50
    );
}

const TERMS: [(i32, TermName); 2] = [(2024, TermName::Summer), (2020, TermName::Autumn)];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 12).unwrap()
}

fn time_school(conn: &mut AnyConnection, school: &str, rounds: usize, when: &str) {
    for (year, name) in TERMS {
        let w = windows(conn, school, year, name);
        let given = [(school.to_string(), w)];
        let live = safelog::reports::report::load(conn, school, year, name, today())
            .unwrap()
            .live;
        let raw = reference(conn, &given);
        assert_eq!(
            as_raw(&live, Vec::new()),
            raw[school],
            "the reference counts the same"
        );
        assert!(
            live.total > 0
                && live.open_at_end_of_term > 0
                && live.median_hours_to_acknowledge.is_some()
        );
        alternate(
            conn,
            &format!(
                "one school, {name} {year}, {} incidents, {when}",
                live.total
            ),
            rounds,
            |c| {
                safelog::reports::report::load(c, school, year, name, today()).unwrap();
            },
            |c| {
                reference(c, &given);
            },
        );
    }
}

fn time_trust(conn: &mut AnyConnection, trust: &Trust, rounds: usize, when: &str) {
    use safelog::trust::reports::{report, store};
    for (year, name) in TERMS {
        let schools = store::schools(conn, &trust.id).unwrap();
        let given: Vec<(String, Windows)> = schools
            .iter()
            .map(|(id, _)| (id.clone(), windows(conn, id, year, name)))
            .collect();
        let live = report::load(conn, trust, year, name, today()).unwrap().live;
        let raw = reference(conn, &given);
        let mut total = 0;
        for part in &live.schools {
            total += part.figures.total;
            assert_eq!(
                as_raw(&part.figures, part.acknowledgement_hours.clone()),
                raw[&part.school_id],
                "the reference counts {} the same",
                part.name
            );
        }
        alternate(
            conn,
            &format!(
                "trust of {}, {name} {year}, {total} incidents, {when}",
                schools.len()
            ),
            rounds,
            |c| {
                report::load(c, trust, year, name, today()).unwrap();
            },
            |c| {
                reference(c, &given);
            },
        );
    }
}

fn analyze(conn: &mut AnyConnection) {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute("ANALYZE;").unwrap(),
        AnyConnection::Postgres(c) => c.batch_execute("VACUUM ANALYZE;").unwrap(),
    }
}

/// Fills two databases (one school; a trust of 20) and times each.
fn run(url: &dyn Fn(&str) -> String, rows: i64, rounds: usize) {
    let pool = safelog::db::open(&url("school")).unwrap();
    let mut conn = pool.get().unwrap();
    let school = one_school(&mut conn, rows);
    println!("| measure (ms: min / median / max) | safelog | the database directly | ratio |");
    println!("|---|---|---|---|");
    time_school(&mut conn, &school, rounds, "as filled");
    analyze(&mut conn);
    time_school(&mut conn, &school, rounds, "after ANALYZE");
    breakdown(&mut conn, &school);
    drop(conn);
    drop(pool);

    let pool = safelog::db::open(&url("trust")).unwrap();
    let mut conn = pool.get().unwrap();
    let trust = trust(&mut conn, rows);
    time_trust(&mut conn, &trust, rounds, "as filled");
    analyze(&mut conn);
    time_trust(&mut conn, &trust, rounds, "after ANALYZE");
}

/// Where the one school's time goes: each query of each term's report
/// on its own.
fn breakdown(conn: &mut AnyConnection, school: &str) {
    use safelog::reports::{figures, store};
    for (year, name) in TERMS {
        let term = store::term(conn, school, year, name).unwrap();
        let t = figures::terms(conn, school, &term).unwrap();
        let w = t.window;
        let mut each = |what: &str, f: &mut dyn FnMut(&mut AnyConnection)| {
            let started = Instant::now();
            f(conn);
            print!(" {what} {:.0} ms;", ms(started.elapsed()));
        };
        let one = [school];
        print!("  each query ({name} {year}):");
        each("groups", &mut |c| drop(store::groups(c, &one, &w).unwrap()));
        each("total", &mut |c| drop(store::totals(c, &one, &w).unwrap()));
        each("acknowledged", &mut |c| {
            drop(store::acknowledged(c, &one, &w).unwrap())
        });
        each("median", &mut |c| {
            store::median_hours(c, school, &w, 1000).unwrap();
        });
        each("open at end", &mut |c| {
            drop(store::open_at_end(c, &one, &w).unwrap())
        });
        each("referrals", &mut |c| {
            drop(store::referrals_by_agency(c, &one, &w).unwrap())
        });
        println!();
    }
}

fn main() {
    let rows = common::rows();
    let rounds: usize = common::env_or("SAFELOG_BENCH_ROUNDS", 11);
    let keep = std::env::var_os("SAFELOG_BENCH_KEEP").is_some();
    let dir = std::env::temp_dir().join(format!("safelog-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("SQLite, {rows} incidents ({})", dir.display());
    run(
        &|name| format!("sqlite://{}", dir.join(format!("{name}.db")).display()),
        rows,
        rounds,
    );
    if keep {
        println!("  kept for a look with sqlite3: {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }

    match std::env::var("SAFELOG_BENCH_POSTGRES_URL") {
        Ok(admin) => {
            let stem = format!("safelog_bench_{}", uuid::Uuid::new_v4().simple());
            let mut c = PgConnection::establish(&admin).unwrap();
            for name in ["school", "trust"] {
                diesel::sql_query(format!("CREATE DATABASE {stem}_{name}"))
                    .execute(&mut c)
                    .unwrap();
            }
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            println!("PostgreSQL, {rows} incidents");
            run(&|name| format!("{base}/{stem}_{name}"), rows, rounds);
            for name in ["school", "trust"] {
                if keep {
                    println!("  kept for a look with psql: {base}/{stem}_{name}");
                } else {
                    diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS {stem}_{name} WITH (FORCE)"
                    ))
                    .execute(&mut c)
                    .unwrap();
                }
            }
        }
        Err(_) => println!("PostgreSQL: skipped (set SAFELOG_BENCH_POSTGRES_URL to include it)"),
    }
}

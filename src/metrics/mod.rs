//! Prometheus metrics, for a scraper on a trusted address: requests by
//! route pattern and status, latency histograms, database pool use, the
//! outbox's depth and oldest unsent age, and overdue-reminder runs.
//!
//! Off unless `SAFELOG_METRICS_BIND` (a listener of its own that serves
//! nothing else) or `SAFELOG_METRICS_TOKEN` (then `/metrics` on the main
//! listener wants `Authorization: Bearer TOKEN`) is set; otherwise, and
//! without the token, `/metrics` is a 404 like any unknown path. Labels are
//! route patterns (`/incidents/{id}`), methods and statuses only: never a
//! path with its ids, and never a pupil's, member of staff's or school's
//! name. The text format is simple enough to write by hand.

mod handler;
mod store;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

pub use handler::{only_metrics_on_its_listener, routes};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// What the service counts while it runs; one per application.
#[derive(Default)]
pub struct Metrics {
    /// (method, route pattern, status) to count.
    requests: Mutex<BTreeMap<(&'static str, String, u16), u64>>,
    /// (method, route pattern) to latency.
    latency: Mutex<BTreeMap<(&'static str, String), Latency>>,
    reminder_runs: AtomicU64,
    reminder_failures: AtomicU64,
    reminders_sent: AtomicU64,
    /// The metrics listener's own address, once bound.
    listener: OnceLock<SocketAddr>,
}

/// A method as a label: an unknown token a client made up is `other`, so
/// that no one can grow the label set (or write into it).
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN.into_iter().find(|m| *m == method).unwrap_or("other")
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let method = method_label(method);
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method, route.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let entry = l.entry((method, route.to_string())).or_default();
            entry.count += 1;
            entry.sum += seconds;
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    entry.buckets[i] += 1;
                }
            }
        }
    }

    /// One round of the overdue-reminder task: `Ok(n)` sent reminders for
    /// `n` incidents, `Err` failed.
    pub fn observe_reminder_run(&self, outcome: Result<usize, ()>) {
        self.reminder_runs.fetch_add(1, Ordering::Relaxed);
        match outcome {
            Ok(n) => {
                self.reminders_sent.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(()) => {
                self.reminder_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn set_listener(&self, addr: SocketAddr) {
        let _ = self.listener.set(addr);
    }

    pub fn listener(&self) -> Option<SocketAddr> {
        self.listener.get().copied()
    }

    /// The text exposition format (version 0.0.4).
    fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        out.push_str("# HELP safelog_http_requests_total HTTP requests answered, by method, route pattern and status.\n");
        out.push_str("# TYPE safelog_http_requests_total counter\n");
        if let Ok(r) = self.requests.lock() {
            for ((method, route, status), n) in r.iter() {
                let _ = writeln!(
                    out,
                    "safelog_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        out.push_str("# HELP safelog_http_request_duration_seconds Time to answer, by method and route pattern.\n");
        out.push_str("# TYPE safelog_http_request_duration_seconds histogram\n");
        if let Ok(l) = self.latency.lock() {
            for ((method, route), h) in l.iter() {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "safelog_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                        h.buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "safelog_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(
                    out,
                    "safelog_http_request_duration_seconds_sum{{{labels}}} {}",
                    h.sum
                );
                let _ = writeln!(
                    out,
                    "safelog_http_request_duration_seconds_count{{{labels}}} {}",
                    h.count
                );
            }
        }
        let gauge = |out: &mut String, name: &str, help: &str, value: String| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            );
        };
        gauge(
            &mut out,
            "safelog_db_pool_connections",
            "Database connections open in this instance's pool.",
            gauges.pool_open.to_string(),
        );
        gauge(
            &mut out,
            "safelog_db_pool_connections_idle",
            "Open database connections not in use.",
            gauges.pool_idle.to_string(),
        );
        gauge(
            &mut out,
            "safelog_db_pool_connections_max",
            "The most database connections the pool will open.",
            gauges.pool_max.to_string(),
        );
        gauge(
            &mut out,
            "safelog_outbox_unsent",
            "Emails in the outbox not yet delivered (all instances).",
            gauges.outbox_unsent.to_string(),
        );
        gauge(
            &mut out,
            "safelog_outbox_oldest_unsent_age_seconds",
            "Age of the oldest undelivered email; 0 when none waits.",
            gauges.oldest_unsent_age_seconds.to_string(),
        );
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
            );
        };
        counter(
            &mut out,
            "safelog_reminder_runs_total",
            "Rounds of the overdue-reminder task in this instance.",
            self.reminder_runs.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "safelog_reminder_run_failures_total",
            "Rounds of the overdue-reminder task that failed.",
            self.reminder_failures.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "safelog_reminders_sent_total",
            "Incidents reminded to their owner as not picked up in time.",
            self.reminders_sent.load(Ordering::Relaxed),
        );
        out
    }
}

/// What is read fresh for each scrape.
struct Gauges {
    pool_open: u32,
    pool_idle: u32,
    pool_max: u32,
    outbox_unsent: i64,
    oldest_unsent_age_seconds: i64,
}

/// A label value as the format wants it: backslash, quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_counts_under_its_pattern_and_falls_in_every_bucket_above_it() {
        let m = Metrics::default();
        m.observe_request("GET", "/incidents/{id}", 200, 0.03);
        m.observe_request("BREW", "/incidents/{id}", 405, 0.001);
        let text = m.render(&Gauges {
            pool_open: 1,
            pool_idle: 1,
            pool_max: 10,
            outbox_unsent: 0,
            oldest_unsent_age_seconds: 0,
        });
        assert!(text.contains(
            "safelog_http_requests_total{method=\"GET\",route=\"/incidents/{id}\",status=\"200\"} 1"
        ));
        assert!(text.contains("method=\"other\""), "{text}");
        assert!(text.contains(
            "safelog_http_request_duration_seconds_bucket{method=\"GET\",route=\"/incidents/{id}\",le=\"0.025\"} 0"
        ));
        assert!(text.contains(
            "safelog_http_request_duration_seconds_bucket{method=\"GET\",route=\"/incidents/{id}\",le=\"0.05\"} 1"
        ));
    }
}

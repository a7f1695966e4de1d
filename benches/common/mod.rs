//! What the benches share: how many rows and rounds they are asked for.

/// The first number among the arguments (`cargo bench --bench scale --
/// 100000`, `cargo test --bench report -- 20000` in CI), else
/// `SAFELOG_BENCH_ROWS`, else a million.
pub fn rows() -> i64 {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or_else(|| env_or("SAFELOG_BENCH_ROWS", 1_000_000))
}

/// A number from the environment, or `default` when unset or not one.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

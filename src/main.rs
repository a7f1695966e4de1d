//! The `safelog` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    safelog::cli::main()
}

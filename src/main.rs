//! The `leakscan` binary: parse → plan → engine::run → exit code. All logic lives in the library.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(leakscan::cli::main())
}

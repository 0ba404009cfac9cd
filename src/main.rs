//! The `leakscan` binary: parse → plan → engine::run → exit code. All logic lives in the library.
#![forbid(unsafe_code)]

/// mimalloc rather than glibc's malloc: loading the rule pack makes ~1 M small allocations
/// (TOML values, regex syntax trees), and glibc's malloc and free were a third of the
/// instructions of a scan of an empty directory (callgrind).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(leakscan::cli::main())
}

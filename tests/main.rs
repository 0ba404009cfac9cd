//! The one integration test binary (one link on 2 cores). One module per area.

mod util;

mod archive;
mod config;
mod core;
mod crashtest;
mod decode;
mod formats;
mod git;
mod gitleaks;
mod hostile;
mod large;
mod logs;
mod reports;
mod rules;
mod sarif;
mod scan;
mod staged;
mod suppress;

//! The one integration test binary (one link on 2 cores). One module per area.

mod util;

mod formats;
mod large;
mod logs;
mod rules;
mod scan;
mod suppress;

//! leakscan: a secret-leak scanner. Data flows one way:
//! inputs → sources → chunks → matcher → findings → reporters.
//!
//! Module dependency direction: `entropy`, `messages`, `summary`, `pack`, `bytemask`, `reach`
//! depend on nothing (`bytemask` on the `wide` SIMD crate); `chunk` and `finding` on each other
//! and `messages`; `rules` on `entropy`, `finding`, `pack`, `reach`, `guard`; `guard` on `reach`
//! and on `rules` for the regex settings its suffix is compiled with; `matcher` on `rules`,
//! `chunk`, `finding`, `known`, `bytemask`;
//! `source::*` on `chunk`, `messages`; `report::*` on `finding`, `summary`; `known` on
//! `finding`; `utf16` and `decode` on `matcher`, `chunk`, `finding`, `bytemask`; `layers` on `matcher`,
//! `utf16`, `decode`; `redact` on `layers`; `pathrule` on `rules`, `chunk`, `finding`;
//! `baseline` on `finding`; `engine` on those; `check`, `config`, `resolved`, `crashtest`, `cli`
//! on top.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod baseline;
pub mod bytemask;
pub mod check;
pub mod chunk;
pub mod cli;
pub mod config;
pub mod crashtest;
pub mod decode;
pub mod engine;
pub mod entropy;
pub mod finding;
pub mod gitleaks;
pub mod guard;
pub mod hook;
pub mod keyword_table;
pub mod known;
pub mod layers;
pub mod matcher;
pub mod messages;
pub mod pack;
pub mod pathrule;
pub mod reach;
pub mod redact;
pub mod report;
pub mod resolved;
pub mod rules;
pub mod source;
pub mod summary;
pub mod suppress;
#[cfg(test)]
pub(crate) mod testutil;
pub mod timestamp;
pub mod utf16;

//! Tanba (таңба, "a seal, a mark"): a document-verification and credential ledger for
//! Kazakhstan's education system.
//!
//! This crate is the whole service as a library; `src/main.rs` is a thin CLI over it, and tests
//! and benchmarks call it directly. See ARCHITECTURE.md for the code map.

pub mod accounts;
pub mod alloc;
pub mod credential;
pub mod data_dir;
pub mod demo;
pub mod forensics;
pub mod holder;
pub mod http;
pub mod i18n;
pub mod intake;
pub mod issuance;
pub mod ledger;
pub mod ocr;
pub mod registry;
pub mod review;
pub mod store;
pub mod verify;

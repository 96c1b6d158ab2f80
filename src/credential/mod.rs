//! Credentials: document kinds, identifiers, canonical form, per-claim salted commitments,
//! issuer signatures and the ledger entries that record them.
//!
//! This module never imports from `http`: the web layer calls it, not the other way round.
//! What reaches the ledger from here holds no personal data — only ids, kinds, salted
//! commitments, issuer key ids, signatures and timestamps.

pub mod canonical;
pub mod classifier;
pub mod disclosure;
pub mod ids;
pub mod issuer_key;
pub mod kinds;
pub mod lifecycle;
pub mod pdf;
pub mod qr;
pub mod random;
pub mod record;
pub mod sdjwt;
pub mod sealed;
pub mod vc;

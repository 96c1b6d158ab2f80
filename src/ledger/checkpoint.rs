//! Signed checkpoints: c2sp.org/tlog-checkpoint text inside a c2sp.org/signed-note, Ed25519.
//!
//! ```text
//! <origin>\n
//! <tree size, decimal>\n
//! <root hash, base64>\n
//! \n
//! — <key name> <base64(key ID[4] ‖ Ed25519 signature[64])>\n
//! ```
//!
//! The key name is the origin (tlog-checkpoint: "the origin line SHOULD match the key name").
//! The verifier key is published as `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`, the
//! signed-note vkey format that Go's `sumdb/note` and every C2SP client read.

use crate::store::TreeHead;
use signed_note::{Note, Signer as _, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::Checkpoint;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("log key is malformed: {0}")]
    BadKey(String),
    #[error("checkpoint is not a well-formed signed note: {0}")]
    MalformedNote(String),
    #[error("checkpoint signature does not verify with the log key {0}")]
    BadSignature(String),
    #[error("checkpoint text is not a C2SP checkpoint (origin, size, base64 root hash)")]
    MalformedText,
    #[error("checkpoint is for origin {found:?}, expected {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A checkpoint together with the signed note that carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct SignedCheckpoint {
    pub origin: String,
    pub head: TreeHead,
    /// The full signed note, exactly as served at `/ledger/checkpoint`.
    pub note: Vec<u8>,
}

/// The log's signing key. The private half never leaves this type.
pub struct LogSigner {
    signer: StandardSigner,
    origin: String,
    vkey: String,
}

/// Generates a new Ed25519 log key for `origin`: (private key string, verifier key string).
pub fn generate_log_key(origin: &str) -> Result<(String, String), CheckpointError> {
    if !signed_note::is_key_name_valid(origin) {
        return Err(CheckpointError::BadKey(format!(
            "origin {origin:?} is not a valid key name (non-empty, no spaces, no '+')"
        )));
    }
    Ok(signed_note::generate_key(&mut rand_core::OsRng, origin))
}

impl LogSigner {
    /// Loads a signer from its `PRIVATE+KEY+<name>+<id>+<key>` string and the matching vkey.
    pub fn new(skey: &str, vkey: &str) -> Result<Self, CheckpointError> {
        let signer =
            StandardSigner::new(skey.trim()).map_err(|e| CheckpointError::BadKey(e.to_string()))?;
        let verifier = LogVerifier::new(vkey)?;
        if verifier.origin() != signer.name() || verifier.key_id() != signer.key_id() {
            return Err(CheckpointError::BadKey(
                "private key and verifier key do not belong together".into(),
            ));
        }
        // Prove the pair by a round trip rather than trusting the IDs alone.
        let probe = Note::new(b"tanba key check\n", &[])
            .and_then(|mut n| n.add_sigs(&[&signer]).map(|_| n))
            .map_err(|e| CheckpointError::BadKey(e.to_string()))?;
        verifier
            .verify_note(&probe.to_bytes())
            .map_err(|_| CheckpointError::BadKey("private key does not match vkey".into()))?;
        Ok(Self {
            origin: signer.name().to_string(),
            signer,
            vkey: vkey.trim().to_string(),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    /// Signs the checkpoint for `head`.
    pub fn sign(&self, head: TreeHead) -> Result<SignedCheckpoint, CheckpointError> {
        let text = Checkpoint::new(&self.origin, head.size, head.root, "")
            .map_err(|e| CheckpointError::Signing(e.to_string()))?
            .to_bytes();
        let mut note =
            Note::new(&text, &[]).map_err(|e| CheckpointError::Signing(e.to_string()))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| CheckpointError::Signing(e.to_string()))?;
        Ok(SignedCheckpoint {
            origin: self.origin.clone(),
            head,
            note: note.to_bytes(),
        })
    }
}

/// Verifies checkpoints of one log.
#[derive(Clone)]
pub struct LogVerifier {
    verifier: StandardVerifier,
    vkey: String,
    /// The last checkpoint [`LogVerifier::open`] accepted. Every online verification opens
    /// the log's latest checkpoint, which changes only when the log grows: its exact bytes
    /// seen again need no second signature check (a third of an online verification before).
    last: std::sync::Arc<std::sync::Mutex<Option<SignedCheckpoint>>>,
}

impl LogVerifier {
    /// Parses a `<name>+<id>+<base64 key>` verifier key.
    pub fn new(vkey: &str) -> Result<Self, CheckpointError> {
        let verifier = StandardVerifier::new(vkey.trim())
            .map_err(|e| CheckpointError::BadKey(format!("verifier key: {e}")))?;
        Ok(Self {
            verifier,
            vkey: vkey.trim().to_string(),
            last: Default::default(),
        })
    }

    pub fn origin(&self) -> &str {
        signed_note::Verifier::name(&self.verifier)
    }

    pub fn key_id(&self) -> u32 {
        signed_note::Verifier::key_id(&self.verifier)
    }

    pub fn vkey(&self) -> &str {
        &self.vkey
    }

    fn verify_note(&self, bytes: &[u8]) -> Result<Note, CheckpointError> {
        let note =
            Note::from_bytes(bytes).map_err(|e| CheckpointError::MalformedNote(e.to_string()))?;
        let list = VerifierList::new(vec![Box::new(self.verifier.clone())]);
        note.verify(&list)
            .map_err(|_| CheckpointError::BadSignature(self.vkey.clone()))?;
        Ok(note)
    }

    /// Verifies the signature on a checkpoint note and parses its text.
    pub fn open(&self, bytes: &[u8]) -> Result<SignedCheckpoint, CheckpointError> {
        let cached =
            |last: &Option<SignedCheckpoint>| last.as_ref().filter(|cp| cp.note == bytes).cloned();
        if let Some(cp) = cached(&self.last.lock().unwrap_or_else(|p| p.into_inner())) {
            return Ok(cp);
        }
        // Verified outside the lock, so a new checkpoint never queues the others behind it.
        let opened = self.open_uncached(bytes)?;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(opened.clone());
        Ok(opened)
    }

    fn open_uncached(&self, bytes: &[u8]) -> Result<SignedCheckpoint, CheckpointError> {
        let note = self.verify_note(bytes)?;
        let cp = Checkpoint::from_bytes(note.text()).map_err(|_| CheckpointError::MalformedText)?;
        if cp.origin() != self.origin() {
            return Err(CheckpointError::WrongOrigin {
                expected: self.origin().to_string(),
                found: cp.origin().to_string(),
            });
        }
        Ok(SignedCheckpoint {
            origin: cp.origin().to_string(),
            head: TreeHead {
                size: cp.size(),
                root: *cp.hash(),
            },
            note: bytes.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tlog_tiles::Hash;

    // The signed-note example of c2sp.org/signed-note and Go's sumdb/note documentation.
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_NOTE: &str = "If you think cryptography is the answer to your problem,\n\
        then you don't know what your problem is.\n\
        \n\
        — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    #[test]
    fn published_signed_note_example_verifies_and_a_flipped_bit_does_not() {
        let v = LogVerifier::new(PETER_VKEY).unwrap();
        assert_eq!(v.key_id(), 0xc74f20a3);
        v.verify_note(PETER_NOTE.as_bytes()).unwrap();
        let mut bad = PETER_NOTE.as_bytes().to_vec();
        bad[3] ^= 0x01;
        assert!(v.verify_note(&bad).is_err());
        // Ed25519 is deterministic (RFC 8032), so signing the same text reproduces the example.
        let signer = StandardSigner::new(PETER_SKEY).unwrap();
        let text = PETER_NOTE.split("\n\n").next().unwrap().to_string() + "\n";
        let mut n = Note::new(text.as_bytes(), &[]).unwrap();
        n.add_sigs(&[&signer]).unwrap();
        assert_eq!(n.to_bytes(), PETER_NOTE.as_bytes());
    }

    /// c2sp.org/tlog-checkpoint's example (as signed in c2sp.org/tlog-witness). Its key is not
    /// published, so the body must be ours byte for byte for the same tree, and the published
    /// note must parse and be refused under any key of ours.
    #[test]
    fn c2sp_checkpoint_example() {
        const BODY: &str = "example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
";
        const NOTE: &str = "example.com/behind-the-sofa
20852163
CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=

\
            — example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=
";
        let parsed = Checkpoint::from_bytes(BODY.as_bytes()).unwrap();
        assert_eq!(
            (parsed.origin(), parsed.size()),
            ("example.com/behind-the-sofa", 20852163)
        );
        let (skey, vkey) = generate_log_key("example.com/behind-the-sofa").unwrap();
        let ours = LogSigner::new(&skey, &vkey)
            .unwrap()
            .sign(TreeHead {
                size: parsed.size(),
                root: *parsed.hash(),
            })
            .unwrap();
        assert!(
            ours.note.starts_with(
                format!(
                    "{BODY}
— example.com/behind-the-sofa "
                )
                .as_bytes()
            )
        );
        let note = Note::from_bytes(NOTE.as_bytes()).unwrap();
        assert_eq!(note.text(), BODY.as_bytes());
        assert!(matches!(
            LogVerifier::new(&vkey).unwrap().open(NOTE.as_bytes()),
            Err(CheckpointError::BadSignature(_))
        ));
    }

    #[test]
    fn signed_checkpoint_round_trips_and_rejects_other_keys() {
        let (skey, vkey) = generate_log_key("tanba.test/log").unwrap();
        let signer = LogSigner::new(&skey, &vkey).unwrap();
        let head = TreeHead {
            size: 42,
            root: Hash([7; 32]),
        };
        let cp = signer.sign(head).unwrap();
        let text = String::from_utf8(cp.note.clone()).unwrap();
        assert!(text.starts_with(
            "tanba.test/log\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n— tanba.test/log "
        ));
        let opened = LogVerifier::new(&vkey).unwrap().open(&cp.note).unwrap();
        assert_eq!(opened.head, head);

        let (_, other_vkey) = generate_log_key("tanba.test/log").unwrap();
        assert!(
            LogVerifier::new(&other_vkey)
                .unwrap()
                .open(&cp.note)
                .is_err()
        );
        let (other_skey, _) = generate_log_key("tanba.test/log").unwrap();
        assert!(LogSigner::new(&other_skey, &vkey).is_err());
        assert!(generate_log_key("has space").is_err());
    }

    #[test]
    fn a_remembered_checkpoint_never_vouches_for_other_bytes() {
        let (skey, vkey) = generate_log_key("tanba.test/log").unwrap();
        let signer = LogSigner::new(&skey, &vkey).unwrap();
        let verifier = LogVerifier::new(&vkey).unwrap();
        let cp = signer
            .sign(TreeHead {
                size: 9,
                root: Hash([1; 32]),
            })
            .unwrap();
        for _ in 0..2 {
            assert_eq!(verifier.open(&cp.note).unwrap(), cp);
            // The same head with its size changed, and the signature with one bit flipped,
            // right after the genuine note was accepted (and remembered).
            let resized = String::from_utf8(cp.note.clone())
                .unwrap()
                .replacen("\n9\n", "\n10\n", 1);
            assert!(verifier.open(resized.as_bytes()).is_err());
            let mut flipped = cp.note.clone();
            let at = flipped.len() - 5;
            flipped[at] ^= 0x01;
            assert!(verifier.clone().open(&flipped).is_err());
        }
    }
}

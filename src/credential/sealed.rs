//! Personal data at rest: each credential's claims and disclosures are encrypted under a key of
//! their own (a data key), and that key is stored only wrapped by the master key.
//!
//! ```text
//! data key   = 32 random bytes, one per credential (all its versions)
//! wrapped    = nonce[24] ‖ XChaCha20-Poly1305(master key, data key, aad = "tanba-dek" ‖ id)
//! sealed     = nonce[24] ‖ XChaCha20-Poly1305(data key, plaintext, aad = id ‖ version BE)
//! ```
//!
//! Erasing a person's data is deleting the wrapped data key: the sealed record becomes noise,
//! while the ledger entry — salted digests only — stays valid as a commitment. The AAD binds a
//! ciphertext to its credential and version, so rows cannot be swapped between records. The
//! master key lives in a file with mode 0600 and is never logged.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed data is too short to hold a nonce and tag")]
    Truncated,
    #[error("decryption failed: wrong key, or the data or its binding to this record was altered")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

/// The key that wraps every data key.
pub struct MasterKey(XChaCha20Poly1305);

/// A credential's own key, unwrapped in memory only while in use.
pub struct DataKey([u8; 32]);

use super::random::bytes as random;

fn seal_with(
    cipher: &XChaCha20Poly1305,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, SealError> {
    let nonce: [u8; 24] = random();
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError::Encrypt)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open_with(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < 24 + 16 {
        return Err(SealError::Truncated);
    }
    let (nonce, ct) = sealed.split_at(24);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| SealError::Decrypt)
}

impl MasterKey {
    pub fn generate() -> ([u8; 32], Self) {
        let bytes: [u8; 32] = random();
        (bytes, Self::from_bytes(&bytes))
    }

    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        Self(XChaCha20Poly1305::new(bytes.into()))
    }

    /// A fresh data key for a new credential, and its wrapped form for the store.
    pub fn new_data_key(&self, id: &[u8; 16]) -> Result<(DataKey, Vec<u8>), SealError> {
        let key: [u8; 32] = random();
        let wrapped = seal_with(&self.0, &key, &dek_aad(id))?;
        Ok((DataKey(key), wrapped))
    }

    /// Unwraps a stored data key.
    pub fn unwrap_data_key(&self, id: &[u8; 16], wrapped: &[u8]) -> Result<DataKey, SealError> {
        let bytes = open_with(&self.0, wrapped, &dek_aad(id))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| SealError::Decrypt)?;
        Ok(DataKey(key))
    }
}

fn dek_aad(id: &[u8; 16]) -> Vec<u8> {
    let mut aad = b"tanba-dek".to_vec();
    aad.extend_from_slice(id);
    aad
}

fn record_aad(id: &[u8; 16], version: u32) -> Vec<u8> {
    let mut aad = id.to_vec();
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

impl DataKey {
    pub fn seal(
        &self,
        id: &[u8; 16],
        version: u32,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        seal_with(
            &XChaCha20Poly1305::new((&self.0).into()),
            plaintext,
            &record_aad(id, version),
        )
    }

    pub fn open(&self, id: &[u8; 16], version: u32, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        open_with(
            &XChaCha20Poly1305::new((&self.0).into()),
            sealed,
            &record_aad(id, version),
        )
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0 = [0; 32];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_records_open_only_with_their_key_id_and_version() {
        let (_, master) = MasterKey::generate();
        let id = [7u8; 16];
        let (dek, wrapped) = master.new_data_key(&id).unwrap();
        let plain = "Жұмабаева Әсел, ЖСН 050415501234".as_bytes();
        let sealed = dek.seal(&id, 1, plain).unwrap();
        assert!(
            !sealed
                .windows(10)
                .any(|w| plain.windows(10).any(|p| p == w)),
            "no plaintext at rest"
        );
        let dek2 = master.unwrap_data_key(&id, &wrapped).unwrap();
        assert_eq!(dek2.open(&id, 1, &sealed).unwrap(), plain);
        // Bound to its record: another version or id does not open it.
        assert_eq!(dek2.open(&id, 2, &sealed), Err(SealError::Decrypt));
        assert_eq!(dek2.open(&[8u8; 16], 1, &sealed), Err(SealError::Decrypt));
        // A wrapped key moved to another credential does not unwrap.
        assert!(master.unwrap_data_key(&[8u8; 16], &wrapped).is_err());
        // Another master key cannot unwrap, and tampering is detected.
        let (_, other) = MasterKey::generate();
        assert!(other.unwrap_data_key(&id, &wrapped).is_err());
        let mut bad = sealed.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(dek2.open(&id, 1, &bad), Err(SealError::Decrypt));
        assert_eq!(dek2.open(&id, 1, &sealed[..20]), Err(SealError::Truncated));
    }
}

//! The browser's session cookie: a random id signed with the server's key
//! (HMAC-SHA256), so a client can neither choose its session id nor
//! reach another browser's by guessing or copying an id it saw.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The cookie's name (the Django app's too).
pub const NAME: &str = "wasmlive_session";

/// Signs and checks session cookies with one key.
pub struct CookieSigner {
    key: Vec<u8>,
}

impl CookieSigner {
    /// A signer with `key`; `None`: a random key, so cookies last as long as the process.
    pub fn new(key: Option<&str>) -> CookieSigner {
        let key = match key {
            Some(k) => k.as_bytes().to_vec(),
            // Two v4 UUIDs: 244 random bits from the OS, without another dependency.
            None => [uuid::Uuid::new_v4().into_bytes(), uuid::Uuid::new_v4().into_bytes()].concat(),
        };
        CookieSigner { key }
    }

    fn mac(&self, id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The cookie value for session `id`.
    pub fn sign(&self, id: &str) -> String {
        format!("{id}.{}", self.mac(id))
    }

    /// The session id in `value`, if its signature holds.
    pub fn verify(&self, value: &str) -> Option<String> {
        let (id, signature) = value.rsplit_once('.')?;
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        let bytes = (0..signature.len())
            .step_by(2)
            .map(|i| signature.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()?;
        // Constant-time comparison.
        mac.verify_slice(&bytes).ok().map(|()| id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_id_verifies_and_a_changed_one_does_not() {
        let signer = CookieSigner::new(Some("secret"));
        let value = signer.sign("abc");
        assert_eq!(signer.verify(&value).as_deref(), Some("abc"));
        assert_eq!(signer.verify(&value.replace("abc", "abd")), None);
        assert_eq!(signer.verify("abc"), None);
        assert_eq!(signer.verify("abc.zz"), None);
        assert_eq!(CookieSigner::new(Some("other")).verify(&value), None);
        assert_eq!(CookieSigner::new(None).verify(&value), None);
    }
}

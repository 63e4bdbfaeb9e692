//! What the server signs with its key (HMAC-SHA256): the browser's session
//! cookie, a random id, so a client can neither choose its session id nor
//! reach another browser's by guessing or copying an id it saw; and a view's
//! resume token, bound to the view, its socket's session and the browser.

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

    /// What a resume token signs. The purpose comes first and the parts are
    /// NUL-separated: no cookie (a hex id) signs the same bytes, and no
    /// choice of ids makes one token's bytes another's.
    fn resume_payload(session_id: &str, view_id: &str, browser: Option<&str>) -> String {
        format!("wasmlive.resume\0{session_id}\0{view_id}\0{}", browser.unwrap_or_default())
    }

    /// The token a reconnect resumes view `view_id` of socket session
    /// `session_id` with, from the browser whose HTTP session is `browser`.
    pub fn resume_token(&self, session_id: &str, view_id: &str, browser: Option<&str>) -> String {
        let signed = self.sign(&Self::resume_payload(session_id, view_id, browser));
        let signature = signed.rsplit_once('.').map_or("", |(_, s)| s);
        format!("{session_id}.{signature}")
    }

    /// The socket session a resume token names, if it was signed for this
    /// view and this browser.
    pub fn verify_resume(&self, token: &str, view_id: &str, browser: Option<&str>) -> Option<String> {
        let (session_id, signature) = token.rsplit_once('.')?;
        let payload = Self::resume_payload(session_id, view_id, browser);
        self.verify(&format!("{payload}.{signature}")).map(|_| session_id.to_string())
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

    #[test]
    fn a_resume_token_holds_only_for_its_view_and_browser() {
        let signer = CookieSigner::new(Some("secret"));
        let token = signer.resume_token("ws-1", "view-a", Some("browser-x"));
        assert_eq!(signer.verify_resume(&token, "view-a", Some("browser-x")).as_deref(), Some("ws-1"));
        assert_eq!(signer.verify_resume(&token, "view-b", Some("browser-x")), None, "another view");
        assert_eq!(signer.verify_resume(&token, "view-a", Some("browser-y")), None, "another browser");
        assert_eq!(signer.verify_resume(&token, "view-a", None), None, "no browser");
        assert_eq!(signer.verify_resume(&token.replacen("ws-1", "ws-2", 1), "view-a", Some("browser-x")), None, "another session");
        assert_eq!(CookieSigner::new(Some("other")).verify_resume(&token, "view-a", Some("browser-x")), None, "another key");
        // A session cookie is no token, and a token no cookie.
        assert_eq!(signer.verify_resume(&signer.sign("ws-1"), "view-a", Some("browser-x")), None);
        assert_eq!(signer.verify(&token), None);
        assert_eq!(signer.verify_resume("", "view-a", None), None);
    }
}

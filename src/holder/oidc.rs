//! Holder sign-in through an OpenID Connect provider — eGov's identity provider in
//! production — with the authorization code flow and PKCE (RFC 7636, `S256`).
//!
//! `start` sends the browser to the provider's authorization endpoint with a fresh `state`,
//! `nonce` and code challenge, kept in memory for [`FLOW_SECONDS`]; `finish` takes the code the
//! provider sent back with that `state`, redeems it at the token endpoint (with the code
//! verifier, and the client secret if there is one), and reads the ID token. The ID token comes
//! straight from the token endpoint over TLS, so — as OpenID Connect Core §3.1.3.7 item 6
//! allows — the TLS server check stands in for its signature; its `iss`, `aud`/`azp`, `exp`
//! and `nonce` are all checked. The holder's IIN is the claim named `iin_claim`. Endpoints
//! come from the provider's discovery document, whose `issuer` must be the configured one.
//! Plain `http://` is accepted only for a provider on the loopback interface (tests).

use crate::accounts::now;
use crate::credential::ids::Iin;
use crate::credential::random;
use data_encoding::BASE64URL_NOPAD;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a sign-in may take between leaving for the provider and coming back.
pub const FLOW_SECONDS: u64 = 600;
/// Sign-ins in flight at once (a bound on memory).
pub const FLOWS_PENDING: usize = 100_000;

/// The `oidc` section of `config.json`.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer identifier, e.g. `https://idp.egov.kz`.
    pub issuer: String,
    pub client_id: String,
    /// Where the provider sends the browser back: `<public URL>/my/oidc/callback`.
    pub redirect_url: String,
    /// The environment variable holding the client secret, if the client has one.
    #[serde(default = "default_secret_env")]
    pub client_secret_env: String,
    /// The ID token claim that carries the IIN.
    #[serde(default = "default_iin_claim")]
    pub iin_claim: String,
    #[serde(default = "default_scope")]
    pub scope: String,
}

fn default_secret_env() -> String {
    "TANBA_OIDC_CLIENT_SECRET".into()
}
fn default_iin_claim() -> String {
    "iin".into()
}
fn default_scope() -> String {
    "openid".into()
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("OpenID provider {0}: plain http is allowed only on the loopback interface")]
    NotTls(String),
    #[error("OpenID provider unreachable or answered badly: {0}")]
    Provider(String),
    #[error("the sign-in expired or was not started here; start again")]
    UnknownState,
    #[error("the provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the ID token is not acceptable: {0}")]
    BadToken(String),
    #[error("too many sign-ins in flight; try again shortly")]
    Busy,
}

#[derive(Clone, Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

struct Flow {
    nonce: String,
    /// Opaque to the provider: what the caller wants back when the flow finishes (the
    /// page language, so the holder lands where they started).
    carry: String,
    verifier: String,
    expires: Instant,
}

/// A configured provider and the sign-ins in flight.
pub struct Oidc {
    config: OidcConfig,
    secret: Option<String>,
    agent: ureq::Agent,
    discovery: Mutex<Option<Discovery>>,
    flows: Mutex<HashMap<String, Flow>>,
}

fn loopback(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or("");
    [
        "127.0.0.1:",
        "127.0.0.1/",
        "localhost:",
        "localhost/",
        "[::1]:",
    ]
    .iter()
    .any(|p| rest.starts_with(p))
        || rest == "127.0.0.1"
        || rest == "localhost"
}

fn check_url(url: &str) -> Result<(), OidcError> {
    if url.starts_with("https://") || loopback(url) {
        Ok(())
    } else {
        Err(OidcError::NotTls(url.to_string()))
    }
}

impl Oidc {
    /// The provider of `config`; the client secret is read from its environment variable.
    pub fn new(config: OidcConfig) -> Result<Self, OidcError> {
        check_url(&config.issuer)?;
        let secret = std::env::var(&config.client_secret_env)
            .ok()
            .filter(|s| !s.is_empty());
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(10)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Oidc {
            config,
            secret,
            agent,
            discovery: Mutex::new(None),
            flows: Mutex::new(HashMap::new()),
        })
    }

    fn get_json(&self, url: &str) -> Result<Value, OidcError> {
        let mut resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .read_to_vec()
            .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?;
        if status != 200 {
            return Err(OidcError::Provider(format!("{url}: HTTP {status}")));
        }
        serde_json::from_slice(&body).map_err(|e| OidcError::Provider(format!("{url}: {e}")))
    }

    /// The provider's endpoints, from its discovery document (fetched once).
    fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some(d) = self
            .discovery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        {
            return Ok(d);
        }
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let d: Discovery = serde_json::from_value(self.get_json(&url)?)
            .map_err(|e| OidcError::Provider(format!("{url}: {e}")))?;
        if d.issuer != self.config.issuer {
            return Err(OidcError::Provider(format!(
                "the discovery document names issuer {:?}, not {:?}",
                d.issuer, self.config.issuer
            )));
        }
        check_url(&d.authorization_endpoint)?;
        check_url(&d.token_endpoint)?;
        *self.discovery.lock().unwrap_or_else(|p| p.into_inner()) = Some(d.clone());
        Ok(d)
    }

    /// Starts a sign-in: the provider URL to send the browser to. `carry` comes back from
    /// [`Oidc::finish`] (it never leaves this server).
    pub fn start(&self, carry: &str) -> Result<String, OidcError> {
        let d = self.discovery()?;
        let state = BASE64URL_NOPAD.encode(&random::bytes::<16>());
        let nonce = BASE64URL_NOPAD.encode(&random::bytes::<16>());
        let verifier = BASE64URL_NOPAD.encode(&random::bytes::<32>());
        let challenge = BASE64URL_NOPAD.encode(&Sha256::digest(verifier.as_bytes()));
        {
            let mut flows = self.flows.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            flows.retain(|_, f| f.expires > now);
            if flows.len() >= FLOWS_PENDING {
                return Err(OidcError::Busy);
            }
            flows.insert(
                state.clone(),
                Flow {
                    nonce: nonce.clone(),
                    carry: carry.to_string(),
                    verifier,
                    expires: now + Duration::from_secs(FLOW_SECONDS),
                },
            );
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", &self.config.scope)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        let sep = if d.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!("{}{sep}{query}", d.authorization_endpoint))
    }

    /// Finishes a sign-in from the callback's `state` and `code`: the holder's IIN, and what
    /// [`Oidc::start`] was asked to carry.
    pub fn finish(&self, state: &str, code: &str) -> Result<(String, String), OidcError> {
        let flow = self
            .flows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(state)
            .filter(|f| f.expires > Instant::now())
            .ok_or(OidcError::UnknownState)?;
        let d = self.discovery()?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("client_id", self.config.client_id.as_str()),
            ("code_verifier", flow.verifier.as_str()),
        ];
        if let Some(s) = &self.secret {
            form.push(("client_secret", s.as_str()));
        }
        let mut resp = self
            .agent
            .post(&d.token_endpoint)
            .send_form(form)
            .map_err(|e| OidcError::Provider(format!("{}: {e}", d.token_endpoint)))?;
        let status = resp.status().as_u16();
        let body: Value = resp
            .body_mut()
            .read_to_vec()
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(Value::Null);
        if status != 200 {
            let why = body["error"].as_str().unwrap_or("no reason given");
            return Err(OidcError::Refused(format!(
                "token endpoint HTTP {status}: {why}"
            )));
        }
        let id_token = body["id_token"]
            .as_str()
            .ok_or_else(|| OidcError::BadToken("the token response has no id_token".into()))?;
        Ok((self.claims_iin(id_token, &flow.nonce)?, flow.carry))
    }

    /// Checks an ID token's claims and returns its IIN.
    fn claims_iin(&self, id_token: &str, nonce: &str) -> Result<String, OidcError> {
        let bad = |m: &str| OidcError::BadToken(m.to_string());
        let mut parts = id_token.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a JWT (three dot-separated parts)"));
        };
        let claims: Value = BASE64URL_NOPAD
            .decode(payload.trim_end_matches('=').as_bytes())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| bad("the payload is not base64url JSON"))?;
        if claims["iss"].as_str() != Some(self.config.issuer.as_str()) {
            return Err(bad("iss is not the configured issuer"));
        }
        let id = self.config.client_id.as_str();
        let aud_ok = match &claims["aud"] {
            Value::String(a) => a == id,
            Value::Array(a) => {
                a.iter().any(|x| x.as_str() == Some(id))
                    && (a.len() == 1 || claims["azp"].as_str() == Some(id))
            }
            _ => false,
        };
        if !aud_ok {
            return Err(bad("aud does not name this client"));
        }
        if claims["exp"].as_i64().is_none_or(|e| e <= now()) {
            return Err(bad("the token has expired (exp)"));
        }
        if claims["nonce"].as_str() != Some(nonce) {
            return Err(bad("nonce does not match this sign-in"));
        }
        let iin = claims[self.config.iin_claim.as_str()]
            .as_str()
            .ok_or_else(|| OidcError::BadToken(format!("no {} claim", self.config.iin_claim)))?;
        Iin::parse("iin", iin)
            .map(|i| i.to_string())
            .map_err(|e| OidcError::BadToken(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oidc() -> Oidc {
        Oidc::new(OidcConfig {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "tanba".into(),
            redirect_url: "http://127.0.0.1:8080/my/oidc/callback".into(),
            client_secret_env: "TANBA_TEST_NO_SUCH_VARIABLE".into(),
            iin_claim: "iin".into(),
            scope: "openid".into(),
        })
        .unwrap()
    }

    fn token(claims: Value) -> String {
        format!(
            "{}.{}.sig",
            BASE64URL_NOPAD.encode(br#"{"alg":"RS256"}"#),
            BASE64URL_NOPAD.encode(claims.to_string().as_bytes())
        )
    }

    #[test]
    fn id_token_claims_are_each_checked() {
        let o = oidc();
        let good = serde_json::json!({
            "iss": "http://127.0.0.1:9", "aud": "tanba", "exp": now() + 60,
            "nonce": "n1", "iin": "080101601000",
        });
        assert_eq!(
            o.claims_iin(&token(good.clone()), "n1").unwrap(),
            "080101601000"
        );
        for (field, value, needle) in [
            ("iss", serde_json::json!("https://evil"), "iss"),
            ("aud", serde_json::json!("other"), "aud"),
            ("aud", serde_json::json!(["tanba", "other"]), "aud"),
            ("exp", serde_json::json!(now() - 1), "exp"),
            ("nonce", serde_json::json!("n2"), "nonce"),
            ("iin", serde_json::json!("080101601001"), "check digit"),
        ] {
            let mut c = good.clone();
            c[field] = value;
            let e = o.claims_iin(&token(c), "n1").unwrap_err().to_string();
            assert!(e.contains(needle), "{field}: {e}");
        }
        assert!(o.claims_iin("a.b", "n1").is_err());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for ok in [
            "https://idp.egov.kz",
            "http://127.0.0.1:9000",
            "http://localhost:1",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in ["http://idp.egov.kz", "http://127.0.0.1.evil.com", "ftp://x"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}

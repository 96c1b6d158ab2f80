//! The public e-Register of apostilles (`/apostille`): anyone checks an e-Apostille by its
//! number and date, with no account, in kk/ru/en, without script.
//!
//! A found apostille is verified like any ledger credential (its signature, the authority's
//! registration, the ledger and its status), and the page shows the verdict and the ten Hague
//! fields as the ledger's record commits to them, with the verification code of the document
//! it certifies. Lookups share the verification page's per-address allowance.

use super::AppState;
use super::api::blocking;
use super::error::ApiError;
use super::page::{self, LangQuery};
use crate::review::apostille::RequestState;
use crate::verify;
use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minijinja::context;
use serde::Deserialize;
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new().route("/apostille", get(register))
}

#[derive(Deserialize)]
struct Lookup {
    number: Option<String>,
    date: Option<String>,
}

/// The claims of an e-Apostille shown on the register, in the Convention's order.
const SHOWN: [&str; 13] = [
    "apostille_country",
    "signed_by",
    "capacity",
    "seal_of",
    "place",
    "authority",
    "apostille_number",
    "seal",
    "signature",
    "document_kind",
    "document_number",
    "document_issued_on",
    "holder_name",
];

async fn register(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Query(q): Query<LangQuery>,
    Query(lookup): Query<Lookup>,
    headers: HeaderMap,
) -> Response {
    let lang = page::chosen_lang(&q, &headers);
    let t = |id: &str| lang.t(id);
    let texts = context! {
        intro => t("register-intro"), number => t("register-number"), date => t("register-date"),
        find => t("register-find"), fields => t("register-fields"), document => t("register-document"),
        code => t("register-code"), paper => t("register-paper"),
    };
    let (number, date) = (
        lookup.number.unwrap_or_default().trim().to_string(),
        lookup.date.unwrap_or_default().trim().to_string(),
    );
    let render = |status: StatusCode, error: Option<String>, result: minijinja::Value| {
        let html = page::templates()
            .get_template("register.html")
            .and_then(|tpl| {
                tpl.render(context! {
                    lang => lang.code(), title => t("register-title"), lang_label => t("lang-name"),
                    langs => page::language_links(lang, "/apostille"), t => texts,
                    number => number, date => date, error => error, result => result,
                })
            });
        page::html_response(status, lang, html)
    };
    if number.is_empty() && date.is_empty() {
        return render(StatusCode::OK, None, context! {});
    }
    if number.is_empty()
        || time::Date::parse(
            &date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_err()
    {
        return render(
            StatusCode::BAD_REQUEST,
            Some(t("register-bad-query")),
            context! {},
        );
    }
    let Ok(svc) = super::api::services(&state) else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    if let Err(e) = super::verify::charge(&svc, addr, 1) {
        return e.into_response();
    }
    let log = state.log.clone();
    let (n, d) = (number.clone(), date.clone());
    let found = blocking(move || {
        let Some(requests) = &svc.apostilles else {
            return Err(ApiError::Unavailable(
                "this server keeps no e-Register".into(),
            ));
        };
        let Some(r) = requests
            .find(&n, &d)
            .map_err(|e| ApiError::Internal(e.to_string()))?
        else {
            return Ok(None);
        };
        let RequestState::Approved { apostille, .. } = &r.state else {
            return Ok(None);
        };
        let id = crate::credential::record::CredentialId::parse(&apostille.credential)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        let keep: Vec<String> = SHOWN.iter().map(|s| s.to_string()).collect();
        let verdict = verify::verify_shared(&svc.issuance, &log, &id, 1, &keep)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(Some((
            verdict,
            r.document.ledger().map(|d| d.verification_code.clone()),
            apostille.verify_url.clone(),
        )))
    })
    .await;
    match found {
        Ok(None) => render(
            StatusCode::NOT_FOUND,
            Some(t("register-not-found")),
            context! {},
        ),
        Ok(Some((verdict, document_code, url))) => {
            let claims = verdict
                .document
                .as_ref()
                .map(|d| d.claims.clone())
                .unwrap_or_default();
            let rows: Vec<minijinja::Value> = SHOWN
                .iter()
                .filter_map(|k| {
                    let v = claims.get(*k)?;
                    Some(context! { label => lang.claim_label(k), value => page::shown(lang, v) })
                })
                .collect();
            let code = verdict.status;
            render(
                StatusCode::OK,
                None,
                context! {
                    status => code.as_str(),
                    words => lang.t(&format!("word-{}", code.as_str())),
                    sentence => code.sentence(lang.code()),
                    rows => rows,
                    document_code => document_code,
                    url => url,
                },
            )
        }
        Err(e) => e.into_response(),
    }
}

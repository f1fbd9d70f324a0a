//! What a driver may ask the host to send: an allow-listed endpoint of the
//! loaded profile, among the paths the driver declared, with only the
//! parameters that endpoint allows. Checked before anything is signed.

use super::request::{HttpError, Method, Request};
use crate::profile::{Endpoint, Profile};

/// Largest request (path + parameters) a driver may ask for.
pub const MAX_REQUEST_BYTES: usize = 64 << 10;

fn denied(why: String) -> HttpError {
    HttpError::Denied(why)
}

/// The allow-listed endpoint `request` is for, or why it may not go out.
pub fn check(
    profile: &dyn Profile,
    declared: &[String],
    request: &Request,
) -> Result<&'static Endpoint, HttpError> {
    let path = &request.path;
    let shown = crate::text::untrusted(path, 80);
    let size = path.len()
        + request
            .params()
            .map(|(k, v)| k.len() + v.len() + 2)
            .sum::<usize>();
    if size > MAX_REQUEST_BYTES {
        return Err(denied(format!(
            "request of {size} bytes exceeds {MAX_REQUEST_BYTES}"
        )));
    }
    if !path.starts_with('/')
        || path.contains("..")
        || path.contains("//")
        || !path.bytes().all(|b| b.is_ascii_graphic())
        || path.contains(['?', '#', '%', '\\', '@'])
    {
        return Err(denied(format!("malformed path {shown:?}")));
    }
    if !declared.iter().any(|d| d == path) {
        return Err(denied(format!(
            "path {shown:?} is not among the driver's declared request paths"
        )));
    }
    let Some(endpoint) = profile.endpoint(request.method, path) else {
        return Err(denied(format!(
            "{} {shown} is not an endpoint the {} profile allows",
            match request.method {
                Method::Get => "GET",
                Method::Post => "POST",
            },
            profile.name()
        )));
    };
    if endpoint.signed != request.signed {
        return Err(denied(format!(
            "{shown} must be sent {}",
            if endpoint.signed {
                "signed"
            } else {
                "unsigned"
            }
        )));
    }
    if request.method == Method::Get && !request.form.is_empty() {
        return Err(denied("a GET request cannot carry a form body".to_owned()));
    }
    for (name, _) in request.params() {
        if profile.reserved_params().contains(&name.as_str()) {
            return Err(denied(format!("{name} is the host's to set")));
        }
        if !endpoint.params.contains(&name.as_str()) {
            return Err(denied(format!(
                "parameter {:?} is not allowed on {shown}",
                crate::text::untrusted(name, 40)
            )));
        }
    }
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::profile::Kraken;

    fn declared() -> Vec<String> {
        [
            "/0/public/Ticker",
            "/0/private/AddOrder",
            "/0/private/Withdraw",
            "/0/private/CancelAll",
            "/0/private/QueryOrders",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    fn request(path: &str, signed: bool, params: &[(&str, &str)]) -> Request {
        Request {
            method: if signed { Method::Post } else { Method::Get },
            path: path.into(),
            query: if signed {
                vec![]
            } else {
                params
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect()
            },
            form: if signed {
                params
                    .iter()
                    .map(|(k, v)| ((*k).into(), (*v).into()))
                    .collect()
            } else {
                vec![]
            },
            signed,
            cache_for: Duration::ZERO,
        }
    }

    fn denial(result: Result<&'static Endpoint, HttpError>) -> String {
        match result {
            Err(HttpError::Denied(why)) => why,
            other => panic!("expected a denial, got {other:?}"),
        }
    }

    #[test]
    fn only_declared_and_allow_listed_endpoints_go_out() {
        let kraken = Kraken::trading();
        assert!(
            check(
                &kraken,
                &declared(),
                &request("/0/public/Ticker", false, &[("pair", "SOLUSD")])
            )
            .is_ok()
        );
        assert!(
            denial(check(
                &kraken,
                &declared(),
                &request("/0/public/Assets", false, &[])
            ))
            .contains("declared")
        );
        // Declared by the driver, but not in the profile: refused.
        for path in ["/0/private/Withdraw", "/0/private/CancelAll"] {
            assert!(
                denial(check(&kraken, &declared(), &request(path, true, &[])))
                    .contains("not an endpoint"),
                "{path}"
            );
        }
        for path in [
            "/0/public/../private/AddOrder",
            "0/public/Ticker",
            "/0/public/Ticker?x=1",
            "//evil.example/x",
            "/0/public/Tick%65r",
        ] {
            denial(check(&kraken, &declared(), &request(path, false, &[])));
        }
    }

    #[test]
    fn only_the_endpoints_parameters_and_never_the_hosts() {
        let kraken = Kraken::trading();
        let leverage = request(
            "/0/private/AddOrder",
            true,
            &[("pair", "SOLUSD"), ("leverage", "5")],
        );
        assert!(denial(check(&kraken, &declared(), &leverage)).contains("leverage"));
        let nonce = request(
            "/0/private/QueryOrders",
            true,
            &[("txid", "X"), ("nonce", "1")],
        );
        assert!(denial(check(&kraken, &declared(), &nonce)).contains("host's to set"));
        let mut unsigned = request("/0/private/QueryOrders", true, &[]);
        unsigned.signed = false;
        assert!(denial(check(&kraken, &declared(), &unsigned)).contains("must be sent signed"));
    }

    #[test]
    fn the_public_profile_signs_nothing() {
        let public = Kraken::public_only();
        let signed = request("/0/private/AddOrder", true, &[]);
        assert!(denial(check(&public, &declared(), &signed)).contains("not an endpoint"));
    }

    #[test]
    fn oversized_requests_are_refused() {
        let kraken = Kraken::trading();
        let big = request(
            "/0/public/Ticker",
            false,
            &[("pair", &"X".repeat(MAX_REQUEST_BYTES))],
        );
        assert!(denial(check(&kraken, &declared(), &big)).contains("exceeds"));
    }
}

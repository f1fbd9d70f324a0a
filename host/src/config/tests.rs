//! Settings from variables: defaults, refusals, and what is captured.

use super::*;

fn settings(vars: &[(&str, &str)]) -> Result<Settings> {
    Settings::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
}

#[test]
fn defaults_to_the_sandbox_and_a_local_sqlite_file() {
    let s = settings(&[]).unwrap();
    assert!(s.sandbox_mode);
    assert_eq!(s.plugin, PluginChoice::Embedded(plugins::SANDBOX));
    assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
    assert!(s.credentials.is_empty());
    assert!(s.net.limits);
}

#[test]
fn the_sandbox_switch_keeps_its_original_name() {
    assert!(
        !settings(&[(LEGACY_SANDBOX_VAR, "false")])
            .unwrap()
            .sandbox_mode
    );
    assert!(!settings(&[(SANDBOX_VAR, "false")]).unwrap().sandbox_mode);
    assert!(
        !settings(&[(SANDBOX_VAR, "false"), (LEGACY_SANDBOX_VAR, "no")])
            .unwrap()
            .sandbox_mode
    );
    let err = settings(&[(SANDBOX_VAR, "false"), (LEGACY_SANDBOX_VAR, "true")]).unwrap_err();
    assert!(err.message.contains("disagree"), "{err}");
}

#[test]
fn sandbox_never_captures_credentials() {
    let s = settings(&[("KRAKEN_API_KEY", "k"), ("KRAKEN_PRIVATE_KEY", "eA==")]).unwrap();
    assert!(s.credentials.is_empty());
    assert_eq!(s.credential("KRAKEN_API_KEY"), None);
}

#[test]
fn live_mode_captures_credentials_for_the_profile_to_check() {
    let s = settings(&[
        (SANDBOX_VAR, "false"),
        ("KRAKEN_API_KEY", "k"),
        ("BINANCE_API_SECRET", "s"),
        ("SOMETHING_ELSE", "x"),
    ])
    .unwrap();
    assert_eq!(s.credential("KRAKEN_API_KEY").as_deref(), Some("k"));
    assert_eq!(s.credential("BINANCE_API_SECRET").as_deref(), Some("s"));
    assert_eq!(s.credential("SOMETHING_ELSE"), None);
    assert!(!format!("{s:?}").contains("\"k\""), "Debug redacts them");
    assert!(s.without_credentials().credentials.is_empty());
}

#[test]
fn serving_needs_a_real_token_and_has_safe_defaults() {
    let plain = settings(&[]).unwrap();
    let err = plain.serve_settings(None, false).unwrap_err();
    assert!(err.message.contains(API_TOKEN_VAR), "{err}");
    let short = settings(&[(API_TOKEN_VAR, "0123456789")]).unwrap();
    assert!(short.serve_settings(None, false).is_err());
    assert!(settings(&[(API_TOKEN_VAR, "has a space in it somewhere")]).is_err());

    let token = "0123456789abcdef0123";
    let s = settings(&[(API_TOKEN_VAR, token)]).unwrap();
    assert!(!format!("{s:?}").contains(token), "Debug redacts the token");
    let serve = s.serve_settings(None, false).unwrap();
    assert_eq!(serve.listen, SocketAddr::from(([127, 0, 0, 1], 8080)));
    assert_eq!(serve.monitor_every, Duration::from_secs(5));
    let fast = settings(&[(API_TOKEN_VAR, token), (MONITOR_INTERVAL_VAR, "0.25")]).unwrap();
    assert_eq!(
        fast.serve_settings(None, false).unwrap().monitor_every,
        Duration::from_millis(250)
    );
    assert!(serve.key_lease > s.policy.order_deadline + s.policy.reconcile_grace);
    let elsewhere: SocketAddr = "127.0.0.1:9001".parse().unwrap();
    assert_eq!(
        s.serve_settings(Some(elsewhere), false).unwrap().listen,
        elsewhere
    );

    for (var, bad) in [
        (LISTEN_VAR, "localhost:80"),
        (MONITOR_INTERVAL_VAR, "0.01"),
        (MONITOR_INTERVAL_VAR, "-1"),
        (MONITOR_INTERVAL_VAR, "1e3"),
        (MAX_PRICE_AGE_VAR, "0"),
        (MAX_PRICE_AGE_VAR, "0.2501"),
        (RECONCILE_INTERVAL_VAR, "soon"),
        (SHUTDOWN_VAR, "0"),
    ] {
        assert!(settings(&[(var, bad)]).is_err(), "{var}={bad}");
    }
}

#[test]
fn driver_config_comes_from_prefixed_variables_only() {
    let s = settings(&[
        ("TRADEHOST_DRIVER_PRICE_SOURCE", "kraken"),
        ("TRADEHOST_DRIVER_FAIL", "rejected"),
        ("KRAKEN_API_KEY", "k"),
        (CALL_DEADLINE_VAR, "20"),
    ])
    .unwrap();
    assert_eq!(
        s.driver_config.get("price-source").map(String::as_str),
        Some("kraken")
    );
    assert_eq!(
        s.driver_config.get("fail").map(String::as_str),
        Some("rejected")
    );
    assert_eq!(s.driver_config.len(), 2);
}

#[test]
fn base_urls_by_profile() {
    let s = settings(&[
        (API_URL_VAR, "http://127.0.0.1:1"),
        (BINANCE_TESTNET_VAR, "true"),
    ])
    .unwrap();
    assert_eq!(s.api_url("kraken"), Some("http://127.0.0.1:1"));
    assert_eq!(s.api_url("binance"), Some(BINANCE_TESTNET_URL));
    assert_eq!(settings(&[]).unwrap().api_url("binance"), None);
}

#[test]
fn rate_limits_can_be_switched_off_for_a_fake() {
    let s = settings(&[(RATE_LIMITS_VAR, "off")]).unwrap();
    assert!(!s.net.limits);
}

#[test]
fn rejects_bad_values() {
    for bad in [
        (SANDBOX_VAR, "maybe"),
        (PLUGIN_VAR, "nonesuch"),
        (API_URL_VAR, "ftp://x"),
        (BINANCE_API_URL_VAR, "x"),
        (HTTP_TIMEOUT_VAR, "0"),
        (ORDER_DEADLINE_VAR, "61"),
        (ORDER_DEADLINE_VAR, "1"),
        (RECONCILE_GRACE_VAR, "-1"),
        (PLUGIN_SHA256_VAR, "abc"),
        (CALL_DEADLINE_VAR, "0"),
        (MAX_SLIPPAGE_VAR, "5001"),
        (PUBLIC_RATE_VAR, "fast"),
        (RATE_LIMITS_VAR, "sometimes"),
    ] {
        assert!(settings(&[bad]).is_err(), "{bad:?}");
    }
    assert!(
        settings(&[
            (PLUGIN_VAR, plugins::SANDBOX),
            (SANDBOX_VAR, "false"),
            ("KRAKEN_API_KEY", "k"),
            ("KRAKEN_PRIVATE_KEY", "eA==")
        ])
        .is_err()
    );
}

#[test]
fn a_path_selects_a_component_file() {
    let s = settings(&[(PLUGIN_VAR, "./target/my_driver.wasm")]).unwrap();
    assert_eq!(
        s.plugin,
        PluginChoice::Path(PathBuf::from("./target/my_driver.wasm"))
    );
}

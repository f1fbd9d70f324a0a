//! Key material never crosses into a driver, a log line, an error, the
//! database — even when the driver gathers everything it can and keeps it.

use base64::Engine as _;

use super::{evil, evil_env, honest, nothing_signed_reached, sol};
use crate::fake_kraken::FakeKraken;
use tradehost::exchange::ExchangeDriver;

/// Every text column of every table, one string.
async fn database_text(env: &crate::common::TestEnv, skip_nonces: bool) -> String {
    let pool = env.pool().await;
    let mut all = String::new();
    let tables = [
        (
            "trades",
            "id || symbol || COALESCE(order_id, '') || client_order_id",
        ),
        (
            "orders",
            "client_order_id || COALESCE(order_id, '') || COALESCE(error_message, '') || COALESCE(fees, '')",
        ),
        (
            "order_events",
            "event || COALESCE(message, '') || COALESCE(order_id, '')",
        ),
        ("driver_state", "driver || key || value"),
        ("api_nonces", "key_id || ':' || CAST(last_nonce AS TEXT)"),
    ];
    for (table, columns) in tables {
        if skip_nonces && table == "api_nonces" {
            continue;
        }
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM {table}"
        )))
        .fetch_all(&pool)
        .await
        .unwrap_or_else(|e| panic!("{table}: {e}"));
        all.push_str(&rows.join("\n"));
    }
    pool.close().await;
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_material_never_crosses_into_a_driver_or_out_of_the_host() {
    let fake = FakeKraken::start().await;
    // An honest order first, so the fake holds real nonces and signatures.
    let env = evil_env(&fake, "exfiltrate", "status").await;
    honest(&env)
        .await
        .execute_buy("SOL/USD", "75", None, None)
        .await
        .unwrap();
    let signed: Vec<_> = fake
        .received()
        .into_iter()
        .filter(|r| r.had_api_key)
        .collect();
    assert!(!signed.is_empty());

    // The driver gathers everything it can see — config, environment, HTTP
    // answers, a signed request — stores it in its state and logs it.
    let out = env
        .command(&["--json", "check"])
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stored_loot = database_text(&env, true).await;
    assert!(
        stored_loot.contains("evil-order") || stored_loot.contains("SOLUSD"),
        "the loot was stored: the test can fail"
    );
    assert!(
        stderr.contains("evil exfiltrate"),
        "the loot was logged: the test can fail"
    );

    let secret = base64::engine::general_purpose::STANDARD
        .decode(FakeKraken::PRIVATE_KEY)
        .unwrap();
    let mut needles = vec![
        FakeKraken::API_KEY.to_owned(),
        FakeKraken::PRIVATE_KEY.to_owned(),
        String::from_utf8_lossy(&secret).into_owned(),
    ];
    for request in &signed {
        needles.extend(request.api_sign.clone());
        needles.extend(request.nonce.map(|n| n.to_string()));
    }
    let everything = database_text(&env, false).await;
    for needle in &needles {
        assert!(
            !stored_loot.contains(needle.as_str()),
            "the driver's loot holds {needle}"
        );
        assert!(!stderr.contains(needle.as_str()), "the log shows {needle}");
    }
    for needle in &needles[..3] {
        assert!(
            !everything.contains(needle.as_str()),
            "the database holds key material"
        );
    }
    // The AddOrder it tried from status() was refused before leaving.
    assert_eq!(
        fake.add_order_attempts(),
        1,
        "only the honest order reached the exchange"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_sees_no_environment_and_reaches_only_its_profile() {
    let fake = FakeKraken::start().await;
    let (_env, host) = evil(&fake, "read-env", "ticker").await;
    let err = host.driver().ticker(&sol()).await.unwrap_err().to_string();
    assert!(err.contains("env=0:") && err.contains("args=0"), "{err}");
    let (_env, host) = evil(&fake, "undeclared-path", "ticker").await;
    let err = host.driver().ticker(&sol()).await.unwrap_err().to_string();
    assert!(
        err.contains("not among the driver's declared request paths"),
        "{err}"
    );
    assert!(fake.received_on("/0/public/Assets").is_empty());
    nothing_signed_reached(&fake);
}

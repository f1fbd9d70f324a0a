//! Driver text cannot forge the host's output, and vetting a driver is safe.

use super::{evil_env, evil_path};
use crate::common::{Backend, TestEnv, error_kind, last_json};
use crate::fake_kraken::FakeKraken;

fn no_escapes(what: &str, bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    assert!(
        !text.contains('\u{1b}'),
        "{what} carries a terminal escape: {text:?}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("ok   forged-line")),
        "{what}: a forged line was printed as a line: {text}"
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn driver_text_cannot_forge_terminal_output() {
    let fake = FakeKraken::start().await;
    // A status message with escapes and a newline: `check` prints it inert,
    // on its own line.
    let env = evil_env(&fake, "escape-output", "status").await;
    let out = env.run(&["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert_eq!(text.lines().count(), 4, "{text}");

    // Printed output and a panic message with escapes, shown in an error.
    let env = evil_env(&fake, "escape-output", "ticker").await;
    let out = env.run(&["buy", "SOL/USD", "--usd", "75"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(
        stderr.contains("\\u{1b}"),
        "shown escaped, not hidden: {stderr}"
    );

    // The conformance suite's FAIL lines cannot be hidden.
    let out = env.run(&["plugin", "test", &evil_path(), "--symbol", "SOL/USD"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.lines().any(|l| l.starts_with("FAIL ticker")), "{text}");

    // A declared path with escapes, in `plugin info`.
    let env = evil_env(&fake, "escape-output", "info").await;
    let out = env.run(&["plugin", "info", &evil_path()]);
    no_escapes("plugin info", &out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vetting_never_attaches_a_live_key_and_never_trades_for_real() {
    let fake = FakeKraken::start().await;
    let env = TestEnv::kraken(Backend::Sqlite, &fake).await;
    // The environment holds a live key; without --with-credentials the
    // suite never sends it.
    let out = env.run(&["--json", "plugin", "test", "kraken", "--symbol", "SOL/USD"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        !fake.received().is_empty(),
        "the suite did talk to the exchange"
    );
    assert!(
        fake.received().iter().all(|r| !r.had_api_key),
        "a key reached the exchange"
    );
    let skipped = last_json(&out.stdout)["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["skipped"].is_null())
        .count();
    assert!(skipped >= 1, "private checks are skipped, not failed");

    // --orders against a real exchange is refused before anything happens.
    let out = env
        .command(&[
            "--json",
            "plugin",
            "test",
            "kraken",
            "--orders",
            "--with-credentials",
        ])
        .env("KRAKEN_API_URL", "https://api.kraken.com")
        .output()
        .unwrap();
    assert_eq!(error_kind(&out), "config");
    let message = last_json(&out.stderr)["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("for real"), "{message}");
}

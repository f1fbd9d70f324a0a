//! What is refused at load, what is pinned, how compiled code is cached,
//! and the conformance suite.

use std::os::unix::fs::PermissionsExt;

use super::evil_path;
use crate::common::{Backend, TestEnv, error_kind, last_json};
use crate::fake_kraken::FakeKraken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_asking_for_capabilities_or_another_contract_are_refused_at_load() {
    let env = TestEnv::new(Backend::Sqlite).await;
    for (path, expected) in [
        (crate::components::path("fs-reader"), "wasi:filesystem"),
        (crate::components::path("socket-opener"), "wasi:sockets"),
        (
            crate::components::path("future-version"),
            "tradehost:exchange@9.0.0",
        ),
    ] {
        let out = env
            .command(&["--json", "positions"])
            .env("TRADEHOST_PLUGIN", &path)
            .output()
            .unwrap();
        assert_eq!(error_kind(&out), "plugin", "{path}");
        assert_eq!(out.status.code(), Some(5));
        let message = last_json(&out.stderr)["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(expected), "{message}");
        if expected.contains("9.0.0") {
            assert!(
                message.contains("@0.2.x and @0.1.x"),
                "names the supported versions too: {message}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sha256_pin_refuses_any_other_component() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let info = last_json(
        &env.run(&["--json", "plugin", "info", "kraken-sandbox"])
            .stdout,
    );
    let sha = info["sha256"].as_str().unwrap().to_owned();
    assert_eq!(info["wit_version"], "0.2.0");
    assert_eq!(info["exchange_id"], "kraken-sandbox");
    assert_eq!(info["profile"], "kraken-public");
    let pinned = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_PLUGIN_SHA256", &sha)
        .output()
        .unwrap();
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let other = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_PLUGIN_SHA256", "0".repeat(64))
        .output()
        .unwrap();
    assert_eq!(error_kind(&other), "config");
    assert!(String::from_utf8_lossy(&other.stderr).contains("refusing to start"));
}

fn artifacts(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compiled_driver_cache_is_private_and_tamper_checked() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let cache = env.path("cache");
    let run = || {
        env.command(&["--json", "positions"])
            .env("TRADEHOST_CACHE_DIR", &cache)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let written = artifacts(&cache);
    assert_eq!(written.len(), 1, "one compiled artifact written");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&written[0]), 0o600);
    let modified = std::fs::metadata(&written[0]).unwrap().modified().unwrap();
    assert!(run().status.success());
    assert_eq!(
        std::fs::metadata(&written[0]).unwrap().modified().unwrap(),
        modified,
        "loaded, not rewritten"
    );
    // A tampered artifact is not loaded: it is recompiled and replaced.
    let mut bytes = std::fs::read(&written[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&written[0], &bytes).unwrap();
    assert!(run().status.success());
    assert_ne!(
        std::fs::read(&written[0]).unwrap(),
        bytes,
        "the tampered artifact was replaced"
    );

    // An artifact swapped for a symlink (to code someone else wrote) is not
    // followed: it is replaced by a fresh compile.
    let elsewhere = env.path("planted.cwasm");
    std::fs::copy(&written[0], &elsewhere).unwrap();
    std::fs::remove_file(&written[0]).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &written[0]).unwrap();
    assert!(run().status.success());
    assert!(
        !std::fs::symlink_metadata(&written[0])
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // A cache others may write to is not used at all.
    let shared = env.path("shared-cache");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = env
        .command(&["--json", "positions"])
        .env("TRADEHOST_CACHE_DIR", &shared)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        artifacts(&shared).is_empty(),
        "nothing compiled was left where others can write"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_first_party_drivers_pass_the_conformance_suite() {
    let env = TestEnv::new(Backend::Sqlite).await;
    let out = env.run(&["--json", "plugin", "test", "kraken-sandbox", "--orders"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report = last_json(&out.stdout);
    assert_eq!(report["failed"], 0);
    assert!(report["passed"].as_u64().unwrap() >= 13, "{report}");

    let fake = FakeKraken::start().await;
    let live = TestEnv::kraken(Backend::Sqlite, &fake).await;
    let out = live.run(&[
        "--json",
        "plugin",
        "test",
        "kraken",
        "--orders",
        "--with-credentials",
        "--symbol",
        "SOL/USD",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(last_json(&out.stdout)["failed"], 0);
    assert_eq!(
        fake.applied_orders().len(),
        2,
        "a buy and a sell at the fake exchange"
    );

    // A driver that misbehaves fails it, with the failing checks named.
    let out = live
        .command(&[
            "--json",
            "plugin",
            "test",
            &evil_path(),
            "--symbol",
            "SOL/USD",
        ])
        .env("TRADEHOST_DRIVER_ATTACK", "trap")
        .env("TRADEHOST_DRIVER_ATTACK_ON", "ticker")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let report = last_json(&out.stdout);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(failed.contains(&"ticker"), "{report}");
    // It declares paths the profile refuses: the info check says so.
    assert!(failed.contains(&"info"), "{report}");
}

//! The real host running the real `binance` component against the local
//! fake Binance (`tests/fake-exchange/src/binance/`): the order lifecycle
//! with Binance's commissions (in the base on a buy, the quote on a sell,
//! or BNB), the request shapes and signatures, vetting with `plugin`, and —
//! in `binance_faults` — every fault the fake can inject and its rate limits.

use rust_decimal::Decimal;
use tradehost::domain::trade::TradeStatus;

use crate::common::{Backend, TestEnv, assert_exchange_and_database_agree, d, last_json};
use crate::fake_binance::FakeBinance;
use crate::on_both_databases;
use crate::venue::{Ledger, binance_average};

/// Every signed request was signed right, in time, with the key; no public
/// one carried the key.
fn assert_signed_as_binance_requires(fake: &FakeBinance) {
    assert_eq!(fake.signature_errors(), 0);
    assert_eq!(fake.timestamp_errors(), 0);
    assert_eq!(fake.key_errors(), 0);
    let signed = ["/api/v3/account", "/api/v3/order", "/api/v3/myTrades"];
    for request in fake.received() {
        if signed.contains(&request.path.as_str()) {
            assert!(request.signature_ok, "{} {}", request.method, request.path);
            assert_eq!(request.api_key.as_deref(), Some(FakeBinance::API_KEY));
        } else {
            assert_eq!(request.api_key, None, "{} carried the key", request.path);
            assert!(request.param("signature").is_none());
        }
    }
}

on_both_databases!(binance_buy_partial_sell_close_records_the_exchanges_fills);

async fn binance_buy_partial_sell_close_records_the_exchanges_fills(backend: Backend) {
    let fake = FakeBinance::start().await;
    let env = TestEnv::binance(backend, &fake).await;
    let host = env.executor().await;
    let usdt = fake.balance("USDT");

    // A buy spends the market's quote currency: 100 USDT.
    let bought = host
        .execute_buy("BTC/USDT", "100", Some("50000"), None)
        .await
        .unwrap();
    assert_eq!(bought.status, TradeStatus::Open);
    assert_eq!(
        (bought.symbol.as_str(), bought.asset.as_str()),
        ("BTC/USDT", "BTC")
    );
    let orders = fake.applied_orders();
    let buy = &orders[0];
    assert_eq!((buy.symbol.as_str(), buy.side.as_str()), ("BTCUSDT", "BUY"));
    assert_eq!(buy.client_order_id, bought.client_order_id);
    assert_eq!(buy.orig_quote_order_qty, d("100"));
    // 100 USDT at the best ask of 60000 buys 0.00166 BTC (the step is
    // 0.00001); Binance keeps 0.1 % of it, in BTC.
    assert_eq!(
        (buy.executed_qty, buy.cummulative_quote_qty),
        (d("0.00166"), d("99.6"))
    );
    let commission = buy.commissions()["BTC"];
    assert_eq!(commission, d("0.00000166"));
    assert_eq!(bought.order_id, Some(buy.order_id.to_string()));
    assert_eq!(bought.entry_price, Some(binance_average(buy)));
    assert_eq!(bought.entry_cost, Some(buy.cummulative_quote_qty));
    // What is held is the fill less the commission, as on the account.
    assert_eq!(bought.size, Some(buy.executed_qty - commission));
    assert_eq!(bought.size, Some(fake.balance("BTC")));
    assert_eq!(fake.balance("USDT"), usdt - buy.cummulative_quote_qty);
    // The commission is valued at the fill's price, and is no cash fee.
    assert_eq!(bought.fees, commission * binance_average(buy));
    assert_eq!(bought.entry_fee, Some(Decimal::ZERO));
    assert!(bought.other_fees.is_empty());

    // The order went out exactly as the driver's contract says.
    let sent = &fake.received_on("/api/v3/order")[0];
    assert_eq!(sent.method, "POST");
    let names: Vec<&str> = sent.form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "symbol",
            "side",
            "type",
            "quoteOrderQty",
            "newClientOrderId",
            "newOrderRespType",
            "timestamp",
            "recvWindow",
            "signature"
        ]
    );
    assert_eq!(sent.param("type"), Some("MARKET"));
    assert_eq!(sent.param("newOrderRespType"), Some("FULL"));

    let partial = host
        .execute_sell("BTC/USDT", Some("0.0005"), None)
        .await
        .unwrap();
    assert_eq!(partial.status, TradeStatus::Open);
    let held = bought.size.unwrap() - d("0.0005");
    assert_eq!(partial.size, Some(held));
    assert_eq!(fake.balance("BTC"), held);

    // Closing sells what Binance's step allows; the rest, below the
    // minimum order size, stays on the account as dust.
    let closed = host.close("BTC/USDT").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
    assert_eq!(closed.size, Some(Decimal::ZERO));
    let orders = fake.applied_orders();
    assert_eq!(orders.len(), 3);
    let sells = &orders[1..];
    assert_eq!(sells[0].executed_qty, d("0.0005"));
    assert_eq!(sells[1].executed_qty, d("0.00115"));
    assert_eq!(closed.dust, Some(held - d("0.00115")));
    assert_eq!(closed.dust, Some(fake.balance("BTC")));
    // A sell's commission is in USDT: cash, on top of the buy's in BTC.
    let proceeds: Decimal = sells.iter().map(|o| o.cummulative_quote_qty).sum();
    let sell_fees: Decimal = sells.iter().map(|o| o.commissions()["USDT"]).sum();
    assert_eq!(closed.exit_value, Some(proceeds));
    assert_eq!(closed.exit_fees, Some(sell_fees));
    assert_eq!(closed.fees, bought.fees + sell_fees);
    assert_eq!(
        closed.pnl,
        Some(proceeds - sell_fees - buy.cummulative_quote_qty)
    );
    assert_eq!(
        fake.balance("USDT"),
        usdt - buy.cummulative_quote_qty + proceeds - sell_fees
    );

    assert_exchange_and_database_agree(&env, &fake).await;
    assert_eq!(fake.order_attempts(), 3);
    assert_signed_as_binance_requires(&fake);
}

on_both_databases!(fees_in_bnb_are_kept_apart_and_not_valued);

async fn fees_in_bnb_are_kept_apart_and_not_valued(backend: Backend) {
    let fake = FakeBinance::start().await;
    fake.set_bnb_fees(true);
    fake.set_balance("BNB", "1");
    let env = TestEnv::binance(backend, &fake).await;
    let host = env.executor().await;

    let bought = host
        .execute_buy("BTC/USDT", "100", None, None)
        .await
        .unwrap();
    let buy = &fake.applied_orders()[0];
    let bnb = buy.commissions();
    assert_eq!(bnb.keys().collect::<Vec<_>>(), ["BNB"], "paid in BNB");
    // Nothing was taken from the BTC bought, and no fee is valued.
    assert_eq!(bought.size, Some(buy.executed_qty));
    assert_eq!(bought.size, Some(fake.balance("BTC")));
    assert_eq!(bought.fees, Decimal::ZERO);
    assert_eq!(bought.other_fees.len(), 1);
    assert_eq!(bought.other_fees[0].currency, "BNB");
    assert_eq!(bought.other_fees[0].amount, bnb["BNB"]);

    let closed = host.close("BTC/USDT").await.unwrap();
    assert_eq!(closed.status, TradeStatus::Closed);
    assert_eq!(closed.dust, None, "the whole fill was held and sold");
    assert_eq!(fake.balance("BTC"), Decimal::ZERO);
    let orders = fake.applied_orders();
    let sell = &orders[1];
    assert_eq!(sell.executed_qty, buy.executed_qty);
    let bnb_paid: Decimal = orders.iter().map(|o| o.commissions()["BNB"]).sum();
    let recorded: Decimal = closed.other_fees.iter().map(|f| f.amount).sum();
    assert!(closed.other_fees.iter().all(|f| f.currency == "BNB"));
    assert_eq!(recorded, bnb_paid);
    assert_eq!(fake.balance("BNB"), d("1") - bnb_paid);
    assert_eq!(closed.fees, Decimal::ZERO);
    assert_eq!(
        closed.pnl,
        Some(sell.cummulative_quote_qty - buy.cummulative_quote_qty),
        "BNB is not valued in PnL"
    );
    assert_exchange_and_database_agree(&env, &fake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_trades_from_the_command_line_and_lists_its_balances() {
    let fake = FakeBinance::start().await;
    let env = TestEnv::binance(Backend::Sqlite, &fake).await;
    let out = env.run(&["--json", "buy", "ETH/USDT", "--quote-amount", "50"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trade = last_json(&out.stdout);
    assert_eq!(trade["symbol"], "ETH/USDT");
    assert_eq!(trade["exchange"], "binance");
    let executed = fake.executed();
    assert_eq!(trade["order_id"], executed[0].order_id.as_str());
    let balances = last_json(&env.run(&["--json", "balance"]).stdout);
    let eth = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "ETH")
        .unwrap_or_else(|| panic!("{balances}"));
    assert_eq!(eth["total"], fake.balance("ETH").normalize().to_string());
    // Only symbols Binance lists: no USD market here.
    let out = env.run(&["--json", "buy", "BTC/USD", "--usd", "50"]);
    assert_eq!(crate::common::error_kind(&out), "invalid_symbol");
    assert_eq!(fake.order_attempts(), 1);
    assert_eq!(env.count("SELECT COUNT(*) FROM trades").await, 1);
    assert_exchange_and_database_agree(&env, &fake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binance_driver_passes_the_conformance_suite_against_the_fake() {
    let fake = FakeBinance::start().await;
    let env = TestEnv::binance(Backend::Sqlite, &fake).await;
    let out = env.run(&["--json", "plugin", "info", "binance"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = last_json(&out.stdout);
    assert_eq!(info["exchange_id"], "binance");
    assert_eq!(info["profile"], "binance");
    assert_eq!(info["base_url"], fake.url.as_str());
    assert_eq!(info["refused_paths"], serde_json::json!([]));

    let out = env.run(&[
        "--json",
        "plugin",
        "test",
        "binance",
        "--orders",
        "--with-credentials",
        "--symbol",
        "BTC/USDT",
    ]);
    let report = last_json(&out.stdout);
    assert!(
        out.status.success(),
        "{report:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report["failed"], 0, "{report:#}");
    let passed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == true && c["skipped"].is_null())
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    for check in [
        "balances",
        "unknown-order",
        "buy",
        "find-by-client-order-id",
        "sell",
    ] {
        assert!(passed.contains(&check), "{check}: {report:#}");
    }
    // The suite bought and sold for real, at the fake.
    let orders = fake.applied_orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(
        (orders[0].side.as_str(), orders[1].side.as_str()),
        ("BUY", "SELL")
    );
    assert_signed_as_binance_requires(&fake);

    // Against anything but this machine, --orders is refused before a
    // driver call.
    let out = env
        .command(&[
            "--json", "plugin", "test", "binance", "--orders", "--symbol", "BTC/USDT",
        ])
        .env("BINANCE_API_URL", "https://api.binance.com")
        .output()
        .unwrap();
    assert_eq!(crate::common::error_kind(&out), "config");
}

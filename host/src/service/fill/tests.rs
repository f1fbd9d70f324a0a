use std::str::FromStr;

use proptest::prelude::*;

use super::*;
use crate::domain::trade::{OrderStatus, TradeStatus};
use crate::exchange::OrderState;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn sol() -> Symbol {
    Symbol::parse("SOL/USD").unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).unwrap()
}

fn order(side: Side, amount: &str, quote: Option<&str>) -> OrderRecord {
    OrderRecord {
        client_order_id: "c-1".into(),
        trade_id: "t".into(),
        side,
        symbol: "SOL/USD".into(),
        amount: d(amount),
        quote_price: quote.map(d),
        exit_reason: None,
        status: OrderStatus::Pending,
        order_id: Some("OABCDE-FGHIJ-KLMNOP".into()),
        error_kind: None,
        error_message: None,
        deadline: None,
        created_at: now(),
    }
}

fn report(
    side: Side,
    size: &str,
    price: &str,
    cost: &str,
    fee: &str,
    currency: &str,
) -> OrderReport {
    OrderReport {
        order_id: "OABCDE-FGHIJ-KLMNOP".into(),
        client_order_id: Some("c-1".into()),
        symbol: sol(),
        side,
        state: OrderState::Closed,
        filled_size: d(size),
        average_price: d(price),
        cost: d(cost),
        fees: vec![Fee {
            amount: d(fee),
            currency: currency.into(),
        }],
    }
}

fn expected<'a>(order: &'a OrderRecord, symbol: &'a Symbol) -> Expected<'a> {
    Expected {
        order,
        symbol,
        order_id: order.order_id.as_deref(),
        by_client_id: false,
        slippage_margin: d("0.01"),
    }
}

fn open_trade(size: &str, price: &str, cost: &str, fee: &str) -> TradeRecord {
    TradeRecord {
        id: "t".into(),
        symbol: "SOL/USD".into(),
        asset: "SOL".into(),
        exchange: "x".into(),
        status: TradeStatus::Closing,
        entry_price: Some(d(price)),
        entry_size: Some(d(size)),
        entry_cost: Some(d(cost)),
        entry_fee: Some(d(fee)),
        size: Some(d(size)),
        entry_time: None,
        entry_quote: None,
        stop_loss_price: None,
        take_profit_price: None,
        exit_price: None,
        exit_size: None,
        exit_value: None,
        exit_fees: None,
        exit_time: None,
        pnl: None,
        fees: d(fee),
        other_fees: vec![],
        dust: None,
        exit_reason: None,
        order_id: None,
        client_order_id: "c".into(),
        created_at: now(),
    }
}

fn sell(
    trade: &TradeRecord,
    report: &OrderReport,
    amount: &str,
    min: Option<&str>,
) -> Result<SellResult> {
    let order = order(Side::Sell, amount, None);
    let symbol = sol();
    sell_result(trade, report, expected(&order, &symbol), min.map(d), now()).map(|(_, r)| r)
}

#[test]
fn full_close_pnl_is_exact_and_fee_inclusive() {
    let trade = open_trade("0.66", "150.08", "99.0528", "0.25753728");
    let r = sell(
        &trade,
        &report(Side::Sell, "0.66", "160.00", "105.6", "0.27456", "USD"),
        "0.66",
        None,
    )
    .unwrap();
    assert!(r.closed);
    assert_eq!(
        r.pnl,
        d("105.6") - d("0.27456") - d("99.0528") - d("0.25753728")
    );
    assert_eq!(r.fees, d("0.53209728"));
    assert_eq!(r.exit_price, d("160"));
}

#[test]
fn the_exit_price_is_the_exchanges_average_not_cost_over_size() {
    // Kraken truncates cost: 0.66633 × 150.05 = 99.9828... reported 99.98282.
    let trade = open_trade("0.66633", "150", "99.9495", "0.26");
    let r = sell(
        &trade,
        &report(Side::Sell, "0.66633", "150.05", "99.98282", "0.26", "USD"),
        "0.66633",
        None,
    )
    .unwrap();
    assert_eq!(r.exit_price, d("150.05"));
    // Two sells: the size-weighted average of their average prices.
    let trade = open_trade("1", "100", "100", "0");
    let first = sell(
        &trade,
        &report(Side::Sell, "0.25", "120", "30", "0", "USD"),
        "0.25",
        None,
    )
    .unwrap();
    let mut after = trade.clone();
    (
        after.size,
        after.exit_price,
        after.exit_size,
        after.exit_value,
    ) = (
        Some(first.size),
        Some(first.exit_price),
        Some(first.exit_size),
        Some(first.exit_value),
    );
    let second = sell(
        &after,
        &report(Side::Sell, "0.75", "100", "75", "0", "USD"),
        "0.75",
        None,
    )
    .unwrap();
    assert_eq!(second.exit_price, d("105"));
    assert!(second.closed);
}

#[test]
fn partial_sell_keeps_the_rest_open_and_prorates_the_basis() {
    let trade = open_trade("1", "100", "100", "0.26");
    let r = sell(
        &trade,
        &report(Side::Sell, "0.25", "120", "30", "0.078", "USD"),
        "0.25",
        None,
    )
    .unwrap();
    assert!(!r.closed);
    assert_eq!(r.size, d("0.75"));
    assert_eq!(r.pnl, d("30") - d("0.078") - d("25.065"));
}

#[test]
fn a_base_fee_on_a_sell_shrinks_the_position_and_is_paid_at_its_basis() {
    let trade = open_trade("1", "100", "100", "0");
    // Sold 0.5 at 120 with 0.0013 SOL taken as the fee.
    let r = sell(
        &trade,
        &report(Side::Sell, "0.5", "120", "60", "0.0013", "SOL"),
        "0.5",
        None,
    )
    .unwrap();
    assert_eq!(r.size, d("0.4987"));
    assert_eq!(r.exit_fees, d("0"), "no quote cash paid");
    assert_eq!(r.fees, d("0.156"), "the fee's value is shown");
    assert_eq!(r.pnl, d("60") - d("50.13"));
    // The rest: everything gone, PnL exact.
    let mut after = trade.clone();
    (
        after.size,
        after.exit_price,
        after.exit_size,
        after.exit_value,
        after.exit_fees,
    ) = (
        Some(r.size),
        Some(r.exit_price),
        Some(r.exit_size),
        Some(r.exit_value),
        Some(r.exit_fees),
    );
    let rest = sell(
        &after,
        &report(Side::Sell, "0.4974", "120", "59.688", "0.0013", "SOL"),
        "0.4987",
        None,
    )
    .unwrap();
    assert!(rest.closed);
    assert_eq!(rest.pnl, d("60") + d("59.688") - d("100"));
}

#[test]
fn a_remainder_below_the_minimum_closes_as_dust() {
    let trade = open_trade("1", "100", "100", "0");
    // Only 0.97 of 1 sold (partial fill, then cancelled): 0.03 left, minimum 0.06.
    let mut partial = report(Side::Sell, "0.97", "100", "97", "0", "USD");
    partial.state = OrderState::Canceled;
    let r = sell(&trade, &partial, "1", Some("0.06")).unwrap();
    assert!(r.closed);
    assert_eq!(r.dust, Some(d("0.03")));
    assert_eq!(r.size, d("0"));
    assert_eq!(r.pnl, d("97") - d("100"), "the dust is valued at nothing");
}

#[test]
fn a_fee_in_the_base_currency_shrinks_a_buy() {
    let order = order(Side::Buy, "100", Some("100"));
    let symbol = sol();
    let (_, entry) = entry_from_report(
        &report(Side::Buy, "1", "100", "100", "0.0026", "SOL"),
        expected(&order, &symbol),
        now(),
    )
    .unwrap();
    assert_eq!(entry.size, d("0.9974"));
    assert_eq!(entry.entry_fee, Decimal::ZERO);
    assert_eq!(entry.fees, d("0.26"));
}

#[test]
fn a_fill_worse_than_the_quote_is_the_truth() {
    // 3 % above the ask: the same volume cost more. Recorded, slippage noted.
    let order = order(Side::Buy, "100", Some("150"));
    let symbol = sol();
    let (update, entry) = entry_from_report(
        &report(Side::Buy, "0.666", "154.5", "102.897", "0.27", "USD"),
        expected(&order, &symbol),
        now(),
    )
    .unwrap();
    assert_eq!(entry.size, d("0.666"));
    assert_eq!(update.slippage_bps, Some(d("300")));
}

#[test]
fn refuses_reports_that_cannot_be_true() {
    let buy = order(Side::Buy, "100", Some("100"));
    let symbol = sol();
    let check = |r: OrderReport| entry_from_report(&r, expected(&buy, &symbol), now()).map(|_| ());
    let good = report(Side::Buy, "1", "100", "100", "0.26", "USD");
    assert!(check(good.clone()).is_ok());
    let mut other = good.clone();
    other.order_id = "OTHER1-FGHIJ-KLMNOP".into();
    assert!(check(other).is_err(), "another order");
    let mut other = good.clone();
    other.client_order_id = Some("c-2".into());
    assert!(check(other).is_err(), "another client order id");
    let mut other = good.clone();
    other.symbol = Symbol::parse("BTC/USD").unwrap();
    assert!(check(other).is_err(), "another market");
    assert!(
        check(report(Side::Sell, "1", "100", "100", "0.26", "USD")).is_err(),
        "another side"
    );
    assert!(
        check(report(Side::Buy, "1", "100", "500", "0.26", "USD")).is_err(),
        "cost is not size × price"
    );
    assert!(
        check(report(Side::Buy, "5", "100", "500", "1", "USD")).is_err(),
        "five times the size"
    );
    assert!(
        check(report(Side::Buy, "1", "100", "100", "50", "USD")).is_err(),
        "a 50 % fee"
    );
    // The attack of issue 9: $499 000 of fees in base on a $100 buy.
    assert!(
        check(report(Side::Buy, "1", "100", "100", "4990", "SOL")).is_err(),
        "a fee in base worth far more than the fill"
    );
    assert!(
        check(report(Side::Buy, "1", "2000", "2000", "1", "USD")).is_err(),
        "twenty times the quote"
    );
    let trade = open_trade("1", "100", "100", "0.26");
    assert!(
        sell(
            &trade,
            &report(Side::Sell, "2", "100", "200", "0.5", "USD"),
            "1",
            None
        )
        .is_err(),
        "sold more than ordered"
    );
    // Looked up by client order id: it must say so.
    let mut anonymous = good.clone();
    anonymous.client_order_id = None;
    let mut by_client = expected(&buy, &symbol);
    by_client.by_client_id = true;
    assert!(entry_from_report(&anonymous, by_client, now()).is_err());
}

#[test]
fn a_fee_in_a_third_currency_is_kept_apart() {
    let order = order(Side::Buy, "100", Some("100"));
    let symbol = sol();
    let (_, entry) = entry_from_report(
        &report(Side::Buy, "1", "100", "100", "0.001", "BNB"),
        expected(&order, &symbol),
        now(),
    )
    .unwrap();
    assert_eq!(entry.size, d("1"));
    assert_eq!(entry.fees, d("0"));
    assert_eq!(entry.other_fees[0].currency, "BNB");
}

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        Just(Decimal::MAX),
        Just(Decimal::ZERO),
        Just(Decimal::new(1, 28)),
        Just(Decimal::from_str("79228162514264337593543950335").unwrap()),
        (0u64..u64::MAX, 0u32..=28)
            .prop_map(|(m, s)| Decimal::from_i128_with_scale(i128::from(m), s)),
    ]
}

proptest! {
    /// Whatever a driver reports, the arithmetic answers — never panics.
    #[test]
    fn extreme_reports_never_panic(size in decimal(), price in decimal(), cost in decimal(), fee in decimal(),
                                   open in decimal(), basis in decimal(), base_fee in any::<bool>()) {
        let symbol = sol();
        let mut r = report(Side::Buy, "1", "1", "1", "0", "USD");
        (r.filled_size, r.average_price, r.cost) = (size, price, cost);
        r.fees = vec![Fee { amount: fee, currency: if base_fee { "SOL".into() } else { "USD".into() } }];
        let buy = order(Side::Buy, "100", Some("100"));
        let _ = entry_from_report(&r, expected(&buy, &symbol), now());
        r.side = Side::Sell;
        let mut trade = open_trade("1", "1", "1", "0");
        (trade.size, trade.entry_size, trade.entry_cost) = (Some(open), Some(open), Some(basis));
        let sell_order = order(Side::Sell, "79228162514264337593543950335", Some("100"));
        let _ = sell_result(&trade, &r, expected(&sell_order, &symbol), Some(Decimal::ONE), now());
    }
}

//! Exchange profiles: what the host itself knows about an exchange's API,
//! so that it signs only what it can read. A profile names the base URL,
//! how requests are signed, the endpoints (public and private) a driver may
//! use with their allowed parameters, and how to read the order-placing
//! request and its answer. Drivers translate; profiles let the host check
//! the translation before anything leaves.

pub mod binance;
mod check;
pub mod kraken;
mod observe;
mod permit;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::exchange::{DriverError, Side, SigningScheme};
use crate::net::{CounterLimits, Method, PublicRate, Request};

pub use binance::Binance;
pub use check::check_order;
pub use kraken::Kraken;
pub use observe::{MarketRef, Observations, Quote};
pub use permit::{OrderAnswer, OrderPermit, PermitState};

/// What an endpoint does, for the host's own bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Reads the exchange or the account; may be repeated.
    Read,
    /// Reference data the host reads itself (markets, symbols).
    Markets,
    /// Prices the host reads itself (the bound on a buy).
    Prices,
    /// The exchange's clock.
    Time,
    /// Places an order: allowed only inside `place-market-order`, once,
    /// and only for exactly the intended order.
    PlaceOrder,
}

/// One endpoint a driver may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// GET or POST.
    pub method: Method,
    /// The path below the base URL.
    pub path: &'static str,
    /// Private: the host signs it.
    pub signed: bool,
    /// Parameter names allowed (query and form together).
    pub params: &'static [&'static str],
    /// What it does, for the host's bookkeeping.
    pub purpose: Purpose,
    /// The oldest cached answer the host may serve for it (public GETs).
    pub max_cache: Duration,
}

/// How a profile's private requests are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignStyle {
    /// Kraken: `nonce` first in the form body; `API-Key` and `API-Sign`.
    KrakenNonce,
    /// Binance: `timestamp` and `recvWindow` added, then `signature` over
    /// query ++ body; `X-MBX-APIKEY`.
    BinanceTimestamp,
}

/// The order-placing request as the host reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedOrder {
    /// The exchange's market id as sent (`XXBTZUSD`, `SOLUSD`, `BTCUSDT`).
    pub pair: String,
    /// Buy or sell, as sent.
    pub side: Side,
    /// The client order id as sent: it must be the reserved order's.
    pub client_order_id: String,
    /// The deadline as sent, for exchanges that carry one in the order.
    pub deadline: Option<String>,
    /// How much, as sent.
    pub size: OrderSize,
}

/// How much an order request asks for, in the unit it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSize {
    /// A volume in base units.
    Base(Decimal),
    /// An amount of the quote currency to spend.
    Quote(Decimal),
}

/// The environment variables holding a profile's credentials, and how the
/// secret is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialVars {
    /// The variable holding the API key.
    pub api_key: &'static str,
    /// The variable holding the secret.
    pub secret: &'static str,
    /// Kraken's private key is base64; Binance's secret is used as text.
    pub secret_is_base64: bool,
}

/// An exchange API as the host knows it.
pub trait Profile: Send + Sync {
    /// Short name shown by `plugin info`, e.g. "kraken".
    fn name(&self) -> &'static str;
    /// The exchange's own base URL, unless the operator sets another.
    fn default_base_url(&self) -> &'static str;
    /// How private requests are signed; `None` for a public-only profile.
    fn sign_style(&self) -> Option<SignStyle>;
    /// Where the operator's credentials are read from; `None` for a public-only
    /// profile.
    fn credential_vars(&self) -> Option<CredentialVars>;
    /// Every endpoint a driver may use.
    fn endpoints(&self) -> &'static [Endpoint];
    /// Parameters the host adds itself; a driver may never set them.
    fn reserved_params(&self) -> &'static [&'static str];
    /// Reads the order-placing request.
    fn decode_order(&self, request: &Request) -> Result<DecodedOrder, String>;
    /// Reads the answer to it.
    fn decode_order_answer(&self, status: u16, body: &str) -> OrderAnswer;
    /// Learns markets and prices from a public answer the host fetched.
    fn observe(&self, endpoint: &Endpoint, request: &Request, body: &str, into: &mut Observations);
    /// The request with which the host reads the exchange's markets itself,
    /// to learn what the exchange name `name` stands for (the profile may
    /// ask for that one market only).
    fn markets_request(&self, name: &str) -> Request;
    /// The request with which the host reads a market's price itself.
    fn price_request(&self, pair_id: &str) -> Request;
    /// The request for the exchange's clock, and how to read its answer.
    fn time_request(&self) -> Request;
    /// The exchange's clock, from the answer to `time_request`.
    fn parse_time(&self, body: &str) -> Option<DateTime<Utc>>;
    /// The per-key call counter the exchange keeps, by default (the
    /// operator may give the account's own), for the host to mirror
    /// (`net::RestCounter`); `None` when the exchange has none.
    fn call_counter(&self) -> Option<CounterLimits>;
    /// The public-request budget the exchange asks of one IP, by default.
    fn public_rate(&self) -> PublicRate {
        PublicRate::DEFAULT
    }
    /// Rate-limit cost of a private request on the host's counter.
    fn private_cost(&self, _path: &str) -> u32 {
        1
    }
    /// The request weight the exchange allows per minute, for exchanges
    /// that report the weight used in each answer (Binance's
    /// `X-MBX-USED-WEIGHT-1M`); the exchange's own figure, once read from
    /// its reference data, wins.
    fn weight_per_minute(&self) -> Option<u32> {
        None
    }
    /// Whether orders carry the host's deadline in the request itself.
    fn order_carries_deadline(&self) -> bool;
}

impl dyn Profile + '_ {
    /// The endpoint a driver may use at `method` `path`, if any.
    pub fn endpoint(&self, method: Method, path: &str) -> Option<&'static Endpoint> {
        self.endpoints()
            .iter()
            .find(|e| e.method == method && e.path == path)
    }

    /// Whether `method` `path` is this profile's order-placing endpoint
    /// (Binance reads orders with GET on the path it places them with POST).
    pub fn is_order_path(&self, method: Method, path: &str) -> bool {
        self.endpoint(method, path)
            .is_some_and(|e| e.purpose == Purpose::PlaceOrder)
    }

    /// Whether a driver using this profile can place orders the host can
    /// see: only then does the host arbitrate placements itself.
    pub fn places_orders(&self) -> bool {
        self.endpoints()
            .iter()
            .any(|e| e.purpose == Purpose::PlaceOrder)
    }
}

/// The profile a driver's signing scheme names.
pub fn for_scheme(scheme: SigningScheme) -> Result<Arc<dyn Profile>, String> {
    match scheme {
        SigningScheme::KrakenHmacSha512 => Ok(Arc::new(Kraken::trading())),
        // A simulator reads public prices only (Kraken's, for the sandbox).
        SigningScheme::None => Ok(Arc::new(Kraken::public_only())),
        SigningScheme::BinanceHmacSha256 => Ok(Arc::new(Binance)),
    }
}

/// A public GET the host sends itself (markets, prices, the clock).
fn get(path: &str, query: Vec<(String, String)>) -> Request {
    Request {
        method: Method::Get,
        path: path.to_owned(),
        query,
        form: Vec::new(),
        signed: false,
        cache_for: Duration::ZERO,
    }
}

/// The one value of `name` among `params`; a name given twice is refused,
/// since the exchange might read the other value.
fn single<'a>(
    params: impl IntoIterator<Item = &'a (String, String)>,
    name: &str,
) -> Result<Option<&'a str>, String> {
    let mut values = params
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(format!("parameter {name} is given twice"));
    }
    Ok(first)
}

/// The one value of `name`, which the order must carry.
fn required<'a>(
    params: impl IntoIterator<Item = &'a (String, String)>,
    name: &str,
) -> Result<&'a str, String> {
    single(params, name)?.ok_or_else(|| format!("the order has no {name}"))
}

/// A plain positive decimal as the exchanges read an order's size: digits
/// with at most one inner point, nothing else (no sign, exponent or blank).
fn plain_decimal(text: &str) -> Option<Decimal> {
    let ok = !text.is_empty()
        && text.len() <= 40
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    ok.then(|| Decimal::from_str(text).ok()).flatten()
}

/// A refusal the host decoded from the exchange's own answer.
pub(crate) fn refused(error: DriverError) -> OrderAnswer {
    OrderAnswer::Refused(error)
}

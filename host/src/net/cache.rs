//! Recent 200 answers to public GETs, per process: reference data and
//! briefly, prices, so an order does not wait on a round trip the host
//! already made.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::request::{Request, Response, encode};

/// Entries kept; the cache is cleared when full.
const ENTRIES: usize = 64;

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, (Instant, Response)>>,
}

fn key(request: &Request) -> String {
    format!("{}?{}", request.path, encode(&request.query))
}

impl ResponseCache {
    /// A cached answer no older than `fresh`.
    pub fn get(&self, request: &Request, fresh: Duration) -> Option<Response> {
        if fresh.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(&key(request))
            .filter(|(at, _)| at.elapsed() <= fresh)
            .map(|(_, response)| response.clone())
    }

    pub fn put(&self, request: &Request, response: &Response) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= ENTRIES {
            entries.clear();
        }
        // A served copy is not a new answer: it reports no weight used now.
        let mut kept = response.clone();
        kept.used_weight = None;
        entries.insert(key(request), (Instant::now(), kept));
    }
}

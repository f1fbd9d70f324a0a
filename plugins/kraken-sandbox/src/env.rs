//! The driver's view of the host. `lib.rs` implements it over the WIT imports;
//! tests implement it in memory, so all logic runs natively.

pub use crate::tradehost::exchange::log::Level;

pub trait Env {
    /// Operator configuration (`config.get`).
    fn config(&self, key: &str) -> Option<String>;
    /// Durable shared state (`state.get`).
    fn state_get(&self, key: &str) -> Option<String>;
    /// `state.compare-and-swap`: false (nothing written) if `expected` is stale.
    fn state_cas(&self, key: &str, expected: Option<&str>, value: &str) -> bool;
    /// Public GET below the host's base URL; Err describes a transport failure.
    fn http_get(
        &self,
        path: &'static str,
        query: &[(String, String)],
    ) -> Result<(u16, String), String>;
    fn log(&self, level: Level, message: &str);
}

#[cfg(test)]
pub mod mem {
    //! In-memory Env for unit tests.
    use super::{Env, Level};
    use std::cell::{Cell, RefCell};
    use std::collections::BTreeMap;

    type Hook = Box<dyn FnOnce(&mut BTreeMap<String, String>)>;
    type Query = Vec<(String, String)>;

    #[derive(Default)]
    pub struct MemEnv {
        pub config: BTreeMap<String, String>,
        pub state: RefCell<BTreeMap<String, String>>,
        /// Canned answer to every GET.
        pub http: Option<Result<(u16, String), String>>,
        pub http_calls: RefCell<Vec<(String, Query)>>,
        pub logs: RefCell<Vec<String>>,
        /// Simulates another writer: runs on the next CAS of `account`,
        /// which then fails as a stale CAS would.
        pub interfere: RefCell<Option<Hook>>,
        /// Every CAS fails (permanent contention).
        pub cas_always_fails: bool,
        pub cas_count: Cell<u32>,
    }

    impl MemEnv {
        pub fn with(config: &[(&str, &str)]) -> Self {
            let config = config
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            MemEnv {
                config,
                ..Default::default()
            }
        }

        pub fn get(&self, key: &str) -> Option<String> {
            self.state.borrow().get(key).cloned()
        }
    }

    impl Env for MemEnv {
        fn config(&self, key: &str) -> Option<String> {
            self.config.get(key).cloned()
        }

        fn state_get(&self, key: &str) -> Option<String> {
            self.get(key)
        }

        fn state_cas(&self, key: &str, expected: Option<&str>, value: &str) -> bool {
            self.cas_count.set(self.cas_count.get() + 1);
            if self.cas_always_fails {
                return false;
            }
            let mut state = self.state.borrow_mut();
            if key == "account"
                && let Some(hook) = self.interfere.borrow_mut().take()
            {
                hook(&mut state);
                return false;
            }
            if state.get(key).map(String::as_str) != expected {
                return false;
            }
            state.insert(key.to_string(), value.to_string());
            true
        }

        fn http_get(
            &self,
            path: &'static str,
            query: &[(String, String)],
        ) -> Result<(u16, String), String> {
            self.http_calls
                .borrow_mut()
                .push((path.to_string(), query.to_vec()));
            self.http
                .clone()
                .unwrap_or_else(|| Err("no http in this test".into()))
        }

        fn log(&self, level: Level, message: &str) {
            self.logs.borrow_mut().push(format!("{level:?}: {message}"));
        }
    }
}

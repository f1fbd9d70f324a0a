//! `tradehost serve`: the real binary serving its API over real HTTP on
//! 127.0.0.1, with the real drivers, SQLite and Postgres.

mod api;
mod lifecycle;
mod monitor;

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::common::TestEnv;

pub const TOKEN: &str = "serve-test-token-4f1c2a9e7b";

/// The variables a test server runs with: fast loops for a test's pace.
pub fn serving(env: TestEnv) -> TestEnv {
    env.with("TRADEHOST_API_TOKEN", TOKEN)
        .with("TRADEHOST_MONITOR_SECS", "0.2")
        .with("TRADEHOST_RECONCILE_SECS", "0.3")
}

/// A running `tradehost serve`, stopped (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    client: reqwest::Client,
    /// Where its logs go.
    pub log: std::path::PathBuf,
}

/// An HTTP answer: status, headers, JSON body (`Null` if not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Server {
    /// Starts the server and waits until it says where it listens.
    pub async fn start(env: &TestEnv) -> Server {
        Server::start_with(env, &[]).await
    }

    pub async fn start_with(env: &TestEnv, args: &[&str]) -> Server {
        let log = env.path(&format!("serve-{}.log", uuid::Uuid::new_v4().simple()));
        let mut command = env.command(&["--json", "serve", "--listen", "127.0.0.1:0"]);
        command.args(args);
        command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        let mut child = Command::from(command)
            .kill_on_drop(true)
            .spawn()
            .expect("tradehost serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .expect("serve says where it listens in time")
            .expect("stdout readable")
            .unwrap_or_else(|| {
                panic!(
                    "serve exited before listening: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        let value: Value = serde_json::from_str(&line).expect("a JSON line");
        let address = value["listening"].as_str().expect("listening address");
        let _ = rustls::crypto::ring::default_provider().install_default();
        Server {
            child,
            url: format!("http://{address}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            log,
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a body");
        Answer {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    /// A request with the bearer token.
    pub fn authorized(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(TOKEN)
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.authorized(reqwest::Method::GET, path)).await
    }

    pub async fn post(&self, path: &str) -> Answer {
        self.send(self.authorized(reqwest::Method::POST, path))
            .await
    }

    /// `POST /v1/orders` with an Idempotency-Key.
    pub async fn order(&self, key: &str, body: &str) -> Answer {
        self.send(
            self.authorized(reqwest::Method::POST, "/v1/orders")
                .header("Idempotency-Key", key)
                .body(body.to_owned()),
        )
        .await
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.authorized(reqwest::Method::GET, "/metrics")
            .send()
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    }

    /// Polls `/metrics` until the sample `series` reaches `at_least` (or
    /// fails the test after `within`); its value then.
    pub async fn wait_for_sample(&self, series: &str, at_least: f64, within: Duration) -> f64 {
        let started = std::time::Instant::now();
        loop {
            let value = sample(&self.metrics().await, series);
            if value >= at_least {
                return value;
            }
            assert!(
                started.elapsed() < within,
                "{series} stayed at {value}, below {at_least}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A trade as the API shows it.
    pub async fn trade(&self, id: &str) -> Value {
        let answer = self.get(&format!("/v1/trades/{id}")).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.body["trade"].clone()
    }

    /// Polls a trade until `done` holds (or fails the test after `within`).
    pub async fn wait_for_trade(
        &self,
        id: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let started = std::time::Instant::now();
        loop {
            let trade = self.trade(id).await;
            if done(&trade) {
                return trade;
            }
            assert!(started.elapsed() < within, "trade never got there: {trade}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = i32::try_from(self.child.id().expect("running")).expect("a pid_t");
        let pid = rustix::process::Pid::from_raw(pid).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("signal sent");
    }

    /// Waits for the process to exit; its exit code.
    pub async fn exit_code(&mut self, within: Duration) -> Option<i32> {
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("the server exits in time")
            .expect("wait")
            .code()
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The value of one sample in Prometheus text (`name{labels} value`), 0
/// when absent.
pub fn sample(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            (name == series).then(|| value.parse().ok())?
        })
        .unwrap_or(0.0)
}

//! The `tradehost` binary: configuration and logging set-up, then the CLI.

use clap::Parser;
use tracing_subscriber::EnvFilter;

fn main() {
    // A missing .env is normal; the environment alone is enough.
    let _ = dotenvy::dotenv();
    let cli = tradehost::cli::Cli::parse();
    let serving = matches!(cli.command, tradehost::cli::Command::Serve { .. });
    // A service says what it does (info); a command only what went wrong.
    let default_level = if serving {
        "warn,tradehost=info"
    } else {
        "warn"
    };
    init_logging(cli.json, default_level);
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A command runs one thing at a time on one thread: cross-thread
    // wake-ups cost more CPU per order than everything the host does. The
    // service serves requests side by side on a thread per core.
    let mut builder = if serving {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(tradehost::cli::execute(cli));
    std::process::exit(code);
}

/// Logs go to stderr: JSON lines in --json mode, text otherwise.
/// RUST_LOG overrides the default level — except for the HTTP and
/// TLS libraries, whose detailed levels would show request headers (keys).
fn init_logging(json: bool, default_level: &str) {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    for quiet in [
        "hyper=warn",
        "hyper_util=warn",
        "reqwest=warn",
        "h2=warn",
        "rustls=warn",
    ] {
        if let Ok(directive) = quiet.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

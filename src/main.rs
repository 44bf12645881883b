//! The `gamelift-emulator` binary: flags → config, logging, bind, serve until SIGINT/SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use gamelift_emulator::config::{Cli, Command, Config, LogFormat};
use gamelift_emulator::{Emulator, Fixtures};
use tracing_subscriber::EnvFilter;

fn init_logging(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (not when the
/// future is first polled), so a signal that arrives during startup is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match term.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match int.as_mut() {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = term => {}
                _ = int => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

fn load_fixtures(config: &Config) -> Result<Fixtures, String> {
    if config.no_fixtures {
        return Ok(Fixtures::empty());
    }
    match &config.fixtures {
        Some(path) => Fixtures::load(path).map_err(|e| e.to_string()),
        None => Fixtures::builtin().map_err(|e| e.to_string()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gamelift-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Command::Healthcheck) => runtime.block_on(gamelift_emulator::healthcheck::check(&cli.config)),
        None => runtime.block_on(serve(cli.config)),
    }
}

async fn serve(config: Config) -> ExitCode {
    let shutdown = shutdown_signal();
    init_logging(&config);
    if let Err(e) = config.signing_keys() {
        tracing::error!("{e}");
        eprintln!("gamelift-emulator: {e}");
        return ExitCode::FAILURE;
    }
    let fixtures = match load_fixtures(&config) {
        Ok(f) => f,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("gamelift-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.bind).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot listen on {}: {e}", config.bind);
            eprintln!("gamelift-emulator: cannot listen on {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_else(|_| config.bind.to_string());
    let (fleets, aliases) = fixtures.len();
    let em = match Emulator::open(config, fixtures) {
        Ok(em) => em,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("gamelift-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(url = %format!("http://{addr}"), fleets, aliases, "gamelift-emulator ready");
    match gamelift_emulator::run(listener, em, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

//! gamelift-emulator-bench: starts the release emulator and a bare axum baseline, drives each
//! over real HTTP/1.1 on loopback, and prints throughput and latency tables with the ratio of
//! the emulator to the baseline, an open-loop latency run, scale curves and startup time.
//!
//! Run: `cargo run --release -p gamelift-emulator-bench -- [options]` (see `--help` and
//! docs/performance.md).

mod baseline;
mod load;
mod procs;
mod report;
mod scenarios;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};

use load::{BoxError, Shape, Source, Stats};
use procs::Server;
use report::{Table, mib, ms, thousands};
use scenarios::{Create, Proto};

/// Load benchmark for gamelift-emulator: throughput and latency of its operations over real
/// HTTP/1.1 on loopback, as a ratio to a bare axum server measured in the same run; open-loop
/// latency at half of peak; scale curves; startup time and idle memory.
#[derive(Parser, Debug)]
#[command(name = "gamelift-emulator-bench")]
struct Cli {
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,

    /// Measured time per scenario.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,

    /// Unmeasured warm-up before each scenario.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    warmup: Duration,

    /// Open-loop rate (requests/s) for the open-loop scenario; default: --open-loop-fraction of
    /// the CreateGameSession JSON peak measured in the same run.
    #[arg(long)]
    rate: Option<f64>,

    /// Fraction of the measured peak that the open-loop scenario sends.
    #[arg(long, default_value_t = 0.5)]
    open_loop_fraction: f64,

    /// Scenarios to run, comma-separated (default: all but scale).
    #[arg(long, value_enum, value_delimiter = ',')]
    scenarios: Option<Vec<Scenario>>,

    /// Also run the scale curves (1k … 1M live game sessions; takes a few minutes and ~2 GB).
    #[arg(long)]
    scale: bool,

    /// World sizes for the scale curves.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000u64, 10_000, 100_000, 1_000_000])]
    scale_sizes: Vec<u64>,

    /// Measured time per scale point and operation (default: --duration).
    #[arg(long, value_parser = humantime::parse_duration)]
    scale_duration: Option<Duration>,

    /// Game sessions created (through the API) before each emulator scenario.
    #[arg(long, default_value_t = 10_000)]
    preload: u64,

    /// Startup measurements (spawn to first successful health check).
    #[arg(long, default_value_t = 20)]
    startup_runs: usize,

    /// Also write the report as markdown to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,

    /// Emulator binary to measure (default: target/release/gamelift-emulator, built first).
    #[arg(long)]
    emulator: Option<PathBuf>,

    /// Fixtures for the emulator scenarios (must contain the fleet of bench/fixtures/bench.json).
    #[arg(long)]
    fixtures: Option<PathBuf>,

    /// Do not run `cargo build --release -p gamelift-emulator` first.
    #[arg(long)]
    no_build: bool,

    /// Tokio worker threads of the emulator and of the baseline (sets TOKIO_WORKER_THREADS for
    /// both; default: tokio's default, one per CPU).
    #[arg(long)]
    server_threads: Option<usize>,

    /// Tokio worker threads of the load generator (default: one per CPU).
    #[arg(long)]
    client_threads: Option<usize>,

    /// Before each measurement, wait up to this long for other processes on the machine to go
    /// quiet (0s: do not wait).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    quiet_wait: Duration,

    /// How many times to measure again when other processes used more than 0.2 cores during a
    /// measurement (the machine is shared).
    #[arg(long, default_value_t = 2)]
    retries: u32,

    /// Start every emulator with `--data-dir` (durable state), each in a fresh directory
    /// under this one.
    #[arg(long)]
    data_dir: Option<PathBuf>,

    /// Internal: serve the baseline on this port and do nothing else.
    #[arg(long, hide = true)]
    baseline_server: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    /// Spawn to first successful health check, and idle RSS.
    Startup,
    /// The bare axum server (JSON and CBOR).
    Baseline,
    /// CreateGameSession, AWS JSON 1.1.
    CreateJson,
    /// CreateGameSession, Smithy RPC v2 CBOR.
    CreateCbor,
    /// DescribeGameSessions by GameSessionId.
    DescribeId,
    /// DescribeGameSessions by fleet, Limit 10.
    DescribePage,
    /// SearchGameSessions, selective filter, newest first.
    Search,
    /// CreatePlayerSession.
    CreatePlayerSession,
    /// A realistic mix of the implemented operations.
    Mix,
    /// CreateGameSession JSON at a fixed rate (open loop).
    OpenLoop,
    /// Scale curves (same as --scale).
    Scale,
}

const DEFAULT_SCENARIOS: &[Scenario] = &[
    Scenario::Startup,
    Scenario::Baseline,
    Scenario::CreateJson,
    Scenario::CreateCbor,
    Scenario::DescribeId,
    Scenario::DescribePage,
    Scenario::Search,
    Scenario::CreatePlayerSession,
    Scenario::Mix,
    Scenario::OpenLoop,
];

/// `server/client/other` cores busy during a window.
fn cores(c: procs::CpuUse) -> String {
    format!("{:.2}/{:.2}/{:.2}", c.server, c.client, c.other)
}

/// Server CPU time per successful request, in µs.
fn cpu_per_req(s: &Stats) -> Option<f64> {
    let t = s.throughput();
    s.cpu.filter(|_| t > 0.0).map(|c| c.server * 1e6 / t)
}

/// Other processes using more than this many cores during a measurement disturb it.
const NOISY_CORES: f64 = 0.2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(port) = cli.baseline_server {
        return baseline::serve(port);
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.client_threads {
        rt.worker_threads(n);
    }
    let rt = match rt.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gamelift-emulator-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(Bench::new(cli).run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gamelift-emulator-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whether an operation answered, or said it is not implemented yet.
enum Probe {
    Implemented,
    NotImplemented,
}

/// One measured closed-loop scenario.
struct Measured {
    stats: Stats,
    rss: Option<u64>,
}

struct Bench {
    cli: Cli,
    scenarios: Vec<Scenario>,
    bin: PathBuf,
    fixtures: PathBuf,
    /// IdempotencyToken counter, shared by every CreateGameSession source.
    tokens: Arc<AtomicU64>,
    main: Table,
    tables: Vec<Table>,
    errors: Vec<String>,
    baseline_json: Option<f64>,
    baseline_cbor: Option<f64>,
    /// Server CPU µs per request of the baselines.
    baseline_json_cpu: Option<f64>,
    baseline_cbor_cpu: Option<f64>,
    peak: Option<f64>,
}

impl Bench {
    fn new(cli: Cli) -> Self {
        let mut scenarios = cli.scenarios.clone().unwrap_or_else(|| DEFAULT_SCENARIOS.to_vec());
        if cli.scale && !scenarios.contains(&Scenario::Scale) {
            scenarios.push(Scenario::Scale);
        }
        let main = Table::new(
            format!(
                "Closed loop: {} connections, {} measured per scenario after {} warm-up, {} game sessions preloaded",
                cli.connections,
                humantime::format_duration(cli.duration),
                humantime::format_duration(cli.warmup),
                thousands(cli.preload as f64),
            ),
            &[
                "scenario",
                "req/s",
                "p50 ms",
                "p99 ms",
                "p99.9 ms",
                "max ms",
                "errors",
                "vs baseline",
                "server CPU µs/req",
                "CPU/req vs baseline",
                "cores: server/client/other",
                "RSS MiB",
            ],
        );
        Self {
            fixtures: cli
                .fixtures
                .clone()
                .unwrap_or_else(|| procs::workspace_root().join("bench/fixtures/bench.json")),
            bin: PathBuf::new(),
            scenarios,
            cli,
            tokens: Arc::new(AtomicU64::new(0)),
            main,
            tables: Vec::new(),
            errors: Vec::new(),
            baseline_json: None,
            baseline_cbor: None,
            baseline_json_cpu: None,
            baseline_cbor_cpu: None,
            peak: None,
        }
    }

    fn wants(&self, s: Scenario) -> bool {
        self.scenarios.contains(&s)
    }

    fn shape(&self, server: &Server) -> Shape {
        if !self.cli.quiet_wait.is_zero() {
            procs::wait_quiet(self.cli.quiet_wait);
        }
        Shape {
            connections: self.cli.connections,
            warmup: self.cli.warmup,
            duration: self.cli.duration,
            server_pid: Some(server.pid()),
        }
    }

    async fn run(mut self) -> Result<(), BoxError> {
        let mut facts = procs::machine_facts();
        facts.push(("load", format!("{} (1-minute load average at start)", procs::loadavg())));
        println!("gamelift-emulator-bench");
        for (k, v) in &facts {
            println!("  {k:<7} {v}");
        }
        println!();
        self.bin = match &self.cli.emulator {
            Some(p) => p.clone(),
            None => procs::build_emulator(self.cli.no_build)?,
        };

        if self.wants(Scenario::Startup) {
            self.startup()?;
        }
        if self.wants(Scenario::Baseline) {
            self.baseline().await?;
        }
        let needs_peak = self.wants(Scenario::OpenLoop) && self.cli.rate.is_none();
        if self.wants(Scenario::CreateJson) || needs_peak {
            self.closed(Scenario::CreateJson).await?;
        }
        for s in [
            Scenario::CreateCbor,
            Scenario::DescribeId,
            Scenario::DescribePage,
            Scenario::Search,
            Scenario::CreatePlayerSession,
            Scenario::Mix,
        ] {
            if self.wants(s) {
                self.closed(s).await?;
            }
        }
        let main = std::mem::replace(&mut self.main, Table::new("", &[]));
        if !main.rows.is_empty() {
            self.tables.insert(if self.wants(Scenario::Startup) { 1 } else { 0 }, main);
        }
        if self.wants(Scenario::OpenLoop) {
            self.open_loop().await?;
        }
        if self.wants(Scenario::Scale) {
            self.scale().await?;
        }

        println!();
        for t in &self.tables {
            println!("{}", t.plain());
        }
        if !self.errors.is_empty() {
            println!("ERRORS (non-2xx responses or transport failures; those requests are not in req/s):");
            for e in &self.errors {
                println!("  {e}");
            }
        }
        if let Some(path) = &self.cli.markdown {
            let mut md = String::from("Machine:\n\n");
            for (k, v) in &facts {
                md.push_str(&format!("- {k}: {v}\n"));
            }
            md.push('\n');
            for t in &self.tables {
                md.push_str(&t.markdown());
            }
            if !self.errors.is_empty() {
                md.push_str("Errors:\n\n");
                for e in &self.errors {
                    md.push_str(&format!("- {e}\n"));
                }
            }
            std::fs::write(path, md)?;
            eprintln!("wrote {}", path.display());
        }
        Ok(())
    }

    fn emulator_cmd(&self, addr: SocketAddr, fixtures: bool) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.args(["--bind", &addr.to_string(), "--log-level", "warn"]);
        if fixtures {
            cmd.arg("--fixtures").arg(&self.fixtures);
        }
        if let Some(root) = &self.cli.data_dir {
            static RUN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let dir = root.join(format!("run-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            cmd.arg("--data-dir").arg(dir);
        }
        cmd
    }

    /// Starts the emulator with the bench fixtures on a free port.
    fn start_emulator(&self) -> Result<Server, BoxError> {
        let addr = SocketAddr::from(([127, 0, 0, 1], procs::free_port()?));
        Ok(Server::start(self.emulator_cmd(addr, true), addr, self.cli.server_threads)?.0)
    }

    /// Starts the baseline server (this binary with `--baseline-server PORT`) on a free port.
    fn start_baseline(&self) -> Result<Server, BoxError> {
        let port = procs::free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut cmd = Command::new(std::env::current_exe()?);
        cmd.args(["--baseline-server", &port.to_string()]);
        Ok(Server::start(cmd, addr, self.cli.server_threads)?.0)
    }

    fn startup(&mut self) -> Result<(), BoxError> {
        eprintln!("startup: {} runs with the default fixtures", self.cli.startup_runs);
        if !self.cli.quiet_wait.is_zero() {
            procs::wait_quiet(self.cli.quiet_wait);
        }
        let mut ready = Vec::new();
        let mut idle = Vec::new();
        for _ in 0..self.cli.startup_runs.max(1) {
            let addr = SocketAddr::from(([127, 0, 0, 1], procs::free_port()?));
            let (server, t) = Server::start(self.emulator_cmd(addr, false), addr, self.cli.server_threads)?;
            ready.push(t);
            std::thread::sleep(Duration::from_millis(100));
            idle.extend(server.rss());
        }
        ready.sort();
        idle.sort();
        let mut t = Table::new(
            format!(
                "Startup ({} runs, default fixtures; spawn to first 200 from GET /_emulator/health, polled every 1 ms)",
                ready.len()
            ),
            &["measure", "median", "min", "max"],
        );
        let msf = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        t.row(vec![
            "ready to serve".into(),
            msf(ready[ready.len() / 2]),
            msf(ready[0]),
            msf(ready[ready.len() - 1]),
        ]);
        if !idle.is_empty() {
            t.row(vec![
                "idle RSS (100 ms after ready)".into(),
                format!("{} MiB", mib(idle[idle.len() / 2])),
                format!("{} MiB", mib(idle[0])),
                format!("{} MiB", mib(idle[idle.len() - 1])),
            ]);
        }
        t.note("targets: ready ≤ 20 ms, idle RSS ≤ 10 MB");
        eprintln!("startup: median {}", msf(ready[ready.len() / 2]));
        self.tables.push(t);
        Ok(())
    }

    async fn baseline(&mut self) -> Result<(), BoxError> {
        let server = self.start_baseline()?;
        let addr = server.addr;
        for proto in [Proto::Json, Proto::Cbor] {
            let name = match proto {
                Proto::Json => "baseline: bare axum, CreateGameSession JSON",
                Proto::Cbor => "baseline: bare axum, CreateGameSession CBOR",
            };
            eprintln!("{name} ...");
            let source: Arc<dyn Source> = Arc::new(Create::new(addr, proto, self.tokens.clone()));
            let mut attempt = 0;
            let stats = loop {
                attempt += 1;
                let stats = load::closed_loop(addr, source.clone(), self.shape(&server)).await?;
                if !self.retry_noisy(&stats, attempt) {
                    break stats;
                }
            };
            let m = Measured { stats, rss: server.rss() };
            match proto {
                Proto::Json => {
                    self.baseline_json = Some(m.stats.throughput());
                    self.baseline_json_cpu = cpu_per_req(&m.stats);
                }
                Proto::Cbor => {
                    self.baseline_cbor = Some(m.stats.throughput());
                    self.baseline_cbor_cpu = cpu_per_req(&m.stats);
                }
            }
            self.add_row(name, &m, "1.00×".into(), "1.00×".into());
        }
        Ok(())
    }

    fn add_row(&mut self, name: &str, m: &Measured, ratio: String, cpu_ratio: String) {
        let s = &m.stats;
        eprintln!(
            "  {name}: {} req/s, p50 {} ms, p99 {} ms, {} errors",
            thousands(s.throughput()),
            ms(s.ms(0.5)),
            ms(s.ms(0.99)),
            s.error_count()
        );
        if s.error_count() > 0 {
            let e = format!("{name}: {}", s.error_summary());
            eprintln!("  ERRORS {e}");
            self.errors.push(e);
        }
        self.main.row(vec![
            name.to_owned(),
            thousands(s.throughput()),
            ms(s.ms(0.5)),
            ms(s.ms(0.99)),
            ms(s.ms(0.999)),
            ms(s.max_ms()),
            s.error_count().to_string(),
            ratio,
            cpu_per_req(s).map(|c| format!("{c:.1}")).unwrap_or_default(),
            cpu_ratio,
            s.cpu.map(cores).unwrap_or_default(),
            m.rss.map(mib).unwrap_or_default(),
        ]);
    }

    /// True when other processes disturbed a measurement and it should be taken again (after
    /// waiting for the machine to be quiet).
    fn retry_noisy(&self, stats: &Stats, attempt: u32) -> bool {
        let other = stats.cpu.map_or(0.0, |c| c.other);
        if other > NOISY_CORES && attempt <= self.cli.retries {
            eprintln!("  other processes used {other:.2} cores during the measurement; measuring again");
            return true;
        }
        false
    }

    fn not_implemented_row(&mut self, name: &str) {
        eprintln!("  {name}: not implemented yet");
        let mut row = vec![name.to_owned(), "not implemented yet".into()];
        row.resize(self.main.header.len(), "".into());
        self.main.row(row);
    }

    /// Creates `n` game sessions through the API (JSON, all connections) and returns their IDs.
    async fn preload(&self, addr: SocketAddr, n: u64) -> Result<(Vec<String>, f64), BoxError> {
        if n == 0 {
            return Ok((Vec::new(), 0.0));
        }
        let source: Arc<dyn Source> = Arc::new(Create::new(addr, Proto::Json, self.tokens.clone()));
        let t0 = Instant::now();
        let (ids, errors, first) =
            load::run_count(addr, source, self.cli.connections, n, scenarios::created_id).await?;
        let rate = n as f64 / t0.elapsed().as_secs_f64();
        if errors > 0 {
            return Err(format!(
                "preloading {n} game sessions: {errors} requests failed, first: {}",
                first.unwrap_or_default()
            )
            .into());
        }
        Ok((ids, rate))
    }

    /// Sends one request from `source`: a 400 `UnsupportedOperationException` means the
    /// operation is not implemented yet.
    async fn probe(addr: SocketAddr, source: &dyn Source) -> Result<Probe, BoxError> {
        let mut sender = load::connect(addr).await?;
        let (ep, body) = source.next(&mut load::Rng::new(7));
        let reply = load::call(&mut sender, ep, body).await?;
        if reply.status.as_u16() == 400
            && load::error_type(&reply.body).ends_with("UnsupportedOperationException")
        {
            return Ok(Probe::NotImplemented);
        }
        Ok(Probe::Implemented)
    }

    async fn closed(&mut self, which: Scenario) -> Result<(), BoxError> {
        let name = match which {
            Scenario::CreateJson => "CreateGameSession JSON",
            Scenario::CreateCbor => "CreateGameSession CBOR",
            Scenario::DescribeId => "DescribeGameSessions by GameSessionId",
            Scenario::DescribePage => "DescribeGameSessions by fleet, Limit 10",
            Scenario::Search => "SearchGameSessions mode='rare' (1%), newest first, Limit 10",
            Scenario::CreatePlayerSession => "CreatePlayerSession",
            Scenario::Mix => "mix",
            _ => unreachable!("not a closed-loop emulator scenario"),
        };
        eprintln!("{name} ...");
        let mut attempt = 0;
        let (m, label) = loop {
            attempt += 1;
            let server = self.start_emulator()?;
            let addr = server.addr;
            let (ids, _) = self.preload(addr, self.cli.preload).await?;
            let create =
                |proto| -> Arc<dyn Source> { Arc::new(Create::new(addr, proto, self.tokens.clone())) };
            let mut label = name.to_owned();
            let source: Arc<dyn Source> = match which {
                Scenario::CreateJson => create(Proto::Json),
                Scenario::CreateCbor => create(Proto::Cbor),
                Scenario::DescribeId => Arc::new(scenarios::DescribeById::new(addr, &ids)),
                Scenario::DescribePage => Arc::new(scenarios::describe_page(addr)),
                Scenario::Search => Arc::new(scenarios::search(addr)),
                Scenario::CreatePlayerSession => Arc::new(scenarios::CreatePlayer::new(addr, &ids)),
                _ => {
                    // 10% create, 40% describe by id, 20% describe page, 20% search, 10% create
                    // player session, among the operations that are implemented.
                    let parts: Vec<(u32, &str, Arc<dyn Source>)> = vec![
                        (10, "create", create(Proto::Json)),
                        (40, "describe-id", Arc::new(scenarios::DescribeById::new(addr, &ids))),
                        (20, "describe-page", Arc::new(scenarios::describe_page(addr))),
                        (20, "search", Arc::new(scenarios::search(addr))),
                        (10, "player-session", Arc::new(scenarios::CreatePlayer::new(addr, &ids))),
                    ];
                    let mut kept = Vec::new();
                    let mut desc = Vec::new();
                    for (w, n, s) in parts {
                        if let Probe::Implemented = Self::probe(addr, s.as_ref()).await? {
                            desc.push(format!("{w} {n}"));
                            kept.push((w, s));
                        }
                    }
                    label = format!("mix ({})", desc.join(", "));
                    Arc::new(scenarios::Mix::new(kept))
                }
            };
            if let Probe::NotImplemented = Self::probe(addr, source.as_ref()).await? {
                self.not_implemented_row(name);
                return Ok(());
            }
            let stats = load::closed_loop(addr, source, self.shape(&server)).await?;
            if self.retry_noisy(&stats, attempt) {
                continue;
            }
            break (Measured { stats, rss: server.rss() }, label);
        };
        let ratio = match which {
            Scenario::CreateJson => {
                self.peak = Some(m.stats.throughput());
                self.baseline_json.map(|b| format!("{:.2}× JSON", m.stats.throughput() / b))
            }
            Scenario::CreateCbor => self.baseline_json.map(|b| {
                let mut r = format!("{:.2}× JSON", m.stats.throughput() / b);
                if let Some(c) = self.baseline_cbor {
                    r.push_str(&format!(" ({:.2}× CBOR)", m.stats.throughput() / c));
                }
                r
            }),
            _ => None,
        };
        // Baseline CPU per request ÷ ours: the same efficiency ratio, robust to the load
        // generator's share of the two cores.
        let ours = cpu_per_req(&m.stats);
        let cpu_ratio = match (which, ours) {
            (Scenario::CreateJson, Some(o)) => self.baseline_json_cpu.map(|b| format!("{:.2}× JSON", b / o)),
            (Scenario::CreateCbor, Some(o)) => self.baseline_json_cpu.map(|b| {
                let mut r = format!("{:.2}× JSON", b / o);
                if let Some(c) = self.baseline_cbor_cpu {
                    r.push_str(&format!(" ({:.2}× CBOR)", c / o));
                }
                r
            }),
            _ => None,
        };
        self.add_row(&label, &m, ratio.unwrap_or_default(), cpu_ratio.unwrap_or_default());
        Ok(())
    }

    async fn open_loop(&mut self) -> Result<(), BoxError> {
        let rate = match (self.cli.rate, self.peak) {
            (Some(r), _) => r,
            (None, Some(p)) => p * self.cli.open_loop_fraction,
            (None, None) => return Err("the open-loop scenario needs --rate or a measured peak".into()),
        };
        let of_peak = match self.peak {
            Some(p) => format!(" ({:.0}% of peak)", rate / p * 100.0),
            None => String::new(),
        };
        let mut t = Table::new(
            format!(
                "Open loop: CreateGameSession JSON at a fixed rate, {} connections, {} measured after {} warm-up; latency from the scheduled send time",
                self.cli.connections,
                humantime::format_duration(self.cli.duration),
                humantime::format_duration(self.cli.warmup),
            ),
            &[
                "server",
                "rate",
                "req/s done",
                "p50 ms",
                "p99 ms",
                "p99.9 ms",
                "max ms",
                "service p99 ms",
                "errors",
                "cores: server/client/other",
            ],
        );
        eprintln!("open loop: CreateGameSession JSON at {} req/s ...", thousands(rate));
        {
            let server = self.start_emulator()?;
            self.preload(server.addr, self.cli.preload).await?;
            self.open_row(&mut t, "gamelift-emulator", &server, rate, &of_peak).await?;
        }
        if self.wants(Scenario::Baseline) {
            let server = self.start_baseline()?;
            self.open_row(&mut t, "baseline: bare axum", &server, rate, &of_peak).await?;
        }
        t.note("target: p99 ≤ 2 ms at half of peak. 'service p99' is measured from the actual send (no queueing in the client).");
        self.tables.push(t);
        Ok(())
    }

    async fn open_row(
        &mut self,
        t: &mut Table,
        name: &str,
        server: &Server,
        rate: f64,
        of_peak: &str,
    ) -> Result<(), BoxError> {
        let addr = server.addr;
        let source: Arc<dyn Source> = Arc::new(Create::new(addr, Proto::Json, self.tokens.clone()));
        let mut attempt = 0;
        let s = loop {
            attempt += 1;
            let s = load::open_loop(addr, source.clone(), self.shape(server), rate).await?;
            if !self.retry_noisy(&s, attempt) {
                break s;
            }
        };
        eprintln!(
            "  {name}: p50 {} ms, p99 {} ms, p99.9 {} ms, service p99 {} ms",
            ms(s.ms(0.5)),
            ms(s.ms(0.99)),
            ms(s.ms(0.999)),
            ms(s.service.value_at_quantile(0.99) as f64 / 1000.0)
        );
        t.row(vec![
            name.to_owned(),
            format!("{} req/s{of_peak}", thousands(rate)),
            thousands(s.throughput()),
            ms(s.ms(0.5)),
            ms(s.ms(0.99)),
            ms(s.ms(0.999)),
            ms(s.max_ms()),
            ms(s.service.value_at_quantile(0.99) as f64 / 1000.0),
            s.error_count().to_string(),
            s.cpu.map(cores).unwrap_or_default(),
        ]);
        if s.error_count() > 0 {
            self.errors.push(format!("open loop, {name}: {}", s.error_summary()));
        }
        Ok(())
    }

    async fn scale(&mut self) -> Result<(), BoxError> {
        let server = self.start_emulator()?;
        let duration = self.cli.scale_duration.unwrap_or(self.cli.duration);
        let addr = server.addr;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let empty = server.rss().unwrap_or(0);
        let search_ok = matches!(Self::probe(addr, &scenarios::search(addr)).await?, Probe::Implemented);
        let mut sizes = self.cli.scale_sizes.clone();
        sizes.sort_unstable();
        let mut t = Table::new(
            format!(
                "Scale: one emulator, world grown through the API; {} connections, {} measured per cell (req/s, p99 ms in parentheses)",
                self.cli.connections,
                humantime::format_duration(duration)
            ),
            &[
                "live sessions",
                "describe by id",
                "describe page (Limit 10)",
                "search (1%, newest first, Limit 10)",
                "RSS MiB",
                "bytes/session",
                "create req/s while growing",
            ],
        );
        let mut all_ids: Vec<String> = Vec::new();
        let mut first: Option<[f64; 3]> = None;
        let mut last = [0.0; 3];
        for size in sizes {
            let grow = size.saturating_sub(all_ids.len() as u64);
            eprintln!("scale: growing the world to {} sessions ...", thousands(size as f64));
            let (ids, rate) = self.preload(addr, grow).await?;
            all_ids.extend(ids);
            // Let the allocator settle and read the resident memory of the grown world.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let rss = server.rss().unwrap_or(0);
            // Describe by id over a uniform sample of every session in the world.
            let stride = all_ids.len().div_ceil(100_000).max(1);
            let sample: Vec<String> = all_ids.iter().step_by(stride).cloned().collect();
            let mut cells = Vec::new();
            let mut tput = [0.0; 3];
            let sources: [Option<Arc<dyn Source>>; 3] = [
                Some(Arc::new(scenarios::DescribeById::new(addr, &sample))),
                Some(Arc::new(scenarios::describe_page(addr))),
                search_ok.then(|| Arc::new(scenarios::search(addr)) as Arc<dyn Source>),
            ];
            for (i, src) in sources.into_iter().enumerate() {
                match src {
                    None => cells.push("not implemented yet".to_owned()),
                    Some(src) => {
                        let mut attempt = 0;
                        let s = loop {
                            attempt += 1;
                            let shape = Shape { duration, ..self.shape(&server) };
                            let s = load::closed_loop(addr, src.clone(), shape).await?;
                            if !self.retry_noisy(&s, attempt) {
                                break s;
                            }
                        };
                        if s.error_count() > 0 {
                            self.errors.push(format!(
                                "scale {size}, column {}: {}",
                                i + 1,
                                s.error_summary()
                            ));
                        }
                        tput[i] = s.throughput();
                        cells.push(format!("{} ({})", thousands(s.throughput()), ms(s.ms(0.99))));
                    }
                }
            }
            eprintln!("  {}: {}; RSS {} MiB", thousands(size as f64), cells.join(" | "), mib(rss));
            first.get_or_insert(tput);
            last = tput;
            let per = if size > 0 { rss.saturating_sub(empty) as f64 / size as f64 } else { 0.0 };
            t.row(vec![
                thousands(size as f64),
                cells[0].clone(),
                cells[1].clone(),
                cells[2].clone(),
                mib(rss),
                format!("{per:.0}"),
                if grow > 0 { thousands(rate) } else { String::new() },
            ]);
        }
        if let Some(f) = first {
            let r = |i: usize| {
                if f[i] > 0.0 && last[i] > 0.0 { format!("{:.2}×", f[i] / last[i]) } else { "n/a".into() }
            };
            t.note(format!(
                "cost at the largest size relative to the smallest (smallest req/s ÷ largest req/s; target ≤ 2×): describe by id {}, describe page {}, search {}",
                r(0),
                r(1),
                r(2)
            ));
        }
        t.note(format!(
            "bytes/session = (RSS − RSS of the started, empty-world emulator: {} MiB) ÷ live sessions; target ≤ 1.5 KB",
            mib(empty)
        ));
        self.tables.push(t);
        Ok(())
    }
}

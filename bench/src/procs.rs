//! Processes and the machine: building and starting the emulator (and the baseline), free
//! ports, readiness, resident memory, machine facts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::BoxError;

/// The workspace root (the bench crate lives in `<root>/bench`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("bench is inside the workspace").to_path_buf()
}

/// `cargo build --release -p gamelift-emulator` in the workspace, so the binary measured is
/// the current source. Returns the binary's path: next to this bench binary (same target
/// directory and profile).
pub fn build_emulator(skip_build: bool) -> Result<PathBuf, BoxError> {
    let exe = std::env::current_exe()?;
    let bin = exe.with_file_name(format!("gamelift-emulator{}", std::env::consts::EXE_SUFFIX));
    if !skip_build {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        eprintln!("building the emulator: cargo build --release -p gamelift-emulator");
        let status = Command::new(cargo)
            .args(["build", "--release", "-p", "gamelift-emulator", "--manifest-path"])
            .arg(workspace_root().join("Cargo.toml"))
            .status()?;
        if !status.success() {
            return Err(format!("cargo build --release -p gamelift-emulator failed ({status})").into());
        }
    }
    if !bin.exists() {
        return Err(format!("no emulator binary at {}", bin.display()).into());
    }
    Ok(bin)
}

/// A free loopback port (bound and released; the child binds it a moment later).
pub fn free_port() -> Result<u16, BoxError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server subprocess, killed when dropped.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts `cmd` (which must listen on `addr`) and waits until its health endpoint answers.
    /// Returns the server and the time from spawn to the first 200.
    pub fn start(
        mut cmd: Command,
        addr: SocketAddr,
        threads: Option<usize>,
    ) -> Result<(Self, Duration), BoxError> {
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::inherit());
        if let Some(n) = threads {
            // tokio's default runtime reads this; neither server is changed for the benchmark.
            cmd.env("TOKIO_WORKER_THREADS", n.to_string());
        }
        let t0 = Instant::now();
        let child = cmd.spawn()?;
        let mut server = Server { child, addr };
        let ready = server.wait_ready(t0, Duration::from_secs(30))?;
        Ok((server, ready))
    }

    fn wait_ready(&mut self, t0: Instant, timeout: Duration) -> Result<Duration, BoxError> {
        loop {
            if health_ok(self.addr) {
                return Ok(t0.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("the server exited before it was ready ({status})").into());
            }
            if t0.elapsed() > timeout {
                return Err(format!("the server did not answer on {} within {timeout:?}", self.addr).into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in bytes (VmRSS).
    pub fn rss(&self) -> Option<u64> {
        rss_of(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /_emulator/health` answered 200 (a plain socket: this is a readiness probe, not load).
fn health_ok(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect(addr) else { return false };
    let _ = s.set_nodelay(true);
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    &buf == b"HTTP/1.1 200"
}

/// VmRSS of a process, in bytes.
pub fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Facts about the machine, for the top of the report.
pub fn machine_facts() -> Vec<(&'static str, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let logical = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let usable = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().find(|l| l.starts_with("MemTotal:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()))
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let rustc = Command::new("rustc")
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut cpu = field("model name").unwrap_or_else(|| "unknown".into());
    if let Some(mhz) = field("cpu MHz") {
        cpu = format!("{cpu} ({mhz} MHz)");
    }
    vec![
        ("CPU", cpu),
        ("cores", format!("{logical} logical CPUs, {usable} usable by this process")),
        ("memory", mem),
        ("kernel", format!("Linux {kernel}")),
        ("rustc", rustc),
    ]
}

/// CPU time counters at one instant, in clock ticks.
#[derive(Clone, Copy)]
pub struct CpuSample {
    at: std::time::Instant,
    /// All CPUs: busy ticks in processes (user, nice, system, steal).
    busy: u64,
    /// This process (the load generator).
    client: u64,
    /// The server process.
    server: u64,
}

/// Where the CPU went during a window, in cores (1.0 = one CPU busy the whole time).
#[derive(Clone, Copy, Debug)]
pub struct CpuUse {
    pub server: f64,
    pub client: f64,
    /// Other processes (and time stolen by the hypervisor): noise. Interrupt and softirq time
    /// is not counted anywhere.
    pub other: f64,
}

fn proc_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?;
    let v: Vec<u64> = line.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal ... Interrupt and softirq time is left
    // out: it is mostly the loopback network work of the benchmark itself, which the kernel
    // charges to no process.
    Some(v.first()? + v.get(1)? + v.get(2)? + v.get(7)?)
}

impl CpuSample {
    /// Samples the machine, this process and `server`.
    pub fn take(server: u32) -> Option<Self> {
        Some(Self {
            at: std::time::Instant::now(),
            busy: busy_ticks()?,
            client: proc_ticks("self")?,
            server: proc_ticks(&server.to_string())?,
        })
    }

    /// CPU use between `self` and a later sample.
    pub fn until(&self, later: &CpuSample) -> CpuUse {
        // USER_HZ is 100 on every Linux architecture this runs on.
        let secs = (later.at - self.at).as_secs_f64().max(1e-9);
        let cores = |a: u64, b: u64| b.saturating_sub(a) as f64 / 100.0 / secs;
        let server = cores(self.server, later.server);
        let client = cores(self.client, later.client);
        let all = cores(self.busy, later.busy);
        CpuUse { server, client, other: (all - server - client).max(0.0) }
    }
}

/// The 1-minute load average.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

/// Cores busy on the whole machine over `window`.
pub fn machine_busy(window: Duration) -> f64 {
    let (Some(a), t0) = (busy_ticks(), Instant::now()) else { return 0.0 };
    std::thread::sleep(window);
    let Some(b) = busy_ticks() else { return 0.0 };
    b.saturating_sub(a) as f64 / 100.0 / t0.elapsed().as_secs_f64()
}

/// Waits (up to `limit`) until the machine is quiet: less than 0.15 cores busy over half a
/// second. Returns the last busy figure.
pub fn wait_quiet(limit: Duration) -> f64 {
    let t0 = Instant::now();
    let mut warned = false;
    loop {
        let busy = machine_busy(Duration::from_millis(500));
        if busy < 0.15 || t0.elapsed() >= limit {
            if busy >= 0.15 {
                eprintln!(
                    "  warning: the machine is still busy ({busy:.2} cores used by other processes); numbers will be noisy"
                );
            }
            return busy;
        }
        if !warned {
            eprintln!("  waiting for the machine to be quiet ({busy:.2} cores busy) ...");
            warned = true;
        }
    }
}

//! The shared state handle: the world behind one lock, the driver's wake-up, the clock, the
//! configuration and the fixtures that `reset` returns to.
//!
//! A `std::sync::Mutex`, not tokio's: critical sections are short, CPU-only and never cross an
//! `.await`, which is exactly the case the tokio docs recommend the std mutex for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rustc_hash::FxHashMap;
use tokio::sync::mpsc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::config::Config;
use crate::events::{EventBus, SinkSettings};
use crate::fixtures::Fixtures;
use crate::journal::{self, ClockAction, Command, Genesis, Journal};
use crate::model::compute::ProcessMessage;
use crate::model::{Now, World, ids};

/// A cheap-to-clone handle on the emulator's state.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    public_url: OnceLock<String>,
    /// The wss:// base URL and the PEM certificate of the TLS listener, once it runs.
    wss: OnceLock<(String, String)>,
    /// Open game-server sockets: connection number → the channel its task reads messages from.
    connections: Mutex<FxHashMap<u64, mpsc::UnboundedSender<ProcessMessage>>>,
    next_connection: AtomicU64,
    world: Mutex<World>,
    wake: Notify,
    /// Shared with the event bus, which stamps notifications and signs requests with it.
    clock: Arc<Clock>,
    /// The event log and sinks; kept across `reset`.
    events: EventBus,
    config: Config,
    fixtures: Fixtures,
    /// "Something may have changed" counter for watchers such as the dashboard (bumped after
    /// every state call, O(1); readers coalesce).
    changes: tokio::sync::watch::Sender<u64>,
    metrics: crate::metrics::Metrics,
    /// Injected faults (`/_emulator/faults`).
    faults: crate::faults::Faults,
    /// The keys signatures are checked against, with `--verify-signatures`.
    signing_keys: Option<crate::sigv4::Keys>,
    /// The command journal, with `--data-dir` (declared last: dropped after everything else,
    /// it writes what is still pending before the file closes).
    journal: Option<Journal>,
}

impl Emulator {
    /// Builds the state from a configuration and parsed fixtures, loading the fixtures.
    pub fn new(config: Config, fixtures: Fixtures) -> Self {
        let clock = Arc::new(Clock::start(config.clock == crate::config::ClockMode::Paused));
        let world = fixtures.build_world(config.settings(), clock.now());
        Self::assemble(config, fixtures, clock, world, None)
    }

    /// Builds the state as [`Emulator::new`] does, or, with `--data-dir`, from the journal
    /// there: the fixtures world at the journal's genesis, then every journaled command replayed
    /// in order (see `journal.rs`). An unusable data directory is an error that names the file
    /// and what to do.
    pub fn open(config: Config, fixtures: Fixtures) -> Result<Self, String> {
        let Some(dir) = config.data_dir.clone() else {
            return Ok(Self::new(config, fixtures));
        };
        let fingerprint = journal::fingerprint(&config.settings(), &fixtures);
        let paused = config.clock == crate::config::ClockMode::Paused;
        let opened = journal::open(&dir, &fingerprint, || {
            let clock = Clock::start(paused);
            Genesis { at_ns: clock.epoch_ns(clock.now()), seed: ids::fresh_seed(), clock: clock.persisted() }
        })?;
        let genesis = opened.genesis;
        let clock = Arc::new(Clock::from_origin(genesis.at_ns));
        ids::reseed(genesis.seed);
        let world = fixtures.build_world(config.settings(), clock.at_epoch_ns(genesis.at_ns));
        let em = Self::assemble(config, fixtures, clock, world, None);
        // Replay into this emulator, then hand the world to one that owns the journal.
        let mut last_at = genesis.at_ns;
        let mut clock_state = genesis.clock;
        let mut attached: std::collections::BTreeMap<u64, crate::sdk::ProcessIdentity> = Default::default();
        let mut entries = 0u64;
        let mut max_conn = 0u64;
        let started = std::time::Instant::now();
        opened.for_each(|entry| {
            entries += 1;
            last_at = last_at.max(entry.at_ns);
            match &entry.command {
                Command::Clock { state, .. } => clock_state = *state,
                Command::Attach { who, conn } => {
                    max_conn = max_conn.max(*conn);
                    attached.insert(*conn, who.clone());
                }
                Command::Detach { conn, .. } => {
                    attached.remove(conn);
                }
                _ => {}
            }
            em.replay(&entry)
        })?;
        let Ok(inner) = Arc::try_unwrap(em.inner) else {
            return Err("internal error: the replayed state is still shared".into());
        };
        let Inner { world, clock, events, config, fixtures, .. } = inner;
        let world = world.into_inner().unwrap_or_else(|p| p.into_inner());
        let existing = opened.existing;
        let journal = opened.start();
        journal::restore_clock(&clock, clock_state, last_at);
        // Replayed events were delivered before the restart (or never will be): sinks start
        // after them.
        events.skip_sinks_to_end();
        let em = Self::assemble_with(config, fixtures, clock, world, events, Some(journal));
        em.inner.next_connection.store(max_conn + 1, Ordering::Relaxed);
        if existing {
            tracing::info!(
                file = %dir.join(journal::FILE_NAME).display(),
                entries,
                millis = started.elapsed().as_millis() as u64,
                "state restored from the journal"
            );
        }
        // Sockets do not survive a restart: each process that was attached is detached now, so
        // its reconnect grace starts at this start; a process that reconnects with its pID gets
        // its state back.
        for (conn, who) in attached {
            crate::sdk::disconnect(&em, &who, conn);
        }
        if let Some(j) = em.journal() {
            j.flush();
        }
        Ok(em)
    }

    fn assemble(
        config: Config,
        fixtures: Fixtures,
        clock: Arc<Clock>,
        world: World,
        journal: Option<Journal>,
    ) -> Self {
        let events = EventBus::new(SinkSettings::from_config(&config), {
            let clock = clock.clone();
            move || clock.now().wall_ms
        });
        Self::assemble_with(config, fixtures, clock, world, events, journal)
    }

    fn assemble_with(
        config: Config,
        fixtures: Fixtures,
        clock: Arc<Clock>,
        world: World,
        events: EventBus,
        journal: Option<Journal>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                public_url: OnceLock::new(),
                wss: OnceLock::new(),
                connections: Mutex::new(FxHashMap::default()),
                next_connection: AtomicU64::new(1),
                world: Mutex::new(world),
                wake: Notify::new(),
                clock,
                faults: crate::faults::Faults::default(),
                signing_keys: config.verify_signatures.then(|| config.signing_keys().unwrap_or_default()),
                events,
                config,
                fixtures,
                changes: tokio::sync::watch::Sender::new(0),
                metrics: crate::metrics::Metrics::default(),
                journal,
            }),
        }
    }

    /// The command journal, with `--data-dir`.
    pub fn journal(&self) -> Option<&Journal> {
        self.inner.journal.as_ref()
    }

    /// Resolves once command `seq` of this emulator's journal is durable (at once without a
    /// journal, or for `None`); an `InternalServiceException` if the journal cannot be written.
    pub async fn durable(&self, seq: Option<u64>) -> Result<(), crate::ApiError> {
        match (&self.inner.journal, seq) {
            (Some(j), Some(seq)) => j.wait(seq).await,
            _ => Ok(()),
        }
    }

    /// The start of a journaled call: the journal lock, the time the call runs at, and the
    /// fresh seed the generator now draws from.
    fn begin<'j>(&self, j: &'j Journal) -> (std::sync::MutexGuard<'j, journal::Writer>, Now, u64) {
        let writer = j.lock();
        let now = self.inner.clock.now();
        let seed = ids::fresh_seed();
        ids::reseed(seed);
        (writer, now, seed)
    }

    /// Runs `f` as one journaled command: under the journal lock, at one pinned time, with the
    /// generator reseeded; then appends `command()` (built after `f`, so it can record the
    /// state `f` left) and leaves its sequence number for [`journal::take_appended`]. Without a
    /// journal, or inside a command already, just runs `f`.
    pub(crate) fn command<R>(&self, command: impl FnOnce() -> Command, f: impl FnOnce() -> R) -> R {
        let Some(j) = &self.inner.journal else { return f() };
        if journal::in_command() {
            return f();
        }
        let (mut writer, now, seed) = self.begin(j);
        let (out, _) = journal::scope(|| self.inner.clock.pinned(now, f));
        let seq = j.append(&mut writer, self.inner.clock.epoch_ns(now), seed, command());
        drop(writer);
        journal::set_appended(seq);
        out
    }

    /// Runs `f`, a read, as [`Emulator::command`] does, but journals it (as the timers it
    /// applied) only if it applied timers that fell due; nobody waits for that entry.
    pub(crate) fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(j) = &self.inner.journal else { return f() };
        if journal::in_command() {
            return f();
        }
        let (mut writer, now, seed) = self.begin(j);
        let (out, fired) = journal::scope(|| self.inner.clock.pinned(now, f));
        if fired {
            j.append(&mut writer, self.inner.clock.epoch_ns(now), seed, Command::Due);
        }
        out
    }

    /// Runs one journaled command again (start-up replay): at its time, with its seed, and
    /// without journaling what it does.
    fn replay(&self, entry: &journal::Entry) -> Result<(), String> {
        let now = self.inner.clock.at_epoch_ns(entry.at_ns);
        ids::reseed(entry.seed);
        let (out, _) = journal::scope(|| {
            self.inner.clock.pinned(now, || match &entry.command {
                Command::Api { op, codec, body } => crate::ops::replay(self, op, *codec, body),
                Command::Due => {
                    self.with_world(|_, _| ());
                    Ok(())
                }
                Command::Clock { action, .. } => {
                    match action {
                        ClockAction::Advance { by_ns } => {
                            self.advance_clock(std::time::Duration::from_nanos(*by_ns));
                        }
                        ClockAction::Pause => {
                            self.pause_clock();
                        }
                        ClockAction::Resume => {
                            self.resume_clock();
                        }
                    }
                    Ok(())
                }
                Command::Attach { who, conn } => {
                    // A refused attach was journaled too; it is refused again.
                    let _ = crate::sdk::connect(self, who, *conn);
                    Ok(())
                }
                Command::Message { who, text } => {
                    crate::sdk::handle(self, who, text);
                    Ok(())
                }
                Command::Detach { who, conn } => {
                    crate::sdk::disconnect(self, who, *conn);
                    Ok(())
                }
                Command::Control { name, arg } => crate::ops::control::replay(self, name, arg),
            })
        });
        out.map_err(|e| {
            let path =
                self.inner.journal.as_ref().map(|j| j.path().display().to_string()).unwrap_or_default();
            format!("{path}: entry {} cannot be replayed: {e}", entry.seq)
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The request metrics (`GET /metrics`).
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.inner.metrics
    }

    /// The event bus (queue placement events; the log behind `GET /_emulator/events`).
    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// `host:port` for URLs handed out for a listener on `addr`: `--advertised-host` if given,
    /// else the bound address (loopback when bound to all interfaces).
    pub fn advertised(&self, addr: std::net::SocketAddr) -> String {
        match &self.inner.config.advertised_host {
            Some(host) => format!("{host}:{}", addr.port()),
            None => crate::healthcheck::probe_addr(addr).to_string(),
        }
    }

    /// Records the address the server actually listens on (known only after binding).
    pub fn set_listen_addr(&self, addr: std::net::SocketAddr) {
        let _ = self.inner.public_url.set(format!("http://{}", self.advertised(addr)));
    }

    /// The base URL clients reach the emulator at (for URLs it hands out, such as log URLs).
    pub fn public_url(&self) -> String {
        match self.inner.public_url.get() {
            Some(url) => url.clone(),
            None => format!("http://{}", self.advertised(self.inner.config.bind)),
        }
    }

    /// The current time.
    pub fn now(&self) -> Now {
        self.inner.clock.now()
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock is a bug; the world stays usable (every operation
        // validates before it mutates), so recover the guard rather than failing every request.
        self.inner.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the world in one critical section, at the current time, first applying
    /// every transition already due (so a request never sees a state a timer should have
    /// changed); afterwards applies what `f` made due at once, wakes the lifecycle driver if `f`
    /// scheduled a deadline earlier than the one it sleeps until, and hands queued messages to
    /// game-server sockets.
    pub fn with_world<R>(&self, f: impl FnOnce(&mut World, Now) -> R) -> R {
        if self.inner.journal.is_some() && !journal::in_command() {
            // Outside a command (a read such as the health endpoint): journaled if it applied
            // timers.
            return self.read(|| self.world_call(f));
        }
        self.world_call(f)
    }

    fn world_call<R>(&self, f: impl FnOnce(&mut World, Now) -> R) -> R {
        let mut world = self.lock();
        let now = self.now();
        let fired = world.fired();
        world.advance(now);
        let out = f(&mut world, now);
        let wake = world.settle(now);
        if world.fired() != fired {
            journal::note_fired();
        }
        self.deliver(&mut world);
        self.publish_events(&mut world);
        #[cfg(debug_assertions)]
        check_invariants_if_asked(&world);
        drop(world);
        // Woken after the lock is released, so the driver does not wake only to wait for it.
        if wake {
            self.inner.wake.notify_one();
        }
        self.changed();
        out
    }

    /// Signals watchers that the world may have changed: one counter increment, no allocation.
    pub(crate) fn changed(&self) {
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver of the change counter (see [`Emulator::with_world`]); it marks changed after
    /// every state call, and several changes between two reads count as one.
    pub fn watch_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Publishes the events the model recorded (under the world lock, so they keep their order).
    fn publish_events(&self, world: &mut World) {
        for event in world.take_events() {
            let (target, envelope) = crate::events::envelope::envelope(&event);
            self.events().publish(target, envelope);
        }
    }

    /// Hands the messages the model queued for game-server processes to their sockets' tasks
    /// (under the world lock, so messages to one process keep their order).
    fn deliver(&self, world: &mut World) {
        let outbox = world.take_outbox();
        if outbox.is_empty() {
            return;
        }
        let conns = self.inner.connections.lock().unwrap_or_else(|p| p.into_inner());
        for out in outbox {
            if let Some(tx) = conns.get(&out.conn) {
                let _ = tx.send(out.message);
            }
        }
    }

    /// Registers a game-server socket; returns its connection number.
    pub(crate) fn register_connection(&self, tx: mpsc::UnboundedSender<ProcessMessage>) -> u64 {
        let id = self.inner.next_connection.fetch_add(1, Ordering::Relaxed);
        let mut conns = self.inner.connections.lock().unwrap_or_else(|p| p.into_inner());
        conns.insert(id, tx);
        crate::memory::socket_opened(conns.len());
        drop(conns);
        self.changed();
        id
    }

    /// Forgets a closed game-server socket.
    pub(crate) fn unregister_connection(&self, id: u64) {
        let mut conns = self.inner.connections.lock().unwrap_or_else(|p| p.into_inner());
        conns.remove(&id);
        crate::model::compute::shrink_after_spike(&mut conns);
        let open = conns.len();
        drop(conns);
        crate::memory::socket_closed(open);
        self.changed();
    }

    /// How many game-server sockets are registered (open, or closing right now).
    pub fn open_connections(&self) -> usize {
        self.inner.connections.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Records the running wss listener: its base URL and certificate (PEM).
    pub fn set_wss(&self, url: String, cert_pem: String) {
        let _ = self.inner.wss.set((url, cert_pem));
    }

    /// The wss listener's base URL and certificate, when one runs.
    pub fn wss(&self) -> Option<&(String, String)> {
        self.inner.wss.get()
    }

    /// The URL game servers connect to (RegisterCompute's GameLiftServiceSdkEndpoint):
    /// `ws://` on the main port, or `wss://` with `--sdk-endpoint wss`.
    pub fn sdk_endpoint(&self) -> String {
        match (self.inner.config.sdk_endpoint, self.wss()) {
            (crate::config::SdkEndpoint::Wss, Some((url, _))) => url.clone(),
            _ => self.public_url().replacen("http://", "ws://", 1),
        }
    }

    /// The keys API requests must be signed with, when `--verify-signatures` is on.
    pub fn signing_keys(&self) -> Option<&crate::sigv4::Keys> {
        self.inner.signing_keys.as_ref()
    }

    /// The fault injection rules in force.
    pub fn faults(&self) -> &crate::faults::Faults {
        &self.inner.faults
    }

    /// Puts the world back to the fixtures, atomically, and clears injected faults.
    pub fn reset(&self) {
        self.inner.faults.clear();
        let writer = self.inner.journal.as_ref().map(|j| (j, j.lock()));
        let mut world = self.lock();
        let now = self.now();
        match writer {
            None => *world = self.inner.fixtures.build_world(self.inner.config.settings(), now),
            Some((j, mut writer)) => {
                // The journal starts again from a new genesis: this time, a fresh seed.
                let genesis = Genesis {
                    at_ns: self.inner.clock.epoch_ns(now),
                    seed: ids::fresh_seed(),
                    clock: self.inner.clock.persisted(),
                };
                ids::reseed(genesis.seed);
                *world = self.inner.fixtures.build_world(self.inner.config.settings(), now);
                let seq = j.reset(&mut writer, genesis);
                journal::set_appended(seq);
            }
        }
        // Processes belonged to the old world: close their sockets (they may reconnect).
        let conns: Vec<_> =
            self.inner.connections.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for tx in conns {
            let _ = tx.send(ProcessMessage::Close);
        }
        drop(world);
        self.inner.wake.notify_one();
        self.changed();
    }

    /// Applies due transitions; returns the real instant to wake at for the next deadline (for
    /// the lifecycle driver): `None` when nothing is pending or the clock is paused.
    pub(crate) fn tick(&self) -> Option<tokio::time::Instant> {
        let next = self.read(|| {
            let mut world = self.lock();
            let fired = world.fired();
            let next = world.driver_tick(self.now());
            if world.fired() != fired {
                journal::note_fired();
            }
            self.deliver(&mut world);
            self.publish_events(&mut world);
            next
        });
        self.changed();
        next.and_then(|deadline| self.inner.clock.real_deadline(deadline))
    }

    /// The emulator clock: the current time and whether it stands still.
    pub fn clock(&self) -> ClockReading {
        ClockReading { now: self.now(), paused: self.inner.clock.is_paused() }
    }

    /// Moves emulated time forward by `by` and, before returning, applies every transition that
    /// became due, in deadline order, each at its own deadline, as if that time had passed.
    pub fn advance_clock(&self, by: std::time::Duration) -> ClockReading {
        let by = by.min(crate::clock::MAX_ADVANCE);
        let clock_command = |action| Command::Clock { action, state: self.inner.clock.persisted() };
        let by_ns = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.command(
            || clock_command(ClockAction::Advance { by_ns }),
            || {
                let mut world = self.lock();
                let now = self.inner.clock.advance(by);
                world.driver_tick(now);
                self.deliver(&mut world);
                self.publish_events(&mut world);
            },
        );
        // The driver's sleep was computed for the old time.
        self.inner.wake.notify_one();
        self.changed();
        self.clock()
    }

    /// Stops emulated time: nothing fires and timestamps stand still, except through
    /// `advance_clock`.
    pub fn pause_clock(&self) -> ClockReading {
        self.command(
            || Command::Clock { action: ClockAction::Pause, state: self.inner.clock.persisted() },
            || {
                let _world = self.lock();
                self.inner.clock.pause();
            },
        );
        self.inner.wake.notify_one();
        self.changed();
        self.clock()
    }

    /// Lets emulated time run again from where it stood.
    pub fn resume_clock(&self) -> ClockReading {
        self.command(
            || Command::Clock { action: ClockAction::Resume, state: self.inner.clock.persisted() },
            || {
                let _world = self.lock();
                self.inner.clock.resume();
            },
        );
        self.inner.wake.notify_one();
        self.changed();
        self.clock()
    }

    /// Resolves when something scheduled an earlier deadline (or the world was reset).
    pub(crate) async fn woken(&self) {
        self.inner.wake.notified().await;
    }
}

/// What the emulator clock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockReading {
    /// The current emulated time.
    pub now: Now,
    /// Whether time stands still.
    pub paused: bool,
}

impl Emulator {
    /// Reads the world as it is, without applying due transitions (tests use this to observe
    /// what the lifecycle driver alone has done).
    pub fn inspect<R>(&self, f: impl FnOnce(&World) -> R) -> R {
        f(&self.lock())
    }
}

/// Debug builds with `GAMELIFT_EMULATOR_CHECK_INVARIANTS=1`: checks the world's indexes after
/// every request and logs a violation at error level (the request is answered as usual).
#[cfg(debug_assertions)]
fn check_invariants_if_asked(world: &World) {
    static ASKED: OnceLock<bool> = OnceLock::new();
    let asked = *ASKED.get_or_init(|| {
        std::env::var("GAMELIFT_EMULATOR_CHECK_INVARIANTS").is_ok_and(|v| v == "1" || v == "true")
    });
    if asked && let Err(violations) = world.check_invariants() {
        tracing::error!(%violations, "world invariants broken");
    }
}

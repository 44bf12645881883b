//! Durable state (`--data-dir`): a journal of commands in SQLite, replayed on start.
//!
//! The world is never serialized. Every call that changes it is a *command* (an API operation,
//! a game-server frame, a clock change, a lifecycle tick that applied something, a control
//! call), appended to the journal with the emulated time it ran at and the seed of the
//! random-number generator it drew IDs from (`model::ids`). A restart builds the fixtures world
//! as the first start did (same time, same seed) and runs every command again, in order,
//! through the same code, at its recorded time and seed: the result is the same world, bit for
//! bit, with its pending timers armed against the emulator clock.
//!
//! - **Order**: the journal lock (in [`Journal`]) is taken before the world lock and held for a
//!   whole command, so the journal's order is the order the world saw. A thread-local flag lets
//!   the `with_world` calls inside a command run without taking it again.
//! - **Group commit**: appending only pushes the encoded row onto an in-memory batch; a
//!   committer thread writes whole batches, one SQLite transaction each (WAL,
//!   `synchronous=NORMAL`: written to the OS before the client is answered, so a killed process
//!   loses nothing acknowledged; a power loss can lose the last moments, since the file is
//!   fsynced at checkpoints only), then publishes the highest committed sequence number. A
//!   request that changed something waits for its number before it is answered
//!   ([`Journal::wait`]); reads answer at once.
//! - **What is not kept**: sockets (processes reconnect and are matched by `pID`), injected
//!   faults, and the events logged before a `reset` (`reset` empties the journal).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::clock::{Clock, Persisted};
use crate::codec::Codec;
use crate::error::ApiError;
use crate::sdk::ProcessIdentity;

/// The journal's format version: a journal written by a newer one is refused.
pub const FORMAT: i64 = 1;

/// The SQLite file inside the data directory.
pub const FILE_NAME: &str = "journal.sqlite3";

thread_local! {
    /// A command runs on this thread: nested `with_world` calls neither lock nor journal.
    static IN_COMMAND: Cell<bool> = const { Cell::new(false) };
    /// A timed transition was applied during the current command.
    static FIRED: Cell<bool> = const { Cell::new(false) };
    /// The sequence number of the last command appended on this thread (what its request
    /// waits for before answering).
    static APPENDED: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Whether a command is running on this thread.
pub(crate) fn in_command() -> bool {
    IN_COMMAND.with(Cell::get)
}

/// Notes that the running command applied a timed transition.
pub(crate) fn note_fired() {
    FIRED.with(|f| f.set(true));
}

/// Takes the sequence number of the last command this thread appended: the caller answers
/// its client once that number is committed ([`crate::Emulator::durable`]).
pub fn take_appended() -> Option<u64> {
    APPENDED.with(Cell::take)
}

pub(crate) fn set_appended(seq: u64) {
    APPENDED.with(|a| a.set(Some(seq)));
}

/// Runs `f` as a command on this thread; returns its result and whether it applied timers.
pub(crate) fn scope<R>(f: impl FnOnce() -> R) -> (R, bool) {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_COMMAND.with(|c| c.set(false));
        }
    }
    IN_COMMAND.with(|c| c.set(true));
    FIRED.with(|f| f.set(false));
    let _leave = Leave;
    let out = f();
    (out, FIRED.with(Cell::take))
}

/// A clock call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClockAction {
    Advance { by_ns: u64 },
    Pause,
    Resume,
}

/// One journaled command.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    /// An AWS operation that reached its handler (decoded and valid).
    Api { op: String, codec: Codec, body: Vec<u8> },
    /// Timers that fell due were applied (by the lifecycle driver or a read).
    Due,
    /// The clock was advanced, paused or resumed; `state` is the clock afterwards.
    Clock { action: ClockAction, state: Persisted },
    /// A game-server socket opened (connection number `conn`).
    Attach { who: ProcessIdentity, conn: u64 },
    /// A frame from a game-server process.
    Message { who: ProcessIdentity, text: String },
    /// A game-server socket closed.
    Detach { who: ProcessIdentity, conn: u64 },
    /// A control call that changes the world (`/_emulator/*`); `arg` is its JSON input.
    Control { name: String, arg: String },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ClockArg {
    #[serde(default)]
    by_ns: u64,
    state: Persisted,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SdkArg {
    who: ProcessIdentity,
    #[serde(default)]
    conn: u64,
    #[serde(default)]
    text: String,
}

/// A command as stored: `kind`, `name` and `arg` columns.
struct Row {
    kind: &'static str,
    name: String,
    arg: Vec<u8>,
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    // Plain data structures: serializing them to JSON cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

impl Command {
    fn into_row(self) -> Row {
        match self {
            Command::Api { op, codec, body } => Row {
                kind: match codec {
                    Codec::Json => "api-json",
                    Codec::Cbor => "api-cbor",
                },
                name: op,
                arg: body,
            },
            Command::Due => Row { kind: "due", name: String::new(), arg: Vec::new() },
            Command::Clock { action, state } => {
                let (name, by_ns) = match action {
                    ClockAction::Advance { by_ns } => ("advance", by_ns),
                    ClockAction::Pause => ("pause", 0),
                    ClockAction::Resume => ("resume", 0),
                };
                Row { kind: "clock", name: name.into(), arg: json(&ClockArg { by_ns, state }) }
            }
            Command::Attach { who, conn } => Row {
                kind: "sdk",
                name: "attach".into(),
                arg: json(&SdkArg { who, conn, text: String::new() }),
            },
            Command::Message { who, text } => {
                Row { kind: "sdk", name: "message".into(), arg: json(&SdkArg { who, conn: 0, text }) }
            }
            Command::Detach { who, conn } => Row {
                kind: "sdk",
                name: "detach".into(),
                arg: json(&SdkArg { who, conn, text: String::new() }),
            },
            Command::Control { name, arg } => Row { kind: "control", name, arg: arg.into_bytes() },
        }
    }

    fn from_row(kind: &str, name: String, arg: Vec<u8>) -> Result<Command, String> {
        let bad = |e: serde_json::Error| format!("a {kind} {name} entry that does not decode: {e}");
        Ok(match kind {
            "api-json" => Command::Api { op: name, codec: Codec::Json, body: arg },
            "api-cbor" => Command::Api { op: name, codec: Codec::Cbor, body: arg },
            "due" => Command::Due,
            "clock" => {
                let a: ClockArg = serde_json::from_slice(&arg).map_err(bad)?;
                let action = match name.as_str() {
                    "advance" => ClockAction::Advance { by_ns: a.by_ns },
                    "pause" => ClockAction::Pause,
                    "resume" => ClockAction::Resume,
                    other => return Err(format!("an unknown clock action '{other}'")),
                };
                Command::Clock { action, state: a.state }
            }
            "sdk" => {
                let a: SdkArg = serde_json::from_slice(&arg).map_err(bad)?;
                match name.as_str() {
                    "attach" => Command::Attach { who: a.who, conn: a.conn },
                    "message" => Command::Message { who: a.who, text: a.text },
                    "detach" => Command::Detach { who: a.who, conn: a.conn },
                    other => return Err(format!("an unknown game-server event '{other}'")),
                }
            }
            "control" => Command::Control {
                name,
                arg: String::from_utf8(arg).map_err(|_| "a control entry that is not UTF-8".to_string())?,
            },
            other => return Err(format!("an unknown kind of entry '{other}'")),
        })
    }
}

/// Where the world starts: the time and seed the fixtures world was built at, and the clock
/// then (kept in the `meta` table; a reset writes a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Genesis {
    /// Emulated time, epoch nanoseconds.
    pub at_ns: i64,
    /// Seed of the generator the fixtures world drew its IDs from.
    pub seed: u64,
    /// The clock at that moment.
    pub clock: Persisted,
}

enum Item {
    Entry {
        seq: u64,
        at_ns: i64,
        seed: u64,
        row: Row,
    },
    /// Everything before is gone; the world starts again from this genesis.
    Reset {
        seq: u64,
        genesis: Genesis,
    },
}

impl Item {
    fn seq(&self) -> u64 {
        match self {
            Item::Entry { seq, .. } | Item::Reset { seq, .. } => *seq,
        }
    }
}

#[derive(Default)]
struct Pending {
    items: Vec<Item>,
    closed: bool,
    /// The committer sleeps on `arrived` (so an append must wake it; otherwise it will find
    /// the item when its current write is done, and no wake-up is paid for).
    idle: bool,
}

/// What the committer has done so far, and who waits for what.
#[derive(Default)]
struct Progress {
    seq: u64,
    failed: Option<Arc<str>>,
    /// Requests waiting for a sequence number, each woken once, when it is committed.
    waiters: Vec<(u64, oneshot::Sender<()>)>,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Signals the committer that items (or the end) arrived.
    arrived: Condvar,
    progress: Mutex<Progress>,
    /// Signals blocking waiters ([`Journal::flush`]).
    advanced: Condvar,
}

impl Shared {
    /// Records the committer's progress (or failure) and wakes whoever it concerns.
    fn publish(&self, seq: Option<u64>, failed: Option<Arc<str>>) {
        let mut progress = relock(&self.progress);
        if let Some(seq) = seq {
            progress.seq = seq;
        }
        if failed.is_some() {
            progress.failed = failed;
        }
        let (done, all) = (progress.seq, progress.failed.is_some());
        for (seq, tx) in std::mem::take(&mut progress.waiters) {
            if all || seq <= done {
                // The waiter reads the outcome itself once woken.
                let _ = tx.send(());
            } else {
                progress.waiters.push((seq, tx));
            }
        }
        drop(progress);
        self.advanced.notify_all();
    }
}

fn relock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The journal lock's contents: the next sequence number.
pub(crate) struct Writer {
    next_seq: u64,
}

/// An open journal: the lock commands serialize on, the batch, and the committer thread.
pub struct Journal {
    path: PathBuf,
    writer: Mutex<Writer>,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Journal {
    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the journal lock (before the world lock, for a whole command).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Writer> {
        relock(&self.writer)
    }

    fn push(&self, item: Item) {
        let mut pending = relock(&self.shared.pending);
        pending.items.push(item);
        let idle = std::mem::take(&mut pending.idle);
        drop(pending);
        if idle {
            self.shared.arrived.notify_one();
        }
    }

    /// Appends a command that ran at `at_ns` with `seed`; returns its sequence number.
    pub(crate) fn append(&self, writer: &mut Writer, at_ns: i64, seed: u64, command: Command) -> u64 {
        let seq = writer.next_seq;
        writer.next_seq += 1;
        self.push(Item::Entry { seq, at_ns, seed, row: command.into_row() });
        seq
    }

    /// Forgets every command: the world starts again from `genesis`.
    pub(crate) fn reset(&self, writer: &mut Writer, genesis: Genesis) -> u64 {
        let seq = writer.next_seq;
        writer.next_seq += 1;
        self.push(Item::Reset { seq, genesis });
        seq
    }

    /// Resolves once command `seq` (and every one before it) is committed; an error if the
    /// journal could not be written.
    pub async fn wait(&self, seq: u64) -> Result<(), ApiError> {
        let outcome = |p: &Progress| match &p.failed {
            Some(e) => Some(Err(ApiError::InternalService(format!(
                "The change could not be made durable: the journal {} could not be written ({e}).",
                self.path.display()
            )))),
            None if p.seq >= seq => Some(Ok(())),
            None => None,
        };
        let rx = {
            let mut progress = relock(&self.shared.progress);
            if let Some(done) = outcome(&progress) {
                return done;
            }
            let (tx, rx) = oneshot::channel();
            progress.waiters.push((seq, tx));
            rx
        };
        let _ = rx.await;
        outcome(&relock(&self.shared.progress))
            .unwrap_or_else(|| Err(ApiError::InternalService("The journal's committer stopped.".into())))
    }

    /// Blocks until everything appended so far is committed (or the journal failed).
    pub fn flush(&self) {
        let last = relock(&self.writer).next_seq.saturating_sub(1);
        let mut progress = relock(&self.shared.progress);
        while progress.seq < last && progress.failed.is_none() {
            progress = self.shared.advanced.wait(progress).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn start(&self, conn: Connection, first_seq: u64) {
        let shared = self.shared.clone();
        let path = self.path.clone();
        relock(&shared.progress).seq = first_seq.saturating_sub(1);
        let handle = std::thread::Builder::new()
            .name("journal-committer".into())
            .spawn(move || commit_loop(conn, &shared, &path));
        match handle {
            Ok(h) => *relock(&self.thread) = Some(h),
            Err(e) => self.shared.publish(None, Some(format!("no committer thread: {e}").into())),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        relock(&self.shared.pending).closed = true;
        self.shared.arrived.notify_one();
        if let Some(h) = relock(&self.thread).take() {
            let _ = h.join();
        }
    }
}

fn commit_loop(mut conn: Connection, shared: &Shared, path: &Path) {
    loop {
        let (items, closed) = {
            let mut pending = relock(&shared.pending);
            while pending.items.is_empty() && !pending.closed {
                pending.idle = true;
                pending = shared.arrived.wait(pending).unwrap_or_else(|p| p.into_inner());
            }
            pending.idle = false;
            (std::mem::take(&mut pending.items), pending.closed)
        };
        if let Some(last) = items.last().map(Item::seq) {
            let failed = relock(&shared.progress).failed.is_some();
            // After a failed write nothing more is written: a gap would replay as another world.
            if !failed {
                match write_batch(&mut conn, &items) {
                    Ok(()) => shared.publish(Some(last), None),
                    Err(e) => {
                        tracing::error!(file = %path.display(), "the journal could not be written: {e}");
                        shared.publish(None, Some(e.to_string().into()));
                    }
                }
            }
        }
        if closed && items.is_empty() {
            // Fold the WAL into the database file (and fsync it) on a clean stop.
            if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::warn!(file = %path.display(), "journal checkpoint failed: {e}");
            }
            return;
        }
    }
}

fn write_batch(conn: &mut Connection, items: &[Item]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO journal (seq, at_ns, seed, kind, name, arg) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for item in items {
            match item {
                Item::Entry { seq, at_ns, seed, row } => {
                    insert.execute(params![*seq as i64, at_ns, *seed as i64, row.kind, row.name, row.arg])?;
                }
                Item::Reset { genesis, .. } => {
                    tx.execute("DELETE FROM journal", [])?;
                    set_meta(&tx, "genesis", &String::from_utf8_lossy(&json(genesis)))?;
                }
            }
        }
    }
    tx.commit()
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

fn get_meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)).optional()
}

/// FNV-1a, 64 bits: a hash that stays the same across Rust releases (unlike std's).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The fingerprint of what shapes the world besides the journal: the model settings from the
/// flags and the fixtures.
pub fn fingerprint(settings: &crate::model::Settings, fixtures: &crate::Fixtures) -> String {
    format!("{:016x}", fnv1a(format!("{settings:?}\n{fixtures:?}").as_bytes()))
}

/// A journal opened for start-up: its entries are replayed, then [`Opened::start`] hands the
/// connection to the committer.
pub struct Opened {
    /// The journal (the committer is not running yet).
    pub journal: Journal,
    /// Where the world starts.
    pub genesis: Genesis,
    /// Whether the file already held a journal (else it was just created).
    pub existing: bool,
    conn: Connection,
    next_seq: u64,
}

/// What went wrong with the data directory, for the start-up message.
fn unusable(path: &Path, what: impl std::fmt::Display) -> String {
    format!(
        "{}: {what}. The data directory cannot be used: move it away (or point --data-dir elsewhere) to start \
         with an empty one.",
        path.display()
    )
}

/// Opens (creating if missing) the journal in `dir`. A fresh journal starts at `genesis()`.
/// Refuses a file that is not a journal, is damaged, was written by a newer format, or was
/// written with other settings or fixtures (`fingerprint`).
pub fn open(dir: &Path, fingerprint: &str, genesis: impl FnOnce() -> Genesis) -> Result<Opened, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
    let path = dir.join(FILE_NAME);
    let fail = |e: rusqlite::Error| unusable(&path, format!("not a readable journal ({e})"));
    let mut conn = Connection::open(&path).map_err(fail)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)).map_err(fail)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(unusable(&path, format!("SQLite refused write-ahead logging (journal_mode {mode})")));
    }
    conn.execute_batch(
        "PRAGMA synchronous=NORMAL;
         CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS journal (
             seq INTEGER PRIMARY KEY, at_ns INTEGER NOT NULL, seed INTEGER NOT NULL,
             kind TEXT NOT NULL, name TEXT NOT NULL, arg BLOB NOT NULL);",
    )
    .map_err(fail)?;
    let (genesis, existing) = match get_meta(&conn, "format").map_err(fail)? {
        None => {
            let g = genesis();
            let tx = conn.transaction().map_err(fail)?;
            set_meta(&tx, "format", &FORMAT.to_string()).map_err(fail)?;
            set_meta(&tx, "written_by", concat!("gamelift-emulator ", env!("CARGO_PKG_VERSION")))
                .map_err(fail)?;
            set_meta(&tx, "fingerprint", fingerprint).map_err(fail)?;
            set_meta(&tx, "genesis", &String::from_utf8_lossy(&json(&g))).map_err(fail)?;
            tx.commit().map_err(fail)?;
            (g, false)
        }
        Some(format) => {
            let written_by = get_meta(&conn, "written_by").map_err(fail)?.unwrap_or_else(|| "?".into());
            match format.parse::<i64>() {
                Ok(f) if f > FORMAT => {
                    return Err(format!(
                        "{}: written by {written_by} in journal format {f}, newer than this version reads ({FORMAT}). \
                         Start that version (or a newer one), or move the data directory away to start with an \
                         empty one.",
                        path.display()
                    ));
                }
                Ok(f) if f == FORMAT => {}
                _ => return Err(unusable(&path, format!("an unknown journal format '{format}'"))),
            }
            let stored = get_meta(&conn, "fingerprint").map_err(fail)?.unwrap_or_default();
            if stored != fingerprint {
                return Err(format!(
                    "{}: this journal was written with other settings or fixtures (fingerprint {stored}, now \
                     {fingerprint}); its commands would replay into another world. Start with the same flags \
                     (region, account, delays, retention, seeds) and fixtures as before, or move the data \
                     directory away to start with an empty one.",
                    path.display()
                ));
            }
            let text = get_meta(&conn, "genesis").map_err(fail)?.unwrap_or_default();
            let g: Genesis = serde_json::from_str(&text)
                .map_err(|e| unusable(&path, format!("an unreadable genesis ({e})")))?;
            (g, true)
        }
    };
    let last: i64 =
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |r| r.get(0)).map_err(fail)?;
    let next_seq = u64::try_from(last).unwrap_or(0) + 1;
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        arrived: Condvar::new(),
        progress: Mutex::new(Progress::default()),
        advanced: Condvar::new(),
    });
    let journal = Journal { path, writer: Mutex::new(Writer { next_seq }), shared, thread: Mutex::new(None) };
    Ok(Opened { journal, genesis, existing, conn, next_seq })
}

/// One stored command.
#[derive(Debug)]
pub(crate) struct Entry {
    pub seq: u64,
    pub at_ns: i64,
    pub seed: u64,
    pub command: Command,
}

impl Opened {
    /// Calls `apply` with every stored command, oldest first; stops at the first error
    /// (an entry that does not decode, or a damaged file), naming the file.
    pub(crate) fn for_each(&self, mut apply: impl FnMut(Entry) -> Result<(), String>) -> Result<(), String> {
        let path = &self.journal.path;
        let fail = |e: rusqlite::Error| unusable(path, format!("the journal cannot be read ({e})"));
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at_ns, seed, kind, name, arg FROM journal ORDER BY seq")
            .map_err(fail)?;
        let mut rows = stmt.query([]).map_err(fail)?;
        while let Some(row) = rows.next().map_err(fail)? {
            let seq: i64 = row.get(0).map_err(fail)?;
            let at_ns: i64 = row.get(1).map_err(fail)?;
            let seed: i64 = row.get(2).map_err(fail)?;
            let kind: String = row.get(3).map_err(fail)?;
            let name: String = row.get(4).map_err(fail)?;
            let arg: Vec<u8> = row.get(5).map_err(fail)?;
            let command = Command::from_row(&kind, name, arg)
                .map_err(|e| unusable(path, format!("entry {seq} is {e}")))?;
            apply(Entry { seq: seq as u64, at_ns, seed: seed as u64, command })?;
        }
        Ok(())
    }

    /// Starts the committer; returns the journal, ready for new commands.
    pub fn start(self) -> Journal {
        let Opened { journal, conn, next_seq, .. } = self;
        journal.start(conn, next_seq);
        journal
    }
}

/// Puts `clock` where the journal left it once replay is done (see [`Persisted`]).
pub(crate) fn restore_clock(clock: &Clock, state: Persisted, last_at_ns: i64) {
    clock.restore(state, last_at_ns);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> ProcessIdentity {
        ProcessIdentity {
            pid: "p1".into(),
            fleet_id: "fleet-1".into(),
            compute: "c".into(),
            sdk: "Go 5".into(),
        }
    }

    #[test]
    fn every_command_round_trips_through_its_row() {
        let state = Persisted { paused: true, emulated_ns: 5, wall_ns: 3 };
        let commands = [
            Command::Api { op: "CreateFleet".into(), codec: Codec::Cbor, body: vec![1, 2, 3] },
            Command::Api { op: "TagResource".into(), codec: Codec::Json, body: b"{}".to_vec() },
            Command::Due,
            Command::Clock { action: ClockAction::Advance { by_ns: 7 }, state },
            Command::Clock { action: ClockAction::Pause, state },
            Command::Clock { action: ClockAction::Resume, state },
            Command::Attach { who: who(), conn: 4 },
            Command::Message { who: who(), text: "{\"Action\":\"x\"}".into() },
            Command::Detach { who: who(), conn: 4 },
            Command::Control { name: "accept-player-session".into(), arg: "\"psess-1\"".into() },
        ];
        for c in commands {
            let row = c.clone().into_row();
            assert_eq!(Command::from_row(row.kind, row.name, row.arg), Ok(c));
        }
        assert!(Command::from_row("martian", String::new(), Vec::new()).is_err());
        assert!(Command::from_row("sdk", "attach".into(), b"{".to_vec()).is_err());
    }

    /// Replay reproduces the world only if everything that ends up in it or in the event log
    /// draws from `model::ids` (reseeded per command). This fails when new code takes OS
    /// randomness there instead.
    #[test]
    fn world_state_draws_randomness_only_from_the_seeded_generator() {
        // Not state: webhook subscription IDs, push request IDs (they go to sockets only), and
        // the generator's own seeding (and this test).
        let allowed = ["events/webhook.rs", "sdk/pushes.rs", "model/ids.rs", "journal.rs"];
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src.clone()];
        let mut offenders = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let rel = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
                if !rel.ends_with(".rs") || allowed.contains(&rel.as_str()) || rel.starts_with("protocol/") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("readable");
                for (i, line) in text.lines().enumerate() {
                    if ["new_v4", "thread_rng", "rand::rng", "OsRng", "from_os_rng"]
                        .iter()
                        .any(|p| line.contains(p))
                    {
                        offenders.push(format!("src/{rel}:{}: {}", i + 1, line.trim()));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "use model::ids::random_uuid() instead:\n{}", offenders.join("\n"));
    }

    #[test]
    fn the_fingerprint_hash_is_fixed() {
        // FNV-1a test vectors: a journal's fingerprint must not change with the Rust release.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

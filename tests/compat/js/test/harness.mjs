// Harness for the AWS SDK for JavaScript v3 compatibility suite.
//
// Each test file calls `useEmulator()` once at top level. That registers node:test hooks which
// start one emulator process for the file (on a free port), POST /_emulator/reset before every
// test, and stop the process after the file's last test. `node --test` runs files in parallel
// processes, so every file gets its own emulator; tests inside a file run one after another.
//
// Environment:
//   GAMELIFT_EMULATOR_BIN  path of the emulator binary; a relative path is taken from the folder
//                          npm was started in (default: <repo>/target/debug/gamelift-emulator)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import {
  DescribeGameSessionsCommand,
  GameLiftClient,
  GameLiftServiceException,
} from '@aws-sdk/client-gamelift';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

// Default fixture (fixtures/default.json, built into the binary).
export const FLEET_EC2 = 'fleet-00000000-0000-4000-8000-000000000001'; // us-east-1 (2 inst) + us-west-2 (1 inst), 10/inst
export const FLEET_LIMITED = 'fleet-00000000-0000-4000-8000-000000000002'; // 2 sessions per creator per minute
export const FLEET_ACTIVATING = 'fleet-00000000-0000-4000-8000-000000000003'; // ACTIVATING forever
export const FLEET_TINY = 'fleet-00000000-0000-4000-8000-000000000004'; // capacity 2; ap-northeast-1 ACTIVATING
export const ALIAS_SIMPLE = 'alias-00000000-0000-4000-8000-000000000001'; // SIMPLE -> FLEET_EC2
export const ALIAS_TERMINAL = 'alias-00000000-0000-4000-8000-000000000002'; // TERMINAL
export const TERMINAL_MESSAGE = 'This game has ended. Please update your client.';
export const UNKNOWN_FLEET = 'fleet-ffffffff-ffff-4fff-8fff-ffffffffffff';

/** Per-test timeout (ms) for `test(name, { timeout: TEST_TIMEOUT_MS }, fn)`: a hang fails, not blocks. */
export const TEST_TIMEOUT_MS = 15_000;

const HARNESS_DIR = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HARNESS_DIR, '..', '..', '..', '..');
const DEFAULT_BIN = path.join(REPO_ROOT, 'target', 'debug', 'gamelift-emulator');
const HEALTH_DEADLINE_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3; // a new port each time, in case another process took ours
const HTTP_TIMEOUT_MS = 10_000;
const LOG_TAIL_CHARS = 4_000;

const UUID_RE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

// Keep the developer's own AWS configuration away from the clients, and silence the SDK's
// "future versions will need Node 22" notice (Node 20 is what this machine has).
for (const name of Object.keys(process.env)) {
  if (name === 'AWS_PROFILE' || name === 'AWS_DEFAULT_PROFILE' || name.startsWith('AWS_ENDPOINT_URL')) {
    delete process.env[name];
  }
}
process.env.AWS_CONFIG_FILE = os.devNull;
process.env.AWS_SHARED_CREDENTIALS_FILE = os.devNull;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function fleetArn(fleetId) {
  return `arn:aws:gamelift:${REGION}:${ACCOUNT}:fleet/${fleetId}`;
}

export function aliasArn(aliasId) {
  return `arn:aws:gamelift:${REGION}::alias/${aliasId}`;
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** RegExp for a game session ID (= ARN); idPart defaults to gsess-<uuid>. */
export function gameSessionArnRe(fleetId, { location, idPart } = {}) {
  const loc = location ? `${escapeRe(location)}/` : '';
  const tail = idPart ? escapeRe(idPart) : `gsess-${UUID_RE}`;
  return new RegExp(`^arn:aws:gamelift:${escapeRe(REGION)}::gamesession/${escapeRe(fleetId)}/${loc}${tail}$`);
}

// --------------------------------------------------------------------------- process

function resolveBinary() {
  const fromEnv = process.env.GAMELIFT_EMULATOR_BIN;
  // npm runs scripts in the package folder; resolve a relative path against where npm was started.
  const bin = fromEnv ? path.resolve(process.env.INIT_CWD ?? process.cwd(), fromEnv) : DEFAULT_BIN;
  try {
    if (!statSync(bin).isFile()) throw new Error('not a file');
    accessSync(bin, fsConstants.X_OK);
  } catch {
    throw new Error(
      `emulator binary not found or not executable: ${bin} ` +
        '(run `cargo build` at the repository root, or set GAMELIFT_EMULATOR_BIN)',
    );
  }
  return bin;
}

/** Ask the OS for a free TCP port on 127.0.0.1, then release it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

async function httpStatus(method, url, timeoutMs) {
  const resp = await fetch(url, { method, signal: AbortSignal.timeout(timeoutMs) });
  await resp.arrayBuffer(); // drain, so the connection is released
  return resp.status;
}

class Emulator {
  constructor(bin, port) {
    this.bin = bin;
    this.port = port;
    this.endpoint = `http://127.0.0.1:${port}`;
    this.log = '';
    this.exit = null; // { code, signal } once the process is gone
    this.proc = spawn(
      bin,
      [
        '--bind', `127.0.0.1:${port}`,
        '--game-session-activation-delay', '200ms',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk) => {
      this.log = (this.log + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS);
    };
    this.proc.stdout.on('data', collect);
    this.proc.stderr.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.proc.once('error', (err) => {
        this.log += `\nspawn error: ${err.message}`;
        this.exit = { code: null, signal: null, error: err };
        resolve(this.exit);
      });
    });
    // If the test process dies abruptly, do not leave the emulator behind.
    this.onProcessExit = () => this.proc.kill('SIGKILL');
    process.once('exit', this.onProcessExit);
  }

  /** Resolves when /_emulator/health answers 200; returns false if the process exited first. */
  async waitHealthy() {
    const deadline = Date.now() + HEALTH_DEADLINE_MS;
    for (;;) {
      if (this.exit) return false;
      try {
        if ((await httpStatus('GET', `${this.endpoint}/_emulator/health`, 1_000)) === 200) return true;
      } catch {
        // not listening yet
      }
      if (this.exit) return false;
      if (Date.now() >= deadline) {
        await this.stop();
        throw new Error(
          `emulator did not answer GET /_emulator/health with 200 within ` +
            `${HEALTH_DEADLINE_MS / 1000} s:\n${this.log}`,
        );
      }
      await sleep(50);
    }
  }

  async stop() {
    process.removeListener('exit', this.onProcessExit);
    if (this.exit) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

async function startEmulator() {
  const bin = resolveBinary();
  let last;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const emu = new Emulator(bin, await freePort());
    if (await emu.waitHealthy()) return emu;
    await emu.stop();
    last = emu;
  }
  throw new Error(
    `emulator exited before it became healthy (${START_ATTEMPTS} attempts; last exit ` +
      `${JSON.stringify(last.exit)}):\n${last.log}`,
  );
}

// --------------------------------------------------------------------------- clients

export function makeClient(endpoint) {
  return new GameLiftClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: HTTP_TIMEOUT_MS },
  });
}

/**
 * Register the per-file hooks. Returns a context whose `endpoint` and `client` are set once the
 * `before` hook has run (use them inside tests, not at module top level).
 */
export function useEmulator() {
  const ctx = { endpoint: undefined, client: undefined, emulator: undefined };

  before(async () => {
    ctx.emulator = await startEmulator();
    ctx.endpoint = ctx.emulator.endpoint;
    ctx.client = makeClient(ctx.endpoint);
  });

  beforeEach(async () => {
    assert.ok(ctx.emulator, 'emulator did not start (see the before hook failure)');
    const status = await httpStatus('POST', `${ctx.endpoint}/_emulator/reset`, HTTP_TIMEOUT_MS);
    assert.equal(status, 200, `POST /_emulator/reset answered ${status}`);
  });

  after(async () => {
    ctx.client?.destroy();
    await ctx.emulator?.stop();
  });

  return ctx;
}

// --------------------------------------------------------------------------- helpers

/**
 * Poll DescribeGameSessions every 50 ms until the session has `status`; returns the GameSession.
 * Fails with the last seen status when `timeoutMs` passes.
 */
export async function waitForStatus(client, gameSessionId, status, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { GameSessions } = await client.send(new DescribeGameSessionsCommand({ GameSessionId: gameSessionId }));
    assert.equal(GameSessions.length, 1, JSON.stringify(GameSessions));
    const [session] = GameSessions;
    if (session.Status === status) return session;
    if (Date.now() >= deadline) {
      assert.fail(
        `game session ${gameSessionId} did not reach ${status} within ${timeoutMs} ms ` +
          `(last status ${session.Status})`,
      );
    }
    await sleep(50);
  }
}

/** Await `promise`, which must reject; return what it rejected with. */
export async function rejection(promise) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  assert.fail(`expected the call to fail, but it succeeded: ${JSON.stringify(value)}`);
}

/**
 * Check what a JS SDK user sees for a service error, and return the error.
 *
 * expected: an exception class exported by the client (modeled error), or a name string
 * (an error outside the GameLift model, surfaced as a generic GameLiftServiceException).
 * message: exact expected message; messageIncludes: a substring it must contain.
 */
export function assertServiceError(err, expected, { message, messageIncludes } = {}) {
  const name = typeof expected === 'string' ? expected : expected.name;
  const detail = () =>
    `${err?.name}: ${err?.message}\n${JSON.stringify({ $fault: err?.$fault, $metadata: err?.$metadata })}`;
  assert.ok(err instanceof GameLiftServiceException, `not a GameLiftServiceException: ${err?.stack ?? err}`);
  if (typeof expected !== 'string') assert.ok(err instanceof expected, `not a ${name}: ${detail()}`);
  assert.equal(err.name, name, detail());
  assert.equal(err.$fault, 'client', detail());
  assert.equal(err.$metadata?.httpStatusCode, 400, detail());
  assert.ok(err.$metadata?.requestId, `no request id: ${detail()}`);
  assert.equal(err.$metadata?.attempts, 1, `retried: ${detail()}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0 && err.message !== 'UnknownError', `no message: ${detail()}`);
  if (message !== undefined) assert.equal(err.message, message);
  if (messageIncludes !== undefined) {
    assert.ok(err.message.includes(messageIncludes), `message ${JSON.stringify(err.message)} lacks ${JSON.stringify(messageIncludes)}`);
  }
  return err;
}

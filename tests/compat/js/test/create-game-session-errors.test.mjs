// CreateGameSession errors as a JS SDK v3 user sees them.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  CreateGameSessionCommand,
  DescribeGameSessionsCommand,
  FleetCapacityExceededException,
  IdempotentParameterMismatchException,
  InvalidFleetStatusException,
  InvalidRequestException,
  LimitExceededException,
  NotFoundException,
  TerminalRoutingStrategyException,
  UnsupportedRegionException,
} from '@aws-sdk/client-gamelift';

import {
  ALIAS_TERMINAL,
  FLEET_ACTIVATING,
  FLEET_EC2,
  FLEET_LIMITED,
  FLEET_TINY,
  TERMINAL_MESSAGE,
  TEST_TIMEOUT_MS,
  UNKNOWN_FLEET,
  assertServiceError,
  gameSessionArnRe,
  rejection,
  useEmulator,
} from './harness.mjs';

const gl = useEmulator();
const opts = { timeout: TEST_TIMEOUT_MS };

const create = (input) => gl.client.send(new CreateGameSessionCommand({ MaximumPlayerSessionCount: 1, ...input }));
const sessionsOf = async (fleetId) =>
  (await gl.client.send(new DescribeGameSessionsCommand({ FleetId: fleetId }))).GameSessions;

test('unknown fleet → NotFoundException', opts, async () => {
  const err = await rejection(create({ FleetId: UNKNOWN_FLEET }));
  assertServiceError(err, NotFoundException);
});

test('TERMINAL alias → TerminalRoutingStrategyException with the alias message', opts, async () => {
  const err = await rejection(create({ AliasId: ALIAS_TERMINAL }));
  assertServiceError(err, TerminalRoutingStrategyException, { message: TERMINAL_MESSAGE });
});

test('fleet not ACTIVE → InvalidFleetStatusException', opts, async () => {
  const err = await rejection(create({ FleetId: FLEET_ACTIVATING }));
  assertServiceError(err, InvalidFleetStatusException);
});

test('third session in the capacity-2 fleet → FleetCapacityExceededException', opts, async () => {
  await create({ FleetId: FLEET_TINY });
  await create({ FleetId: FLEET_TINY });
  const err = await rejection(create({ FleetId: FLEET_TINY }));
  assertServiceError(err, FleetCapacityExceededException);
  assert.equal((await sessionsOf(FLEET_TINY)).length, 2);
});

test('third session by one creator in the limited fleet → LimitExceededException (not retried)', opts, async () => {
  await create({ FleetId: FLEET_LIMITED, CreatorId: 'creator-a' });
  await create({ FleetId: FLEET_LIMITED, CreatorId: 'creator-a' });
  const err = await rejection(create({ FleetId: FLEET_LIMITED, CreatorId: 'creator-a' }));
  // assertServiceError also checks $metadata.attempts === 1: the SDK treats
  // LimitExceededException as throttling and would retry it without maxAttempts: 1.
  assertServiceError(err, LimitExceededException);
  // The limit is per creator: somebody else may still create sessions.
  await create({ FleetId: FLEET_LIMITED, CreatorId: 'creator-b' });
});

test('same IdempotencyToken replays; with other parameters → IdempotentParameterMismatchException', opts, async () => {
  const input = { FleetId: FLEET_EC2, MaximumPlayerSessionCount: 4, IdempotencyToken: 'tok-js-1' };
  const first = (await create(input)).GameSession;
  assert.match(first.GameSessionId, gameSessionArnRe(FLEET_EC2, { idPart: 'tok-js-1' }));
  const replay = await create(input);
  assert.equal(replay.$metadata.httpStatusCode, 200);
  assert.equal(replay.GameSession.GameSessionId, first.GameSessionId);

  const err = await rejection(create({ ...input, MaximumPlayerSessionCount: 5 }));
  assertServiceError(err, IdempotentParameterMismatchException);
  assert.deepEqual(
    (await sessionsOf(FLEET_EC2)).map((s) => s.GameSessionId),
    [first.GameSessionId],
  );
});

test('MaximumPlayerSessionCount -1 → InvalidRequestException with the Coral message (no client-side validation)', opts, async () => {
  const err = await rejection(create({ FleetId: FLEET_EC2, MaximumPlayerSessionCount: -1 }));
  assertServiceError(err, InvalidRequestException, {
    message:
      "1 validation error detected: Value '-1' at 'maximumPlayerSessionCount' failed to satisfy " +
      'constraint: Member must have value greater than or equal to 0',
  });
  assert.deepEqual(await sessionsOf(FLEET_EC2), []);
});

test('Location that is no AWS Region → UnsupportedRegionException', opts, async () => {
  const err = await rejection(create({ FleetId: FLEET_EC2, Location: 'mars-north-1' }));
  assertServiceError(err, UnsupportedRegionException);
});

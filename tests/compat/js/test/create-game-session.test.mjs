// CreateGameSession through the JS SDK v3: successful calls and what they return.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CreateGameSessionCommand } from '@aws-sdk/client-gamelift';

import {
  ALIAS_SIMPLE,
  FLEET_EC2,
  REGION,
  TEST_TIMEOUT_MS,
  fleetArn,
  gameSessionArnRe,
  useEmulator,
  waitForStatus,
} from './harness.mjs';

const gl = useEmulator();
const opts = { timeout: TEST_TIMEOUT_MS };

test('CreateGameSession by FleetId returns an ACTIVATING session with all fields, then ACTIVE', opts, async () => {
  const before = Date.now();
  const resp = await gl.client.send(
    new CreateGameSessionCommand({
      FleetId: FLEET_EC2,
      MaximumPlayerSessionCount: 8,
      Name: 'my-session',
      GameProperties: [
        { Key: 'difficulty', Value: 'novice' },
        { Key: 'map', Value: 'x1' },
      ],
      CreatorId: 'player-1',
      GameSessionData: 'custom data',
    }),
  );
  const afterCall = Date.now();

  assert.equal(resp.$metadata.httpStatusCode, 200);
  assert.ok(resp.$metadata.requestId, 'no request id');
  const gs = resp.GameSession;
  assert.match(gs.GameSessionId, gameSessionArnRe(FLEET_EC2));
  assert.equal(gs.Name, 'my-session');
  assert.equal(gs.FleetId, FLEET_EC2);
  assert.equal(gs.FleetArn, fleetArn(FLEET_EC2));
  assert.equal(gs.Status, 'ACTIVATING');
  assert.equal(gs.Location, REGION);
  assert.equal(gs.CurrentPlayerSessionCount, 0);
  assert.equal(gs.MaximumPlayerSessionCount, 8);
  assert.equal(gs.PlayerSessionCreationPolicy, 'ACCEPT_ALL');
  assert.deepEqual(gs.GameProperties, [
    { Key: 'difficulty', Value: 'novice' },
    { Key: 'map', Value: 'x1' },
  ]);
  assert.equal(gs.CreatorId, 'player-1');
  assert.equal(gs.GameSessionData, 'custom data');
  assert.equal(gs.IpAddress, '127.0.0.1');
  assert.equal(typeof gs.DnsName, 'string');
  assert.ok(gs.DnsName.length > 0, 'empty DnsName');
  assert.ok(Number.isInteger(gs.Port) && gs.Port >= 1 && gs.Port <= 60000, `Port ${gs.Port}`);
  // The SDK turns the epoch-seconds number into a Date.
  assert.ok(gs.CreationTime instanceof Date, `CreationTime is ${typeof gs.CreationTime}`);
  const created = gs.CreationTime.getTime();
  assert.ok(!Number.isNaN(created), 'CreationTime is an invalid Date');
  const slack = 2_000;
  assert.ok(before - slack <= created && created <= afterCall + slack, `${before} <= ${created} <= ${afterCall}`);

  const active = await waitForStatus(gl.client, gs.GameSessionId, 'ACTIVE');
  for (const key of [
    'GameSessionId', 'Name', 'FleetId', 'FleetArn', 'Port', 'IpAddress', 'DnsName', 'Location',
    'GameProperties', 'CreatorId', 'GameSessionData', 'MaximumPlayerSessionCount',
  ]) {
    assert.deepEqual(active[key], gs[key], key);
  }
  assert.ok(active.CreationTime instanceof Date);
  assert.equal(active.CreationTime.getTime(), gs.CreationTime.getTime());
});

test('CreateGameSession by AliasId resolves to the alias fleet and becomes ACTIVE', opts, async () => {
  const { GameSession: gs } = await gl.client.send(
    new CreateGameSessionCommand({ AliasId: ALIAS_SIMPLE, MaximumPlayerSessionCount: 4 }),
  );
  assert.equal(gs.FleetId, FLEET_EC2);
  assert.equal(gs.FleetArn, fleetArn(FLEET_EC2));
  assert.match(gs.GameSessionId, gameSessionArnRe(FLEET_EC2));
  assert.equal(gs.Status, 'ACTIVATING');
  await waitForStatus(gl.client, gs.GameSessionId, 'ACTIVE');
});

test('CreateGameSession in remote location us-west-2 puts the location in the ARN', opts, async () => {
  const { GameSession: gs } = await gl.client.send(
    new CreateGameSessionCommand({ FleetId: FLEET_EC2, MaximumPlayerSessionCount: 4, Location: 'us-west-2' }),
  );
  assert.equal(gs.Location, 'us-west-2');
  assert.ok(gs.GameSessionId.includes('/us-west-2/'), gs.GameSessionId);
  assert.match(gs.GameSessionId, gameSessionArnRe(FLEET_EC2, { location: 'us-west-2' }));
  assert.equal(gs.FleetArn, fleetArn(FLEET_EC2));
  assert.equal(gs.Status, 'ACTIVATING');
  const active = await waitForStatus(gl.client, gs.GameSessionId, 'ACTIVE');
  assert.equal(active.Location, 'us-west-2');
});

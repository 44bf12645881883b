// DescribeGameSessions through the JS SDK v3 paginator.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CreateGameSessionCommand, paginateDescribeGameSessions } from '@aws-sdk/client-gamelift';

import { FLEET_EC2, TEST_TIMEOUT_MS, useEmulator } from './harness.mjs';

const gl = useEmulator();
const opts = { timeout: TEST_TIMEOUT_MS };

// The JS paginator stops only when NextToken is absent; a token that repeats makes it loop
// for ever. Bail out well above the expected page count so such a bug fails the test.
const MAX_PAGES = 10;

test('paginateDescribeGameSessions with pageSize 2 yields all 5 sessions in creation order and ends', opts, async () => {
  const created = [];
  for (let i = 0; i < 5; i++) {
    const { GameSession } = await gl.client.send(
      new CreateGameSessionCommand({ FleetId: FLEET_EC2, MaximumPlayerSessionCount: 4, Name: `p${i}` }),
    );
    created.push(GameSession.GameSessionId);
  }

  const pages = [];
  for await (const page of paginateDescribeGameSessions({ client: gl.client, pageSize: 2 }, { FleetId: FLEET_EC2 })) {
    pages.push(page);
    if (pages.length > MAX_PAGES) {
      assert.fail(
        `paginator did not stop after ${MAX_PAGES} pages; tokens seen: ` +
          JSON.stringify(pages.map((p) => p.NextToken)),
      );
    }
  }

  assert.deepEqual(pages.map((p) => p.GameSessions.length), [2, 2, 1]);
  assert.deepEqual(pages.flatMap((p) => p.GameSessions.map((s) => s.GameSessionId)), created);
  assert.deepEqual(pages.flatMap((p) => p.GameSessions.map((s) => s.Name)), ['p0', 'p1', 'p2', 'p3', 'p4']);
  const tokens = pages.slice(0, -1).map((p) => p.NextToken);
  for (const t of tokens) assert.ok(typeof t === 'string' && t.length > 0, `bad NextToken ${JSON.stringify(t)}`);
  assert.equal(new Set(tokens).size, tokens.length, `NextToken repeated: ${JSON.stringify(tokens)}`);
  assert.equal(pages.at(-1).NextToken, undefined);
});

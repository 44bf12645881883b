// Protocol-level behaviour seen through the JS SDK v3.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { StartMatchmakingCommand } from '@aws-sdk/client-gamelift';

import { TEST_TIMEOUT_MS, assertServiceError, rejection, useEmulator } from './harness.mjs';

const gl = useEmulator();
const opts = { timeout: TEST_TIMEOUT_MS };

test('an operation of the model the emulator does not implement → UnsupportedOperationException naming it', opts, async () => {
  const err = await rejection(
    gl.client.send(
      new StartMatchmakingCommand({
        TicketId: 'ticket-1',
        ConfigurationName: 'some-config',
        Players: [{ PlayerId: 'player-1' }],
      }),
    ),
  );
  // Not a GameLift model error: the SDK surfaces a generic GameLiftServiceException
  // whose name is the code from the error body.
  assertServiceError(err, 'UnsupportedOperationException', { messageIncludes: 'StartMatchmaking' });
  assert.equal(err.constructor.name, 'GameLiftServiceException');
});

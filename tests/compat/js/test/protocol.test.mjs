// Protocol-level behaviour seen through the JS SDK v3.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CreateVpcPeeringAuthorizationCommand } from '@aws-sdk/client-gamelift';

import { TEST_TIMEOUT_MS, assertServiceError, rejection, useEmulator } from './harness.mjs';

const gl = useEmulator();
const opts = { timeout: TEST_TIMEOUT_MS };

test('an operation of the model the emulator does not implement → UnsupportedOperationException naming it', opts, async () => {
  const err = await rejection(
    gl.client.send(
      new CreateVpcPeeringAuthorizationCommand({
        GameLiftAwsAccountId: '123456789012',
        PeerVpcId: 'vpc-12345678',
      }),
    ),
  );
  // Not a GameLift model error: the SDK surfaces a generic GameLiftServiceException
  // whose name is the code from the error body.
  assertServiceError(err, 'UnsupportedOperationException', { messageIncludes: 'CreateVpcPeeringAuthorization' });
  assert.equal(err.constructor.name, 'GameLiftServiceException');
});

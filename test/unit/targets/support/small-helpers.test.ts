import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PermanentStepError, StepVerificationError } from '../../../../src/targets/errors';
import { isExecutable } from '../../../../src/targets/support/executable';
import { rethrowAs } from '../../../../src/targets/support/rethrow';
import { resolveStepSecret } from '../../../../src/targets/support/step-secret';
import { tempDir } from '../helpers';
import { secrets } from '../unleash/steps';

class NotRunning extends Error {}

describe('rethrowAs', () => {
  it('turns one class of error into another with the same message, and lets the rest through', async () => {
    await expect(rethrowAs(() => Promise.resolve(7), NotRunning, StepVerificationError)).resolves.toBe(7);
    const turned = await rethrowAs(
      () => Promise.reject(new NotRunning('nginx is not running')),
      NotRunning,
      StepVerificationError,
    ).catch((e: unknown) => e);
    expect(turned).toBeInstanceOf(StepVerificationError);
    expect((turned as Error).message).toBe('nginx is not running');
    const other = new TypeError('a bug');
    await expect(rethrowAs(() => Promise.reject(other), NotRunning, StepVerificationError)).rejects.toBe(
      other,
    );
  });
});

describe('resolveStepSecret', () => {
  it('resolves a reference, or fails the step for good naming the secret, never a value', () => {
    expect(resolveStepSecret('${secret:TOKEN}', secrets({ TOKEN: 'hunter2' }), 'Unleash token')).toBe(
      'hunter2',
    );
    const missing = () =>
      resolveStepSecret('${secret:OTHER}', secrets({ TOKEN: 'hunter2' }), 'Unleash token');
    expect(missing).toThrow(PermanentStepError);
    expect(missing).toThrow('Unleash token: secret "OTHER" is not set (test secret OTHER)');
  });
});

describe('isExecutable', () => {
  it('is true only for a file this process may run', () => {
    const dir = tempDir();
    const script = path.join(dir, 'tool');
    writeFileSync(script, '#!/bin/sh\n');
    expect(isExecutable(script)).toBe(false);
    chmodSync(script, 0o755);
    expect(isExecutable(script)).toBe(true);
    expect(isExecutable(path.join(dir, 'missing'))).toBe(false);
  });
});

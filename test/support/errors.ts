import { isMigError } from '../../packages/core/src/errors.js';

/**
 * The stable code a call fails with: `undefined` when it succeeds, `not a MigError: …` when it
 * fails with anything but a MigError (which a test should then report as a defect).
 */
export async function codeOf(call: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (e) {
    return isMigError(e) ? e.code : `not a MigError: ${String(e)}`;
  }
  return undefined;
}

import type { z } from 'zod';
import { InvalidInputError } from '../errors.js';

/**
 * Validates `input` against a zod schema at a public boundary and returns the parsed value.
 *
 * On failure it throws an {@link InvalidInputError} (`MIG_E_INVALID_INPUT`) whose message names
 * every offending field and what was wrong with it, without echoing the raw value back.
 *
 * @param what - what is being validated, for the message (e.g. `"user"`).
 *
 * @example
 * ```ts
 * const opts = parseInput(createUserSchema, raw, 'user');
 * ```
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : what;
    return { path: where, message: issue.message };
  });
  const summary = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  throw new InvalidInputError(`Invalid ${what}: ${summary}`, { details: { problems } });
}

/**
 * Property tests of the runtime environment text and JSON forms: any valid runtime environment
 * written by `formatRuntimeEnvironment` parses back to the same one (test procedure included), so
 * does its JSON form, and junk fails only with a RuntimeEnvironmentError.
 *
 * Runs: MIG_PROPERTY_RUNS (default 200).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatRuntimeEnvironment, parseRuntimeEnvironment, RuntimeEnvironmentError, runtimeEnvironmentFromJson,
  runtimeEnvironmentToJson, type RuntimeEnvironment,
} from '../src/index.js';

const RUNS = Number(process.env.MIG_PROPERTY_RUNS ?? 200);

const LETTERS = 'abcxyzABCXYZ';
const DIGITS = '0129';
const chars = (set: string): fc.Arbitrary<string> => fc.constantFrom(...set);
const text = (set: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: chars(set), minLength, maxLength });
const line = (set: string, maxLength = 24): fc.Arbitrary<string> =>
  text(set, 1, maxLength).map((s) => s.trim()).filter((s) => s !== '' && !/^:+[^:]+:+$/.test(s));
const orEmpty = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof(fc.constant(''), a);

const PLAIN = `${LETTERS}${DIGITS} \t#\\:+"'$|&;(){}[]*?=.,/@%~^éÆ€`;
const URL = fc.tuple(fc.constantFrom('http', 'https'), text('abcxyz', 1, 8), text(`${LETTERS}${DIGITS}/._-`, 0, 12))
  .map(([s, h, p]) => `${s}://${h}.example.org/${p}`);

const name = fc.tuple(chars(`ABCXYZ${DIGITS}`), text(`ABCXYZ${DIGITS}._-`, 0, 12)).map(([a, b]) => a + b);
const software = fc.record({
  name: line(`${LETTERS}${DIGITS} ._-`, 12),
  version: line(`${LETTERS}${DIGITS} .-`, 8),
  url: URL,
  description: orEmpty(line(PLAIN)),
  icon: URL,
});
const variables = fc.uniqueArray(
  fc.tuple(chars('ABCXYZ_'), text(`ABCXYZ${DIGITS}_`, 0, 8)).map(([a, b]) => a + b),
  { maxLength: 4 },
).chain((names) => fc.tuple(...names.map((n) => fc.record({
  name: fc.constant(n), example: orEmpty(line(PLAIN)), description: orEmpty(line(PLAIN)),
}))));
const testProcedure = fc.oneof(
  fc.constant(''),
  fc.array(line(`${LETTERS}${DIGITS} $-./"'é€`, 30), { minLength: 1, maxLength: 4 })
    .map((lines) => `::EXECUTE::\n${lines.join('\n')}\n`),
);

const runtimeEnvironment: fc.Arbitrary<RuntimeEnvironment> = fc.record({
  RENAME: name,
  DESCRIPTION: line(PLAIN, 40),
  SOFTWARE: fc.array(software, { maxLength: 3 }),
  TESTPROCEDURE: testProcedure,
  VERIFYSTDOUT: fc.array(line(PLAIN), { maxLength: 3 }),
  VERIFYSTDERR: fc.array(line(PLAIN), { maxLength: 3 }),
  VERIFYSTATUS: fc.array(line(PLAIN), { maxLength: 3 }),
  ENVIRONMENTVARIABLE: variables,
});

describe('runtime environment round trips', () => {
  it('format → parse and JSON → fromJson give the same runtime environment', () => {
    fc.assert(fc.property(runtimeEnvironment, (re) => {
      expect(runtimeEnvironmentFromJson(re)).toEqual(re);
      const textForm = formatRuntimeEnvironment(re);
      expect(parseRuntimeEnvironment(textForm)).toEqual(re);
      expect(runtimeEnvironmentFromJson(JSON.parse(JSON.stringify(runtimeEnvironmentToJson(re))))).toEqual(re);
      expect(formatRuntimeEnvironment(parseRuntimeEnvironment(textForm))).toBe(textForm);
    }), { numRuns: RUNS });
  });

  it('junk either parses and round-trips, or fails with a RuntimeEnvironmentError', () => {
    const junkLine = fc.oneof(
      fc.constantFrom('::RENAME::', '::SOFTWARE::', '::TESTPROCEDURE::', '::ENVIRONMENTVARIABLE::', '', 'name=X', 'QUJD', 'X'),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(fc.property(fc.array(junkLine, { maxLength: 30 }), (lines) => {
      let re: RuntimeEnvironment;
      try {
        re = parseRuntimeEnvironment(lines.join('\n'));
      } catch (err) {
        expect(err).toBeInstanceOf(RuntimeEnvironmentError);
        return;
      }
      expect(parseRuntimeEnvironment(formatRuntimeEnvironment(re))).toEqual(re);
    }), { numRuns: RUNS });
  });
});

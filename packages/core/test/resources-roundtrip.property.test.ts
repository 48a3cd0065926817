/**
 * Property tests of the resource configuration text and JSON forms:
 * - any valid configuration written by `formatResourceConfig` parses back to the same one, and
 *   so does its JSON form;
 * - the same text written "by hand" (lower-case keywords, extra colons, trailing comments, CRLF,
 *   extra blank lines) parses to the same configuration;
 * - arbitrary junk either parses (and then round-trips) or fails with a ResourceConfigError.
 *
 * Runs: MIG_PROPERTY_RUNS (default 200).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENFORCEABLE_LIMITS, formatResourceConfig, MIG_ARCHITECTURES, MIG_JOB_TYPES, MIG_LRMS_TYPES, MIG_SCRIPT_LANGUAGES,
  parseResourceConfig, ResourceConfigError, resourceConfigFromJson, resourceConfigToJson, type ExeUnitConfig,
  type ResourceConfig, type StoreUnitConfig,
} from '../src/index.js';

const RUNS = Number(process.env.MIG_PROPERTY_RUNS ?? 200);

const LETTERS = 'abcxyzABCXYZ';
const DIGITS = '0129';
const chars = (set: string): fc.Arbitrary<string> => fc.constantFrom(...set);
const text = (set: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: chars(set), minLength, maxLength });
const orEmpty = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof(fc.constant(''), a);

/** A value as it ends up after parsing: trimmed, not empty, not a keyword look-alike. */
const line = (set: string, maxLength = 24): fc.Arbitrary<string> =>
  text(set, 1, maxLength).map((s) => s.trim()).filter((s) => s !== '' && !/^:+[^:]+:+$/.test(s) && !s.includes('+EXENAME+') && !s.includes('+STORENAME+'));

const FQDN = `${LETTERS}${DIGITS}.-`;
const SAFE_PATH = `${LETTERS}${DIGITS}/.,_-+=`;
const PLAIN = `${LETTERS}${DIGITS} \t#\\:+"'$|&;(){}[]*?=.,/@%~^éÆ€`;
const PATTERN = `${LETTERS}${DIGITS} /.,_-+=:@%()~!&*?é`;

const fqdn = line(FQDN, 20);
const safePath = line(SAFE_PATH, 30);
const plain = line(PLAIN, 30);
const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const port = fc.integer({ min: 1, max: 65535 });
const email = fc.tuple(text(`${LETTERS}${DIGITS}`, 1, 8), text('abcxyz', 1, 8)).map(([l, d]) => `${l}@${d}.example.org`);
const vgridName = fc.array(text(`${LETTERS}${DIGITS}_-`, 1, 6), { minLength: 1, maxLength: 3 })
  .map((parts) => parts.join('/'));
const unitName = text(`${LETTERS}${DIGITS}-`, 1, 10);
const reName = fc.tuple(chars(`ABCXYZ${DIGITS}`), text(`ABCXYZ${DIGITS}._-`, 0, 10)).map(([a, b]) => a + b);
const varName = fc.tuple(chars('ABCXYZ_'), text(`ABCXYZ${DIGITS}_`, 0, 8)).map(([a, b]) => a + b);
const varValue = orEmpty(plain);

const exeUnit = (name: string): fc.Arbitrary<ExeUnitConfig> => fc.record({
  name: fc.constant(name),
  cputime: count,
  nodecount: count,
  execution_precondition: orEmpty(plain),
  prepend_execute: orEmpty(plain),
  exehostlog: safePath,
  joblog: safePath,
  execution_user: orEmpty(text(`${FQDN}_`, 1, 10)),
  execution_node: orEmpty(fqdn),
  execution_dir: orEmpty(safePath),
  start_command: orEmpty(plain),
  status_command: orEmpty(plain),
  stop_command: orEmpty(plain),
  clean_command: orEmpty(plain),
  continuous: fc.boolean(),
  shared_fs: fc.boolean(),
  vgrid: fc.array(vgridName, { maxLength: 3 }),
});

const storeUnit = (name: string): fc.Arbitrary<StoreUnitConfig> => fc.record({
  name: fc.constant(name),
  storage_disk: count,
  storage_protocol: fc.constant('sftp'),
  storage_port: port,
  storage_user: orEmpty(text(`${FQDN}_`, 1, 10)),
  storage_node: orEmpty(fqdn),
  storage_dir: orEmpty(safePath),
  start_command: orEmpty(plain),
  status_command: orEmpty(plain),
  stop_command: orEmpty(plain),
  clean_command: orEmpty(plain),
  shared_fs: fc.boolean(),
  vgrid: fc.array(vgridName, { maxLength: 3 }),
});

const runtimeEnvironments = fc.uniqueArray(reName, { maxLength: 3 }).chain((names) =>
  fc.tuple(...names.map((name) =>
    fc.uniqueArray(varName, { maxLength: 3 }).chain((vars) =>
      fc.tuple(...vars.map((v) => varValue.map((value) => ({ name: v, value })))).map((variables) => ({ name, variables }))))));

const resourceConfig: fc.Arbitrary<ResourceConfig> = fc.record({
  HOSTURL: fqdn,
  HOSTIDENTIFIER: orEmpty(text(`${LETTERS}${DIGITS}`, 1, 4)),
  ANONYMOUS: fc.boolean(),
  HOSTKEY: orEmpty(line(PATTERN, 40)),
  SSHPORT: port,
  MIGUSER: orEmpty(text(`${FQDN}_`, 1, 10)),
  RESOURCEHOME: orEmpty(safePath),
  FRONTENDNODE: orEmpty(fqdn),
  FRONTENDPROXY: orEmpty(fqdn),
  SCRIPTLANGUAGE: fc.constantFrom(...MIG_SCRIPT_LANGUAGES),
  JOBTYPE: fc.constantFrom(...MIG_JOB_TYPES),
  ENFORCELIMITS: fc.subarray([...ENFORCEABLE_LIMITS]),
  NODECOUNT: count,
  CPUCOUNT: count,
  MEMORY: count,
  DISK: count,
  ARCHITECTURE: fc.constantFrom(...MIG_ARCHITECTURES),
  RUNTIMEENVIRONMENT: runtimeEnvironments,
  FRONTENDLOG: safePath,
  CURLLOG: safePath,
  SSHMULTIPLEX: fc.boolean(),
  LRMSTYPE: fc.constantFrom(...MIG_LRMS_TYPES),
  LRMSDELAYCOMMAND: orEmpty(plain),
  LRMSSUBMITCOMMAND: orEmpty(plain),
  LRMSREMOVECOMMAND: orEmpty(plain),
  LRMSDONECOMMAND: orEmpty(plain),
  PUBLICNAME: orEmpty(plain),
  PUBLICINFO: orEmpty(plain),
  SANDBOX: fc.boolean(),
  SANDBOXKEY: orEmpty(text(`${LETTERS}${DIGITS}`, 1, 16)),
  MAXDOWNLOADBANDWIDTH: count,
  MAXUPLOADBANDWIDTH: count,
  PLATFORM: orEmpty(fqdn),
  ADMINEMAIL: fc.array(email, { maxLength: 3 }),
  MINPRICE: plain,
  EXECONFIG: fc.uniqueArray(unitName, { minLength: 1, maxLength: 3 }).chain((names) => fc.tuple(...names.map(exeUnit))),
  STORECONFIG: fc.uniqueArray(unitName, { maxLength: 2 }).chain((names) => fc.tuple(...names.map(storeUnit))),
});

/** The same text as someone might write it: lower-case keywords, colons, comments, CRLF, blank lines. */
function handWritten(textForm: string): string {
  return textForm
    .split('\n')
    .map((l) => {
      if (/^::[A-Z]+::$/.test(l)) return `\n:::${l.slice(2, -2).toLowerCase()}:::`;
      return l === '' ? '   ' : `  ${l}   # written by hand`;
    })
    .join('\r\n');
}

describe('resource configuration round trips', () => {
  it('generated configurations are valid as they are', () => {
    fc.assert(fc.property(resourceConfig, (cfg) => {
      expect(resourceConfigFromJson(cfg)).toEqual(cfg);
    }), { numRuns: RUNS });
  });

  it('format → parse gives the same configuration; so does JSON → fromJson', () => {
    fc.assert(fc.property(resourceConfig, (cfg) => {
      const textForm = formatResourceConfig(cfg);
      expect(parseResourceConfig(textForm)).toEqual(cfg);
      expect(resourceConfigFromJson(JSON.parse(JSON.stringify(resourceConfigToJson(cfg))))).toEqual(cfg);
      expect(formatResourceConfig(parseResourceConfig(textForm))).toBe(textForm);
    }), { numRuns: RUNS });
  });

  it('hand-written variants of the same text parse to the same configuration', () => {
    fc.assert(fc.property(resourceConfig, (cfg) => {
      expect(parseResourceConfig(handWritten(formatResourceConfig(cfg)))).toEqual(cfg);
    }), { numRuns: RUNS });
  });

  it('junk either parses and round-trips, or fails with a ResourceConfigError', () => {
    const junkLine = fc.oneof(
      fc.constantFrom('::HOSTURL::', '::EXECONFIG::', '::RUNTIMEENVIRONMENT::', '::CPUCOUNT::', '', 'name=exe0', 'name: X', 'A=1'),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(fc.property(fc.array(junkLine, { maxLength: 30 }), (lines) => {
      let cfg: ResourceConfig;
      try {
        cfg = parseResourceConfig(lines.join('\n'));
      } catch (err) {
        expect(err).toBeInstanceOf(ResourceConfigError);
        return;
      }
      expect(parseResourceConfig(formatResourceConfig(cfg))).toEqual(cfg);
    }), { numRuns: RUNS });
  });
});

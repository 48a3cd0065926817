/**
 * Property tests of the mRSL text and JSON forms:
 * - any valid job written by `formatMrsl` parses back to the same job, and so does its JSON form;
 * - the same job written "by hand" (any keyword case, extra colons, comments, indentation,
 *   CRLF, extra blank lines) parses to the same job;
 * - arbitrary junk either parses (and then round-trips) or fails with an MrslError, never with
 *   anything else.
 *
 * Runs: MIG_PROPERTY_RUNS (default 200).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatMrsl, jobSpecFromJson, jobSpecToJson, MAXFILL_FIELDS, MIG_ARCHITECTURES, MIG_JOB_TYPES, MRSL_KEYWORDS,
  MrslError, parseMrsl, type FileTransfer, type JobSpec,
} from '../src/index.js';

const RUNS = Number(process.env.MIG_PROPERTY_RUNS ?? 200);

const LETTERS = 'abcxyzABCXYZ';
const DIGITS = '0129';
const chars = (set: string): fc.Arbitrary<string> => fc.constantFrom(...set);
const text = (set: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: chars(set), minLength, maxLength });

/** A value line as it ends up after parsing: trimmed, not empty, not a keyword look-alike. */
const line = (set: string, maxLength = 24): fc.Arbitrary<string> =>
  text(set, 1, maxLength).map((s) => s.trim()).filter((s) => s !== '' && !/^:+[^:]+:+$/.test(s));

const FREE = `${LETTERS}${DIGITS} \t#\\:+"'$<>|&;(){}[]*?=.,/@%~^é€Æ😀`;
const PLAIN = `${LETTERS}${DIGITS} \t#\\:+"'$|&;(){}[]*?=.,/@%~^éÆ€`;
const COMPONENT = `${LETTERS}${DIGITS}.-_+=,;@%()~!&'é€Æ`;

const component = text(COMPONENT, 1, 6).filter((c) => c !== '.' && c !== '..');
const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const url = fc.tuple(fc.constantFrom('https', 'http', 'ftp', 'sftp'), path).map(([scheme, p]) => `${scheme}://host.example.org/${p}`);
const endpoint = fc.oneof({ weight: 4, arbitrary: path }, { weight: 1, arbitrary: url });
const transfer: fc.Arbitrary<FileTransfer> = fc.oneof(
  endpoint.map((p) => ({ source: p, destination: p })),
  fc.tuple(endpoint, endpoint).map(([source, destination]) => ({ source, destination })),
);

const environment = fc.record({
  name: text(`${LETTERS}${DIGITS}_#\\:+$.`, 0, 10),
  value: text(PLAIN, 0, 16).map((v) => v.trimEnd()),
}).filter((e) => !/^:+[^:]+:+$/.test(`${e.name}=${e.value}`));

const count = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const small = fc.integer({ min: 0, max: 100_000 });

const jobSpec: fc.Arbitrary<JobSpec> = fc.record({
  EXECUTE: fc.array(line(FREE, 40), { minLength: 1, maxLength: 4 }),
  INPUTFILES: fc.array(transfer, { maxLength: 3 }),
  OUTPUTFILES: fc.array(transfer, { maxLength: 3 }),
  EXECUTABLES: fc.array(transfer, { maxLength: 2 }),
  MOUNT: fc.array(line(PLAIN), { maxLength: 2 }),
  RESOURCE: fc.array(text(`${LETTERS}${DIGITS}._*?-`, 1, 20), { maxLength: 2 }),
  VGRID: fc.array(line(`${LETTERS}${DIGITS}._ /,-`), { minLength: 1, maxLength: 3 }),
  NODECOUNT: small,
  CPUCOUNT: small,
  CPUTIME: count,
  MEMORY: count,
  DISK: small,
  ARCHITECTURE: fc.constantFrom('', ...MIG_ARCHITECTURES),
  MAXFILL: fc.array(fc.constantFrom(...MAXFILL_FIELDS), { maxLength: 3 }),
  ENVIRONMENT: fc.array(environment, { maxLength: 3 }),
  RUNTIMEENVIRONMENT: fc.array(line(PLAIN).map((s) => s.toUpperCase()), { maxLength: 2 }),
  NOTIFY: fc.array(line(PLAIN), { maxLength: 2 }),
  VERIFYFILES: fc.array(transfer, { maxLength: 2 }),
  RETRIES: small,
  JOBTYPE: fc.constantFrom(...MIG_JOB_TYPES),
  JOBNAME: text(`${LETTERS}${DIGITS}.-_+@%`, 0, 20),
  PROJECT: text(`${LETTERS}${DIGITS}`, 0, 10),
  SANDBOX: fc.boolean(),
  PLATFORM: fc.oneof(fc.constant(''), text(`${LETTERS}${DIGITS}.-`, 1, 10)),
  MAXPRICE: text(`${LETTERS}${DIGITS}`, 1, 8),
});

/** How a person might write the same job: noise that must not change its meaning. */
interface Noise {
  readonly lowerCase: boolean[];
  readonly colons: number[];
  readonly indent: string[];
  readonly comments: (string | null)[];
  readonly separators: string[];
  readonly newline: string;
}

const noise: fc.Arbitrary<Noise> = fc.record({
  lowerCase: fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }),
  colons: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 25, maxLength: 25 }),
  indent: fc.array(fc.constantFrom('', ' ', '\t', '  '), { minLength: 8, maxLength: 8 }),
  comments: fc.array(fc.option(text(`${PLAIN}#`, 0, 10)), { minLength: 8, maxLength: 8 }),
  separators: fc.array(fc.constantFrom('', ' ', '\t \t'), { minLength: 1, maxLength: 3 }),
  newline: fc.constantFrom('\n', '\r\n', '\r'),
});

function escape(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('#', '\\#');
}

function valueLines(spec: JobSpec, name: keyof JobSpec): string[] {
  const value = spec[name];
  if (typeof value === 'number') return [String(value)];
  if (typeof value === 'boolean') return [value ? 'on' : 'OFF'];
  if (typeof value === 'string') return value === '' ? [] : [value];
  return value.map((item) => {
    if (typeof item === 'string') return item;
    if ('source' in item) return item.source === item.destination ? item.source : `${item.source} ${item.destination}`;
    return `${item.name}=${item.value}`;
  });
}

/** Writes `spec` with noise, independently of formatMrsl. */
function writeByHand(spec: JobSpec, n: Noise): string {
  const out: string[] = [];
  let pick = 0;
  MRSL_KEYWORDS.forEach((keyword, k) => {
    const values = valueLines(spec, keyword.name);
    if (keyword.kind === 'string' && values.length === 0) return;
    const colons = ':'.repeat(n.colons[k] ?? 2);
    const name = n.lowerCase[k] === true ? keyword.name.toLowerCase() : keyword.name;
    out.push(`${colons}${name}${colons}`);
    for (const value of values) {
      pick += 1;
      const indent = n.indent[pick % n.indent.length] ?? '';
      const comment = n.comments[pick % n.comments.length];
      out.push(`${indent}${escape(value)}${comment === null || comment === undefined ? '' : ` #${comment}`}`);
      // A line that is only a comment is dropped without ending the section.
      if (pick % 3 === 0) out.push(`${indent}# just a comment`);
    }
    out.push(n.separators[k % n.separators.length] ?? '');
  });
  return out.join(n.newline);
}

describe('mRSL round trips (property)', () => {
  it('parse(format(spec)) and the JSON form give back the same job', () => {
    fc.assert(
      fc.property(jobSpec, (spec) => {
        const text = formatMrsl(spec);
        expect(parseMrsl(text)).toEqual(spec);
        expect(formatMrsl(parseMrsl(text))).toBe(text);
        expect(jobSpecFromJson(JSON.parse(JSON.stringify(jobSpecToJson(spec))))).toEqual(spec);
      }),
      { numRuns: RUNS },
    );
  });

  it('a job written by hand, with comments, case, colons and whitespace, parses to the same job', () => {
    fc.assert(
      fc.property(jobSpec, noise, (spec, n) => {
        expect(parseMrsl(writeByHand(spec, n))).toEqual(spec);
      }),
      { numRuns: RUNS },
    );
  });

  it('junk parses and round-trips, or fails with an MrslError naming a place', () => {
    const junkLine = fc.oneof(
      fc.constantFrom('::EXECUTE::', '::execute::', '::CPUTIME::', '::INPUTFILES::', '::ENVIRONMENT::', '::SANDBOX::', '::VGRID::', '', ' ', '#', '\\#', '\\'),
      text(`${FREE}\u0000\u0007\u001b\u2028:=\ufeff`, 0, 20),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(junkLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, newline) => {
        let spec: JobSpec;
        try {
          spec = parseMrsl(lines.join(newline));
        } catch (err) {
          expect(err).toBeInstanceOf(MrslError);
          for (const p of (err as MrslError).problems) {
            expect(p.line !== undefined || p.keyword !== undefined).toBe(true);
            expect(p.message.length).toBeGreaterThan(10);
          }
          return;
        }
        expect(parseMrsl(formatMrsl(spec))).toEqual(spec);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * The rules of the language, shared by the text and JSON forms: keyword sections (each a keyword
 * and its value lines) in, a validated {@link JobSpec} out, as MiG's `check_types` and job parser
 * judge them.
 * @packageDocumentation
 */
import { closestMatch } from '../config/closest-match.js';
import type { EnvironmentVariable, FileTransfer, JobSpec, MaxFillField, MrslKeywordName } from './job-spec.js';
import { MAXFILL_FIELDS } from './job-spec.js';
import { MrslError, type MrslProblem } from './mrsl-error.js';
import { MRSL_KEYWORD_NAMES, mrslKeyword, type MrslKeyword } from './mrsl-keywords.js';
import { MRSL_LIMITS } from './mrsl-limits.js';
import type { ResolvedMrslOptions } from './mrsl-options.js';
import { parseTransferLine } from './transfer-entry.js';
import { KEYWORD_VALUE_CHECKS } from './value-checks.js';

/**
 * MiG `default_vgrid`: where a job goes when it names no VGrid.
 *
 * @example
 * ```ts
 * parseMrsl('::EXECUTE::\nls\n').VGRID; // [DEFAULT_VGRID], i.e. ['Generic']
 * ```
 */
export const DEFAULT_VGRID = 'Generic';

/** One value line, already unescaped and trimmed, with where it came from. */
export interface MrslValue {
  readonly text: string;
  readonly line?: number;
  readonly path?: string;
}

/** One keyword and its value lines. `keyword` is upper-cased with the surrounding colons removed. */
export interface MrslSection {
  readonly keyword: string;
  readonly line?: number;
  readonly path?: string;
  readonly values: readonly MrslValue[];
}

/** Collects problems up to the limit, then stops listening. */
export class ProblemList {
  readonly items: MrslProblem[] = [];

  add(problem: MrslProblem): void {
    if (this.items.length < MRSL_LIMITS.maxProblems) this.items.push(problem);
  }

  /** Throws one {@link MrslError} with everything collected, if anything was. */
  throwIfAny(): void {
    if (this.items.length > 0) throw new MrslError(this.items);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

function defaults(opts: ResolvedMrslOptions): Mutable<JobSpec> {
  return {
    EXECUTE: [], INPUTFILES: [], OUTPUTFILES: [], EXECUTABLES: [], MOUNT: [], RESOURCE: [], VGRID: [],
    NODECOUNT: 1, CPUCOUNT: 1, CPUTIME: 600, MEMORY: 64, DISK: 0,
    ARCHITECTURE: '', MAXFILL: [], ENVIRONMENT: [], RUNTIMEENVIRONMENT: [], NOTIFY: [], VERIFYFILES: [],
    RETRIES: opts.defaultRetries, JOBTYPE: 'batch', JOBNAME: '', PROJECT: '', SANDBOX: false, PLATFORM: '',
    MAXPRICE: '0',
  };
}

/** A keyword name safe to repeat in a message, or `undefined` when it is not. */
function printableKeyword(name: string): string | undefined {
  return /^[A-Za-z0-9_.\- ]{1,64}$/.test(name) ? name : undefined;
}

/** The known keyword a value line looks like (`::NOTIFY::`), if any. */
function keywordLookalike(text: string): string | undefined {
  const m = /^:+([^:]+):+$/.exec(text);
  if (m === null) return undefined;
  const name = (m[1] ?? '').toUpperCase();
  return mrslKeyword(name) === undefined ? undefined : name;
}

function unknownKeywordMessage(section: MrslSection): string {
  const shown = printableKeyword(section.keyword);
  if (section.line !== undefined && section.keyword.startsWith('#')) {
    return 'a comment cannot stand on its own line between keywords (MiG reads it as a keyword); remove it or move it below a keyword';
  }
  const suggestion = shown === undefined ? undefined : closestMatch(shown, MRSL_KEYWORD_NAMES);
  const name = shown === undefined ? 'an unknown keyword' : `unknown keyword ${section.line === undefined ? shown : `::${shown}::`}`;
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  const form = section.line === undefined
    ? `use one of ${MRSL_KEYWORD_NAMES.join(', ')}`
    : 'a keyword is written alone on its line as ::NAME::, e.g. ::EXECUTE::, followed by its value lines and a blank line';
  return `${name}${hint}; ${form}`;
}

function countProblem(keyword: MrslKeyword, count: number): string {
  return count === 0
    ? `needs a value: give ${keyword.expects}`
    : `takes one line, but has ${count}: give ${keyword.expects}`;
}

/**
 * Turns keyword sections into a validated {@link JobSpec}, or throws an {@link MrslError} that
 * lists every problem (with `MIG_E_TOO_LARGE` as soon as a size limit is crossed).
 *
 * Rules (MiG's): unknown keyword → error; each value passes the keyword's character check; `int`
 * takes one line of digits, `boolean` and `string` at most one line; list keywords given twice
 * add up, single-value keywords given twice keep the last; EXECUTE needs at least one line;
 * RUNTIMEENVIRONMENT is upper-cased (except for ARC jobs); no VGRID means `Generic`.
 */
export function buildJobSpec(sections: readonly MrslSection[], opts: ResolvedMrslOptions): JobSpec {
  const spec = defaults(opts);
  const problems = new ProblemList();
  const valueCounts = new Map<string, number>();
  const given = new Set<string>();

  for (const section of sections) {
    const keyword = mrslKeyword(section.keyword);
    if (keyword === undefined) {
      problems.add({ line: section.line, path: section.path, message: unknownKeywordMessage(section) });
      continue;
    }
    const name = keyword.name;
    const total = (valueCounts.get(name) ?? 0) + section.values.length;
    valueCounts.set(name, total);
    if (section.values.length > 0) given.add(name);
    if (total > MRSL_LIMITS.maxValuesPerKeyword) {
      throw new MrslError([{
        line: section.line, path: section.path, keyword: name,
        message: `has more than ${MRSL_LIMITS.maxValuesPerKeyword} value lines; split the job into several jobs`,
      }], { code: 'MIG_E_TOO_LARGE' });
    }

    const at = (value: MrslValue | undefined, message: string): void => {
      problems.add({ line: value?.line ?? section.line, path: value?.path ?? section.path, keyword: name, message });
    };

    let valid = true;
    for (const value of section.values) {
      const lookalike = keywordLookalike(value.text);
      if (lookalike !== undefined) {
        at(value, `this line looks like the keyword ::${lookalike}:: but is read as a value of ${name}; put a blank line before it`);
        valid = false;
        continue;
      }
      const reason = KEYWORD_VALUE_CHECKS[name](value.text);
      if (reason !== undefined) {
        at(value, `the value ${reason}; expected ${keyword.expects}`);
        valid = false;
      }
    }
    if (!valid) continue;
    convertSection(spec, keyword, section, opts, at);
  }

  // MiG: a required keyword counts as given once one of its sections has a value line.
  if (!given.has('EXECUTE')) {
    problems.add({ keyword: 'EXECUTE', message: 'is required: add ::EXECUTE:: followed by at least one command line' });
  }
  problems.throwIfAny();

  if (spec.JOBTYPE !== 'arc') spec.RUNTIMEENVIRONMENT = spec.RUNTIMEENVIRONMENT.map((re) => re.toUpperCase());
  if (spec.VGRID.length === 0) spec.VGRID = [DEFAULT_VGRID];
  return spec;
}

/** Reads one section's values into `spec` by the keyword's kind. */
function convertSection(
  spec: Mutable<JobSpec>,
  keyword: MrslKeyword,
  section: MrslSection,
  opts: ResolvedMrslOptions,
  at: (value: MrslValue | undefined, message: string) => void,
): void {
  const name = keyword.name;
  const values = section.values;
  const first = values[0];
  switch (keyword.kind) {
    case 'int': {
      if (values.length !== 1 || first === undefined) return at(undefined, countProblem(keyword, values.length));
      // Python's int() on what the keyword's check let through: plain digits only ('1e3' and
      // '0x10' pass RETRIES' alphanumeric check but are not integers).
      if (!/^[0-9]+$/.test(first.text)) return at(first, `the value must be ${keyword.expects} (digits only)`);
      const n = Number(first.text);
      if (!Number.isSafeInteger(n)) return at(first, `the number is too large (at most ${Number.MAX_SAFE_INTEGER})`);
      (spec as Record<MrslKeywordName, unknown>)[name] = n;
      return;
    }
    case 'boolean': {
      if (values.length > 1) return at(undefined, countProblem(keyword, values.length));
      if (first === undefined) {
        (spec as Record<MrslKeywordName, unknown>)[name] = false;
        return;
      }
      const lower = first.text.toLowerCase();
      if (lower === 'true' || lower === '1' || lower === 'on') (spec as Record<MrslKeywordName, unknown>)[name] = true;
      else if (lower === 'false' || lower === '0' || lower === 'off') (spec as Record<MrslKeywordName, unknown>)[name] = false;
      else at(first, 'the value must be True or False (1/0 and on/off work too)');
      return;
    }
    case 'string': {
      if (values.length > 1) return at(undefined, countProblem(keyword, values.length));
      const value = first?.text ?? (defaults(opts)[name] as string);
      if (name === 'ARCHITECTURE' && !opts.architectures.includes(value)) {
        return at(first, value === ''
          ? `is empty: give one of ${opts.architectures.join(', ')}, or leave ::ARCHITECTURE:: out to run on any architecture`
          : `the architecture is not one this site knows (names are case-sensitive): use one of ${opts.architectures.join(', ')}`);
      }
      if (name === 'JOBTYPE' && !opts.jobTypes.includes(value)) {
        return at(first, `the job type is not one this site knows: use one of ${opts.jobTypes.join(', ')}`);
      }
      (spec as Record<MrslKeywordName, unknown>)[name] = value;
      return;
    }
    case 'strings': {
      const list = spec[name] as string[];
      for (const value of values) {
        if (name === 'MAXFILL' && !(MAXFILL_FIELDS as readonly string[]).includes(value.text)) {
          at(value, `the value must be one of ${MAXFILL_FIELDS.join(', ')}`);
          continue;
        }
        list.push(value.text);
      }
      if (name === 'MAXFILL') spec.MAXFILL = list as MaxFillField[];
      return;
    }
    case 'transfers': {
      const list = spec[name] as FileTransfer[];
      for (const value of values) {
        const result = parseTransferLine(value.text);
        if ('problem' in result) at(value, result.problem);
        else list.push(result.entry);
      }
      return;
    }
    case 'keyvalues': {
      const list = spec[name] as EnvironmentVariable[];
      for (const value of values) {
        const eq = value.text.indexOf('=');
        if (eq < 0) {
          at(value, "the line must be 'NAME=value' (no '=' found)");
          continue;
        }
        list.push({ name: value.text.slice(0, eq), value: value.text.slice(eq + 1) });
      }
      return;
    }
  }
}

/**
 * The JSON form of a job: the same keywords as fields, validated by the same rules as the text.
 * @packageDocumentation
 */
import { buildJobSpec, ProblemList, type MrslSection, type MrslValue } from './build-job-spec.js';
import type { JobSpec } from './job-spec.js';
import { MrslError } from './mrsl-error.js';
import { MRSL_KEYWORDS, mrslKeyword, type MrslKeyword } from './mrsl-keywords.js';
import { MRSL_LIMITS } from './mrsl-limits.js';
import { resolveMrslOptions, type MrslOptions } from './mrsl-options.js';
import { checkHostileCharacters, pythonStrip } from './value-checks.js';

/**
 * The JSON wire form of a job: exactly the {@link JobSpec} fields (MiG's keyword names), with
 * file entries as `{ source, destination }` and environment entries as `{ name, value }`.
 *
 * @example
 * ```ts
 * const wire: JobSpecJson = jobSpecToJson(spec);
 * JSON.stringify(wire);
 * ```
 */
export type JobSpecJson = JobSpec;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const NUMBER_AS_TEXT = (n: number): string | undefined => (Number.isFinite(n) ? String(n) : undefined);

/** Reads the JSON value of one keyword into value lines, reporting what cannot be read. */
class JsonSectionReader {
  readonly values: MrslValue[] = [];

  constructor(
    private readonly keyword: MrslKeyword,
    private readonly problems: ProblemList,
  ) {}

  private problem(path: string, message: string): void {
    this.problems.add({ path, keyword: this.keyword.name, message });
  }

  /** Screens, trims and keeps one line; empty lines are dropped, as in the text form. */
  private line(text: string, path: string): void {
    if (text.length > MRSL_LIMITS.maxLineLength) {
      throw new MrslError([{ path, keyword: this.keyword.name, message: `the value is longer than ${MRSL_LIMITS.maxLineLength} characters; shorten it` }], { code: 'MIG_E_TOO_LARGE' });
    }
    const reason = checkHostileCharacters(text);
    if (reason !== undefined) return this.problem(path, `the value ${reason}`);
    const trimmed = pythonStrip(text);
    if (trimmed !== '') this.values.push({ text: trimmed, path });
  }

  private scalar(value: unknown, path: string): void {
    if (typeof value === 'string') return this.line(value, path);
    if (typeof value === 'number') {
      const text = NUMBER_AS_TEXT(value);
      return text === undefined ? this.problem(path, `must be ${this.keyword.expects}`) : this.line(text, path);
    }
    if (typeof value === 'boolean' && this.keyword.kind === 'boolean') return this.line(value ? 'True' : 'False', path);
    this.problem(path, `must be ${this.keyword.expects}, not ${Array.isArray(value) ? 'a list' : typeof value}`);
  }

  private entry(item: unknown, path: string): void {
    const kind = this.keyword.kind;
    if (typeof item === 'string') return this.line(item, path);
    if (kind === 'transfers' && isPlainObject(item)) {
      const { source, destination, ...rest } = item;
      if (Object.keys(rest).length > 0 || typeof source !== 'string' || (destination !== undefined && typeof destination !== 'string')) {
        return this.problem(path, 'a file entry is { "source": "...", "destination": "..." } (destination optional) or a "source destination" string');
      }
      const src = pythonStrip(source);
      const dst = destination === undefined ? src : pythonStrip(destination);
      return this.line(dst === src ? src : `${src} ${dst}`, path);
    }
    if (kind === 'keyvalues' && isPlainObject(item)) {
      const { name, value, ...rest } = item;
      if (Object.keys(rest).length > 0 || typeof name !== 'string' || typeof value !== 'string') {
        return this.problem(path, 'an environment entry is { "name": "...", "value": "..." } or a "NAME=value" string');
      }
      if (name.includes('=')) return this.problem(`${path}.name`, "the name must not contain '='");
      return this.line(`${name}=${value}`, path);
    }
    this.problem(path, `each entry must be ${kind === 'strings' ? 'a string' : 'a string or an object'}; expected ${this.keyword.expects}`);
  }

  read(value: unknown): void {
    const name = this.keyword.name;
    const kind = this.keyword.kind;
    if (kind === 'int' || kind === 'boolean' || kind === 'string') return this.scalar(value, name);
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items)) return this.problem(name, `must be a list: ${this.keyword.expects}`);
    if (items.length > MRSL_LIMITS.maxValuesPerKeyword) {
      throw new MrslError([{ path: name, keyword: name, message: `has more than ${MRSL_LIMITS.maxValuesPerKeyword} entries; split the job into several jobs` }], { code: 'MIG_E_TOO_LARGE' });
    }
    items.forEach((item: unknown, index) => this.entry(item, typeof value === 'string' ? name : `${name}[${index}]`));
  }
}

/**
 * Reads a job from its JSON form (as sent to the API, or as stored) and validates it with exactly
 * the rules of {@link parseMrsl}; MiG's defaults fill what is missing.
 *
 * Each field is named as its keyword. Numbers may be JSON numbers or digit strings, SANDBOX a
 * boolean or `"True"`/`"False"`; list fields take arrays (a single string is one entry); file
 * entries are `{ source, destination? }` or `"source destination"`; environment entries are
 * `{ name, value }` or `"NAME=value"`. `null` or `""` in a single-value field means "not given".
 * Values are literal (no comments or escapes), trimmed, and may not span lines.
 *
 * @throws {@link MrslError} naming each bad field by its path (`INPUTFILES[2]`) and keyword.
 *
 * @example
 * ```ts
 * const spec = jobSpecFromJson({
 *   EXECUTE: ['./run.sh'],
 *   EXECUTABLES: [{ source: 'bin/run.sh', destination: 'run.sh' }],
 *   ENVIRONMENT: [{ name: 'MODE', value: 'fast' }],
 *   CPUTIME: 3600,
 * });
 * spec.CPUTIME; // 3600
 * ```
 */
export function jobSpecFromJson(input: unknown, opts?: MrslOptions): JobSpec {
  const resolved = resolveMrslOptions(opts);
  if (!isPlainObject(input)) {
    throw new MrslError([{ message: 'a job must be a JSON object whose fields are mRSL keywords, e.g. { "EXECUTE": ["echo hello"] }' }]);
  }
  const keys = Object.keys(input);
  if (keys.length > MRSL_LIMITS.maxSections) {
    throw new MrslError([{ message: `a job has at most ${MRSL_LIMITS.maxSections} fields` }], { code: 'MIG_E_TOO_LARGE' });
  }
  const problems = new ProblemList();
  const sections: MrslSection[] = [];
  for (const key of keys) {
    const keyword = mrslKeyword(key);
    if (keyword === undefined) {
      // Left to the shared rules, which name it and suggest the closest keyword.
      sections.push({ keyword: key, path: key, values: [] });
      continue;
    }
    const value = input[key];
    if (value === null || value === undefined) continue;
    const reader = new JsonSectionReader(keyword, problems);
    reader.read(value);
    // An empty single value means "not given", as an empty block does in the text form.
    if (keyword.kind === 'string' && reader.values.length === 0) continue;
    sections.push({ keyword: key, path: key, values: reader.values });
  }
  problems.throwIfAny();
  return buildJobSpec(sections, resolved);
}

/**
 * The JSON form of a job: a plain, deep copy with the fields in MiG's keyword order, which
 * {@link jobSpecFromJson} reads back to the same job.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(jobSpecToJson(parseMrsl(text)));
 * const again = jobSpecFromJson(JSON.parse(body)); // deep-equal to parseMrsl(text)
 * ```
 */
export function jobSpecToJson(spec: JobSpec): JobSpecJson {
  const out: Record<string, unknown> = {};
  for (const { name } of MRSL_KEYWORDS) {
    const value = spec[name];
    out[name] = Array.isArray(value)
      ? value.map((item: unknown) => (typeof item === 'object' && item !== null ? { ...item } : item))
      : value;
  }
  return out as unknown as JobSpecJson;
}

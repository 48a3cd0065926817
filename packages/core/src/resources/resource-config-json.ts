/**
 * The JSON form of a resource configuration: the same keywords as fields, validated by the same
 * rules as the text.
 * @packageDocumentation
 */
import { buildResourceConfig } from './build-resource-config.js';
import { checkHostileCharacters, stripLikePython, type ConfigSection, type ConfigValue } from './config-sections.js';
import { checkVariableName } from './config-value-checks.js';
import { ProblemList } from './problem-list.js';
import { NO_ENFORCED_LIMITS, type ResourceConfig } from './resource-config.js';
import { ResourceConfigError } from './resource-config-error.js';
import { EXE_UNIT_KEYS, RESOURCE_KEYWORDS, resourceKeyword, STORE_UNIT_KEYS, type ResourceKeyword } from './resource-config-keywords.js';
import { RESOURCE_CONFIG_LIMITS } from './resource-config-limits.js';
import { resolveResourceConfigOptions, type ResourceConfigOptions } from './resource-config-options.js';

/**
 * The JSON wire form of a resource configuration: exactly the {@link ResourceConfig} fields
 * (MiG's keyword names), units as objects with MiG's sub-keyword names.
 *
 * @example
 * ```ts
 * const wire: ResourceConfigJson = resourceConfigToJson(cfg);
 * JSON.stringify(wire);
 * ```
 */
export type ResourceConfigJson = ResourceConfig;

/** True for `{}`-style objects (not arrays, not class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Turns JSON field values into value lines, reporting what cannot be read. */
export class JsonLines {
  readonly values: ConfigValue[] = [];

  constructor(
    private readonly keyword: string,
    private readonly problems: ProblemList,
    private readonly maxLineLength: number,
    private readonly tooLarge: (path: string, message: string) => Error,
  ) {}

  /** Reports a problem at `path`. */
  problem(path: string, message: string, key?: string): void {
    this.problems.add({ path, keyword: this.keyword, ...(key === undefined ? {} : { key }), message });
  }

  /** A scalar as text: strings as they are, finite numbers in decimal, booleans as True/False. */
  text(value: unknown, path: string, expects: string): string | undefined {
    let text: string | undefined;
    if (typeof value === 'string') text = value;
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else if (typeof value === 'boolean') text = value ? 'True' : 'False';
    if (text === undefined) {
      this.problem(path, `must be ${expects}, not ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`);
      return undefined;
    }
    if (text.length > this.maxLineLength) throw this.tooLarge(path, `the value is longer than ${this.maxLineLength} characters; shorten it`);
    const reason = checkHostileCharacters(text);
    if (reason !== undefined) {
      this.problem(path, `the value ${reason}`);
      return undefined;
    }
    return stripLikePython(text);
  }

  /** Keeps one line (empty lines are dropped, as in the text form). */
  line(text: string | undefined, path: string): void {
    if (text !== undefined && text !== '') this.values.push({ text, path });
  }
}

function tooLargeError(keyword: string) {
  return (path: string, message: string): Error => new ResourceConfigError([{ path, keyword, message }], { code: 'MIG_E_TOO_LARGE' });
}

/** Reads a unit object into `key=value` lines; lists of VGrids are joined with commas. */
function unitLines(item: unknown, path: string, keyword: string, known: readonly string[], reader: JsonLines): void {
  if (!isPlainObject(item)) {
    reader.problem(path, `each unit must be an object of ${known.join(', ')}`);
    return;
  }
  for (const [key, value] of Object.entries(item)) {
    const at = `${path}.${key}`;
    if (!known.includes(key)) {
      reader.problem(at, `unknown key; use ${known.join(', ')}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    if (key === 'vgrid' && Array.isArray(value)) {
      const names: string[] = [];
      for (const [i, v] of value.entries()) {
        const name = reader.text(v, `${at}[${i}]`, 'a VGrid name');
        if (name === undefined) continue;
        if (name.includes(',')) reader.problem(`${at}[${i}]`, "a VGrid name cannot contain ','", key);
        else if (name !== '') names.push(name);
      }
      reader.line(`${key}=${names.join(',')}`, at);
      continue;
    }
    const text = reader.text(value, at, 'a string, number or boolean');
    if (text !== undefined) reader.line(`${key}=${text}`, at);
  }
}

/** Reads RUNTIMEENVIRONMENT entries (`{ name, variables }` or a bare name) into text lines. */
function runtimeEnvironmentLines(items: readonly unknown[], reader: JsonLines): void {
  for (const [index, item] of items.entries()) {
    const path = `RUNTIMEENVIRONMENT[${index}]`;
    if (typeof item === 'string') {
      reader.line(`name: ${reader.text(item, path, 'a name') ?? ''}`, path);
      continue;
    }
    if (!isPlainObject(item)) {
      reader.problem(path, 'each entry is { "name": "RE-NAME", "variables": [{ "name": "VAR", "value": "..." }] } or a name');
      continue;
    }
    const { name, variables, ...rest } = item;
    if (Object.keys(rest).length > 0) reader.problem(path, 'an entry has only "name" and "variables"');
    const reName = reader.text(name, `${path}.name`, 'a runtime environment name');
    if (reName === undefined) continue;
    if (reName === '') {
      reader.problem(`${path}.name`, 'must not be empty');
      continue;
    }
    reader.line(`name: ${reName}`, `${path}.name`);
    if (variables === undefined || variables === null) continue;
    if (!Array.isArray(variables)) {
      reader.problem(`${path}.variables`, 'must be a list of { "name": "VAR", "value": "..." }');
      continue;
    }
    for (const [i, variable] of variables.entries()) {
      const at = `${path}.variables[${i}]`;
      if (!isPlainObject(variable)) {
        reader.problem(at, 'each variable is { "name": "VAR", "value": "..." }');
        continue;
      }
      const { name: varName, value, ...extra } = variable;
      if (Object.keys(extra).length > 0) reader.problem(at, 'a variable has only "name" and "value"');
      const n = reader.text(varName, `${at}.name`, 'a variable name');
      const v = reader.text(value ?? '', `${at}.value`, 'a string');
      if (n === undefined || v === undefined) continue;
      const reason = checkVariableName(n);
      if (reason !== undefined) {
        reader.problem(`${at}.name`, `the variable name ${reason}`);
        continue;
      }
      reader.line(`${n}=${v}`, at);
    }
  }
}

/** Reads the JSON value of one keyword into sections. */
function keywordSections(keyword: ResourceKeyword, value: unknown, problems: ProblemList): ConfigSection[] {
  const name = keyword.name;
  const reader = new JsonLines(name, problems, RESOURCE_CONFIG_LIMITS.maxLineLength, tooLargeError(name));
  const listOf = (limit: number): readonly unknown[] | undefined => {
    const items = Array.isArray(value) ? value : [value];
    if (items.length > limit) throw new ResourceConfigError([{ path: name, keyword: name, message: `has more than ${limit} entries; make it smaller` }], { code: 'MIG_E_TOO_LARGE' });
    return items;
  };
  switch (keyword.kind) {
    case 'exeunits':
    case 'storeunits': {
      const items = listOf(keyword.kind === 'exeunits' ? RESOURCE_CONFIG_LIMITS.maxExeUnits : RESOURCE_CONFIG_LIMITS.maxStoreUnits) ?? [];
      const known = (keyword.kind === 'exeunits' ? EXE_UNIT_KEYS : STORE_UNIT_KEYS).map((k) => k.name as string);
      return items.map((item, index) => {
        const unit = new JsonLines(name, problems, RESOURCE_CONFIG_LIMITS.maxLineLength, tooLargeError(name));
        unitLines(item, `${name}[${index}]`, name, known, unit);
        return { keyword: name, path: `${name}[${index}]`, values: unit.values };
      });
    }
    case 'runtimeenvs': {
      const items = listOf(RESOURCE_CONFIG_LIMITS.maxRuntimeEnvironments) ?? [];
      runtimeEnvironmentLines(items, reader);
      return reader.values.length === 0 ? [] : [{ keyword: name, path: name, values: reader.values }];
    }
    case 'limits':
    case 'emails': {
      if (Array.isArray(value)) {
        const limit = keyword.kind === 'emails' ? RESOURCE_CONFIG_LIMITS.maxAdminEmails : 10;
        if (value.length > limit) {
          problems.add({ path: name, keyword: name, message: `give at most ${limit} entries` });
          return [];
        }
        const words = value.map((v, i) => reader.text(v, `${name}[${i}]`, 'a string'));
        if (words.some((w) => w === undefined)) return [];
        if (words.some((w) => w !== undefined && /\s/.test(w))) {
          problems.add({ path: name, keyword: name, message: 'an entry must not contain spaces; give one entry per item' });
          return [];
        }
        const joined = words.filter((w) => w !== '').join(' ');
        if (joined === '') return keyword.kind === 'limits' ? [{ keyword: name, path: name, values: [{ text: NO_ENFORCED_LIMITS, path: name }] }] : [];
        return [{ keyword: name, path: name, values: [{ text: joined, path: name }] }];
      }
      reader.line(reader.text(value, name, keyword.expects), name);
      return reader.values.length === 0 ? [] : [{ keyword: name, path: name, values: reader.values }];
    }
    default: {
      reader.line(reader.text(value, name, keyword.expects), name);
      // An empty single value means "not given", as an empty block does in the text form.
      return reader.values.length === 0 ? [] : [{ keyword: name, path: name, values: reader.values }];
    }
  }
}

/**
 * Reads a resource configuration from its JSON form (as sent to the API, or as stored) and
 * validates it with exactly the rules of {@link parseResourceConfig}; MiG's defaults fill what is
 * missing.
 *
 * Each field is named as its keyword. Numbers may be JSON numbers or digit strings, booleans
 * JSON booleans or `"True"`/`"False"`; ENFORCELIMITS and ADMINEMAIL take lists (or the text
 * form's space-separated string); RUNTIMEENVIRONMENT takes `{ name, variables: [{ name, value }] }`
 * entries (or bare names); EXECONFIG and STORECONFIG take lists of unit objects whose `vgrid` is a
 * list (or the text form's comma-separated string). `null` or `""` means "not given". Values are
 * literal (no comments or escapes), trimmed, and may not span lines.
 *
 * @throws {@link ResourceConfigError} naming each bad field by its path (`EXECONFIG[0].cputime`).
 *
 * @example
 * ```ts
 * const cfg = resourceConfigFromJson({
 *   HOSTURL: 'cluster.example.org', NODECOUNT: 4, CPUCOUNT: 16, MEMORY: 65536, DISK: 100, ARCHITECTURE: 'AMD64',
 *   EXECONFIG: [{ name: 'node01', cputime: 86400, vgrid: ['Generic'] }],
 * });
 * cfg.EXECONFIG[0]?.continuous; // true (default)
 * ```
 */
export function resourceConfigFromJson(input: unknown, opts?: ResourceConfigOptions): ResourceConfig {
  const resolved = resolveResourceConfigOptions(opts);
  if (!isPlainObject(input)) {
    throw new ResourceConfigError([{ message: 'a resource configuration must be a JSON object whose fields are its keywords, e.g. { "HOSTURL": "host.example.org" }' }]);
  }
  const keys = Object.keys(input);
  if (keys.length > RESOURCE_KEYWORDS.length * 2) {
    throw new ResourceConfigError([{ message: `a resource configuration has at most ${RESOURCE_KEYWORDS.length} fields` }], { code: 'MIG_E_TOO_LARGE' });
  }
  const problems = new ProblemList(RESOURCE_CONFIG_LIMITS.maxProblems);
  const sections: ConfigSection[] = [];
  for (const key of keys) {
    const keyword = resourceKeyword(key);
    if (keyword === undefined) {
      // Left to the shared rules, which name it and suggest the closest keyword.
      sections.push({ keyword: key, path: key, values: [] });
      continue;
    }
    const value = input[key];
    if (value === null || value === undefined) continue;
    sections.push(...keywordSections(keyword, value, problems));
  }
  if (!problems.empty) throw new ResourceConfigError(problems.items);
  return buildResourceConfig(sections, resolved);
}

/**
 * The JSON form of a resource configuration: a plain, deep copy with the fields in MiG's keyword
 * order, which {@link resourceConfigFromJson} reads back to the same configuration. It includes
 * SANDBOXKEY: remove it before showing the configuration to anyone but the site.
 *
 * @example
 * ```ts
 * const body = JSON.stringify(resourceConfigToJson(parseResourceConfig(text)));
 * const again = resourceConfigFromJson(JSON.parse(body)); // deep-equal to parseResourceConfig(text)
 * ```
 */
export function resourceConfigToJson(cfg: ResourceConfig): ResourceConfigJson {
  const out: Record<string, unknown> = {};
  const source = cfg as unknown as Record<string, unknown>;
  for (const { name } of RESOURCE_KEYWORDS) out[name] = deepCopy(source[name]);
  return out as unknown as ResourceConfigJson;
}

function deepCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(deepCopy);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepCopy(v)]));
  return value;
}

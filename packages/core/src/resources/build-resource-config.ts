/**
 * The rules of resource configurations, shared by the text and JSON forms: keyword sections in,
 * a validated {@link ResourceConfig} out, as MiG's `parser.check_types` and `confparser` judge them.
 * @packageDocumentation
 */
import { checkEmailAddress } from '../identity/email-address.js';
import { checkRuntimeEnvironmentName } from '../runtime-envs/runtime-environment-name.js';
import type { ConfigSection, ConfigValue } from './config-sections.js';
import { checkVariableName, checkVgridName, readBoolean, readWholeNumber } from './config-value-checks.js';
import { keywordLookalike, ProblemList, unknownKeywordMessage } from './problem-list.js';
import {
  ENFORCEABLE_LIMITS, NO_ENFORCED_LIMITS, type EnforceableLimit, type ProvidedRuntimeEnvironment, type ResourceConfig,
} from './resource-config.js';
import { ResourceConfigError } from './resource-config-error.js';
import {
  defaultExeUnit, defaultResourceConfig, defaultStoreUnit, EXE_UNIT_KEYS, RESOURCE_KEYWORD_NAMES, resourceKeyword,
  STORE_UNIT_KEYS, type Mutable, type ResourceKeyword, type UnitKey,
} from './resource-config-keywords.js';
import { RESOURCE_CONFIG_LIMITS } from './resource-config-limits.js';
import type { ResolvedResourceConfigOptions } from './resource-config-options.js';

/** The unit placeholders MiG replaces in a unit's text values by the unit's name (`confparser.run`). */
const EXE_NAME_VARIABLE = '+EXENAME+';
const STORE_NAME_VARIABLE = '+STORENAME+';

function tooLarge(section: ConfigSection, keyword: string, message: string): ResourceConfigError {
  return new ResourceConfigError(
    [{ ...(section.line === undefined ? {} : { line: section.line }), ...(section.path === undefined ? {} : { path: section.path }), keyword, message }],
    { code: 'MIG_E_TOO_LARGE' },
  );
}

function countProblem(keyword: ResourceKeyword, count: number): string {
  return count === 0 ? `needs a value: give ${keyword.expects}` : `takes one line, but has ${count}: give ${keyword.expects}`;
}

/**
 * Turns keyword sections into a validated {@link ResourceConfig}, or throws a
 * {@link ResourceConfigError} listing every problem (`MIG_E_TOO_LARGE` as soon as a limit is crossed).
 */
export function buildResourceConfig(sections: readonly ConfigSection[], opts: ResolvedResourceConfigOptions): ResourceConfig {
  const cfg = defaultResourceConfig(opts);
  const problems = new ProblemList(RESOURCE_CONFIG_LIMITS.maxProblems);
  const lineCounts = new Map<string, number>();
  const given = new Set<string>();
  const isKnown = (name: string): boolean => resourceKeyword(name) !== undefined;

  for (const section of sections) {
    const keyword = resourceKeyword(section.keyword);
    if (keyword === undefined) {
      problems.add({
        ...(section.line === undefined ? {} : { line: section.line }),
        ...(section.path === undefined ? {} : { path: section.path }),
        message: unknownKeywordMessage(section, RESOURCE_KEYWORD_NAMES, '::HOSTURL::'),
      });
      continue;
    }
    const name = keyword.name;
    const total = (lineCounts.get(name) ?? 0) + section.values.length;
    lineCounts.set(name, total);
    if (total > RESOURCE_CONFIG_LIMITS.maxValuesPerKeyword) {
      throw tooLarge(section, name, `has more than ${RESOURCE_CONFIG_LIMITS.maxValuesPerKeyword} value lines; make it smaller`);
    }
    if (section.values.length > 0) given.add(name);

    let valid = true;
    for (const value of section.values) {
      const lookalike = keywordLookalike(value.text, isKnown);
      if (lookalike !== undefined) {
        problems.at(section, value, name, `this line looks like the keyword ::${lookalike}:: but is read as a value of ${name}; put a blank line before it`);
        valid = false;
      }
    }
    if (!valid) continue;

    switch (keyword.kind) {
      case 'exeunits': {
        if (cfg.EXECONFIG.length >= RESOURCE_CONFIG_LIMITS.maxExeUnits) {
          throw tooLarge(section, name, `a resource has at most ${RESOURCE_CONFIG_LIMITS.maxExeUnits} execution units`);
        }
        const unit = readUnit(section, name, EXE_UNIT_KEYS, () => defaultExeUnit(''), EXE_NAME_VARIABLE, problems);
        if (unit !== undefined) cfg.EXECONFIG.push(unit);
        break;
      }
      case 'storeunits': {
        if (cfg.STORECONFIG.length >= RESOURCE_CONFIG_LIMITS.maxStoreUnits) {
          throw tooLarge(section, name, `a resource has at most ${RESOURCE_CONFIG_LIMITS.maxStoreUnits} storage units`);
        }
        const unit = readUnit(section, name, STORE_UNIT_KEYS, defaultStoreUnit, STORE_NAME_VARIABLE, problems);
        if (unit !== undefined) cfg.STORECONFIG.push(unit);
        break;
      }
      case 'runtimeenvs':
        readRuntimeEnvironments(section, keyword, cfg.RUNTIMEENVIRONMENT, problems);
        break;
      default:
        readScalar(section, keyword, cfg, opts, problems);
    }
  }

  for (const keyword of [resourceKeyword('HOSTURL'), resourceKeyword('NODECOUNT'), resourceKeyword('CPUCOUNT'),
    resourceKeyword('MEMORY'), resourceKeyword('DISK'), resourceKeyword('ARCHITECTURE'), resourceKeyword('EXECONFIG')]) {
    if (keyword !== undefined && keyword.required && !given.has(keyword.name)) {
      problems.add({ keyword: keyword.name, message: `is required: add ::${keyword.name}:: with ${keyword.expects}` });
    }
  }
  checkUniqueNames(cfg.EXECONFIG, 'EXECONFIG', 'execution', problems);
  checkUniqueNames(cfg.STORECONFIG, 'STORECONFIG', 'storage', problems);
  if (!problems.empty) throw new ResourceConfigError(problems.items);
  return cfg;
}

function checkUniqueNames(units: readonly { name: string }[], keyword: string, what: string, problems: ProblemList): void {
  const seen = new Set<string>();
  for (const [index, unit] of units.entries()) {
    if (seen.has(unit.name)) {
      problems.add({ keyword, key: 'name', message: `${what} unit ${index + 1} has the same name as an earlier one; give each ${what} unit its own name` });
    }
    seen.add(unit.name);
  }
}

/** Reads a one-line keyword (int, boolean, string, limits, emails) into `cfg`. */
function readScalar(
  section: ConfigSection,
  keyword: ResourceKeyword,
  cfg: Mutable<ResourceConfig>,
  opts: ResolvedResourceConfigOptions,
  problems: ProblemList,
): void {
  const name = keyword.name;
  const values = section.values;
  const first = values[0];
  const at = (value: ConfigValue | undefined, message: string): void => problems.at(section, value, name, message);
  const target = cfg as unknown as Record<string, unknown>;

  if (values.length > 1) return at(undefined, countProblem(keyword, values.length));
  if (first === undefined) {
    // MiG: an empty int block is an error; empty boolean means False; an empty string block keeps the default.
    if (keyword.kind === 'int') return at(undefined, countProblem(keyword, 0));
    if (keyword.kind === 'boolean') target[name] = false;
    return;
  }
  if (keyword.check !== undefined) {
    const reason = keyword.check(first.text);
    if (reason !== undefined) return at(first, `the value ${reason}; expected ${keyword.expects}`);
  }
  switch (keyword.kind) {
    case 'int': {
      const n = readWholeNumber(first.text);
      if (typeof n === 'string') return at(first, `the value ${n}; expected ${keyword.expects}`);
      if (keyword.range !== undefined && (n < keyword.range[0] || n > keyword.range[1])) {
        return at(first, `the value must be between ${keyword.range[0]} and ${keyword.range[1]}`);
      }
      target[name] = n;
      return;
    }
    case 'boolean': {
      const b = readBoolean(first.text);
      if (b === undefined) return at(first, 'the value must be True or False (1/0 and on/off work too)');
      target[name] = b;
      return;
    }
    case 'string': {
      if (keyword.oneOf !== undefined) {
        const allowed = opts[keyword.oneOf];
        if (!allowed.includes(first.text)) {
          return at(first, `the value is not one this site knows (names are case-sensitive): use one of ${allowed.join(', ')}`);
        }
      }
      target[name] = first.text;
      return;
    }
    case 'limits': {
      cfg.ENFORCELIMITS = readLimits(first.text, (message) => at(first, message)) ?? cfg.ENFORCELIMITS;
      return;
    }
    case 'emails': {
      const addresses = first.text.split(/\s+/).filter((a) => a !== '');
      if (addresses.length > RESOURCE_CONFIG_LIMITS.maxAdminEmails) {
        return at(first, `give at most ${RESOURCE_CONFIG_LIMITS.maxAdminEmails} addresses`);
      }
      for (const [index, address] of addresses.entries()) {
        const reason = checkEmailAddress(address);
        if (reason !== undefined) return at(first, `address ${index + 1} ${reason}; separate addresses with spaces`);
      }
      cfg.ADMINEMAIL = addresses;
      return;
    }
    default:
      return;
  }
}

function readLimits(text: string, fail: (message: string) => void): EnforceableLimit[] | undefined {
  const words = text.split(/\s+/).filter((w) => w !== '');
  if (words.length === 1 && words[0]?.toUpperCase() === NO_ENFORCED_LIMITS) return [];
  const limits: EnforceableLimit[] = [];
  for (const [index, word] of words.entries()) {
    const limit = ENFORCEABLE_LIMITS.find((l) => l === word.toUpperCase());
    if (limit === undefined) {
      fail(`word ${index + 1} is not a limit: use space-separated names from ${ENFORCEABLE_LIMITS.join(', ')}, or ${NO_ENFORCED_LIMITS} alone for no limits`);
      return undefined;
    }
    if (!limits.includes(limit)) limits.push(limit);
  }
  // Canonical order, so that a configuration has one form.
  return ENFORCEABLE_LIMITS.filter((l) => limits.includes(l));
}

/** Reads `name: RE` / `VAR=value` lines (MiG `configruntimeenvironment`). */
function readRuntimeEnvironments(
  section: ConfigSection,
  keyword: ResourceKeyword,
  list: ProvidedRuntimeEnvironment[],
  problems: ProblemList,
): void {
  const name = keyword.name;
  let current: { name: string; variables: { name: string; value: string }[] } | undefined;
  let broken = false;
  const flush = (): void => {
    if (current !== undefined && !broken) {
      if (list.some((re) => re.name === current?.name)) {
        problems.at(section, undefined, name, 'names the same runtime environment twice; give each one once with all its variables');
      } else if (list.length >= RESOURCE_CONFIG_LIMITS.maxRuntimeEnvironments) {
        throw tooLarge(section, name, `a resource provides at most ${RESOURCE_CONFIG_LIMITS.maxRuntimeEnvironments} runtime environments`);
      } else {
        list.push(current);
      }
    }
    current = undefined;
    broken = false;
  };
  for (const value of section.values) {
    const reason = keyword.check?.(value.text);
    if (reason !== undefined) {
      problems.at(section, value, name, `the line ${reason}`);
      broken = true;
      continue;
    }
    if (value.text.toLowerCase().startsWith('name:')) {
      flush();
      const reName = value.text.slice('name:'.length).trim();
      const nameReason = reName === '' ? "needs a name after 'name:'" : checkRuntimeEnvironmentName(reName);
      current = { name: reName.toUpperCase(), variables: [] };
      if (nameReason !== undefined) {
        problems.at(section, value, name, `the runtime environment name ${nameReason}; write 'name: RE-NAME', e.g. name: POVRAY-3.6`);
        broken = true;
      }
      continue;
    }
    if (current === undefined) {
      problems.at(section, value, name, "a variable line must follow a 'name: RE-NAME' line naming its runtime environment");
      continue;
    }
    const eq = value.text.indexOf('=');
    if (eq < 0) {
      problems.at(section, value, name, "the line must be 'VARIABLE=value' or 'name: RE-NAME'");
      broken = true;
      continue;
    }
    const varName = value.text.slice(0, eq).trim();
    const varValue = value.text.slice(eq + 1).trim();
    const varReason = checkVariableName(varName);
    if (varReason !== undefined) {
      problems.at(section, value, name, `the variable name ${varReason}`);
      broken = true;
      continue;
    }
    if (current.variables.some((v) => v.name === varName)) {
      problems.at(section, value, name, 'sets a variable that was already set for this runtime environment; give each variable once');
      broken = true;
      continue;
    }
    if (current.variables.length >= RESOURCE_CONFIG_LIMITS.maxVariablesPerRuntimeEnvironment) {
      throw tooLarge(section, name, `a runtime environment has at most ${RESOURCE_CONFIG_LIMITS.maxVariablesPerRuntimeEnvironment} variables`);
    }
    current.variables.push({ name: varName, value: varValue });
  }
  flush();
}

/** Reads one EXECONFIG or STORECONFIG block of `key=value` lines. */
function readUnit<T extends { name: string }>(
  section: ConfigSection,
  keyword: string,
  keys: readonly UnitKey<T>[],
  defaults: () => Mutable<T>,
  nameVariable: string,
  problems: ProblemList,
): T | undefined {
  const unit = defaults() as unknown as Record<string, unknown>;
  const known = keys.map((key) => key.name);
  const seen = new Set<string>();
  let valid = true;
  const fail = (value: ConfigValue | undefined, message: string, key?: string): void => {
    problems.at(section, value, keyword, message, key);
    valid = false;
  };
  if (section.values.length === 0) {
    fail(undefined, `is empty: give the unit's 'key=value' lines, at least name=...`);
    return undefined;
  }
  for (const value of section.values) {
    const eq = value.text.indexOf('=');
    if (eq < 0) {
      fail(value, "each line must be 'key=value' (MiG's old positional format is not supported), e.g. name=node01");
      continue;
    }
    const keyText = value.text.slice(0, eq).trim();
    const text = value.text.slice(eq + 1).trim();
    const key = keys.find((k) => k.name === keyText);
    if (key === undefined) {
      const shown = /^[a-z_]{1,40}$/.test(keyText) ? ` '${keyText}'` : '';
      fail(value, `unknown key${shown}; use ${known.join(', ')}`);
      continue;
    }
    if (seen.has(key.name)) {
      fail(value, 'is given twice in this block; give each key once', key.name);
      continue;
    }
    seen.add(key.name);
    if (key.kind !== 'vgrids' && text === '' && key.kind !== 'string') {
      fail(value, `needs a value: ${key.expects}`, key.name);
      continue;
    }
    const reason = key.check(text);
    if (reason !== undefined) {
      fail(value, `the value ${reason}; expected ${key.expects}`, key.name);
      continue;
    }
    switch (key.kind) {
      case 'int': {
        const n = readWholeNumber(text);
        if (typeof n === 'string') fail(value, `the value ${n}; expected ${key.expects}`, key.name);
        else if (key.range !== undefined && (n < key.range[0] || n > key.range[1])) {
          fail(value, `the value must be between ${key.range[0]} and ${key.range[1]}`, key.name);
        } else unit[key.name] = n;
        break;
      }
      case 'boolean': {
        const b = readBoolean(text);
        if (b === undefined) fail(value, 'the value must be True or False', key.name);
        else unit[key.name] = b;
        break;
      }
      case 'vgrids': {
        const names = text.split(',').map((v) => v.trim()).filter((v) => v !== '');
        const bad = names.findIndex((v) => checkVgridName(v) !== undefined);
        if (bad >= 0) {
          fail(value, `VGrid ${bad + 1} ${checkVgridName(names[bad] ?? '') ?? ''}; expected ${key.expects}`, key.name);
        } else unit[key.name] = names;
        break;
      }
      default:
        if (key.oneOf !== undefined && !key.oneOf.includes(text)) {
          fail(value, `the value must be one of ${key.oneOf.join(', ')}`, key.name);
        } else unit[key.name] = text;
    }
  }
  if (!seen.has('name') && keys[0]?.name === 'name' && unit['name'] === '') {
    fail(undefined, 'needs a name: add a line name=... (letters, digits, . and -), unique in the resource', 'name');
  }
  if (!valid) return undefined;
  // MiG replaces the unit-name placeholder in every text value of the unit.
  const unitName = String(unit['name']);
  for (const key of keys) {
    const v = unit[key.name];
    if (key.kind === 'string' && typeof v === 'string' && v.includes(nameVariable)) {
      unit[key.name] = v.split(nameVariable).join(unitName);
    }
  }
  return unit as unknown as T;
}


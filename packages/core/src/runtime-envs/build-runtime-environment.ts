/**
 * The rules of runtime environments, shared by the text and JSON forms: keyword sections in, a
 * validated {@link RuntimeEnvironment} out, as MiG's `parser.check_types` judges them.
 * @packageDocumentation
 */
import { MrslError, parseMrsl } from '../mrsl/index.js';
import type { ConfigSection, ConfigValue } from '../resources/config-sections.js';
import {
  checkBaseUrl, checkCommonName, checkPlainText, checkSoftwareName, checkVariableName, type ValueCheck,
} from '../resources/config-value-checks.js';
import { keywordLookalike, ProblemList, unknownKeywordMessage } from '../resources/problem-list.js';
import {
  DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION, RUNTIME_ENVIRONMENT_KEYWORDS, RUNTIME_ENVIRONMENT_LIMITS,
  type RuntimeEnvironment, type RuntimeEnvironmentKeywordName, type RuntimeEnvironmentSoftware, type RuntimeEnvironmentVariable,
} from './runtime-environment.js';
import { RuntimeEnvironmentError } from './runtime-environment-error.js';
import { checkRuntimeEnvironmentName } from './runtime-environment-name.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

interface SubKey {
  readonly name: string;
  readonly check: ValueCheck;
  readonly expects: string;
}

const SOFTWARE_KEYS: readonly SubKey[] = [
  { name: 'name', check: checkSoftwareName, expects: "a name of letters, digits, space, '.', '-' and '_'" },
  { name: 'version', check: checkCommonName, expects: "a version of letters, digits, space, '.' and '-', e.g. 3.6" },
  { name: 'url', check: checkBaseUrl, expects: 'an address such as http://www.povray.org/download/' },
  { name: 'description', check: checkPlainText, expects: 'plain text (no < or >)' },
  { name: 'icon', check: checkBaseUrl, expects: 'an icon address such as http://www.povray.org/icon.png' },
];

const VARIABLE_KEYS: readonly SubKey[] = [
  { name: 'name', check: checkVariableName, expects: 'a shell variable name such as POVRAY_HOME' },
  { name: 'example', check: checkPlainText, expects: 'an example value (plain text, no < or >)' },
  { name: 'description', check: checkPlainText, expects: 'plain text (no < or >)' },
];

const BASE64_LINE = /^[A-Za-z0-9+/=]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isKeyword(name: string): boolean {
  return (RUNTIME_ENVIRONMENT_KEYWORDS as readonly string[]).includes(name);
}

function tooLarge(section: ConfigSection, keyword: string, message: string): RuntimeEnvironmentError {
  return new RuntimeEnvironmentError(
    [{ ...(section.line === undefined ? {} : { line: section.line }), ...(section.path === undefined ? {} : { path: section.path }), keyword, message }],
    { code: 'MIG_E_TOO_LARGE' },
  );
}

/**
 * Turns keyword sections into a validated {@link RuntimeEnvironment}, or throws a
 * {@link RuntimeEnvironmentError} listing every problem.
 */
export function buildRuntimeEnvironment(sections: readonly ConfigSection[]): RuntimeEnvironment {
  const re: Mutable<RuntimeEnvironment> = {
    RENAME: '', DESCRIPTION: DEFAULT_RUNTIME_ENVIRONMENT_DESCRIPTION, SOFTWARE: [], TESTPROCEDURE: '',
    VERIFYSTDOUT: [], VERIFYSTDERR: [], VERIFYSTATUS: [], ENVIRONMENTVARIABLE: [],
  };
  const problems = new ProblemList(RUNTIME_ENVIRONMENT_LIMITS.maxProblems);
  const testLines: string[] = [];
  let testSection: ConfigSection | undefined;

  for (const section of sections) {
    if (!isKeyword(section.keyword)) {
      problems.add({
        ...(section.line === undefined ? {} : { line: section.line }),
        ...(section.path === undefined ? {} : { path: section.path }),
        message: unknownKeywordMessage(section, RUNTIME_ENVIRONMENT_KEYWORDS, '::RENAME::'),
      });
      continue;
    }
    const name = section.keyword as RuntimeEnvironmentKeywordName;
    const at = (value: ConfigValue | undefined, message: string, key?: string): void => problems.at(section, value, name, message, key);
    let valid = true;
    for (const value of section.values) {
      const lookalike = keywordLookalike(value.text, isKeyword);
      if (lookalike !== undefined) {
        at(value, `this line looks like the keyword ::${lookalike}:: but is read as a value of ${name}; put a blank line before it`);
        valid = false;
      }
    }
    if (!valid) continue;
    const values = section.values;
    const first = values[0];

    switch (name) {
      case 'RENAME':
      case 'DESCRIPTION': {
        if (values.length > 1) {
          at(undefined, `takes one line, but has ${values.length}`);
          break;
        }
        if (first === undefined) break;
        const reason = name === 'RENAME' ? checkRuntimeEnvironmentName(first.text) : checkPlainText(first.text);
        if (reason !== undefined) {
          at(first, name === 'RENAME'
            ? `the name ${reason}; use letters, digits, '.', '-' and '_', starting with a letter or digit, e.g. POVRAY-3.6`
            : `the description ${reason}`);
          break;
        }
        if (name === 'RENAME') re.RENAME = first.text.toUpperCase();
        else re.DESCRIPTION = first.text;
        break;
      }
      case 'SOFTWARE': {
        if (re.SOFTWARE.length >= RUNTIME_ENVIRONMENT_LIMITS.maxSoftware) {
          throw tooLarge(section, name, `a runtime environment has at most ${RUNTIME_ENVIRONMENT_LIMITS.maxSoftware} software entries`);
        }
        const entry = readBlock(section, name, SOFTWARE_KEYS, problems);
        if (entry !== undefined) re.SOFTWARE.push(entry as unknown as RuntimeEnvironmentSoftware);
        break;
      }
      case 'ENVIRONMENTVARIABLE': {
        if (re.ENVIRONMENTVARIABLE.length >= RUNTIME_ENVIRONMENT_LIMITS.maxEnvironmentVariables) {
          throw tooLarge(section, name, `a runtime environment has at most ${RUNTIME_ENVIRONMENT_LIMITS.maxEnvironmentVariables} variables`);
        }
        const entry = readBlock(section, name, VARIABLE_KEYS, problems);
        if (entry === undefined) break;
        if (re.ENVIRONMENTVARIABLE.some((v) => v.name === entry['name'])) {
          at(undefined, 'names a variable that an earlier ENVIRONMENTVARIABLE block names already; give each variable once', 'name');
          break;
        }
        re.ENVIRONMENTVARIABLE.push(entry as unknown as RuntimeEnvironmentVariable);
        break;
      }
      case 'TESTPROCEDURE': {
        testSection ??= section;
        for (const value of values) {
          if (!BASE64_LINE.test(value.text)) {
            at(value, 'the test procedure must be base64-encoded mRSL (letters, digits, +, / and =)');
            valid = false;
          } else testLines.push(value.text);
        }
        if (testLines.join('').length > (RUNTIME_ENVIRONMENT_LIMITS.maxTestProcedureBytes * 4) / 3 + 4) {
          throw tooLarge(section, name, `the test procedure is larger than ${RUNTIME_ENVIRONMENT_LIMITS.maxTestProcedureBytes} bytes`);
        }
        break;
      }
      case 'VERIFYSTDOUT':
      case 'VERIFYSTDERR':
      case 'VERIFYSTATUS': {
        const list = re[name];
        for (const value of values) {
          const reason = checkPlainText(value.text);
          if (reason !== undefined) {
            at(value, `the line ${reason}`);
            continue;
          }
          if (list.length >= RUNTIME_ENVIRONMENT_LIMITS.maxVerifyLines) {
            throw tooLarge(section, name, `has more than ${RUNTIME_ENVIRONMENT_LIMITS.maxVerifyLines} lines`);
          }
          list.push(value.text);
        }
        break;
      }
    }
  }

  if (re.RENAME === '' && !problems.items.some((p) => p.keyword === 'RENAME')) {
    problems.add({ keyword: 'RENAME', message: 'is required: add ::RENAME:: with the runtime environment name, e.g. POVRAY-3.6' });
  }
  if (testSection !== undefined && testLines.length > 0 && problems.empty) {
    re.TESTPROCEDURE = decodeTestProcedure(testLines.join(''), testSection, problems);
  }
  if (!problems.empty) throw new RuntimeEnvironmentError(problems.items);
  return re;
}

/** Decodes and checks the base64 test procedure (MiG: it must parse as mRSL). */
function decodeTestProcedure(base64: string, section: ConfigSection, problems: ProblemList): string {
  const at = (message: string): void => problems.at(section, undefined, 'TESTPROCEDURE', message);
  if (!BASE64.test(base64)) {
    at('the test procedure is not valid base64 (check for missing or extra characters at the end)');
    return '';
  }
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > RUNTIME_ENVIRONMENT_LIMITS.maxTestProcedureBytes) {
    throw tooLarge(section, 'TESTPROCEDURE', `the test procedure is larger than ${RUNTIME_ENVIRONMENT_LIMITS.maxTestProcedureBytes} bytes`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    at('the decoded test procedure is not UTF-8 text; encode an mRSL job description');
    return '';
  }
  return checkTestProcedure(text, (message) => at(message)) ? text : '';
}

/**
 * Checks test procedure mRSL text as MiG does: it parses as a job, and has at most one
 * `::VERIFYFILES::` section. Returns whether it passed; `fail` gets each problem.
 */
export function checkTestProcedure(text: string, fail: (message: string) => void): boolean {
  if (text.split('::VERIFYFILES::').length - 1 > 1) {
    fail('the test procedure has more than one ::VERIFYFILES:: section; leave it out, the site adds the one that checks VERIFYSTDOUT, VERIFYSTDERR and VERIFYSTATUS');
    return false;
  }
  try {
    parseMrsl(text);
  } catch (err) {
    if (!(err instanceof MrslError)) throw err;
    const first = err.problems[0];
    const where = first?.line === undefined ? '' : ` (its line ${first.line})`;
    fail(`the test procedure is not a valid mRSL job${where}: ${first?.message ?? 'it does not parse'}`);
    return false;
  }
  return true;
}

/** Reads one SOFTWARE or ENVIRONMENTVARIABLE block: every key required, each once. */
function readBlock(section: ConfigSection, keyword: string, keys: readonly SubKey[], problems: ProblemList): Record<string, string> | undefined {
  const entry: Record<string, string> = {};
  let valid = true;
  const fail = (value: ConfigValue | undefined, message: string, key?: string): void => {
    problems.at(section, value, keyword, message, key);
    valid = false;
  };
  const known = keys.map((k) => k.name);
  for (const value of section.values) {
    const eq = value.text.indexOf('=');
    if (eq < 0) {
      fail(value, `each line must be 'key=value' with a key from ${known.join(', ')}`);
      continue;
    }
    const keyText = value.text.slice(0, eq).trim();
    const text = value.text.slice(eq + 1).trim();
    const key = keys.find((k) => k.name === keyText);
    if (key === undefined) {
      fail(value, `unknown key; use ${known.join(', ')}`);
      continue;
    }
    if (Object.hasOwn(entry, key.name)) {
      fail(value, 'is given twice in this block; give each key once', key.name);
      continue;
    }
    const reason = key.check(text);
    if (reason !== undefined) {
      fail(value, `the value ${reason}; expected ${key.expects}`, key.name);
      continue;
    }
    entry[key.name] = text;
  }
  if (valid) {
    for (const key of keys) {
      if (!Object.hasOwn(entry, key.name)) fail(undefined, `is missing '${key.name}=...': ${keyword} blocks need ${known.join(', ')}`, key.name);
    }
  }
  if (!valid) return undefined;
  // Keys in MiG's order, so that equal entries are equal objects.
  return Object.fromEntries(keys.map((k) => [k.name, entry[k.name] ?? '']));
}

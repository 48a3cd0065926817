/**
 * The JSON form of a runtime environment: the same keywords as fields, validated by the same
 * rules as the text.
 * @packageDocumentation
 */
import type { ConfigSection } from '../resources/config-sections.js';
import { ProblemList } from '../resources/problem-list.js';
import { isPlainObject, JsonLines } from '../resources/resource-config-json.js';
import { buildRuntimeEnvironment } from './build-runtime-environment.js';
import {
  RUNTIME_ENVIRONMENT_KEYWORDS, RUNTIME_ENVIRONMENT_LIMITS, type RuntimeEnvironment, type RuntimeEnvironmentKeywordName,
} from './runtime-environment.js';
import { RuntimeEnvironmentError } from './runtime-environment-error.js';

/**
 * The JSON wire form of a runtime environment: exactly the {@link RuntimeEnvironment} fields
 * (MiG's keyword names); TESTPROCEDURE is the mRSL text itself, not base64.
 *
 * @example
 * ```ts
 * const wire: RuntimeEnvironmentJson = runtimeEnvironmentToJson(re);
 * ```
 */
export type RuntimeEnvironmentJson = RuntimeEnvironment;

const SUB_KEYS: Partial<Record<RuntimeEnvironmentKeywordName, readonly string[]>> = {
  SOFTWARE: ['name', 'version', 'url', 'description', 'icon'],
  ENVIRONMENTVARIABLE: ['name', 'example', 'description'],
};

function tooLarge(path: string, message: string): Error {
  return new RuntimeEnvironmentError([{ path, message }], { code: 'MIG_E_TOO_LARGE' });
}

/** Base64 in lines of 76 characters, as Python's `base64.encodestring` writes it. */
function base64Lines(text: string): string[] {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += 76) lines.push(encoded.slice(i, i + 76));
  return lines;
}

function keywordSections(name: RuntimeEnvironmentKeywordName, value: unknown, problems: ProblemList): ConfigSection[] {
  const reader = new JsonLines(name, problems, RUNTIME_ENVIRONMENT_LIMITS.maxLineLength, tooLarge);
  const subKeys = SUB_KEYS[name];
  if (subKeys !== undefined) {
    const items = Array.isArray(value) ? value : [value];
    const limit = name === 'SOFTWARE' ? RUNTIME_ENVIRONMENT_LIMITS.maxSoftware : RUNTIME_ENVIRONMENT_LIMITS.maxEnvironmentVariables;
    if (items.length > limit) throw tooLarge(name, `has more than ${limit} entries`);
    return items.map((item: unknown, index) => {
      const path = `${name}[${index}]`;
      const block = new JsonLines(name, problems, RUNTIME_ENVIRONMENT_LIMITS.maxLineLength, tooLarge);
      if (!isPlainObject(item)) {
        block.problem(path, `each entry is an object of ${subKeys.join(', ')}`);
      } else {
        for (const [key, v] of Object.entries(item)) {
          if (!subKeys.includes(key)) {
            block.problem(`${path}.${key}`, `unknown key; use ${subKeys.join(', ')}`);
            continue;
          }
          const text = block.text(v ?? '', `${path}.${key}`, 'a string');
          if (text !== undefined) block.values.push({ text: `${key}=${text}`, path: `${path}.${key}` });
        }
      }
      return { keyword: name, path, values: block.values };
    });
  }
  if (name === 'TESTPROCEDURE') {
    if (typeof value !== 'string') {
      reader.problem(name, 'must be the mRSL text of the test job');
      return [];
    }
    if (Buffer.byteLength(value, 'utf8') > RUNTIME_ENVIRONMENT_LIMITS.maxTestProcedureBytes) {
      throw tooLarge(name, `the test procedure is larger than ${RUNTIME_ENVIRONMENT_LIMITS.maxTestProcedureBytes} bytes`);
    }
    if (value === '') return [];
    return [{ keyword: name, path: name, values: base64Lines(value).map((text) => ({ text, path: name })) }];
  }
  if (name === 'RENAME' || name === 'DESCRIPTION') {
    reader.line(reader.text(value, name, 'a string'), name);
    return reader.values.length === 0 ? [] : [{ keyword: name, path: name, values: reader.values }];
  }
  const items = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(items)) {
    reader.problem(name, 'must be a list of lines');
    return [];
  }
  if (items.length > RUNTIME_ENVIRONMENT_LIMITS.maxVerifyLines) throw tooLarge(name, `has more than ${RUNTIME_ENVIRONMENT_LIMITS.maxVerifyLines} lines`);
  items.forEach((item: unknown, index) => reader.line(reader.text(item, `${name}[${index}]`, 'a string'), `${name}[${index}]`));
  return [{ keyword: name, path: name, values: reader.values }];
}

/**
 * Reads a runtime environment from its JSON form and validates it with exactly the rules of
 * {@link parseRuntimeEnvironment}; MiG's defaults fill what is missing. SOFTWARE and
 * ENVIRONMENTVARIABLE take lists of objects; TESTPROCEDURE takes the mRSL text itself; VERIFY*
 * take lists of lines. Values are literal (no comments or escapes), trimmed, one line each.
 *
 * @throws {@link RuntimeEnvironmentError} naming each bad field by its path (`SOFTWARE[0].url`).
 *
 * @example
 * ```ts
 * const re = runtimeEnvironmentFromJson({
 *   RENAME: 'python-3',
 *   ENVIRONMENTVARIABLE: [{ name: 'PYTHON', example: '/usr/bin/python3', description: 'The interpreter' }],
 *   TESTPROCEDURE: '::EXECUTE::\n$PYTHON --version\n',
 *   VERIFYSTATUS: ['.* 0'],
 * });
 * re.RENAME; // 'PYTHON-3'
 * ```
 */
export function runtimeEnvironmentFromJson(input: unknown): RuntimeEnvironment {
  if (!isPlainObject(input)) {
    throw new RuntimeEnvironmentError([{ message: 'a runtime environment must be a JSON object whose fields are its keywords, e.g. { "RENAME": "POVRAY-3.6" }' }]);
  }
  const keys = Object.keys(input);
  if (keys.length > RUNTIME_ENVIRONMENT_KEYWORDS.length * 2) {
    throw new RuntimeEnvironmentError([{ message: `a runtime environment has at most ${RUNTIME_ENVIRONMENT_KEYWORDS.length} fields` }], { code: 'MIG_E_TOO_LARGE' });
  }
  const problems = new ProblemList(RUNTIME_ENVIRONMENT_LIMITS.maxProblems);
  const sections: ConfigSection[] = [];
  for (const key of keys) {
    if (!(RUNTIME_ENVIRONMENT_KEYWORDS as readonly string[]).includes(key)) {
      sections.push({ keyword: key, path: key, values: [] });
      continue;
    }
    const value = input[key];
    if (value === null || value === undefined) continue;
    sections.push(...keywordSections(key as RuntimeEnvironmentKeywordName, value, problems));
  }
  if (!problems.empty) throw new RuntimeEnvironmentError(problems.items);
  return buildRuntimeEnvironment(sections);
}

/**
 * The JSON form of a runtime environment: a plain, deep copy with the fields in MiG's keyword
 * order, which {@link runtimeEnvironmentFromJson} reads back to the same runtime environment.
 *
 * @example
 * ```ts
 * const again = runtimeEnvironmentFromJson(JSON.parse(JSON.stringify(runtimeEnvironmentToJson(re))));
 * ```
 */
export function runtimeEnvironmentToJson(re: RuntimeEnvironment): RuntimeEnvironmentJson {
  return {
    RENAME: re.RENAME,
    DESCRIPTION: re.DESCRIPTION,
    SOFTWARE: re.SOFTWARE.map((s) => ({ name: s.name, version: s.version, url: s.url, description: s.description, icon: s.icon })),
    TESTPROCEDURE: re.TESTPROCEDURE,
    VERIFYSTDOUT: [...re.VERIFYSTDOUT],
    VERIFYSTDERR: [...re.VERIFYSTDERR],
    VERIFYSTATUS: [...re.VERIFYSTATUS],
    ENVIRONMENTVARIABLE: re.ENVIRONMENTVARIABLE.map((v) => ({ name: v.name, example: v.example, description: v.description })),
  };
}

export { base64Lines };

/**
 * `formatRuntimeEnvironment`: {@link RuntimeEnvironment} → canonical MiG runtime environment text.
 * @packageDocumentation
 */
import { escapeConfigLine } from '../resources/config-sections.js';
import type { RuntimeEnvironment } from './runtime-environment.js';
import { base64Lines, runtimeEnvironmentFromJson } from './runtime-environment-json.js';

/**
 * Writes a runtime environment as canonical MiG text: RENAME, DESCRIPTION, one `::SOFTWARE::`
 * block per entry, TESTPROCEDURE base64-encoded in 76-character lines (as MiG's `createre`
 * does), the VERIFY lists, one `::ENVIRONMENTVARIABLE::` block per variable. Empty lists and an
 * empty test procedure are left out. Parsing the result gives the same runtime environment.
 *
 * The runtime environment is validated first with the rules of {@link runtimeEnvironmentFromJson}.
 *
 * @throws {@link RuntimeEnvironmentError} when `re` is not valid.
 *
 * @example
 * ```ts
 * const text = formatRuntimeEnvironment(runtimeEnvironmentFromJson({ RENAME: 'LOCALDISK' }));
 * text; // '::RENAME::\nLOCALDISK\n\n::DESCRIPTION::\nNot available\n'
 * ```
 */
export function formatRuntimeEnvironment(re: RuntimeEnvironment): string {
  const valid = runtimeEnvironmentFromJson(re);
  const out: string[] = [];
  const block = (name: string, lines: readonly string[]): void => {
    out.push(`::${name}::`, ...lines.map(escapeConfigLine), '');
  };
  block('RENAME', [valid.RENAME]);
  block('DESCRIPTION', [valid.DESCRIPTION]);
  for (const s of valid.SOFTWARE) {
    block('SOFTWARE', [`name=${s.name}`, `version=${s.version}`, `url=${s.url}`, `description=${s.description}`, `icon=${s.icon}`]);
  }
  if (valid.TESTPROCEDURE !== '') block('TESTPROCEDURE', base64Lines(valid.TESTPROCEDURE));
  if (valid.VERIFYSTDOUT.length > 0) block('VERIFYSTDOUT', valid.VERIFYSTDOUT);
  if (valid.VERIFYSTDERR.length > 0) block('VERIFYSTDERR', valid.VERIFYSTDERR);
  if (valid.VERIFYSTATUS.length > 0) block('VERIFYSTATUS', valid.VERIFYSTATUS);
  for (const v of valid.ENVIRONMENTVARIABLE) {
    block('ENVIRONMENTVARIABLE', [`name=${v.name}`, `example=${v.example}`, `description=${v.description}`]);
  }
  return out.join('\n');
}

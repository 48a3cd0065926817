/**
 * `formatResourceConfig`: {@link ResourceConfig} → canonical MiG resource configuration text.
 * @packageDocumentation
 */
import { escapeConfigLine } from './config-sections.js';
import { NO_ENFORCED_LIMITS, type ResourceConfig } from './resource-config.js';
import { EXE_UNIT_KEYS, RESOURCE_KEYWORDS, STORE_UNIT_KEYS, type UnitKey } from './resource-config-keywords.js';
import { resourceConfigFromJson } from './resource-config-json.js';
import type { ResourceConfigOptions } from './resource-config-options.js';

function scalarText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

function unitLines<T>(unit: T, keys: readonly UnitKey<T>[]): string[] {
  return keys.map((key) => {
    const value = unit[key.name];
    return `${key.name}=${Array.isArray(value) ? value.join(',') : scalarText(value)}`;
  });
}

/**
 * Writes a resource configuration as canonical MiG text: every keyword in MiG's order, each as
 * `::KEYWORD::`, its value lines (with `\` and `#` escaped) and a blank line; one
 * `::EXECONFIG::`/`::STORECONFIG::` block per unit with every sub-keyword as `key=value`; provided
 * runtime environments as `name: RE` followed by `VARIABLE=value` lines. Empty text values and
 * empty lists are left out (they mean the default), and booleans are always written, so that
 * parsing the result gives the same configuration back (MiG's own writer drops False values).
 *
 * The configuration is validated first with the same rules as {@link resourceConfigFromJson}.
 *
 * @throws {@link ResourceConfigError} when `cfg` is not a valid configuration.
 *
 * @example
 * ```ts
 * const text = formatResourceConfig(cfg);
 * text.startsWith('::HOSTURL::\ncluster.example.org\n\n'); // true
 * parseResourceConfig(text); // deep-equal to cfg
 * ```
 */
export function formatResourceConfig(cfg: ResourceConfig, opts?: ResourceConfigOptions): string {
  const valid = resourceConfigFromJson(cfg, opts);
  const source = valid as unknown as Record<string, unknown>;
  const out: string[] = [];
  const block = (name: string, lines: readonly string[]): void => {
    out.push(`::${name}::`, ...lines.map(escapeConfigLine), '');
  };
  for (const keyword of RESOURCE_KEYWORDS) {
    const name = keyword.name;
    switch (keyword.kind) {
      case 'exeunits':
        for (const unit of valid.EXECONFIG) block(name, unitLines(unit, EXE_UNIT_KEYS));
        break;
      case 'storeunits':
        for (const unit of valid.STORECONFIG) block(name, unitLines(unit, STORE_UNIT_KEYS));
        break;
      case 'runtimeenvs':
        if (valid.RUNTIMEENVIRONMENT.length > 0) {
          block(name, valid.RUNTIMEENVIRONMENT.flatMap((re) => [`name: ${re.name}`, ...re.variables.map((v) => `${v.name}=${v.value}`)]));
        }
        break;
      case 'limits':
        block(name, [valid.ENFORCELIMITS.length === 0 ? NO_ENFORCED_LIMITS : valid.ENFORCELIMITS.join(' ')]);
        break;
      case 'emails':
        if (valid.ADMINEMAIL.length > 0) block(name, [valid.ADMINEMAIL.join(' ')]);
        break;
      default: {
        const text = scalarText(source[name]);
        if (text !== '') block(name, [text]);
      }
    }
  }
  return out.join('\n');
}

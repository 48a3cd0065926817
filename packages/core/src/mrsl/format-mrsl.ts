/**
 * `formatMrsl`: {@link JobSpec} → canonical mRSL text.
 * @packageDocumentation
 */
import type { JobSpec } from './job-spec.js';
import { jobSpecFromJson } from './job-spec-json.js';
import { MRSL_KEYWORDS } from './mrsl-keywords.js';
import type { MrslOptions } from './mrsl-options.js';
import { escapeValueLine } from './read-mrsl-sections.js';
import { formatTransferLine } from './transfer-entry.js';

/** The value lines of one keyword, unescaped. */
function valueLines(spec: JobSpec, name: keyof JobSpec): string[] {
  const value = spec[name];
  if (typeof value === 'number') return [String(value)];
  if (typeof value === 'boolean') return [value ? 'True' : 'False'];
  if (typeof value === 'string') return value === '' ? [] : [value];
  return value.map((item) => {
    if (typeof item === 'string') return item;
    if ('source' in item) return formatTransferLine(item);
    return `${item.name}=${item.value}`;
  });
}

/**
 * Writes a job as canonical mRSL: every keyword in MiG's order, each as `::KEYWORD::`, its value
 * lines (with `\` and `#` escaped) and a blank line. A keyword whose value is an empty string
 * (e.g. no ARCHITECTURE) is left out, so that the text means "any". Parsing the result gives the
 * same job back.
 *
 * The job is validated first with the same rules as {@link jobSpecFromJson} (pass the options you
 * parse with when the site has its own architectures or job types).
 *
 * @throws {@link MrslError} when `spec` is not a valid job.
 *
 * @example
 * ```ts
 * const text = formatMrsl(parseMrsl('::EXECUTE::\necho a \\# b\n'));
 * text.startsWith('::EXECUTE::\necho a \\# b\n\n::INPUTFILES::\n\n'); // true
 * parseMrsl(text); // the same job
 * ```
 */
export function formatMrsl(spec: JobSpec, opts?: MrslOptions): string {
  const valid = jobSpecFromJson(spec, opts);
  const out: string[] = [];
  for (const keyword of MRSL_KEYWORDS) {
    const lines = valueLines(valid, keyword.name);
    if (keyword.kind === 'string' && lines.length === 0) continue;
    out.push(`::${keyword.name}::`, ...lines.map(escapeValueLine), '');
  }
  return out.join('\n');
}

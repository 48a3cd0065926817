/**
 * `parseMrsl`: mRSL text → validated {@link JobSpec}.
 * @packageDocumentation
 */
import { buildJobSpec } from './build-job-spec.js';
import type { JobSpec } from './job-spec.js';
import { resolveMrslOptions, type MrslOptions } from './mrsl-options.js';
import { readMrslSections } from './read-mrsl-sections.js';

/**
 * Parses and validates an mRSL job description the way MiG does, and returns the job with MiG's
 * defaults filled in.
 *
 * The format: a keyword line `::KEYWORD::`, its value lines, a blank line, the next keyword.
 * In value lines `#` starts a comment (write `\#` for a literal `#`, `\\` for a backslash).
 * The rules are MiG's current ones (`parser.py`, `mrslparser.py`, `safeinput.py`): unknown
 * keywords, wrong types and values outside each keyword's character set are errors; EXECUTE is
 * required. Checks that need the site's state (whether a runtime environment exists, whether the
 * user may use a VGrid, expanding `VGRID ANY`) belong to job submission, not here.
 *
 * Stricter than MiG, on purpose: control characters and NUL are refused everywhere, a value line
 * that looks like a keyword (a forgotten blank line) is refused, and file entries may not name
 * `.`, `..` or anything above the home/job folder. Sizes are bounded ({@link MRSL_LIMITS}).
 *
 * @throws {@link MrslError} `MIG_E_MRSL_INVALID` listing every problem with its line and keyword,
 *   or `MIG_E_TOO_LARGE` when a size limit is crossed.
 *
 * @example
 * ```ts
 * const spec = parseMrsl([
 *   '::EXECUTE::',
 *   'echo "hello from +JOBID+" > out.txt   # a comment',
 *   '',
 *   '::OUTPUTFILES::',
 *   'out.txt results/out.txt',
 *   '',
 *   '::CPUTIME::',
 *   '60',
 * ].join('\n'));
 * spec.EXECUTE;      // ['echo "hello from +JOBID+" > out.txt']
 * spec.OUTPUTFILES;  // [{ source: 'out.txt', destination: 'results/out.txt' }]
 * spec.MEMORY;       // 64 (default)
 * ```
 */
export function parseMrsl(text: string, opts?: MrslOptions): JobSpec {
  const resolved = resolveMrslOptions(opts);
  return buildJobSpec(readMrslSections(text), resolved);
}

/**
 * The agent-staged form of a job (`transfers: 'agent'`, the local executor): the transfer
 * manifest the agent works through and the commands-only script it runs. The agent fetches the
 * inputs and sends the results itself over its own keep-alive connection to the same
 * `/sid_redirect/<session-id>/<path>` URLs the full job script (`generate-job-script.ts`) uses,
 * so the job's process is one `sh` and no `curl`. The commands run exactly as in the full script.
 * @packageDocumentation
 */
import type { StagedJob } from '@migrid/core';
import { checkScriptInput, commandLines, environmentLines, inputTransfers, jobDirPath, NOTE_FUNCTION, outputFileLines, sessionPath, URL_SOURCE, type JobScriptInput } from './job-script-parts.js';

/**
 * The staged job: inputs (INPUTFILES, EXECUTABLES), outputs (OUTPUTFILES) and the commands part
 * of the job script (exports and EXECUTE lines; the job's stdout, stderr and `.status` files in
 * the job folder). Refuses what {@link generateJobScript} refuses.
 *
 * @example
 * ```ts
 * const staged = generateStagedJob({ jobId, sessionId, siteUrl, spec, submitUser: user.dn, unitName: 'exe0' });
 * // staged.inputs[0]: { kind: 'session', source: 'data/in.txt', destination: 'in.txt', executable: false }
 * ```
 */
export function generateStagedJob(input: JobScriptInput): StagedJob {
  const { jobId, spec } = input;
  checkScriptInput(input);
  const inputs = inputTransfers(spec).map(({ transfer, destination, executable }) =>
    URL_SOURCE.test(transfer.source) ? { kind: 'url' as const, source: transfer.source, destination, executable } : { kind: 'session' as const, source: sessionPath(transfer.source), destination, executable },
  );
  const outputs = spec.OUTPUTFILES.map((t) => {
    const source = jobDirPath(t.source);
    return URL_SOURCE.test(t.destination) ? { source, kind: 'url' as const, destination: t.destination } : { source, kind: 'session' as const, destination: sessionPath(t.destination === '' ? t.source : t.destination) };
  });
  const commands = [
    '#!/bin/sh',
    `# MiG job ${jobId}: the commands part; the resource agent fetches the inputs and sends the results.`,
    'umask 077',
    NOTE_FUNCTION,
    ...outputFileLines(jobId),
    ': > "$MIG_STDOUT"; : > "$MIG_STDERR"; : > "$MIG_STATUS"',
    '',
    '# Environment',
    ...environmentLines(input, true),
    '',
    '# The job',
    ...commandLines(spec),
    'exit 0',
    '',
  ].join('\n');
  return { inputs, outputs, commands };
}

/**
 * Markup the job and resource pages share: state badges, times, the feasibility table.
 * @packageDocumentation
 */
import { FINAL_JOB_STATES, type FeasibilityReport, type JobState } from '@migrid/core';
import { html, type SafeHtml } from '../html/html.js';

/** A job state as a badge (`class="state s-QUEUED"`); the text is MiG's state name. */
export function stateBadge(state: JobState | string): SafeHtml {
  return html`<span class="state s-${state}">${state}</span>`;
}

/** Whether a state is final (no more changes). */
export function isFinal(state: JobState): boolean {
  return FINAL_JOB_STATES.includes(state);
}

/** A time for people (UTC, to the second) in a `<time>` element; `—` for none. */
export function timeCell(ms: number | null): SafeHtml {
  if (ms === null) return html`<span class="muted">—</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace('T', ' ')} UTC</time>`;
}

const VERDICTS: Record<FeasibilityReport['verdict'], { kind: 'ok' | 'bad' | 'warn'; text: string }> = {
  ready: { kind: 'ok', text: 'The job can run: at least one active resource fits it.' },
  paused: { kind: 'warn', text: 'Only paused resources fit the job: it would wait until one of them resumes.' },
  none: { kind: 'bad', text: 'No registered resource can run this job as it is; see the reasons below.' },
};

/** The feasibility report as a verdict and a table (one row per resource unit). */
export function feasibilitySection(report: FeasibilityReport): SafeHtml {
  const verdict = VERDICTS[report.verdict];
  return html`<section class="card feasibility" id="feasibility" aria-labelledby="feasibility-title"><h2 id="feasibility-title">Feasibility</h2>
<p class="notice ${verdict.kind}" role="status" data-verdict="${report.verdict}">${verdict.text} (${report.runnable} active unit(s) fit.)</p>
${report.units.length === 0 ? html`<p class="muted">No resources are registered with this site yet.</p>` : html`<div class="table-wrap"><table><thead><tr><th>Resource unit</th><th>Status</th><th>Fits</th><th>Why not</th></tr></thead><tbody>
${report.units.map((u) => html`<tr data-unit="${u.resourceId}/${u.unit}"><td class="name">${u.publicName}</td><td>${u.resourceStatus}</td><td>${u.fits ? 'yes' : 'no'}</td><td>${u.reasons.length === 0 ? '' : html`<ul class="reasons">${u.reasons.map((r) => html`<li>${r}</li>`)}</ul>`}</td></tr>`)}
</tbody></table></div>`}
</section>`;
}

/**
 * The job pages: `/jobs` (your jobs, newest first, paged, filtered by state and searched by name;
 * `/static/jobs.js` keeps the states current by polling `/api/v1/jobs`), `/jobs/new` (submit as
 * mRSL text, as an mRSL file from your home, or through a form of the common keywords; "check
 * feasibility" asks the grid engine which resources could run it) and `/jobs/<id>` (state, times,
 * history, the mRSL, the results folder, the actions the state allows, and a live tail of stdout
 * and stderr). Everything works without JavaScript: forms post, links open.
 * @packageDocumentation
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  JOB_OUTPUT_DIR, JOB_STATES, canTransition, formatMrsl, isJobState, isMigError, parseMrsl,
  type FeasibilityReport, type FileView, type JobRecord, type JobSpec, type JobState, type MrslProblem, type UserRecord,
} from '@migrid/core';
import type { WebContext } from '../app/web-context.js';
import { formOf, formText } from '../accounts/form-input.js';
import { notice } from '../accounts/page-parts.js';
import { html, type SafeHtml } from '../html/html.js';
import { csrfField, sendPage } from '../html/layout.js';
import { feasibilityFor } from '../jobs/feasibility-api.js';
import { JOB_FORM_FIELDS, jobSpecFromForm, mrslProblems, readMrslFile } from '../jobs/job-input.js';
import { feasibilitySection, isFinal, stateBadge, timeCell } from '../jobs/job-parts.js';
import { requireUser } from '../plugins/authentication.js';

const PAGE_SIZE = 25;
/** The tail of stdout/stderr shown on a job page. */
export const TAIL_BYTES = 64 * 1024;
const FLASH = 'jobsFlash';
const ACTIONS = ['cancel', 'freeze', 'thaw'] as const;
type JobAction = (typeof ACTIONS)[number];

const DEFAULT_MRSL = '::EXECUTE::\necho "Hello from +JOBNAME+ (+JOBID+)"\n\n::JOBNAME::\nhello\n\n::CPUTIME::\n60\n';

interface Flash {
  kind: 'ok' | 'bad';
  text: string;
}

/** Which of cancel/freeze/thaw a state allows. */
function allowedActions(state: JobState): JobAction[] {
  const out: JobAction[] = [];
  if (canTransition(state, 'CANCELED')) out.push('cancel');
  if (canTransition(state, 'FROZEN')) out.push('freeze');
  if (state === 'FROZEN') out.push('thaw');
  return out;
}

const jobHref = (id: string): string => `/jobs/${encodeURIComponent(id)}`;
const outputDir = (id: string): string => `/${JOB_OUTPUT_DIR}/${id}`;

/** The last `max` bytes of a file in the view as text ('' when missing); a cut first line is dropped. */
async function tailOf(view: FileView, path: string, max: number): Promise<string> {
  try {
    const info = await view.stat(path);
    if (info.type !== 'file' || info.size === 0) return '';
    const start = Math.max(0, info.size - max);
    const chunks: Buffer[] = [];
    for await (const chunk of await view.createReadStream(path, { start, end: info.size - 1 })) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
    const text = Buffer.concat(chunks).toString('utf8');
    return start > 0 ? text.slice(text.indexOf('\n') + 1) : text;
  } catch (err) {
    if (isMigError(err)) return '';
    throw err;
  }
}

/** Registers the job pages. */
export function registerJobsPages(app: FastifyInstance, ctx: WebContext): void {
  const { site } = ctx;
  const mrslOptions = (): { defaultRetries: number } => ({ defaultRetries: site.config.scheduler.job_retries });

  // ------------------------------------------------------------------ /jobs

  app.get<{ Querystring: { state?: string; q?: string; before?: string } }>('/jobs', {
    schema: {
      querystring: {
        type: 'object',
        properties: { state: { type: 'string', maxLength: 32 }, q: { type: 'string', maxLength: 200 }, before: { type: 'string', maxLength: 128 } },
      },
    },
  }, async (request, reply) => {
    const user = requireUser(request);
    const stateWanted = (request.query.state ?? '').trim().toUpperCase();
    const state = isJobState(stateWanted) ? stateWanted : undefined;
    const q = (request.query.q ?? '').trim();
    const before = request.query.before !== undefined && request.query.before !== '' ? request.query.before : undefined;
    const page = await site.jobs.list({ ownerId: user.id, states: state === undefined ? undefined : [state], nameContains: q === '' ? undefined : q, limit: PAGE_SIZE, before });
    const jobs: readonly JobRecord[] = page.jobs;
    const next = page.next;
    const link = (extra: Record<string, string>): string => {
      const params = new URLSearchParams();
      if (state !== undefined) params.set('state', state);
      if (q !== '') params.set('q', q);
      for (const [k, v] of Object.entries(extra)) params.set(k, v);
      const text = params.toString();
      return text === '' ? '/jobs' : `/jobs?${text}`;
    };
    const poll = `/api/v1/jobs?limit=200${before === undefined ? '' : `&before=${encodeURIComponent(before)}`}`;
    const body = html`<section class="jobs" id="jobs-page">
<div class="heading"><h1>Jobs</h1><a class="button" href="/jobs/new">Submit a job</a></div>
<form method="get" action="/jobs" class="filters" role="search">
<label for="f-state">State <select id="f-state" name="state"><option value="">any</option>${JOB_STATES.map((s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${s}</option>`)}</select></label>
<label for="f-q">Name contains <input id="f-q" name="q" type="search" maxlength="200" value="${q}"></label>
<div class="actions"><button type="submit" class="secondary">Filter</button>${state !== undefined || q !== '' ? html` <a href="/jobs">Clear</a>` : ''}</div>
</form>
<p id="jobs-status" class="status muted" role="status" aria-live="polite"></p>
${jobs.length === 0
    ? html`<p class="muted" id="no-jobs">${state === undefined && q === '' && before === undefined ? 'You have no jobs yet.' : 'No jobs match.'}</p>`
    : html`<div class="table-wrap"><table class="listing" id="jobs-table" data-poll="${poll}">
<thead><tr><th>Job</th><th>State</th><th class="hide-small">Received</th><th class="hide-small">Resource</th></tr></thead>
<tbody>${jobs.map((j) => html`<tr data-job="${j.id}" data-state="${j.state}">
<td class="name"><a href="${jobHref(j.id)}">${j.name === '' ? j.id : j.name}</a>${j.name === '' ? '' : html`<br><code class="muted small">${j.id}</code>`}</td>
<td class="state-cell">${stateBadge(j.state)}</td>
<td class="hide-small">${timeCell(j.receivedAt)}</td>
<td class="hide-small resource">${j.resourceId === null ? '' : `${j.resourceId}/${j.unitName ?? ''}`}</td></tr>`)}</tbody>
</table></div>`}
<nav class="pager actions" aria-label="Pages">${before === undefined ? '' : html`<a href="${link({})}">Newest</a>`}${next === null ? '' : html`<a href="${link({ before: next })}" rel="next">Older jobs</a>`}</nav>
</section>`;
    return sendPage(reply, ctx.layout, { title: 'Jobs', body, scripts: ['jobs.js'] });
  });

  // ------------------------------------------------------------------ /jobs/new

  interface NewJobState {
    mode: 'text' | 'file' | 'fields';
    mrsl: string;
    path: string;
    fields: Record<string, string>;
    error?: string;
    problems?: readonly MrslProblem[];
    report?: FeasibilityReport;
  }

  function newJobPage(request: FastifyRequest, reply: FastifyReply, s: NewJobState, status = 200): FastifyReply {
    const csrf = csrfField(request);
    const errorFor = (mode: NewJobState['mode']): SafeHtml =>
      s.mode === mode && s.error !== undefined ? html`<p class="notice bad field-error" role="alert" id="error-${mode}">${s.error}</p>` : html``;
    const fieldProblems = (keyword: string): string[] =>
      s.mode === 'fields' ? (s.problems ?? []).filter((p) => p.keyword === keyword).map((p) => p.message) : [];
    const buttons = html`<div class="actions"><button type="submit" name="action" value="submit">Submit the job</button>
<button type="submit" name="action" value="check" class="secondary">Check feasibility</button></div>`;
    const report = (mode: NewJobState['mode']): SafeHtml => (s.mode === mode && s.report !== undefined ? feasibilitySection(s.report) : html``);
    const body = html`<h1>Submit a job</h1>
<p class="muted">Describe the job in MiG's mRSL language (<code>::KEYWORD::</code> followed by its values), point to an mRSL file in your home, or fill in the form. Results land in <code>${JOB_OUTPUT_DIR}/&lt;job id&gt;/</code> in your home.</p>
<nav class="tabs actions" aria-label="Ways to submit"><a href="#as-text">mRSL text</a><a href="#as-file">mRSL file</a><a href="#as-fields">Form</a></nav>

<section class="card" id="as-text"><h2>mRSL text</h2>
<form method="post" action="/jobs/new" class="stack">${csrf}<input type="hidden" name="mode" value="text">
<label for="f-mrsl">Job description<textarea id="f-mrsl" name="mrsl" maxlength="1048576" spellcheck="false" required${s.mode === 'text' && s.error !== undefined ? html` aria-invalid="true" aria-describedby="error-text"` : ''}>${s.mrsl}</textarea></label>
${errorFor('text')}
${buttons}</form>
${report('text')}</section>

<section class="card" id="as-file"><h2>mRSL file in your home</h2>
<form method="post" action="/jobs/new" class="stack">${csrf}<input type="hidden" name="mode" value="file">
<label for="f-path">Path <span class="muted">(e.g. /jobs/hello.mRSL)</span><input id="f-path" name="path" type="text" maxlength="4096" required value="${s.path}"${s.mode === 'file' && s.error !== undefined ? html` aria-invalid="true" aria-describedby="error-file"` : ''}></label>
${errorFor('file')}
${buttons}</form>
${report('file')}</section>

<section class="card" id="as-fields"><h2>Form</h2>
<form method="post" action="/jobs/new" class="stack job-fields">${csrf}<input type="hidden" name="mode" value="fields">
${errorFor('fields')}
${JOB_FORM_FIELDS.map((f) => {
    const id = `kw-${f.keyword}`;
    const problems = fieldProblems(f.keyword);
    const invalid = problems.length > 0 ? html` aria-invalid="true" aria-describedby="${id}-error"` : '';
    const value = s.fields[f.keyword] ?? '';
    const control = f.kind === 'lines'
      ? html`<textarea id="${id}" name="kw_${f.keyword}" class="short" maxlength="65536" spellcheck="false"${invalid}>${value}</textarea>`
      : html`<input id="${id}" name="kw_${f.keyword}" type="text"${f.kind === 'number' ? html` inputmode="numeric"` : ''} maxlength="${f.kind === 'number' ? 20 : 1024}" value="${value}"${invalid}>`;
    return html`<label for="${id}">${f.label} <span class="muted">(${f.keyword}: ${f.hint})</span>${control}</label>
${problems.length === 0 ? '' : html`<p class="notice bad field-error" role="alert" id="${id}-error">${problems.join('; ')}</p>`}`;
  })}
${buttons}</form>
${report('fields')}</section>`;
    return sendPage(reply, ctx.layout, { title: 'Submit a job', body, status, scripts: ['jobs.js'] });
  }

  app.get('/jobs/new', async (request, reply) => {
    requireUser(request);
    return newJobPage(request, reply, { mode: 'text', mrsl: DEFAULT_MRSL, path: '', fields: {} });
  });

  app.post('/jobs/new', async (request, reply) => {
    const user = requireUser(request);
    const form = formOf(request.body);
    const modeText = formText(form, 'mode', 16);
    const mode: NewJobState['mode'] = modeText === 'file' ? 'file' : modeText === 'fields' ? 'fields' : 'text';
    const check = formText(form, 'action', 16) === 'check';
    const s: NewJobState = {
      mode,
      mrsl: mode === 'text' ? formText(form, 'mrsl', 1024 * 1024) : DEFAULT_MRSL,
      path: mode === 'file' ? formText(form, 'path', 4096) : '',
      fields: mode === 'fields' ? Object.fromEntries(JOB_FORM_FIELDS.map((f) => [f.keyword, formText(form, `kw_${f.keyword}`, 65536)])) : {},
    };
    let spec: JobSpec;
    let mrsl: string | undefined;
    try {
      if (mode === 'text') {
        mrsl = s.mrsl;
        spec = parseMrsl(mrsl, mrslOptions());
      } else if (mode === 'file') {
        const view = await site.files.viewFor({ kind: 'user', userId: user.id });
        mrsl = await readMrslFile(view, s.path);
        spec = parseMrsl(mrsl, mrslOptions());
      } else {
        spec = jobSpecFromForm(s.fields, mrslOptions());
        mrsl = formatMrsl(spec, mrslOptions());
      }
      if (check) {
        s.report = await feasibilityFor(ctx, spec, user.id);
        return newJobPage(request, reply, s);
      }
      const job = await site.jobs.submit({ ownerId: user.id, spec, mrsl });
      ctx.grid?.jobChanged(job);
      request.session.set(FLASH, { kind: 'ok', text: `Job ${job.id} submitted.` } satisfies Flash);
      return reply.redirect(jobHref(job.id), 303);
    } catch (err) {
      if (!isMigError(err) || err.code === 'MIG_E_NOT_SIGNED_IN' || (err.status >= 500 && err.code !== 'MIG_E_GRID_UNAVAILABLE')) throw err;
      s.error = mode === 'file' && s.path !== '' ? `${s.path}: ${err.message}` : err.message;
      s.problems = mrslProblems(err);
      return newJobPage(request, reply, s, err.status);
    }
  });

  // ------------------------------------------------------------------ /jobs/<id>

  async function jobPage(request: FastifyRequest, reply: FastifyReply, user: UserRecord, id: string): Promise<FastifyReply> {
    const job = await site.jobs.getForOwner(id, user.id);
    const flash = request.session.get<Flash>(FLASH);
    if (flash !== undefined) request.session.set(FLASH, undefined);
    const [events, view] = await Promise.all([site.jobs.history(job.id), site.files.viewFor({ kind: 'user', userId: user.id })]);
    const dir = outputDir(job.id);
    const files = await view.list(dir).catch(() => []);
    const stdoutPath = `${dir}/${job.id}.stdout`;
    const stderrPath = `${dir}/${job.id}.stderr`;
    const [stdout, stderr] = await Promise.all([tailOf(view, stdoutPath, TAIL_BYTES), tailOf(view, stderrPath, TAIL_BYTES)]);
    const allowed = allowedActions(job.state);
    const csrf = csrfField(request);
    const mrslText = job.mrsl ?? formatMrsl(job.spec, mrslOptions());
    const actionButton = (action: JobAction, label: string, cls: string): SafeHtml =>
      html`<form method="post" action="${jobHref(job.id)}/${action}" class="inline" data-action="${action}"${allowed.includes(action) ? '' : html` hidden`}>${csrf}<button type="submit" class="${cls}">${label}</button></form>`;
    const body = html`<section class="job" id="job" data-job="${job.id}" data-state="${job.state}" data-final="${isFinal(job.state) ? 'true' : 'false'}">
<p><a href="/jobs">← All jobs</a></p>
<h1>${job.name === '' ? 'Job' : job.name}</h1>
${flash === undefined ? '' : notice(flash.kind, flash.text)}
<section class="card" id="summary"><h2>State</h2>
<dl class="facts">
<dt>Job id</dt><dd><code>${job.id}</code></dd>
<dt>State</dt><dd id="job-state">${stateBadge(job.state)}</dd>
<dt>Received</dt><dd>${timeCell(job.receivedAt)}</dd>
<dt>Queued</dt><dd>${timeCell(job.queuedAt)}</dd>
<dt>Executing since</dt><dd id="job-executing">${timeCell(job.executingAt)}</dd>
<dt>Ended</dt><dd id="job-finished">${timeCell(job.finishedAt)}</dd>
<dt>Resource</dt><dd id="job-resource">${job.resourceId === null ? html`<span class="muted">—</span>` : `${job.resourceId} / ${job.unitName ?? ''}`}</dd>
<dt>Retries</dt><dd>${job.retryCount} of ${job.spec.RETRIES}</dd>
${job.failureMessage === null ? '' : html`<dt>Note</dt><dd id="job-failure">${job.failureMessage}</dd>`}
${job.verified === null ? '' : html`<dt>Verified</dt><dd>${job.verified.summary}</dd>`}
</dl>
<div class="actions" id="job-actions">
${actionButton('cancel', 'Cancel', 'danger')}
${actionButton('freeze', 'Freeze', 'secondary')}
${actionButton('thaw', 'Thaw', 'secondary')}
<form method="post" action="${jobHref(job.id)}/resubmit" class="inline" data-action="resubmit">${csrf}<button type="submit" class="secondary">Submit again</button></form>
</div></section>

<section class="card" id="output" data-stdout="${stdoutPath}" data-stderr="${stderrPath}" data-tail="${TAIL_BYTES}"><h2>Output</h2>
<p class="muted" id="output-note">${isFinal(job.state) ? 'The last 64 KiB of each.' : 'The last 64 KiB of each, refreshed while the job runs.'}</p>
<h3>stdout</h3><pre class="view tail" id="tail-stdout" tabindex="0" aria-label="Standard output">${stdout}</pre>
<h3>stderr</h3><pre class="view tail" id="tail-stderr" tabindex="0" aria-label="Standard error">${stderr}</pre>
<h3>Results folder</h3>
<p><a href="/files?path=${encodeURIComponent(dir)}">Open <code>${dir}/</code> in the file manager</a></p>
${files.length === 0 ? html`<p class="muted" id="no-output">No files yet.</p>` : html`<ul class="output-files" id="output-files">${files.map((f) => html`<li><a href="/api/v1/files/content?path=${encodeURIComponent(`${dir}/${f.name}`)}">${f.name}</a></li>`)}</ul>`}
</section>

<section class="card" id="history"><h2>History</h2>
<div class="table-wrap"><table><thead><tr><th>When</th><th>Change</th><th class="hide-small">By</th><th>Detail</th></tr></thead><tbody>
${events.map((e) => {
    const reason = typeof e.detail.reason === 'string' ? e.detail.reason : '';
    const where = typeof e.detail.resourceId === 'string' ? `${e.detail.resourceId}/${typeof e.detail.unit === 'string' ? e.detail.unit : ''}` : '';
    return html`<tr><td>${timeCell(e.at)}</td><td>${e.fromState === null ? '' : html`${stateBadge(e.fromState)} → `}${stateBadge(e.toState)}</td><td class="hide-small">${e.actor}</td><td>${[where, reason].filter((x) => x !== '').join(' — ')}</td></tr>`;
  })}
</tbody></table></div></section>

<section class="card" id="mrsl"><h2>Job description (mRSL)</h2><pre class="view">${mrslText}</pre></section>
</section>`;
    return sendPage(reply, ctx.layout, { title: job.name === '' ? `Job ${job.id}` : job.name, body, scripts: ['jobs.js'] });
  }

  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

  app.get<{ Params: { id: string } }>('/jobs/:id', { schema: { params: idParams } }, async (request, reply) => {
    const user = requireUser(request);
    return jobPage(request, reply, user, request.params.id);
  });

  for (const action of ACTIONS) {
    app.post<{ Params: { id: string } }>(`/jobs/:id/${action}`, { schema: { params: idParams } }, async (request, reply) => {
      const user = requireUser(request);
      const id = request.params.id;
      await site.jobs.getForOwner(id, user.id);
      try {
        const job = await site.jobs[action](id, { kind: 'user', userId: user.id });
        ctx.grid?.jobChanged(job);
        request.session.set(FLASH, { kind: 'ok', text: `Job ${job.state === 'CANCELED' ? 'cancelled' : job.state === 'FROZEN' ? 'frozen' : 'thawed'}.` } satisfies Flash);
      } catch (err) {
        if (!isMigError(err) || err.status >= 500) throw err;
        request.session.set(FLASH, { kind: 'bad', text: err.message } satisfies Flash);
      }
      return reply.redirect(jobHref(id), 303);
    });
  }

  app.post<{ Params: { id: string } }>('/jobs/:id/resubmit', { schema: { params: idParams } }, async (request, reply) => {
    const user = requireUser(request);
    const old = await site.jobs.getForOwner(request.params.id, user.id);
    try {
      const job = await site.jobs.submit({ ownerId: user.id, spec: old.spec, mrsl: old.mrsl ?? undefined });
      ctx.grid?.jobChanged(job);
      request.session.set(FLASH, { kind: 'ok', text: `Submitted again as job ${job.id}.` } satisfies Flash);
      return reply.redirect(jobHref(job.id), 303);
    } catch (err) {
      if (!isMigError(err) || err.status >= 500) throw err;
      request.session.set(FLASH, { kind: 'bad', text: err.message } satisfies Flash);
      return reply.redirect(jobHref(old.id), 303);
    }
  });
}

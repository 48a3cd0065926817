// The job pages (/jobs, /jobs/<id>): plain browser JS over the JSON API, no framework, no inline
// scripts (CSP script-src 'self'). The pages work without it; this keeps them current:
// - /jobs: polls /api/v1/jobs every few seconds and updates each row's state in place;
// - /jobs/<id>: polls the job and reads the last 64 KiB of its stdout and stderr (a Range request
//   through the files API) while the job is not final, updating the state and the allowed actions.
// Text from the server goes into the page with textContent only, never as HTML.
'use strict';

(() => {
  const FINAL = ['FINISHED', 'CANCELED', 'EXPIRED', 'FAILED'];
  const POLL_MS = 2500;
  const MAX_SINGLE = 10;

  const getJson = async (url) => {
    const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  };

  const badge = (state) => {
    const span = document.createElement('span');
    span.className = `state s-${state}`;
    span.textContent = state;
    return span;
  };

  const fmtTime = (iso) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '—');

  // ---------------------------------------------------------------- the job list

  const table = document.getElementById('jobs-table');
  if (table !== null) {
    const status = document.getElementById('jobs-status');
    const rows = () => [...table.querySelectorAll('tbody tr[data-job]')];
    const pending = () => rows().filter((tr) => !FINAL.includes(tr.dataset.state));

    const apply = (tr, job) => {
      if (tr.dataset.state === job.status) return;
      tr.dataset.state = job.status;
      tr.querySelector('.state-cell')?.replaceChildren(badge(job.status));
      const res = tr.querySelector('.resource');
      if (res !== null) res.textContent = job.resource ? `${job.resource}/${job.unit ?? ''}` : '';
    };

    const tick = async () => {
      const waiting = pending();
      if (waiting.length === 0) return false;
      try {
        const data = await getJson(table.dataset.poll);
        const byId = new Map(data.jobs.map((j) => [j.id, j]));
        const missing = [];
        for (const tr of waiting) {
          const job = byId.get(tr.dataset.job);
          if (job !== undefined) apply(tr, job);
          else missing.push(tr);
        }
        // Rows older than the polled page (filtered views): ask for a few of them one by one.
        for (const tr of missing.slice(0, MAX_SINGLE)) {
          apply(tr, await getJson(`/api/v1/jobs/${encodeURIComponent(tr.dataset.job)}`));
        }
        status.textContent = '';
      } catch (err) {
        status.textContent = `Could not refresh the states (${err.message}); retrying.`;
      }
      return true;
    };

    const loop = async () => {
      if (await tick()) setTimeout(loop, POLL_MS);
    };
    setTimeout(loop, POLL_MS);
  }

  // ---------------------------------------------------------------- one job

  const jobBox = document.getElementById('job');
  if (jobBox !== null) {
    const id = jobBox.dataset.job;
    const output = document.getElementById('output');
    const tailBytes = Number(output?.dataset.tail || 65536);
    const decoder = new TextDecoder();

    const allowed = (state) => ({
      cancel: ['PARSE', 'QUEUED', 'RETRY', 'EXECUTING', 'FROZEN'].includes(state),
      freeze: ['QUEUED', 'RETRY'].includes(state),
      thaw: state === 'FROZEN',
    });

    const readTail = async (path, target) => {
      if (!path || target === null) return;
      const res = await fetch(`/api/v1/files/content?path=${encodeURIComponent(path)}`, { credentials: 'same-origin', headers: { range: `bytes=-${tailBytes}` } });
      if (res.status === 404 || res.status === 416) return; // not there yet, or empty
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      let text = decoder.decode(await res.arrayBuffer());
      // A cut tail starts mid-line: drop the partial first line.
      const range = res.headers.get('content-range');
      if (range !== null && !/^bytes 0-/.test(range)) text = text.slice(text.indexOf('\n') + 1);
      if (target.textContent !== text) {
        const atEnd = target.scrollTop + target.clientHeight >= target.scrollHeight - 8;
        target.textContent = text;
        if (atEnd) target.scrollTop = target.scrollHeight;
      }
    };

    const showJob = (job) => {
      if (jobBox.dataset.state !== job.status) {
        jobBox.dataset.state = job.status;
        document.getElementById('job-state')?.replaceChildren(badge(job.status));
        const can = allowed(job.status);
        for (const form of document.querySelectorAll('#job-actions form[data-action]')) {
          const action = form.dataset.action;
          if (action in can) form.hidden = !can[action];
        }
      }
      const set = (elId, text) => {
        const node = document.getElementById(elId);
        if (node !== null && node.textContent !== text) node.textContent = text;
      };
      set('job-executing', fmtTime(job.executingAt));
      set('job-finished', fmtTime(job.finishedAt));
      set('job-resource', job.resource ? `${job.resource} / ${job.unit ?? ''}` : '—');
    };

    const refresh = async () => {
      const job = await getJson(`/api/v1/jobs/${encodeURIComponent(id)}`);
      showJob(job);
      await Promise.all([
        readTail(output?.dataset.stdout, document.getElementById('tail-stdout')),
        readTail(output?.dataset.stderr, document.getElementById('tail-stderr')),
      ]);
      return FINAL.includes(job.status);
    };

    const loop = async () => {
      let done = false;
      try {
        done = await refresh();
      } catch {
        // The next round tries again.
      }
      if (done) {
        jobBox.dataset.final = 'true';
        const note = document.getElementById('output-note');
        if (note !== null) note.textContent = 'The last 64 KiB of each.';
        return;
      }
      setTimeout(loop, POLL_MS);
    };
    if (jobBox.dataset.final !== 'true') setTimeout(loop, 1000);
  }
})();

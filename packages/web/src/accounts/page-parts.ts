/**
 * Small pieces of markup the account pages share.
 * @packageDocumentation
 */
import { html, type SafeHtml } from '../html/html.js';

/** A notice box (`ok` or `bad`), announced to screen readers. */
export function notice(kind: 'ok' | 'bad', text: string | SafeHtml): SafeHtml {
  return kind === 'bad' ? html`<p class="notice bad" role="alert">${text}</p>` : html`<p class="notice ok" role="status">${text}</p>`;
}

/** A labelled input. */
export function input(
  label: string,
  name: string,
  options: { type?: string; value?: string; required?: boolean; autocomplete?: string; maxlength?: number; hint?: string; pattern?: string; inputmode?: string; autofocus?: boolean } = {},
): SafeHtml {
  const id = `f-${name}`;
  return html`<label for="${id}">${label}${options.hint === undefined ? '' : html` <span class="muted">${options.hint}</span>`}
<input id="${id}" name="${name}" type="${options.type ?? 'text'}"${options.value === undefined ? '' : html` value="${options.value}"`}${options.required === true ? html` required` : ''}${options.autocomplete === undefined ? '' : html` autocomplete="${options.autocomplete}"`} maxlength="${options.maxlength ?? 256}"${options.pattern === undefined ? '' : html` pattern="${options.pattern}"`}${options.inputmode === undefined ? '' : html` inputmode="${options.inputmode}"`}${options.autofocus === true ? html` autofocus` : ''}></label>`;
}

/** A date (epoch ms or null) for people, in UTC. */
export function when(ms: number | null, never = 'never'): string {
  return ms === null ? never : new Date(ms).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

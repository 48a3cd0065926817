/**
 * Safe HTML building: every interpolated value is escaped unless it is already {@link SafeHtml}
 * (made by `html` itself or, for trusted constant markup only, by {@link raw}). This is the one
 * place page text meets user data, so a file name like `<img src=x onerror=alert(1)>` shows as text.
 * @packageDocumentation
 */

/** Markup that is known to be safe (already escaped or constant). */
export class SafeHtml {
  /** @internal */
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

/** A value `html` accepts: text and numbers are escaped; `SafeHtml` is kept; arrays are joined; null/undefined/false vanish. */
export type HtmlValue = string | number | bigint | boolean | null | undefined | SafeHtml | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * Tagged template for markup.
 * @example
 * ```ts
 * html`<li>${file.name}</li>` // the name is escaped
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Marks constant, trusted markup as safe. Never pass user data. */
export function raw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}

/**
 * Reading HTML form bodies (`application/x-www-form-urlencoded`) safely: every field is a bounded
 * string, whatever the client sent.
 * @packageDocumentation
 */
import { InvalidInputError } from '@migrid/core';

/** A parsed form body. */
export type FormBody = Readonly<Record<string, unknown>>;

/** The form body of a request, or an empty one. */
export function formOf(body: unknown): FormBody {
  return typeof body === 'object' && body !== null && !Buffer.isBuffer(body) ? (body as FormBody) : {};
}

/**
 * The text of field `name` ('' when absent). A repeated field takes its first value.
 * @throws InvalidInputError when longer than `max` characters.
 */
export function formText(form: FormBody, name: string, max = 1024): string {
  let value = form[name];
  if (Array.isArray(value)) value = value[0];
  if (typeof value !== 'string') return '';
  if (value.length > max) throw new InvalidInputError(`Invalid ${name}: at most ${max} characters.`);
  return value;
}

/** Whether a checkbox field was ticked. */
export function formChecked(form: FormBody, name: string): boolean {
  const value = formText(form, name, 16);
  return value === 'on' || value === 'true' || value === '1' || value === 'yes';
}

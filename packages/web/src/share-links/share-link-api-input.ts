/**
 * What the share links API accepts beyond its JSON schemas: expiry times (an ISO 8601 date or
 * time, or epoch milliseconds) and invitation address lists, checked with messages that name the
 * field and say what to send. Never echoes more than a bounded part of the input.
 * @packageDocumentation
 */
import { checkEmailAddress, InvalidInputError } from '@migrid/core';

/** Most addresses in one invitation (the core's limit too). */
export const MAX_SHARE_INVITES = 100;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
/** Below this, a number is more likely epoch seconds than milliseconds (it would be 1973). */
const SMALLEST_MS = 1e11;

/**
 * An expiry as the API sends it, in epoch ms: `YYYY-MM-DD` (until the end of that day, UTC), an
 * ISO 8601 date-time with a zone, or epoch milliseconds (as a number or digits). `null` or `''`
 * means never; `undefined` means not given. The time must be after `now`.
 * @throws InvalidInputError naming `field`.
 */
export function parseExpires(value: string | number | null | undefined, now: number, field = 'expires'): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const text = String(value).trim();
  if (text === '') return null;
  let ms: number | undefined;
  const day = DAY.exec(text);
  if (day !== null) {
    const end = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]), 23, 59, 59, 999);
    if (Number.isFinite(end) && new Date(end).getUTCDate() === Number(day[3]) && new Date(end).getUTCMonth() === Number(day[2]) - 1) ms = end;
  } else if (DATE_TIME.test(text)) {
    const parsed = Date.parse(text);
    if (Number.isFinite(parsed)) ms = parsed;
  } else if (/^\d{1,16}$/.test(text)) {
    const n = Number(text);
    if (n < SMALLEST_MS) throw new InvalidInputError(`Invalid ${field}: epoch times are in milliseconds (this looks like seconds); or send an ISO 8601 date such as 2030-12-31.`);
    ms = n;
  }
  if (ms === undefined || ms > 8.64e15) {
    throw new InvalidInputError(`Invalid ${field}: send an ISO 8601 date (YYYY-MM-DD: until the end of that day, UTC), a date-time with a zone (2030-12-31T12:00:00Z) or epoch milliseconds.`);
  }
  if (ms <= now) throw new InvalidInputError(`Invalid ${field}: ${new Date(ms).toISOString()} is not in the future.`);
  return ms;
}

/**
 * Invitation addresses: 1 to {@link MAX_SHARE_INVITES} plain addresses, lower-cased, without
 * repeats.
 * @throws InvalidInputError naming `field` and the index of the first bad address.
 */
export function parseInviteEmails(list: readonly string[], field = 'invite'): string[] {
  if (list.length === 0 || list.length > MAX_SHARE_INVITES) throw new InvalidInputError(`Invalid ${field}: give 1 to ${MAX_SHARE_INVITES} email addresses.`);
  const out: string[] = [];
  for (const [i, raw] of list.entries()) {
    const email = raw.trim().toLowerCase();
    const problem = checkEmailAddress(email);
    if (problem !== undefined) throw new InvalidInputError(`Invalid ${field}[${i}]: the address ${problem}.`);
    if (!out.includes(email)) out.push(email);
  }
  return out;
}

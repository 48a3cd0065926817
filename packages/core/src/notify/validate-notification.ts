import { z } from 'zod';
import { parseInput } from '../validation/parse-input.js';
import type { Notification } from './notifier.js';

const schema = z.object({
  to: z.array(z.email().max(256)).min(1).max(100),
  subject: z.string().min(1).max(300).refine((s) => !/[\r\n]/.test(s), { message: 'must be one line' }),
  text: z.string().max(100_000),
  topic: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a short dotted name such as signup.accepted'),
});

/** Checks a notification before any notifier sends it (no header injection, bounded sizes). */
export function validateNotification(message: Notification): Notification {
  return parseInput(schema, message, 'notification');
}

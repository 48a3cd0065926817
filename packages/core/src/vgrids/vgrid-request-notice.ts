/**
 * The messages about VGrid requests: to owners when someone asks to join (MiG's SENDREQUEST mail
 * to the first `request_recipients` owners) and to the requester when an owner decides.
 * Plain text; the requester's message is quoted as given (it was checked for control characters).
 * @packageDocumentation
 */
import type { Notification } from '../notify/notifier.js';
import type { VgridRequest } from './vgrid-record.js';

/** Who asked, as the owners are told. */
export interface RequesterInfo {
  readonly fullName: string;
  readonly email: string;
}

/**
 * The message to one owner about a new request.
 *
 * @example
 * ```ts
 * site.notifier.send(requestNotice('VGrid', request, { fullName: 'Ann', email: 'ann@example.org' }, 'owner@example.org'));
 * ```
 */
export function requestNotice(label: string, request: VgridRequest, requester: RequesterInfo, to: string): Notification {
  const what = request.kind === 'owner' ? 'an owner' : 'a member';
  const text = [
    `${requester.fullName} <${requester.email}> asks to become ${what} of the ${label} ${request.vgrid}.`,
    '',
    ...(request.message.length > 0 ? ['Their message:', '', ...request.message.split('\n').map((l) => `  ${l}`), ''] : []),
    `You receive this as an owner of ${request.vgrid}. Accept or reject the request (id ${request.id}) on the ${label}'s administration page.`,
    '',
  ].join('\n');
  return { to: [to], subject: `${label} ${request.vgrid}: request to become ${what}`, text, topic: `vgrid.request.${request.kind}` };
}

/**
 * The message to the requester once an owner decided.
 *
 * @example
 * ```ts
 * site.notifier.send(decisionNotice('VGrid', request, 'ann@example.org'));
 * ```
 */
export function decisionNotice(label: string, request: VgridRequest, to: string): Notification {
  const what = request.kind === 'owner' ? 'an owner' : 'a member';
  const accepted = request.status === 'accepted';
  const text = accepted
    ? `Your request to become ${what} of the ${label} ${request.vgrid} was accepted. Its shared folder now appears as /${request.vgrid} in your home.\n`
    : `Your request to become ${what} of the ${label} ${request.vgrid} was rejected by its owners.\n`;
  return { to: [to], subject: `${label} ${request.vgrid}: request ${accepted ? 'accepted' : 'rejected'}`, text, topic: `vgrid.request.${accepted ? 'accepted' : 'rejected'}` };
}

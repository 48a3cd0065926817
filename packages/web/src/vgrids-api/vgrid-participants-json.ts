/**
 * The JSON form of a VGrid's visible participants (`GET /api/v1/vgrids/{name}/participants`) and
 * its JSON schema for the OpenAPI document.
 * @packageDocumentation
 */
import type { VgridParticipant, VgridRole } from '@migrid/core';

/** One owner or member as the API shows them (by email, never by internal id). */
export interface VgridParticipantJson {
  readonly email: string;
  readonly role: VgridRole;
  /** True when the role comes from a parent VGrid (`via`). */
  readonly inherited: boolean;
  readonly via: string;
  /** Epoch milliseconds. */
  readonly addedAt: number;
}

/** What the participants route answers: a list is null when the VGrid's settings keep it from the caller. */
export interface VgridParticipantsJson {
  readonly name: string;
  readonly role: VgridRole | null;
  readonly owners: readonly VgridParticipantJson[] | null;
  readonly members: readonly VgridParticipantJson[] | null;
}

/** The API form of one participant (`email` looked up by the caller). */
export function vgridParticipantJson(p: VgridParticipant, email: string): VgridParticipantJson {
  return { email, role: p.role, inherited: p.inherited, via: p.via, addedAt: p.addedAt };
}

const participantSchema = {
  type: 'object',
  required: ['email', 'role', 'inherited', 'via', 'addedAt'],
  properties: {
    email: { type: 'string' },
    role: { type: 'string', enum: ['owner', 'member'] },
    inherited: { type: 'boolean', description: 'The role comes from a parent VGrid.' },
    via: { type: 'string', description: 'The VGrid the role comes from (this one or a parent).' },
    addedAt: { type: 'integer', description: 'Epoch milliseconds.' },
  },
} as const;

/** JSON schema of {@link VgridParticipantsJson}. */
export const vgridParticipantsSchema = {
  type: 'object',
  required: ['name', 'role', 'owners', 'members'],
  properties: {
    name: { type: 'string' },
    role: { type: 'string', nullable: true, enum: ['owner', 'member', null], description: 'Your role (with inheritance), or null.' },
    owners: { type: 'array', nullable: true, items: participantSchema, description: 'Null when the VGrid\'s settings do not show its owners to you.' },
    members: { type: 'array', nullable: true, items: participantSchema, description: 'Null when the VGrid\'s settings do not show its members to you.' },
  },
} as const;

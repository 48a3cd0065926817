/**
 * Who may see what of a VGrid (MiG's `visible_owners`/`visible_members`/`visible_resources` and
 * `hidden`), decided once here for every front end (API, pages, CLI). Site admins see everything.
 * @packageDocumentation
 */
import type { VgridParticipant, VgridRecord, VgridRole } from './vgrid-record.js';
import type { VgridVisibility } from './vgrid-settings.js';

/** Who looks: their role in the VGrid (with inheritance, `null` for none) and whether they are a site admin. */
export interface VgridViewer {
  readonly role: VgridRole | null;
  readonly admin: boolean;
}

/**
 * Whether `viewer` may see a list whose visibility setting is `who`.
 *
 * @example
 * ```ts
 * mayViewVgridList('members', { role: 'member', admin: false }); // true
 * mayViewVgridList('owners', { role: 'member', admin: false }); // false
 * ```
 */
export function mayViewVgridList(who: VgridVisibility, viewer: VgridViewer): boolean {
  if (viewer.admin || who === 'everyone') return true;
  return who === 'members' ? viewer.role !== null : viewer.role === 'owner';
}

/**
 * Whether `viewer` may know the VGrid exists: a hidden VGrid is shown only to its participants
 * (and site admins); to anyone else it answers as unknown.
 *
 * @example
 * ```ts
 * mayKnowVgrid(record, { role: null, admin: false }); // false when record.settings.hidden
 * ```
 */
export function mayKnowVgrid(record: VgridRecord, viewer: VgridViewer): boolean {
  return !record.settings.hidden || viewer.role !== null || viewer.admin;
}

/** The owners and members `viewer` may see; `null` for a list the settings keep from them. */
export interface VisibleVgridParticipants {
  readonly owners: readonly VgridParticipant[] | null;
  readonly members: readonly VgridParticipant[] | null;
}

/**
 * Splits `participants` (from `VgridStore.participants`) into the owners and members lists the
 * VGrid's settings let `viewer` see.
 *
 * @example
 * ```ts
 * visibleVgridParticipants(record, await site.vgrids.participants(record.name), { role: 'member', admin: false });
 * ```
 */
export function visibleVgridParticipants(record: VgridRecord, participants: readonly VgridParticipant[], viewer: VgridViewer): VisibleVgridParticipants {
  const { settings } = record;
  return {
    owners: mayViewVgridList(settings.visibleOwners, viewer) ? participants.filter((p) => p.role === 'owner') : null,
    members: mayViewVgridList(settings.visibleMembers, viewer) ? participants.filter((p) => p.role === 'member') : null,
  };
}

/**
 * What the VGrid store gives callers: VGrids, participants, memberships and requests.
 * @packageDocumentation
 */
import type { AdminPrincipal, UserPrincipal } from '../principal.js';
import type { VgridSettings } from './vgrid-settings.js';

/** A participant's role. Owners can do everything members can. */
export type VgridRole = 'owner' | 'member';

/** Who acts on a VGrid: a signed-in user (a site admin's account counts as admin) or an admin tool. */
export type VgridActor = UserPrincipal | AdminPrincipal;

/** One VGrid. Times are epoch milliseconds. */
export interface VgridRecord {
  /** The full hierarchical name, e.g. `Physics/Optics`. */
  readonly name: string;
  /** The parent's name, or `null` for a top-level VGrid. */
  readonly parent: string | null;
  readonly settings: VgridSettings;
  readonly createdAt: number;
  /** Who created it (`user:<id>`, `admin:local`). */
  readonly createdBy: string;
  readonly updatedAt: number;
}

/** A user's part in a VGrid, with inheritance (`vgridsOf`). */
export interface VgridMembership {
  readonly name: string;
  readonly role: VgridRole;
  /** True when the role comes from an ancestor, not from a row of this VGrid. */
  readonly inherited: boolean;
  /** The VGrid the role comes from (the name itself when direct). */
  readonly via: string;
  /** The VGrid's own settings (what its mounts need: `readOnly`, …). */
  readonly settings: VgridSettings;
}

/** An owner or member as a VGrid's lists show them. */
export interface VgridParticipant {
  readonly userId: string;
  readonly role: VgridRole;
  /** The VGrid the role comes from (this one, or an ancestor). */
  readonly via: string;
  readonly inherited: boolean;
  readonly addedAt: number;
  readonly addedBy: string;
}

/** A resource allowed to run a VGrid's jobs. */
export interface VgridResource {
  readonly resourceId: string;
  /** The VGrid it was added to (this one, or an ancestor). */
  readonly via: string;
  readonly inherited: boolean;
  readonly addedAt: number;
  readonly addedBy: string;
}

/** What a request asks for. */
export type VgridRequestKind = 'member' | 'owner';

/** Where a request stands. */
export type VgridRequestStatus = 'pending' | 'accepted' | 'rejected';

/** A request to become member or owner of a VGrid. */
export interface VgridRequest {
  readonly id: string;
  readonly vgrid: string;
  readonly userId: string;
  readonly kind: VgridRequestKind;
  readonly message: string;
  readonly status: VgridRequestStatus;
  readonly createdAt: number;
  readonly decidedAt: number | null;
  /** Who decided (`user:<id>`, `admin:local`), or `null` while pending. */
  readonly decidedBy: string | null;
}

/** What removing a VGrid did. */
export interface VgridRemoval {
  /** The VGrids removed: the one named and, with `force`, everything below it. */
  readonly removed: readonly string[];
  /**
   * Where its folders went: `<state>/vgrid_removed/<name with / as :>-<time>/` holding `share`,
   * `private_web` and `public_web` (sub-VGrids' folders inside them, as they were). `null` when
   * none of the folders existed.
   */
  readonly movedTo: string | null;
  /** Folders that could not be moved (left where they were, never deleted). */
  readonly notMoved: readonly string[];
}

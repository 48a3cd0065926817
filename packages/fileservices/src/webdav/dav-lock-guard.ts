/**
 * Enforces WebDAV locks and `If:` conditions before a change: the header must evaluate true
 * (`412` otherwise), and every locked resource the request changes needs one of its lock tokens
 * submitted by the principal that took it (`423` otherwise).
 * @packageDocumentation
 */
import type { DavLock } from './dav-lock-store.js';
import { parseIfHeader, submittedTokens, type IfList } from './dav-if-header.js';
import { destinationPathOf } from './dav-request-path.js';
import { etagOf, statOrUndefined, type DavRequest } from './dav-request.js';
import { ancestorKeys, descendantPrefix, resourceKeyOf } from './dav-resource-key.js';
import { DavStatusError } from './dav-status-error.js';

/** A resource a request changes. */
export interface ProtectedTarget {
  /** Resource key. */
  readonly key: string;
  /** Also everything below it (DELETE, MOVE, overwritten collections, depth-infinity LOCK). */
  readonly deep: boolean;
}

/** The parsed `If:` header and the tokens it submits. */
export interface IfState {
  readonly lists: readonly IfList[];
  readonly tokens: ReadonlySet<string>;
}

/** Above this many roots in a view, {@link needsLockCheck} asks about all locks rather than list the roots. */
const MAX_SCOPED_ROOTS = 64;

/**
 * Whether a change request needs the lock machinery at all: it does when it carries an `If:`
 * header, or when some live lock exists on a resource of the user's view (keys start with a root
 * id, or `view` for its virtual folders). When neither holds, no lock can refuse the change and
 * no condition can fail, so the caller may skip computing resource keys and querying locks.
 */
export async function needsLockCheck(r: DavRequest): Promise<boolean> {
  if (r.req.headers.if !== undefined) return true;
  const roots = r.view.roots;
  return r.locks.anyLive(roots.length > MAX_SCOPED_ROOTS ? undefined : ['view', ...roots.map((root) => root.id)]);
}

/** Whether `lock` applies to `key`. */
export function lockCovers(lock: DavLock, key: string): boolean {
  return lock.resource === key || (lock.depth === 'infinity' && key.startsWith(descendantPrefix(lock.resource)));
}

/**
 * Parses and evaluates the request's `If:` header (none: `undefined`). Untagged lists apply to
 * the request URL, tagged ones to their tag. The header holds when any list holds.
 * @throws DavStatusError 400 when malformed, 412 when it does not hold.
 */
export async function checkIfHeader(r: DavRequest): Promise<IfState | undefined> {
  const raw = r.req.headers.if;
  if (raw === undefined) return undefined;
  const lists = parseIfHeader(Array.isArray(raw) ? raw.join(' ') : raw);
  const states = new Map<string, Promise<{ etag: string | undefined; tokens: Set<string> } | undefined>>();
  const stateOf = (path: string): Promise<{ etag: string | undefined; tokens: Set<string> } | undefined> => {
    let s = states.get(path);
    if (s === undefined) {
      s = (async () => {
        const [info, key] = await Promise.all([statOrUndefined(r.view, path), resourceKeyOf(r.view, path)]);
        const locks = await r.locks.covering(key);
        return { etag: info === undefined ? undefined : etagOf(info), tokens: new Set(locks.map((l) => l.token)) };
      })().catch(() => undefined);
      states.set(path, s);
    }
    return s;
  };
  for (const list of lists) {
    let path: string | undefined = r.path;
    if (list.resource !== undefined) {
      try {
        path = destinationPathOf(list.resource, r.req.headers.host);
      } catch {
        path = undefined;
      }
    }
    const state = path === undefined ? undefined : await stateOf(path);
    let holds = true;
    for (const c of list.conditions) {
      const match = c.kind === 'token' ? state?.tokens.has(c.value) === true : state?.etag !== undefined && sameEtag(state.etag, c.value);
      if (match === c.not) {
        holds = false;
        break;
      }
    }
    if (holds) return { lists, tokens: submittedTokens(lists) };
  }
  throw new DavStatusError(412, 'The If header conditions do not hold.');
}

function sameEtag(current: string, given: string): boolean {
  return current === given.replace(/^W\//, '');
}

/**
 * Refuses with `423 Locked` unless, for every locked resource among `targets` (and below the deep
 * ones), a lock token covering it was submitted in the `If:` header by the lock's principal.
 */
export async function checkLocks(r: DavRequest, ifState: IfState | undefined, targets: readonly ProtectedTarget[]): Promise<void> {
  const submitted = ifState?.tokens ?? new Set<string>();
  for (const t of targets) {
    const around = [...(await r.locks.covering(t.key)), ...(t.deep ? await r.locks.below(t.key) : [])];
    if (around.length === 0) continue;
    const resources = new Set([t.key, ...around.filter((l) => l.resource !== t.key && !ancestorKeys(t.key).includes(l.resource)).map((l) => l.resource)]);
    for (const res of resources) {
      const covering = around.filter((l) => lockCovers(l, res));
      if (covering.length === 0) continue;
      const ok = covering.some((l) => submitted.has(l.token) && l.principal === r.principal);
      if (!ok) throw new DavStatusError(423, 'The resource is locked and no matching lock token was submitted.', { condition: 'lock-token-submitted' });
    }
  }
}

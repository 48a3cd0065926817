/**
 * LOCK (new exclusive or shared write locks, depth 0 or infinity, refreshes, empty resources on
 * unmapped URLs) and UNLOCK.
 * @packageDocumentation
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { checkIfHeader, checkLocks, lockCovers } from './dav-lock-guard.js';
import type { DavLock } from './dav-lock-store.js';
import { activeLockXml } from './dav-live-properties.js';
import { hrefOf, parentOf } from './dav-request-path.js';
import { headerOf, readXmlBody, sendEmpty, sendXml, statOrUndefined, type DavRequest } from './dav-request.js';
import { resourceKeyOf } from './dav-resource-key.js';
import { DavStatusError } from './dav-status-error.js';
import { DAV_NS, childElement, childElements, isElement, serializeElement } from './dav-xml.js';

/** Seconds from a `Timeout:` header (`Second-N`, `Infinite`, lists of both), bounded. */
function timeoutOf(header: string | undefined, limits: DavRequest['lockTimeouts']): number {
  if (header === undefined) return limits.defaultSeconds;
  for (const part of header.split(',')) {
    const t = part.trim();
    if (/^infinite$/i.test(t)) return limits.maxSeconds;
    const m = /^second-(\d{1,12})$/i.exec(t);
    if (m !== null) return Math.max(1, Math.min(Number(m[1]), limits.maxSeconds));
  }
  return limits.defaultSeconds;
}

function lockAnswer(lock: DavLock, rootHref: string): string {
  return `<D:prop xmlns:D="DAV:"><D:lockdiscovery>${activeLockXml(lock, rootHref, Date.now())}</D:lockdiscovery></D:prop>`;
}

/** LOCK. */
export async function handleLock(r: DavRequest): Promise<void> {
  const doc = await readXmlBody(r);
  const timeout = timeoutOf(headerOf(r.req, 'timeout'), r.lockTimeouts);
  await r.lockMutex(async () => {
    const info = await statOrUndefined(r.view, r.path);
    const key = await resourceKeyOf(r.view, r.path);
    const ifState = await checkIfHeader(r);
    if (doc === undefined) {
      // A refresh: the submitted token of a lock that covers this resource.
      const covering = (await r.locks.covering(key)).filter((l) => ifState?.tokens.has(l.token) === true);
      if (covering.length === 0) throw new DavStatusError(412, 'A lock refresh needs the lock token in the If header.', { condition: 'lock-token-matches-request-uri' });
      const mine = covering.filter((l) => l.principal === r.principal);
      if (mine.length === 0) throw new DavStatusError(403, 'This lock belongs to someone else.');
      const refreshed = await Promise.all(mine.map((l) => r.locks.refresh(l, timeout)));
      const first = refreshed[0] as DavLock;
      sendXml(r.res, 200, lockAnswer(first, lockRootHrefOf(r.path, key, first.resource, info?.type === 'directory')));
      return;
    }
    const root = doc.documentElement;
    if (root === null || !isElement(root, DAV_NS, 'lockinfo')) throw new DavStatusError(400, 'A LOCK body must be a DAV:lockinfo element.');
    const scopeEl = childElement(root, DAV_NS, 'lockscope');
    const typeEl = childElement(root, DAV_NS, 'locktype');
    const scopeChild = scopeEl === undefined ? undefined : childElements(scopeEl)[0];
    const scope = isElement(scopeChild, DAV_NS, 'exclusive') ? 'exclusive' : isElement(scopeChild, DAV_NS, 'shared') ? 'shared' : undefined;
    if (scope === undefined) throw new DavStatusError(400, 'DAV:lockscope must be DAV:exclusive or DAV:shared.');
    if (typeEl === undefined || !isElement(childElements(typeEl)[0], DAV_NS, 'write')) throw new DavStatusError(400, 'Only DAV:write locks are supported.');
    const ownerEl = childElement(root, DAV_NS, 'owner');
    const owner = ownerEl === undefined ? '' : serializeElement(ownerEl);
    if (owner.length > 8192) throw new DavStatusError(400, 'The lock owner is too long.');
    const depthHeader = (headerOf(r.req, 'depth') ?? 'infinity').toLowerCase();
    if (depthHeader !== '0' && depthHeader !== 'infinity') throw new DavStatusError(400, 'LOCK takes Depth: 0 or infinity.');
    const depth = depthHeader === '0' || info?.type !== 'directory' ? '0' : 'infinity';

    const existing = [...(await r.locks.covering(key)), ...(depth === 'infinity' ? await r.locks.below(key) : [])];
    if (existing.some((l) => l.scope === 'exclusive') || (scope === 'exclusive' && existing.length > 0)) {
      throw new DavStatusError(423, 'The resource is already locked.', { condition: 'no-conflicting-lock' });
    }
    let created = false;
    if (info === undefined) {
      // LOCK on an unmapped URL makes an empty file (RFC 4918 §7.3).
      const parent = await statOrUndefined(r.view, parentOf(r.path));
      if (parent === undefined || parent.type !== 'directory') throw new DavStatusError(409, 'The parent folder does not exist.');
      await checkLocks(r, ifState, [{ key: await resourceKeyOf(r.view, parentOf(r.path)), deep: false }]);
      await pipeline(Readable.from([]), await r.view.createWriteStream(r.path, { overwrite: false }));
      created = true;
    }
    const lock = await r.locks.create({ resource: key, scope, depth, owner, principal: r.principal, timeoutSeconds: timeout });
    sendXml(r.res, created ? 201 : 200, lockAnswer(lock, hrefOf(r.path, info?.type === 'directory')), { 'Lock-Token': `<${lock.token}>` });
  });
}

/** Href of a lock's root seen from the request path (the lock may sit on a folder above). */
function lockRootHrefOf(path: string, key: string, lockKey: string, dir: boolean): string {
  if (lockKey === key) return hrefOf(path, dir);
  const depth = (k: string): number => k.slice(k.indexOf(':/') + 1).split('/').filter((s) => s.length > 0).length;
  const parts = path.split('/').filter((s) => s.length > 0);
  return hrefOf(`/${parts.slice(0, Math.max(0, parts.length - (depth(key) - depth(lockKey)))).join('/')}`, true);
}

/** UNLOCK. */
export async function handleUnlock(r: DavRequest): Promise<void> {
  const header = headerOf(r.req, 'lock-token');
  const m = header === undefined ? null : /^\s*<([^<>\s]{1,200})>\s*$/.exec(header);
  if (m === null) throw new DavStatusError(400, 'UNLOCK needs a Lock-Token header.');
  const token = m[1] as string;
  await r.lockMutex(async () => {
    const key = await resourceKeyOf(r.view, r.path);
    const lock = await r.locks.get(token);
    if (lock === undefined || !lockCovers(lock, key)) throw new DavStatusError(409, 'No such lock on this resource.', { condition: 'lock-token-matches-request-uri' });
    if (lock.principal !== r.principal) throw new DavStatusError(403, 'This lock belongs to someone else.');
    await r.locks.remove(token);
    sendEmpty(r.res, 204);
  });
}

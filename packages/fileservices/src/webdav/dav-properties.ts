/**
 * PROPFIND (depth 0 and 1; infinity is refused with `propfind-finite-depth`) and PROPPATCH
 * (dead properties, all-or-nothing, live ones protected).
 * @packageDocumentation
 */
import type { FileInfo } from '@migrid/core';
import type { Element } from '@xmldom/xmldom';
import { checkIfHeader, checkLocks, lockCovers } from './dav-lock-guard.js';
import type { DavLock } from './dav-lock-store.js';
import { LIVE_PROPERTIES, isLiveProperty, livePropertyXml } from './dav-live-properties.js';
import type { PropertyChange } from './dav-property-store.js';
import { hrefOf, joinPath } from './dav-request-path.js';
import { headerOf, readXmlBody, sendXml, statOrUndefined, type DavRequest } from './dav-request.js';
import { keyOfCanonical, resourceKeyOf } from './dav-resource-key.js';
import { DavStatusError } from './dav-status-error.js';
import { DAV_NS, childElement, childElements, clarkOf, emptyPropertyElement, escapeXml, isElement, serializeElement } from './dav-xml.js';

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 424: 'Failed Dependency' };

function propstat(props: readonly string[], status: number): string {
  if (props.length === 0) return '';
  return `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}</D:status></D:propstat>`;
}

interface Entry {
  readonly path: string;
  readonly info: FileInfo;
  readonly key: string;
}

type Request = { kind: 'allprop' } | { kind: 'propname' } | { kind: 'prop'; names: string[] };

function parsePropfind(body: Element | undefined): Request {
  if (body === undefined) return { kind: 'allprop' };
  if (!isElement(body, DAV_NS, 'propfind')) throw new DavStatusError(400, 'A PROPFIND body must be a DAV:propfind element.');
  const prop = childElement(body, DAV_NS, 'prop');
  if (prop !== undefined) return { kind: 'prop', names: childElements(prop).map(clarkOf) };
  if (childElement(body, DAV_NS, 'propname') !== undefined) return { kind: 'propname' };
  if (childElement(body, DAV_NS, 'allprop') !== undefined) return { kind: 'allprop' };
  throw new DavStatusError(400, 'A DAV:propfind must hold DAV:prop, DAV:propname or DAV:allprop.');
}

/** Href of the lock root of `lock`, seen from the entry at `path` with key `key`. */
function lockRootHref(entry: Entry, lock: DavLock): string {
  if (lock.resource === entry.key) return hrefOf(entry.path, entry.info.type === 'directory');
  const depth = (k: string): number => k.slice(k.indexOf(':/') + 1).split('/').filter((s) => s.length > 0).length;
  const up = depth(entry.key) - depth(lock.resource);
  const parts = entry.path.split('/').filter((s) => s.length > 0);
  return hrefOf(`/${parts.slice(0, Math.max(0, parts.length - up)).join('/')}`, true);
}

/** PROPFIND. */
export async function handlePropfind(r: DavRequest): Promise<void> {
  const depthHeader = (headerOf(r.req, 'depth') ?? 'infinity').toLowerCase();
  if (depthHeader !== '0' && depthHeader !== '1') {
    if (depthHeader === 'infinity') throw new DavStatusError(403, 'PROPFIND with Depth: infinity is not supported; use 0 or 1.', { condition: 'propfind-finite-depth' });
    throw new DavStatusError(400, 'The Depth header must be 0, 1 or infinity.');
  }
  const doc = await readXmlBody(r);
  const request = parsePropfind(doc?.documentElement ?? undefined);
  const info = await statOrUndefined(r.view, r.path);
  if (info === undefined) throw new DavStatusError(404, 'Not found.');
  const canonical = await r.view.realpath(r.path);
  const key = keyOfCanonical(r.view, canonical);
  const entries: Entry[] = [{ path: r.path, info, key }];
  if (depthHeader === '1' && info.type === 'directory') {
    for (const child of await r.view.list(r.path)) {
      const path = joinPath(r.path, child.name);
      if (child.type === 'symlink' || child.type === 'other') {
        // Report what a link leads to (inside the view); links that lead nowhere or out are left out.
        try {
          const target = await r.view.stat(path);
          if (target.type !== 'file' && target.type !== 'directory') continue;
          entries.push({ path, info: { ...target, name: child.name }, key: await resourceKeyOf(r.view, path) });
        } catch {
          continue;
        }
      } else {
        entries.push({ path, info: child, key: keyOfCanonical(r.view, joinPath(canonical, child.name)) });
      }
    }
  }
  const now = Date.now();
  const wantsLocks = request.kind === 'allprop' || (request.kind === 'prop' && request.names.includes('{DAV:}lockdiscovery'));
  const locksAround = wantsLocks ? [...(await r.locks.covering(key)), ...(entries.length > 1 ? await r.locks.below(key) : [])] : [];
  const dead = request.kind === 'prop' && request.names.every(isLiveProperty) ? new Map<string, Map<string, string>>() : await r.props.getMany(entries.map((e) => e.key));

  const parts: string[] = ['<D:multistatus xmlns:D="DAV:">'];
  for (const e of entries) {
    const locks = locksAround.filter((l) => lockCovers(l, e.key)).map((lock) => ({ lock, rootHref: lockRootHref(e, lock) }));
    const deadProps = dead.get(e.key) ?? new Map<string, string>();
    const found: string[] = [];
    const missing: string[] = [];
    if (request.kind === 'prop') {
      for (const name of request.names) {
        const xml = isLiveProperty(name) ? livePropertyXml(name, e.info, locks, now) : deadProps.get(name);
        if (xml === undefined) missing.push(emptyPropertyElement(name));
        else found.push(xml);
      }
    } else {
      for (const name of LIVE_PROPERTIES) {
        const xml = livePropertyXml(name, e.info, locks, now);
        if (xml !== undefined) found.push(request.kind === 'propname' ? emptyPropertyElement(name) : xml);
      }
      for (const [name, xml] of deadProps) found.push(request.kind === 'propname' ? emptyPropertyElement(name) : xml);
    }
    parts.push(`<D:response><D:href>${escapeXml(hrefOf(e.path, e.info.type === 'directory'))}</D:href>${propstat(found, 200)}${propstat(missing, 404)}</D:response>`);
  }
  parts.push('</D:multistatus>');
  sendXml(r.res, 207, parts.join(''));
}

/** PROPPATCH. */
export async function handleProppatch(r: DavRequest): Promise<void> {
  const info = await statOrUndefined(r.view, r.path);
  if (info === undefined) throw new DavStatusError(404, 'Not found.');
  const key = await resourceKeyOf(r.view, r.path);
  const ifState = await checkIfHeader(r);
  await checkLocks(r, ifState, [{ key, deep: false }]);
  const doc = await readXmlBody(r);
  const root = doc?.documentElement ?? undefined;
  if (root === undefined || !isElement(root, DAV_NS, 'propertyupdate')) throw new DavStatusError(400, 'A PROPPATCH body must be a DAV:propertyupdate element.');
  const changes: PropertyChange[] = [];
  for (const block of childElements(root)) {
    const op = isElement(block, DAV_NS, 'set') ? 'set' : isElement(block, DAV_NS, 'remove') ? 'remove' : undefined;
    if (op === undefined) continue;
    for (const prop of childElements(block).filter((c) => isElement(c, DAV_NS, 'prop'))) {
      for (const p of childElements(prop)) {
        const name = clarkOf(p);
        if (name.length > 1024) throw new DavStatusError(400, 'A property name is too long.');
        changes.push(op === 'set' ? { op, name, value: serializeElement(p) } : { op, name });
      }
    }
  }
  if (changes.length === 0) throw new DavStatusError(400, 'The PROPPATCH names no property.');
  const names = [...new Set(changes.map((c) => c.name))];
  const protectedNames = names.filter(isLiveProperty);
  const href = escapeXml(hrefOf(r.path, info.type === 'directory'));
  if (protectedNames.length > 0) {
    const others = names.filter((n) => !isLiveProperty(n));
    sendXml(
      r.res,
      207,
      `<D:multistatus xmlns:D="DAV:"><D:response><D:href>${href}</D:href>${propstat(protectedNames.map(emptyPropertyElement), 403)}${propstat(others.map(emptyPropertyElement), 424)}</D:response></D:multistatus>`,
    );
    return;
  }
  await r.props.patch(key, changes);
  sendXml(r.res, 207, `<D:multistatus xmlns:D="DAV:"><D:response><D:href>${href}</D:href>${propstat(names.map(emptyPropertyElement), 200)}</D:response></D:multistatus>`);
}

/**
 * XML for WebDAV: namespace-correct parsing of request bodies with `@xmldom/xmldom` (no DTDs, no
 * entities beyond the five predefined ones, so no XXE or entity expansion), and small helpers to
 * write responses.
 * @packageDocumentation
 */
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { DavStatusError } from './dav-status-error.js';

/** The WebDAV namespace. */
export const DAV_NS = 'DAV:';

const ELEMENT_NODE = 1;

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : '&apos;'));
}

/**
 * Parses a request body. A DTD (`<!DOCTYPE`), an undeclared entity, a malformed document or a
 * namespace error (an unbound prefix, `xmlns:p=""`) is `400 Bad Request`.
 */
export function parseXml(text: string): Document {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new DavStatusError(400, 'XML bodies with a DTD or entity declarations are refused.');
  let doc: Document;
  try {
    const parser = new DOMParser({
      onError: (level: string, message: string) => {
        if (level !== 'warning') throw new Error(message);
      },
    });
    doc = parser.parseFromString(text, 'text/xml');
  } catch {
    throw new DavStatusError(400, 'The request body is not well-formed, namespace-valid XML.');
  }
  const root = doc.documentElement;
  if (root === null) throw new DavStatusError(400, 'The request body has no XML element.');
  checkNamespaces(root);
  return doc;
}

/** Namespaces in XML 1.0 forbids undeclaring a prefix (`xmlns:p=""`). */
function checkNamespaces(root: Element): void {
  const stack: Element[] = [root];
  let seen = 0;
  while (stack.length > 0) {
    const el = stack.pop() as Element;
    if (++seen > 100_000) throw new DavStatusError(400, 'The XML body has too many elements.');
    if (el.prefix !== null && el.prefix !== '' && (el.namespaceURI === null || el.namespaceURI === '')) {
      throw new DavStatusError(400, 'An XML element uses an undeclared namespace prefix.');
    }
    const attrs = el.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const a = attrs.item(i);
      if (a !== null && a.prefix === 'xmlns' && a.value === '') throw new DavStatusError(400, 'An XML namespace prefix is bound to the empty name.');
    }
    stack.push(...childElements(el));
  }
}

/** The element children of `el`, in document order. */
export function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n !== null; n = n.nextSibling) if (n.nodeType === ELEMENT_NODE) out.push(n as Element);
  return out;
}

/** Whether `el` is `{ns}local`. */
export function isElement(el: Element | null | undefined, ns: string, local: string): el is Element {
  return el !== null && el !== undefined && (el.namespaceURI ?? '') === ns && el.localName === local;
}

/** The first child element named `{ns}local`. */
export function childElement(el: Element, ns: string, local: string): Element | undefined {
  return childElements(el).find((c) => isElement(c, ns, local));
}

/** Clark notation `{namespace}local` of an element. */
export function clarkOf(el: Element): string {
  return `{${el.namespaceURI ?? ''}}${el.localName ?? ''}`;
}

/** Splits Clark notation back into namespace and local name. */
export function splitClark(clark: string): { ns: string; local: string } {
  const end = clark.indexOf('}');
  return { ns: clark.slice(1, end), local: clark.slice(end + 1) };
}

/** Serialises an element with the namespace declarations it needs. */
export function serializeElement(el: Element): string {
  return new XMLSerializer().serializeToString(el);
}

/** The text content of an element (trimmed). */
export function textOf(el: Element): string {
  return (el.textContent ?? '').trim();
}

/** An empty element for a property name, e.g. `<p:foo xmlns:p="ns"/>` (for 404 propstats and propname). */
export function emptyPropertyElement(clark: string): string {
  const { ns, local } = splitClark(clark);
  if (ns === DAV_NS) return `<D:${local}/>`;
  return ns === '' ? `<${local} xmlns=""/>` : `<P:${local} xmlns:P="${escapeXml(ns)}"/>`;
}

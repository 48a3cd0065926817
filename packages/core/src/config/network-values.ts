/**
 * Checks for the network-shaped values of the config: host names, listen addresses, CIDR blocks
 * and port ranges. Kept apart so the schema reads as a list of keys.
 * @packageDocumentation
 */
import { isIP } from 'node:net';

/** A DNS name: dot-separated labels of letters, digits and inner hyphens, at most 253 characters. */
const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for a syntactically valid DNS host name (`localhost`, `mig.example.org`). */
export function isHostname(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  return name.split('.').every((label) => HOSTNAME_LABEL.test(label));
}

/** True for an address a server can listen on: an IPv4/IPv6 address or a host name. */
export function isListenHost(value: string): boolean {
  return isIP(value) !== 0 || isHostname(value);
}

/** True for an IP address or a CIDR block such as `10.0.0.0/8` or `2001:db8::/32`. */
export function isAddressOrCidr(value: string): boolean {
  if (value.length > 64) return false;
  const slash = value.indexOf('/');
  if (slash === -1) return isIP(value) !== 0;
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  const family = isIP(address);
  if (family === 0 || !/^[0-9]{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** An inclusive range of TCP ports. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** Parses `"30000-30100"` (or a single port `"30000"`) into a range, or `undefined` if malformed or out of 1–65535. */
export function parsePortRange(value: string): PortRange | undefined {
  const match = /^\s*([0-9]{1,5})\s*(?:-\s*([0-9]{1,5})\s*)?$/.exec(value);
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  if (first < 1 || last > 65535 || first > last) return undefined;
  return { first, last };
}

/**
 * IP address normalisation and allow-list matching for the defender, so that one client is always
 * counted under one spelling of its address (`::ffff:203.0.113.9` is `203.0.113.9`;
 * `2001:DB8::0:1` is `2001:db8::1`).
 * @packageDocumentation
 */
import { BlockList, isIP } from 'node:net';
import { ConfigError, InvalidInputError } from '../errors.js';

const MAPPED_V4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * Returns the canonical text of an IPv4 or IPv6 address, or `undefined` when `address` is not one.
 * IPv4-mapped IPv6 addresses become plain IPv4; IPv6 is lower-case and compressed; a zone id
 * (`%eth0`) is dropped.
 *
 * @example
 * ```ts
 * normalizeIpAddress('::ffff:203.0.113.9'); // '203.0.113.9'
 * ```
 */
export function normalizeIpAddress(address: string): string | undefined {
  if (typeof address !== 'string' || address.length === 0 || address.length > 64) return undefined;
  const bare = address.replace(/%[A-Za-z0-9_.-]{1,16}$/, '');
  const family = isIP(bare);
  if (family === 4) return bare;
  if (family !== 6) return undefined;
  const compressed = new URL(`http://[${bare}]`).hostname.slice(1, -1);
  const mapped = MAPPED_V4.exec(compressed);
  if (mapped === null) return compressed;
  const high = parseInt(mapped[1] as string, 16);
  const low = parseInt(mapped[2] as string, 16);
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

/**
 * Like {@link normalizeIpAddress} but throws for anything that is not an IP address.
 * @throws InvalidInputError `MIG_E_INVALID_INPUT`.
 */
export function requireIpAddress(address: string, field = 'address'): string {
  const normal = normalizeIpAddress(address);
  if (normal === undefined) {
    throw new InvalidInputError(`The ${field} must be an IPv4 or IPv6 address.`, { details: { field } });
  }
  return normal;
}

/** Tests addresses against a list of IP addresses and CIDR blocks (IPv4 and IPv6). */
export interface AddressMatcher {
  /** True when the (already normalised or raw) address is in one of the listed addresses or blocks. */
  matches(address: string): boolean;
}

/**
 * Builds a matcher for an allow list such as `['127.0.0.1', '10.0.0.0/8', '2001:db8::/32']`.
 *
 * @throws ConfigError `MIG_E_CONFIG_INVALID` naming the first entry that is not an address or CIDR block.
 */
export function createAddressMatcher(entries: readonly string[]): AddressMatcher {
  const list = new BlockList();
  for (const entry of entries) {
    const [addressPart, prefixPart, extra] = String(entry).trim().split('/');
    const address = normalizeIpAddress(addressPart ?? '');
    const family = address === undefined ? 0 : isIP(address);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixPart === undefined ? max : /^[0-9]{1,3}$/.test(prefixPart) ? Number(prefixPart) : NaN;
    if (address === undefined || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw new ConfigError(`[defender] allow_list entry ${JSON.stringify(String(entry).slice(0, 80))} is not an IP address or CIDR block (e.g. 10.0.0.0/8).`, {
        details: { field: 'defender.allow_list' },
      });
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    matches(raw: string): boolean {
      const address = normalizeIpAddress(raw);
      if (address === undefined) return false;
      return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

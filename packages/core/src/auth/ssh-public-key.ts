/**
 * Parsing and vetting of SSH public keys that users paste into their settings (one OpenSSH
 * `authorized_keys` line at a time).
 *
 * Decisions worth knowing:
 * - **Options prefixes** (`from="…"`, `command="…"`, `no-pty …`) are refused. Our SFTP server does not
 *   enforce OpenSSH's key options, so accepting `from="10.0.0.0/8"` would let the user believe in a
 *   restriction that does not exist. The error says to paste the bare key.
 * - **DSA** keys are always refused (1024-bit, deprecated by OpenSSH since 7.0); RSA below the site's
 *   `ssh_key_min_rsa_bits` is refused.
 * - **Security-key** (`sk-…@openssh.com`) keys are refused: the ssh2 library our SFTP server is built on
 *   cannot verify their signatures, so they could never log in.
 * - A **private key** pasted by mistake is refused with a hint, and never echoed or stored.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { PolicyError, InvalidInputError } from '../errors.js';

/** The key algorithms we accept. */
export const SSH_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;

/** One accepted SSH key algorithm. */
export type SshKeyAlgorithm = (typeof SSH_KEY_ALGORITHMS)[number];

/** The longest key line we read (a 16384-bit RSA key is about 2.8 KiB). */
export const MAX_SSH_KEY_LINE_BYTES = 16 * 1024;

/** The default smallest RSA modulus, as in `[security] ssh_key_min_rsa_bits`. */
export const DEFAULT_MIN_RSA_BITS = 2048;

/** A vetted SSH public key. */
export interface SshPublicKey {
  /** Key algorithm, e.g. `ssh-ed25519`. */
  readonly algorithm: SshKeyAlgorithm;
  /** Key size in bits (RSA modulus size; curve size for ECDSA; 256 for Ed25519). */
  readonly bits: number;
  /** OpenSSH's `SHA256:<base64 without padding>` fingerprint of the key blob. */
  readonly fingerprint: string;
  /** The wire-format key blob (what an SSH client presents at login). */
  readonly blob: Buffer;
  /** The key in canonical one-line form, without the comment: `<algorithm> <base64>`. */
  readonly publicKey: string;
  /** The comment after the key, with control characters removed; may be empty. */
  readonly comment: string;
}

/** Options for {@link parseSshPublicKey}. */
export interface ParseSshPublicKeyOptions {
  /** Smallest accepted RSA modulus in bits; default 2048. */
  readonly minRsaBits?: number;
}

const KNOWN_TYPES = new Set<string>([...SSH_KEY_ALGORITHMS, 'ssh-dss', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']);
const CURVE_BITS: Readonly<Record<string, number>> = { 'ecdsa-sha2-nistp256': 256, 'ecdsa-sha2-nistp384': 384, 'ecdsa-sha2-nistp521': 521 };
const MAX_COMMENT_LENGTH = 256;

function invalid(message: string, reason: string): PolicyError {
  return new PolicyError('MIG_E_SSH_KEY_INVALID', message, { details: { reason } });
}

/** `SHA256:<base64, no padding>` of a key blob, as `ssh-keygen -l` prints it. */
export function sshKeyFingerprint(blob: Buffer): string {
  if (!Buffer.isBuffer(blob) || blob.length === 0 || blob.length > MAX_SSH_KEY_LINE_BYTES) {
    throw new InvalidInputError('An SSH key blob must be a non-empty Buffer of at most 16 KiB.', { details: { field: 'blob' } });
  }
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Reads the SSH wire-format strings (uint32 length + bytes) of a key blob. */
function readSshStrings(blob: Buffer, count: number): Buffer[] | undefined {
  const out: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < count; i += 1) {
    if (offset + 4 > blob.length) return undefined;
    const length = blob.readUInt32BE(offset);
    offset += 4;
    if (offset + length > blob.length) return undefined;
    out.push(blob.subarray(offset, offset + length));
    offset += length;
  }
  return out;
}

/** Bit length of an SSH mpint (big-endian, possibly with a leading zero byte). */
function mpintBits(value: Buffer): number {
  let i = 0;
  while (i < value.length && value[i] === 0) i += 1;
  if (i === value.length) return 0;
  const top = value[i] as number;
  return (value.length - i - 1) * 8 + (32 - Math.clz32(top));
}

/**
 * Parses and vets one OpenSSH public key line (`<algorithm> <base64> [comment]`).
 *
 * @throws PolicyError `MIG_E_SSH_KEY_INVALID` for anything that is not a single usable public key
 *   (garbage, private keys, options prefixes, several keys, unsupported types, over 16 KiB);
 *   `MIG_E_SSH_KEY_WEAK` for DSA keys and RSA keys below `minRsaBits`.
 *
 * @example
 * ```ts
 * const key = parseSshPublicKey(readFileSync('id_ed25519.pub', 'utf8'));
 * key.fingerprint; // 'SHA256:ZPYkqPIuq1EjGGD1fSwXQ0yh53Lac3Q5JhPqG1vho3E'
 * ```
 */
export function parseSshPublicKey(line: string, options: ParseSshPublicKeyOptions = {}): SshPublicKey {
  if (typeof line !== 'string') throw invalid('An SSH public key must be given as text.', 'not-text');
  if (Buffer.byteLength(line, 'utf8') > MAX_SSH_KEY_LINE_BYTES) {
    throw invalid('The SSH public key is longer than 16 KiB; paste the contents of one .pub file.', 'too-large');
  }
  const minRsaBits = options.minRsaBits ?? DEFAULT_MIN_RSA_BITS;
  if (!Number.isInteger(minRsaBits) || minRsaBits < 1024 || minRsaBits > 16384) {
    throw new InvalidInputError('minRsaBits must be a whole number from 1024 to 16384.', { details: { field: 'minRsaBits' } });
  }
  if (/PRIVATE KEY/.test(line)) {
    throw invalid(
      'This is a private key. Paste the PUBLIC key instead (the contents of the .pub file, e.g. ~/.ssh/id_ed25519.pub), and keep the private key secret; if you shared it anywhere, make a new key pair.',
      'private-key',
    );
  }
  if (/^\s*-{4,5}\s*BEGIN/.test(line)) {
    throw invalid('PEM or RFC 4716 keys are not accepted; paste the key in OpenSSH format (one line starting with ssh-ed25519, ecdsa-sha2-… or ssh-rsa).', 'pem');
  }
  const lines = line.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw invalid('The SSH public key is empty; paste the contents of a .pub file.', 'empty');
  if (lines.length > 1) throw invalid('Paste one SSH public key at a time.', 'several-keys');
  const fields = (lines[0] as string).split(/[ \t]+/);
  const [type, data, ...rest] = fields;
  if (type === undefined || !KNOWN_TYPES.has(type)) {
    if (fields.slice(1).some((f) => KNOWN_TYPES.has(f))) {
      throw invalid('Key options such as from="…" or command="…" are not supported; paste only the key itself, starting with its type (e.g. ssh-ed25519).', 'options');
    }
    throw invalid('This is not an SSH public key; it must start with ssh-ed25519, ecdsa-sha2-nistp256/384/521 or ssh-rsa.', 'unknown-type');
  }
  if (type === 'ssh-dss') {
    throw new PolicyError('MIG_E_SSH_KEY_WEAK', 'DSA keys are too weak and no longer accepted; make an Ed25519 key with `ssh-keygen -t ed25519`.', {
      details: { algorithm: type },
    });
  }
  if (type.startsWith('sk-')) {
    throw invalid('Security-key (sk-…) SSH keys are not supported by this site yet; use an Ed25519, ECDSA or RSA key.', 'unsupported-type');
  }
  if (data === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(data) || data.length % 4 !== 0) {
    throw invalid('The SSH public key data is missing or not base64; paste the whole line from the .pub file.', 'bad-base64');
  }
  const blob = Buffer.from(data, 'base64');
  const parts = readSshStrings(blob, 1);
  if (parts?.[0]?.toString('latin1') !== type) {
    throw invalid('The SSH public key data does not match its type; paste the whole line from the .pub file unchanged.', 'type-mismatch');
  }
  // ssh2 checks the structure of the key (points on the curve, sizes) the way the SFTP server will.
  const parsed = ssh2.utils.parseKey(`${type} ${data}`);
  if (parsed instanceof Error || Array.isArray(parsed) || parsed.isPrivateKey() || !parsed.getPublicSSH().equals(blob)) {
    throw invalid('The SSH public key is damaged or not supported; paste the whole line from the .pub file unchanged.', 'unparsable');
  }
  const algorithm = type as SshKeyAlgorithm;
  let bits: number;
  if (algorithm === 'ssh-rsa') {
    const rsa = readSshStrings(blob, 3);
    bits = rsa?.[2] === undefined ? 0 : mpintBits(rsa[2]);
    if (bits < minRsaBits) {
      throw new PolicyError('MIG_E_SSH_KEY_WEAK', `This RSA key has ${bits} bits; at least ${minRsaBits} are required. Make an Ed25519 key with \`ssh-keygen -t ed25519\`.`, {
        details: { algorithm, bits, minBits: minRsaBits },
      });
    }
  } else {
    bits = CURVE_BITS[algorithm] ?? 256;
  }
  const comment = rest.join(' ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '').slice(0, MAX_COMMENT_LENGTH);
  return { algorithm, bits, fingerprint: sshKeyFingerprint(blob), blob, publicKey: `${type} ${data}`, comment };
}

/**
 * Reads a config file defensively: only regular files, at most {@link MAX_CONFIG_CHARS} bytes,
 * valid UTF-8. Shared by `loadConfig` and `checkConfig`.
 * @packageDocumentation
 */
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, InvalidInputError } from '../errors.js';
import type { ConfigProblem } from './config-problem.js';
import { MAX_CONFIG_CHARS } from './parse-config.js';

/** The text of a config file, or the single problem that stopped us reading it. */
export type ConfigFileText = { readonly text: string; readonly problem?: undefined } | { readonly text?: undefined; readonly problem: ConfigProblem };

/** Validates a config file path argument and makes it absolute. */
export function configPathArgument(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 4096 || path.includes('\u0000')) {
    throw new InvalidInputError('The config file path must be a non-empty path of at most 4096 characters without NUL bytes');
  }
  return resolve(path);
}

/**
 * Reads `file` as UTF-8 text.
 *
 * @throws ConfigError `MIG_E_CONFIG_NOT_FOUND` when the file does not exist or is not a regular file.
 */
export async function readConfigFile(file: string): Promise<ConfigFileText> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ConfigError(`The config file ${file} does not exist; check the path, or run \`mig init\` to create one`, { code: 'MIG_E_CONFIG_NOT_FOUND', cause: err });
    }
    if (code === 'EISDIR') {
      throw new ConfigError(`The config path ${file} is a folder, not a file; give the path of mig.toml`, { code: 'MIG_E_CONFIG_NOT_FOUND', cause: err });
    }
    throw new ConfigError(`The config file ${file} cannot be opened (${code ?? 'error'}); check its permissions`, { code: 'MIG_E_CONFIG_INVALID', cause: err });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new ConfigError(`The config path ${file} is not a regular file; give the path of mig.toml`, { code: 'MIG_E_CONFIG_NOT_FOUND' });
    }
    if (info.size > MAX_CONFIG_CHARS) {
      return { problem: { path: '', message: `the file is larger than ${MAX_CONFIG_CHARS} bytes`, hint: 'mig.toml is a small text file; check that the right file was given (mig init writes a fresh one)' } };
    }
    // Read at most one byte more than allowed, so a file that grows while we read cannot exhaust memory.
    const buffer = Buffer.alloc(MAX_CONFIG_CHARS + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled >= buffer.length) break;
    }
    if (filled > MAX_CONFIG_CHARS) {
      return { problem: { path: '', message: `the file is larger than ${MAX_CONFIG_CHARS} bytes`, hint: 'mig.toml is a small text file; check that the right file was given' } };
    }
    const bytes = buffer.subarray(0, filled);
    if (bytes.includes(0)) {
      return { problem: { path: '', message: 'the file contains NUL bytes, so it is not a text file', hint: 'check that the right file was given; mig init writes a fresh mig.toml' } };
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      return { problem: { path: '', message: 'the file is not valid UTF-8 text', hint: 'save mig.toml as UTF-8' } };
    }
    return { text };
  } finally {
    await handle.close();
  }
}

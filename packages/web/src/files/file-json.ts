/**
 * The JSON shapes of the files API (entries, trash items, upload sessions, errors) and their JSON
 * schemas for the routes' OpenAPI documentation.
 * @packageDocumentation
 */
import type { FileInfo } from '@migrid/core';

/** One entry as the API returns it. */
export interface EntryJson {
  readonly name: string;
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  /** ISO 8601. */
  readonly mtime: string;
  readonly mode: number;
}

/** Joins a folder's virtual path and a name. */
export function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * Normalises a virtual path for answers the way the view does (NFC, leading `/`, no empty or `.`
 * parts, `..` applied lexically). Only for paths the view has already accepted.
 */
export function displayPath(path: string): string {
  const out: string[] = [];
  for (const part of path.normalize('NFC').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** The folder holding a normalised virtual path (`/` for top-level names). */
export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last name of a normalised virtual path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The API form of a {@link FileInfo} found at `path`. */
export function entryJson(path: string, info: FileInfo): EntryJson {
  return { name: info.name, path, type: info.type, size: info.size, mtime: info.mtime.toISOString(), mode: info.mode };
}

const time = { type: 'string', format: 'date-time' } as const;

/** JSON schema of an entry. */
export const entrySchema = {
  type: 'object',
  required: ['name', 'path', 'type', 'size', 'mtime'],
  properties: {
    name: { type: 'string' },
    path: { type: 'string' },
    type: { type: 'string', enum: ['file', 'directory', 'symlink', 'other'] },
    size: { type: 'integer' },
    mtime: time,
    mode: { type: 'integer', description: 'Permission bits (mode & 0o7777).' },
  },
} as const;

/** JSON schema of a trash item. */
export const trashItemSchema = {
  type: 'object',
  required: ['id', 'originalPath', 'name', 'type', 'size', 'deletedAt'],
  properties: {
    id: { type: 'string' },
    originalPath: { type: 'string' },
    name: { type: 'string' },
    type: { type: 'string', enum: ['file', 'directory', 'symlink', 'other'] },
    size: { type: 'integer', description: 'Bytes in regular files (a folder: all of them).' },
    deletedAt: time,
  },
} as const;

/** JSON schema of an upload session's state. */
export const uploadStateSchema = {
  type: 'object',
  required: ['id', 'offset', 'size'],
  properties: { id: { type: 'string' }, offset: { type: 'integer' }, size: { type: 'integer' }, path: { type: 'string' }, expiresAt: time },
} as const;

/** JSON schema of the API's error body. */
export const fileErrorSchema = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
} as const;

/** The error answers of the files routes. */
export const fileErrorResponses = {
  400: fileErrorSchema,
  401: fileErrorSchema,
  403: fileErrorSchema,
  404: fileErrorSchema,
  409: fileErrorSchema,
  413: fileErrorSchema,
  416: fileErrorSchema,
  429: fileErrorSchema,
  507: fileErrorSchema,
} as const;

/** A virtual path parameter: bounded, any characters (the view checks them). */
export const pathString = { type: 'string', minLength: 1, maxLength: 4096 } as const;

/** A query-string boolean (`1`, `true`, `0`, `false`). */
export const queryFlag = { type: 'string', enum: ['0', '1', 'true', 'false'] } as const;

/** True for a query flag that is on. */
export function flagOn(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}

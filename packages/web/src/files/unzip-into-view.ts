/**
 * Extracting a zip file of a view into a folder of the same view, zip-slip safe: the central
 * directory is read and every name checked first (absolute names, `..` that climbs out, hidden
 * names and control characters refuse the whole archive before anything is written), entry count
 * and total size are bounded, and every entry is written through the view (quota, temporary name,
 * no overwriting).
 * @packageDocumentation
 */
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { FileAccessError, InvalidInputError, type FileView } from '@migrid/core';
import { displayPath } from './file-json.js';

/** Most entries extracted from one archive. */
export const MAX_UNZIP_ENTRIES = 100_000;
/** Most bytes extracted from one archive (the quota applies as well). */
export const MAX_UNZIP_BYTES = 64 * 1024 ** 3;

class ViewReader extends yauzl.RandomAccessReader {
  constructor(private readonly view: FileView, private readonly path: string) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    if (end <= start) {
      out.end();
      return out;
    }
    this.view.createReadStream(this.path, { start, end: end - 1 }).then(
      (s) => {
        s.on('error', (err) => out.destroy(err));
        s.pipe(out);
      },
      (err: unknown) => out.destroy(err as Error),
    );
    return out;
  }
}

interface Planned {
  readonly entry: yauzl.Entry;
  /** Components below the target folder. */
  readonly parts: readonly string[];
  readonly directory: boolean;
}

function slip(name: string): FileAccessError {
  return new FileAccessError('MIG_E_PATH_ESCAPE', `The archive holds the entry ${JSON.stringify(name.slice(0, 200))}, which would land outside the target folder; nothing was extracted.`);
}

/** Components of an entry name, or an error when it is absolute or climbs out. */
function entryParts(raw: string): string[] {
  const name = raw.replace(/\\/g, '/');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw slip(raw);
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw slip(raw);
      out.pop();
      continue;
    }
    out.push(part);
  }
  return out;
}

function openZip(view: FileView, path: string, size: number): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false: names are checked here (yauzl's own check would only say "invalid").
    yauzl.fromRandomAccessReader(new ViewReader(view, path), size, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (err, zip) => {
      if (err !== null) reject(new InvalidInputError(`${JSON.stringify(path)} is not a readable zip file (${err.message}).`));
      else resolve(zip);
    });
  });
}

function decodeName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  // Bit 11: UTF-8 names; otherwise CP437, of which the ASCII part is what matters for the checks.
  return (entry.generalPurposeBitFlag & 0x800) !== 0 ? raw.toString('utf8') : raw.toString('latin1');
}

async function plan(zip: yauzl.ZipFile): Promise<Planned[]> {
  const planned: Planned[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      try {
        const name = decodeName(entry);
        const parts = entryParts(name);
        if (/[\u0000-\u001f\u007f]/.test(name)) throw new FileAccessError('MIG_E_PATH_INVALID', 'The archive holds an entry name with control characters; nothing was extracted.');
        const isLink = ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
        if (parts.length > 0 && !isLink) planned.push({ entry, parts, directory: name.endsWith('/') });
        total += entry.uncompressedSize;
        if (planned.length > MAX_UNZIP_ENTRIES || total > MAX_UNZIP_BYTES) {
          throw new InvalidInputError(`The archive is too big to extract here (at most ${MAX_UNZIP_ENTRIES} entries and ${MAX_UNZIP_BYTES} bytes).`, { code: 'MIG_E_TOO_LARGE' });
        }
        zip.readEntry();
      } catch (err) {
        reject(err as Error);
      }
    });
    zip.on('end', () => resolve());
    zip.on('error', (err: Error) => reject(new InvalidInputError(`The zip file is damaged (${err.message}).`)));
    zip.readEntry();
  });
  return planned;
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err !== null ? reject(new InvalidInputError(`The zip file is damaged (${err.message}).`)) : resolve(stream)));
  });
}

/** Extracts the zip file `path` into the folder `to` (created if missing); returns the entries written. */
export async function unzipIntoView(view: FileView, path: string, to: string): Promise<number> {
  const info = await view.stat(path);
  if (info.type !== 'file') throw new InvalidInputError(`${JSON.stringify(path)} is not a zip file.`);
  const zip = await openZip(view, path, info.size);
  try {
    const planned = await plan(zip);
    const base = displayPath(to);
    const target = (parts: readonly string[]): string => displayPath(`${base}/${parts.join('/')}`);
    // Every name must be a valid view path (hidden names, lengths) before anything is written.
    for (const p of planned) {
      const t = target(p.parts);
      if (!t.startsWith(base === '/' ? '/' : `${base}/`)) throw slip(p.parts.join('/'));
    }
    await view.mkdir(base, { recursive: true });
    let written = 0;
    const made = new Set<string>([base]);
    const ensureDir = async (dir: string): Promise<void> => {
      if (made.has(dir)) return;
      await view.mkdir(dir, { recursive: true });
      made.add(dir);
    };
    for (const p of planned) {
      const t = target(p.parts);
      if (p.directory) {
        await ensureDir(t);
        written += 1;
        continue;
      }
      await ensureDir(t.slice(0, t.lastIndexOf('/')) || '/');
      const source = await openEntry(zip, p.entry);
      const out = await view.createWriteStream(t, { overwrite: false });
      await pipeline(source, out);
      written += 1;
    }
    return written;
  } finally {
    zip.close();
  }
}

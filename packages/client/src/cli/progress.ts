/**
 * Progress bars for transfers (cli-progress), shown only on a terminal; silent otherwise so
 * scripts and logs get clean output.
 * @packageDocumentation
 */
import cliProgress from 'cli-progress';
import { formatBytes } from './format.js';

/** A transfer's progress display. */
export interface Progress {
  /** Sets the total bytes (and files, for multi-file transfers). */
  start(totalBytes: number, files?: number): void;
  /** Adds bytes done. */
  add(bytes: number): void;
  /** Counts a finished file. */
  fileDone(): void;
  stop(): void;
}

const SILENT: Progress = { start: () => undefined, add: () => undefined, fileDone: () => undefined, stop: () => undefined };

/** A bar on `stream` when it is a terminal, else a silent stand-in. */
export function createProgress(label: string, stream: NodeJS.WriteStream, enabled: boolean): Progress {
  if (!enabled || stream.isTTY !== true) return SILENT;
  let done = 0;
  let files = 0;
  let fileTotal = 0;
  let total = 0;
  let running = false;
  const started = Date.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: false,
      format: (options, params, payload: { text?: string }) => {
        const width = options.barsize ?? 30;
        const filled = Math.round(params.progress * width);
        return `${label} [${'#'.repeat(filled)}${'-'.repeat(Math.max(0, width - filled))}] ${Math.floor(params.progress * 100)}% ${payload.text ?? ''}`;
      },
      barsize: 30,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const text = (): string => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const count = fileTotal > 1 ? ` | ${files}/${fileTotal} files` : '';
    return `${formatBytes(done)}/${formatBytes(total)} | ${formatBytes(done / seconds)}/s${count}`;
  };
  return {
    start(totalBytes, fileCount = 1) {
      total = totalBytes;
      fileTotal = fileCount;
      running = true;
      bar.start(Math.max(1, totalBytes), 0, { text: text() });
    },
    add(bytes) {
      done += bytes;
      bar.update(Math.min(done, Math.max(1, total)), { text: text() });
    },
    fileDone() {
      files += 1;
      bar.update(Math.min(done, Math.max(1, total)), { text: text() });
    },
    stop() {
      if (!running) return;
      running = false;
      bar.update(Math.min(done, Math.max(1, total)), { text: text() });
      bar.stop();
    },
  };
}

/**
 * Helpers for browser tests: headless Chromium (Debian's `/usr/bin/chromium`, driven by
 * playwright-core), screenshots of failing steps into a temp folder, and reading the emails the
 * log notifier wrote.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian's `chromium` package puts the browser (`.ci/run` installs it). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** True when the browser is installed (tests skip with a reason otherwise). */
export const haveChromium = existsSync(CHROMIUM_PATH);

/** Starts headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** Takes screenshots of pages when a step fails, into one temp folder per run (never the repo). */
export class FailureShots {
  #dir: string | undefined;

  /** Saves a full-page screenshot of each page, named after the step; returns the files written. */
  async take(step: string, pages: Record<string, Page | undefined>): Promise<string[]> {
    this.#dir ??= await mkdtemp(join(tmpdir(), 'mig-e2e-shots-'));
    const written: string[] = [];
    const safe = step.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 80);
    for (const [who, page] of Object.entries(pages)) {
      if (page === undefined || page.isClosed()) continue;
      const file = join(this.#dir, `${safe}-${who}.png`);
      try {
        await page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
        written.push(file);
      } catch {
        // A crashed page cannot be photographed; the failure itself is what matters.
      }
    }
    return written;
  }
}

/** One email as the log notifier wrote it (one JSON line each). */
export interface LoggedMail {
  readonly at: string;
  readonly topic?: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

/** Reads every email in the log notifier's file (empty when none was sent yet). */
export async function readMailLog(file: string): Promise<LoggedMail[]> {
  if (!existsSync(file)) return [];
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LoggedMail);
}

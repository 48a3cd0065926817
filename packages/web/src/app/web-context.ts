/**
 * What every route module of the web app receives.
 * @packageDocumentation
 */
import type { GridDispatcher, Site } from '@migrid/core';
import type { LayoutSite } from '../html/layout.js';

/** Shared by the route modules. */
export interface WebContext {
  readonly site: Site;
  /** The site title and anything else the page frame needs. */
  readonly layout: LayoutSite;
  /** Clock (epoch ms); tests may replace it. */
  readonly now: () => number;
  /** The site's public base URL, e.g. `https://mig.example.org:8443` (for links in emails). */
  readonly baseUrl: string;
  /** The grid engine, when it runs in this process (agent API, job sessions, submission hints). */
  readonly grid?: GridDispatcher | undefined;
}

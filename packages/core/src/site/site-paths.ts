import { join } from 'node:path';
import type { SiteConfig } from '../config/index.js';

/** Where a site keeps its state on disk (DESIGN.md §5). All absolute. */
export interface SitePaths {
  /** The state folder (`[site] state_dir`). */
  readonly stateDir: string;
  /** Users' homes: `<state>/user_home/<user id>/`. */
  readonly userHome: string;
  /** Homes of deleted users, kept for recovery: `<state>/deleted_homes/`. */
  readonly deletedHomes: string;
  /** VGrid shares: `<state>/vgrid_files_home/<vgrid>/`. */
  readonly vgridFilesHome: string;
  /** VGrid private web folders: `<state>/vgrid_private_base/<vgrid>/`. */
  readonly vgridPrivateBase: string;
  /** VGrid public web folders: `<state>/vgrid_public_base/<vgrid>/`. */
  readonly vgridPublicBase: string;
  /** Folders of removed VGrids, kept for recovery: `<state>/vgrid_removed/<name>-<time>/`. */
  readonly vgridRemoved: string;
  /** Archives: `<state>/freeze_home/<archive id>/`. */
  readonly freezeHome: string;
  /** Certificates: CA and host certificate. */
  readonly certDir: string;
  /** Log folder. */
  readonly logDir: string;
  /** The auth log fail2ban reads. */
  readonly authLog: string;
  /** The audit log (JSON lines; the database holds the same records). */
  readonly auditLog: string;
  /** The site's secret key (32 random bytes, mode 0600): `<state>/secret.key`. */
  readonly secretKey: string;
  /** Where the log notifier writes messages when no mail server is configured: `<log dir>/mail.log`. */
  readonly mailLog: string;
}

/** Derives the site's paths from its config. */
export function sitePaths(config: SiteConfig): SitePaths {
  const stateDir = config.site.state_dir;
  return {
    stateDir,
    userHome: join(stateDir, 'user_home'),
    deletedHomes: join(stateDir, 'deleted_homes'),
    vgridFilesHome: join(stateDir, 'vgrid_files_home'),
    vgridPrivateBase: join(stateDir, 'vgrid_private_base'),
    vgridPublicBase: join(stateDir, 'vgrid_public_base'),
    vgridRemoved: join(stateDir, 'vgrid_removed'),
    freezeHome: join(stateDir, 'freeze_home'),
    certDir: config.site.cert_dir,
    logDir: config.logging.dir,
    authLog: join(config.logging.dir, config.logging.auth_log),
    auditLog: join(config.logging.dir, config.logging.audit_log),
    secretKey: join(stateDir, 'secret.key'),
    mailLog: join(config.logging.dir, 'mail.log'),
  };
}

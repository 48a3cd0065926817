/** What changed. `moved` is a rename inside one root; a move across roots is `deleted` + `created`. */
export type FileEventType = 'created' | 'modified' | 'deleted' | 'moved' | 'dir-created';

/**
 * A change made through a view, for trigger rules and the audit log.
 *
 * Paths are given twice: relative to the root (`path`, what a VGrid's trigger rules match, the same
 * whoever's view made the change) and as the acting view saw them (`viewPath`).
 */
export interface FileEvent {
  readonly type: FileEventType;
  /** The id of the root that changed (e.g. `home:<user id>`, `vgrid:Physics`). */
  readonly rootId: string;
  /** Root-relative path, always starting with `/`, with symlinks on the way resolved. */
  readonly path: string;
  /** For `moved`: the root-relative destination. */
  readonly toPath?: string;
  /** The normalised virtual path in the acting view. */
  readonly viewPath: string;
  /** For `moved`: the destination's virtual path in the acting view. */
  readonly toViewPath?: string;
}

/**
 * Receives {@link FileEvent}s after the change is done. It is called synchronously and must not
 * throw; errors (and rejected promises) are swallowed, because a listener failing must not turn a
 * completed write into a reported failure. Listeners handle their own errors.
 */
export type FileEventListener = (event: FileEvent) => void | Promise<void>;

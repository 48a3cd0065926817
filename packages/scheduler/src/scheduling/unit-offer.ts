/**
 * What one execution unit of a resource offers when it asks for work.
 * @packageDocumentation
 */

/**
 * The job types a unit accepts (MiG's resource `JOBTYPE`): `all` accepts every job, `bulk`
 * accepts bulk and batch jobs, the others accept only jobs of their own type.
 */
export type UnitJobType = 'batch' | 'interactive' | 'bulk' | 'all';

/**
 * One execution unit asking for a job: MiG's resource configuration overlaid with the values of
 * the request (`cpuTime`, `nodeCount`), as the scheduler needs them. The caller builds it from the
 * resource record; the scheduler never reads configuration files.
 *
 * @example
 * ```ts
 * const offer: UnitOffer = {
 *   resourceId: 'cluster.example.org.0', unitName: 'exe0', publicName: 'cluster.example.org.0_exe0',
 *   architecture: 'AMD64', platform: '', jobType: 'batch', sandbox: false,
 *   cpuCount: 16, nodeCount: 1, cpuTime: 3600, memory: 65536, disk: 100,
 *   runtimeEnvironments: ['PYTHON3'], vgrids: ['Generic'],
 * };
 * ```
 */
export interface UnitOffer {
  /** The resource's unique id (MiG's `unique_resource_name`). */
  readonly resourceId: string;
  /** The execution unit's name within the resource. */
  readonly unitName: string;
  /**
   * The name job `RESOURCE` patterns are matched against: MiG matches the public form of
   * `<resource>_<unit>` (an anonymous hash unless the resource is not anonymous).
   */
  readonly publicName: string;
  /** CPU architecture of the unit's nodes (e.g. `AMD64`). */
  readonly architecture: string;
  /** Platform label (`''` when none); compared without regard to case. */
  readonly platform: string;
  /** Which jobs the unit accepts. */
  readonly jobType: UnitJobType;
  /** Whether the unit is an untrusted sandbox (only jobs that allow sandboxes run there). */
  readonly sandbox: boolean;
  /** CPU cores per node. */
  readonly cpuCount: number;
  /** Nodes the unit offers for one job. */
  readonly nodeCount: number;
  /** Seconds the unit offers for one job. */
  readonly cpuTime: number;
  /** Memory per node in megabytes. */
  readonly memory: number;
  /** Disk per node in gigabytes. */
  readonly disk: number;
  /** Names of the runtime environments the unit provides (compared upper-cased). */
  readonly runtimeEnvironments: readonly string[];
  /** VGrids the unit serves, already expanded by the caller to include the ones that inherit it. */
  readonly vgrids: readonly string[];
  /**
   * MiG's MINPRICE expression. Accepted for completeness; the built-in policies do not rank by
   * price (with MiG's default prices, 0 and 0, every fitting unit qualifies).
   */
  readonly minPrice?: string;
}

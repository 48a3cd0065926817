/**
 * The registration-time check MiG's `confparser.run` makes of a resource's provided runtime
 * environments against their definitions.
 * @packageDocumentation
 */
import type { RuntimeEnvironment } from '../runtime-envs/runtime-environment.js';
import type { ResourceConfig } from './resource-config.js';
import { ResourceConfigError, type ResourceProblem } from './resource-config-error.js';

/**
 * Checks that every runtime environment a resource provides exists and that the resource gives a
 * value for exactly the variables the runtime environment defines (no missing, no extra), as MiG
 * does when it saves a resource configuration.
 *
 * `lookup` returns the stored definition of an (upper-case) runtime environment name, or
 * `undefined` when there is none. It is called once per provided runtime environment.
 *
 * @throws {@link ResourceConfigError} `MIG_E_RESOURCE_CONFIG_INVALID` listing every problem
 *   (keyword RUNTIMEENVIRONMENT, path `RUNTIMEENVIRONMENT[i]`).
 *
 * @example
 * ```ts
 * const known = new Map([['PYTHON-3', pythonRe]]);
 * checkProvidedRuntimeEnvironments(cfg, (name) => known.get(name));
 * ```
 */
export function checkProvidedRuntimeEnvironments(
  cfg: ResourceConfig,
  lookup: (name: string) => RuntimeEnvironment | undefined,
): void {
  const problems: ResourceProblem[] = [];
  cfg.RUNTIMEENVIRONMENT.forEach((provided, index) => {
    const path = `RUNTIMEENVIRONMENT[${index}]`;
    const add = (message: string): void => {
      problems.push({ path, keyword: 'RUNTIMEENVIRONMENT', message });
    };
    const definition = lookup(provided.name);
    if (definition === undefined) {
      add(`runtime environment ${provided.name} does not exist on this site; create it first or remove it from the configuration`);
      return;
    }
    const required = definition.ENVIRONMENTVARIABLE.map((v) => v.name);
    const given = provided.variables.map((v) => v.name);
    const missing = required.filter((name) => !given.includes(name));
    const extra = given.filter((name) => !required.includes(name));
    if (missing.length > 0) {
      add(`runtime environment ${provided.name} needs a value for ${missing.join(', ')}; add a line NAME=value for each under 'name: ${provided.name}'`);
    }
    if (extra.length > 0) {
      add(`runtime environment ${provided.name} defines no variable ${extra.join(', ')}; remove ${extra.length === 1 ? 'that line' : 'those lines'}`);
    }
  });
  if (problems.length > 0) throw new ResourceConfigError(problems);
}

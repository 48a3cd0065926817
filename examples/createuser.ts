/**
 * Programmatic createuser: adds a user to a MiG site through the public API of `@migrid/core`
 * only, as another Node application would.
 *
 *   npx tsx examples/createuser.ts --email jane@example.org --name "Jane Doe" \
 *       --organization "Niels Bohr Institute" --country DK [--config ./mig.toml]
 *
 * The password is read from the MIG_PASSWORD environment variable, or generated to meet the
 * site's policy and printed once. Without --config (and MIG_CONF / ./mig.toml) it refuses, so it
 * never invents a site by accident.
 */
import { parseArgs } from 'node:util';
import { findConfigFile, generatePassword, isMigError, loadConfig, openSite } from '@migrid/core';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    organization: { type: 'string' },
    country: { type: 'string' },
    state: { type: 'string', default: '' },
    comment: { type: 'string', default: 'created by examples/createuser.ts' },
  },
});

const config = await loadConfig(await findConfigFile({ explicitPath: values.config, env: process.env, cwd: process.cwd() }));
const site = await openSite(config, { service: 'example-createuser' });
try {
  const generated = process.env.MIG_PASSWORD === undefined;
  const password = process.env.MIG_PASSWORD ?? generatePassword(config.accounts.password_policy);
  const user = await site.users.create({
    email: values.email ?? '',
    fullName: values.name ?? '',
    organization: values.organization ?? '',
    country: values.country ?? '',
    state: values.state ?? '',
    comment: values.comment ?? '',
    password,
  });
  console.log(JSON.stringify({ id: user.id, email: user.email, dn: user.dn, status: user.status, expiresAt: user.expiresAt }));
  if (generated) console.log(`password: ${password}`);
} catch (err) {
  // MigErrors carry a stable code and a message that says what to fix.
  if (isMigError(err)) {
    console.error(`${err.code}: ${err.message}`);
    process.exitCode = 1;
  } else {
    throw err;
  }
} finally {
  await site.close();
}

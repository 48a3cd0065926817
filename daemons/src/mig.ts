#!/usr/bin/env node
/**
 * `mig`: the site admin's command. Wiring only; the work is done by the @migrid packages.
 */
import { runCli } from './cli/program.js';

process.exitCode = await runCli(process.argv);

#!/usr/bin/env node
/**
 * `grid_script`: the grid engine of a MiG site (job queue, scheduling, dispatch), as its own
 * process. `grid_web` processes reach it through its socket (`[scheduler] socket_file`).
 */
import { daemonMain } from '../daemon-main.js';
import { gridScriptService } from '../services/grid-script.js';

process.exitCode = await daemonMain(gridScriptService);

#!/usr/bin/env node
/** `grid_web`: the HTTPS portal and JSON API of a MiG site, as its own process. */
import { daemonMain } from '../daemon-main.js';
import { webService } from '../services/web.js';

process.exitCode = await daemonMain(webService);

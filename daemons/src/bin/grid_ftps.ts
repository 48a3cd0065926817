#!/usr/bin/env node
/** `grid_ftps`: the FTPS server of a MiG site, as its own process. */
import { daemonMain } from '../daemon-main.js';
import { ftpsService } from '../services/ftp-service.js';

process.exitCode = await daemonMain(ftpsService);

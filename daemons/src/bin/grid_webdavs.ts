#!/usr/bin/env node
/** `grid_webdavs`: the WebDAVS server of a MiG site, as its own process. */
import { daemonMain } from '../daemon-main.js';
import { webdavsService } from '../services/webdavs.js';

process.exitCode = await daemonMain(webdavsService);

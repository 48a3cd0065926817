#!/usr/bin/env node
/** `grid_sftp`: the SFTP server of a MiG site, as its own process. */
import { daemonMain } from '../daemon-main.js';
import { sftpService } from '../services/sftp.js';

process.exitCode = await daemonMain(sftpService);

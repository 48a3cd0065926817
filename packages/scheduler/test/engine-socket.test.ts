/**
 * grid_script's socket: a web server in another process drives the one grid engine through it.
 * Calls, errors and sessions cross it intact; a second engine for the site is refused, a stale
 * socket of a crashed one is replaced, hostile clients are answered or cut off without harm, and
 * a web server whose engine is down answers MIG_E_GRID_UNAVAILABLE until it is back.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { lstat, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl, type UnitCapacity } from '@migrid/core';
import { EngineSocketServer, GridEngine, RemoteGridDispatcher } from '@migrid/scheduler';
import { codeOf } from '../../../test/support/errors.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';

const CAPACITY: UnitCapacity = { cpuTimeSeconds: 3600, nodeCount: 1, cpuCount: 1, memoryMb: 1024, diskGb: 10 };

/** Sends raw bytes and collects what comes back until the server closes or `ms` pass. */
function raw(path: string, bytes: string | Buffer, ms = 1500): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const socket = connect(path);
    let text = '';
    let closedByServer = false;
    const timer = setTimeout(() => {
      socket.destroy();
      resolvePromise({ text, closedByServer });
    }, ms);
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('close', () => {
      closedByServer = true;
      clearTimeout(timer);
      resolvePromise({ text, closedByServer });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      reject(err);
    });
    socket.write(bytes);
  });
}

describe('grid_script socket', () => {
  let t: TestSite;
  let engine: GridEngine;
  let door: EngineSocketServer;
  let remote: RemoteGridDispatcher;
  let socketPath: string;
  let ownerId: string;

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    socketPath = t.site.config.scheduler.socket_file;
    engine = new GridEngine({ site: t.site, siteUrl: 'https://localhost:8443', sweepIntervalMs: 60_000 });
    await engine.start();
    door = new EngineSocketServer({ site: t.site, engine, socketPath });
    await door.listen();
    remote = new RemoteGridDispatcher({ site: t.site, socketPath, callTimeoutMs: 10_000 });
    ownerId = (await createTestUser(t.site)).user.id;
  }, 60_000);
  afterAll(async () => {
    remote?.close();
    await door?.close();
    await engine?.stop();
    await t?.close();
  });

  it('lives in the state folder by default, open to its owner only', async () => {
    expect(socketPath).toBe(join(t.site.config.site.state_dir, 'grid_script.sock'));
    const info = await lstat(socketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('hands out a job, opens and completes its session through the socket', async () => {
    const { resource } = await t.site.resources.add({ name: 'sock1', ownerId, units: 1 });
    const submitted = await t.site.jobs.submit({ ownerId, spec: parseMrsl('::EXECUTE::\necho hi\n') });
    remote.jobChanged(submitted);
    let answer = await remote.requestWork({ resource, unit: 'exe0', capacity: CAPACITY, running: [] });
    for (let i = 0; i < 20 && answer.job === null; i++) {
      // jobChanged is a hint that may arrive after the first ask.
      await new Promise((r) => setTimeout(r, 50));
      answer = await remote.requestWork({ resource, unit: 'exe0', capacity: CAPACITY, running: [] });
    }
    expect(answer.job?.id).toBe(submitted.id);
    expect(answer.job?.script).toContain('#!/bin/sh');
    const sessionId = answer.job?.sessionId ?? '';
    const session = await remote.openSession(sessionId);
    expect(session?.job.id).toBe(submitted.id);
    expect(session?.job.state).toBe('EXECUTING');
    // The session's view is the owner's home, made in this process.
    expect((await session?.view.stat('/'))?.type).toBe('directory');
    expect(await remote.openSession('0'.repeat(64))).toBeUndefined();
    const beat = await remote.heartbeat({ resource, unit: 'exe0', running: [submitted.id] });
    expect(beat.cancel).toEqual([]);
    const finished = await remote.completeSession(sessionId);
    expect(finished.state).toBe('FINISHED');
    expect((await t.site.jobs.get(submitted.id)).state).toBe('FINISHED');
    expect(await codeOf(remote.completeSession(sessionId))).toBe('MIG_E_NOT_FOUND');
  });

  it('carries the engine\'s errors across with their codes', async () => {
    const { resource } = await t.site.resources.add({ name: 'sock2', ownerId, units: 1 });
    expect(await codeOf(remote.requestWork({ resource, unit: 'nope', capacity: CAPACITY, running: [] }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(remote.requestWork({ resource: { ...resource, id: 'ghost' }, unit: 'exe0', capacity: CAPACITY, running: [] }))).toBe('MIG_E_RESOURCE_NOT_FOUND');
    expect(await codeOf(remote.requestWork({ resource, unit: 'exe0', capacity: { ...CAPACITY, cpuCount: -1 }, running: [] }))).toBe('MIG_E_INVALID_INPUT');
    expect(await codeOf(remote.reportFailure({ resource, jobId: 'x', sessionId: 'y', reason: 'z' }))).toBe('MIG_E_NOT_FOUND');
  });

  it('answers feasibility questions across the socket, and refuses a malformed job', async () => {
    await t.site.resources.add({ name: 'sock3', ownerId, units: 1 });
    const fits = await remote.feasibility(parseMrsl('::EXECUTE::\ntrue\n'), ownerId);
    expect(fits.runnable).toBeGreaterThan(0);
    const tooBig = await remote.feasibility(parseMrsl('::EXECUTE::\ntrue\n\n::MEMORY::\n99999999\n'), ownerId);
    expect(tooBig.runnable).toBe(0);
    expect(JSON.stringify(tooBig)).toContain('MEMORY');
    const bad = await raw(socketPath, `${JSON.stringify({ id: 9, method: 'feasibility', params: { spec: { EXECUTE: 'not a list', NOSUCH: 1 }, ownerId } })}\n`);
    expect(JSON.parse(bad.text)).toMatchObject({ id: 9, error: { code: 'MIG_E_MRSL_INVALID' } });
  });

  it('refuses a second engine for the site while the first serves', async () => {
    const second = new EngineSocketServer({ site: t.site, engine, socketPath });
    expect(await codeOf(second.listen())).toBe('MIG_E_ENGINE_RUNNING');
    // The first still serves.
    expect(await remote.openSession('1'.repeat(64))).toBeUndefined();
  });

  it('answers garbage with an error naming the problem, cuts off oversized lines, and keeps serving', async () => {
    const notJson = await raw(socketPath, 'hello\n');
    expect(notJson.text).toContain('MIG_E_INVALID_INPUT');
    const unknown = await raw(socketPath, `${JSON.stringify({ id: 7, method: 'rm -rf', params: {} })}\n`);
    expect(JSON.parse(unknown.text)).toMatchObject({ id: 7, error: { code: 'MIG_E_INVALID_INPUT' } });
    expect(unknown.text).toContain('Unknown call');
    const badParams = await raw(socketPath, `${JSON.stringify({ id: 8, method: 'openSession', params: { sessionId: 'x'.repeat(10_000) } })}\n`);
    expect(JSON.parse(badParams.text)).toMatchObject({ id: 8, error: { code: 'MIG_E_INVALID_INPUT' } });
    const huge = await raw(socketPath, Buffer.alloc(33 * 1024 * 1024, 0x41), 10_000);
    expect(huge.closedByServer).toBe(true);
    expect(huge.text).toBe('');
    expect(await remote.openSession('2'.repeat(64))).toBeUndefined();
  }, 30_000);

  it('refuses a socket path longer than the kernel allows, and a path that is not a socket', async () => {
    const long = join(tmpdir(), 'x'.repeat(120), 'grid_script.sock');
    expect(await codeOf(new EngineSocketServer({ site: t.site, engine, socketPath: long }).listen())).toBe('MIG_E_INVALID_INPUT');
    expect(() => new RemoteGridDispatcher({ site: t.site, socketPath: long })).toThrow(/allow 107/);
    expect(await codeOf(new EngineSocketServer({ site: t.site, engine, socketPath: t.site.config.database.sqlite_file }).listen())).toBe('MIG_E_INVALID_INPUT');
  });
});

describe('grid_script socket, engine down and back', () => {
  let t: TestSite;
  let dir: string;
  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    dir = await mkdtemp(join(tmpdir(), 'mig-sock-'));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers MIG_E_GRID_UNAVAILABLE while no engine runs, reconnects when one does, and replaces a crashed engine\'s stale socket', async () => {
    const socketPath = join(dir, 'engine.sock');
    const remote = new RemoteGridDispatcher({ site: t.site, socketPath, callTimeoutMs: 5000 });
    try {
      expect(await codeOf(remote.openSession('3'.repeat(64)))).toBe('MIG_E_GRID_UNAVAILABLE');
      // A crashed engine: its process died (kill -9) and left the socket file behind.
      await new Promise<void>((resolvePromise, reject) => {
        const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`]);
        child.on('exit', () => resolvePromise());
        child.on('error', reject);
      });
      expect((await lstat(socketPath)).isSocket()).toBe(true);
      expect(await codeOf(remote.openSession('3'.repeat(64)))).toBe('MIG_E_GRID_UNAVAILABLE');
      const engine = new GridEngine({ site: t.site, siteUrl: 'https://localhost:8443', sweepIntervalMs: 60_000 });
      await engine.start();
      const door = new EngineSocketServer({ site: t.site, engine, socketPath });
      await door.listen();
      try {
        expect(await remote.openSession('3'.repeat(64))).toBeUndefined();
        // The engine stops: calls fail cleanly, and work again when it is back.
        await door.close();
        await expect(lstat(socketPath)).rejects.toThrow();
        expect(await codeOf(remote.openSession('3'.repeat(64)))).toBe('MIG_E_GRID_UNAVAILABLE');
        await door.listen();
        expect(await remote.openSession('3'.repeat(64))).toBeUndefined();
      } finally {
        await door.close();
        await engine.stop();
      }
    } finally {
      remote.close();
    }
  }, 30_000);
});

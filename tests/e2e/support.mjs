// Shared harness of the end-to-end tests: starts the demo app on free ports with a fresh database
// and store folder, launches headless Chromium, makes test files, checks bytes by SHA-256.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync, truncateSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

let scratch;
/**
 * A fresh folder for a test's files (its demo's database and store, generated uploads), inside one
 * folder per test process that is removed when the process exits: runs leave nothing in /tmp.
 */
export function scratchDir(prefix) {
  if (!scratch) {
    scratch = mkdtempSync(join(tmpdir(), 'joist-e2e-run-'));
    process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  }
  return mkdtempSync(join(scratch, prefix));
}

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshots = join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'e2e-screenshots');
mkdirSync(screenshots, { recursive: true });

export const demoBinary = process.env.JOIST_DEMO_BIN
  ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'joist-demo-cli');

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function waitForHttp(url, child, log) {
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) throw new Error(`the demo exited early:\n${log.join('')}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch { /* not up yet */ }
    await new Promise((next) => setTimeout(next, 100));
  }
  throw new Error(`the demo did not answer ${url}:\n${log.join('')}`);
}

/** Starts `store` (garage or ministack) with its script and answers the environment it printed. */
function startStore(store, dir) {
  const output = execFileSync(join(repo, 'scripts', store), ['start', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return Object.fromEntries(output.split('\n').filter((line) => line.startsWith('export ')).map((line) => line.slice(7).split('=')));
}

/** Runs the demo binary with `env` over this process's environment; a `null` value unsets. */
function runDemo(args, env) {
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter(([, value]) => value != null));
  return spawn(demoBinary, args, { cwd: join(repo, 'examples/demo'), env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Starts the demo on free ports with a fresh SQLite database, against `store`: `embedded` (the
 * development config and its embedded S3 endpoint, on a fresh folder) or `garage` (a fresh
 * single-node Garage, the `s3` config, and the bucket CORS rule applied with `joist:cors`) or
 * `ministack` (a fresh MiniStack with S3, STS and IAM, the `s3` config, no CORS rule).
 * `env(garage)` (async or not) is laid over the demo's environment (given Garage's, for `garage`;
 * `null` unsets); `cors: false` skips the CORS rule. Returns its base URL, the embedded store's
 * folder, Garage's environment and a stop function.
 */
export async function startDemo(store = 'embedded', { faults, env: extra = () => ({}), cors: applyCors = true } = {}) {
  const work = scratchDir('demo-');
  const [port, storePort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const storeRoot = join(work, 'store');
  let env = {
    PORT: String(port),
    DATABASE_URL: `sqlite://${join(work, 'demo.sqlite')}?mode=rwc`,
    JOIST_DEV_ENDPOINT_BIND: `127.0.0.1:${storePort}`,
    JOIST_DEV_ENDPOINT_ROOT: storeRoot,
  };
  const proxy = faults ? await startFaultProxy(storePort, faults) : undefined;
  if (proxy) env.JOIST_PUBLIC_ENDPOINT = proxy.url;
  let garageDir;
  let garage;
  if (store !== 'embedded') {
    garageDir = join(work, store);
    garage = startStore(store, garageDir);
    env = { ...env, ...garage, LOCO_ENV: 's3', APP_HOST: url };
  }
  env = { ...env, ...(await extra(garage)) };
  if (store === 'garage' && applyCors) {
    const cors = runDemo(['task', 'joist:cors', `origins:${url}`, 'apply:true'], env);
    const output = [];
    cors.stdout.on('data', (chunk) => output.push(chunk.toString()));
    cors.stderr.on('data', (chunk) => output.push(chunk.toString()));
    const code = await new Promise((done) => cors.once('exit', done));
    if (code !== 0) throw new Error(`joist:cors failed:\n${output.join('')}`);
  }
  const log = [];
  let child;
  const boot = async () => {
    child = runDemo(['start'], env);
    child.stdout.on('data', (chunk) => log.push(chunk.toString()));
    child.stderr.on('data', (chunk) => log.push(chunk.toString()));
    await waitForHttp(`${url}/_ping`, child, log);
  };
  const halt = async (signal) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', done));
    child.kill(signal);
    await exited;
  };
  await boot();
  return {
    url,
    store,
    storeRoot,
    database: join(work, 'demo.sqlite'),
    garage,
    env,
    log,
    proxy,
    /** Kills the app with SIGKILL: no shutdown, whatever it was doing. */
    kill: () => halt('SIGKILL'),
    /** Starts the app again on the same port, database and store. */
    restart: boot,
    stop: async () => {
      proxy?.close();
      await halt('SIGTERM');
      if (garageDir) execFileSync(join(repo, 'scripts', store), ['stop', garageDir]);
    },
  };
}

/**
 * A TCP proxy to the store on `upstreamPort` that drops every `dropEvery`-th connection after its
 * request starts, and cuts the connection carrying the request body each time another
 * `cutEveryBytes` went through: requests fail the way flaky networks fail them.
 */
export async function startFaultProxy(upstreamPort, { dropEvery = 0, cutEveryBytes = 0 }) {
  const counts = { connections: 0, dropped: 0, cut: 0 };
  let forwarded = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    counts.connections += 1;
    if (dropEvery && counts.connections % dropEvery === 0) {
      counts.dropped += 1;
      client.once('data', () => client.resetAndDestroy());
      return;
    }
    const upstream = connect(upstreamPort, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('data', (chunk) => {
      const before = forwarded;
      forwarded += chunk.length;
      if (cutEveryBytes && Math.floor(forwarded / cutEveryBytes) > Math.floor(before / cutEveryBytes)) {
        counts.cut += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    counts,
    close: () => { for (const socket of sockets) socket.destroy(); server.close(); },
  };
}

/** Headless Chromium from Debian, with the flags this machine needs. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
}

/** A page that records joist's DOM events in `window.joistEvents`. */
export async function newPage(browser) {
  const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  await page.addInitScript(() => {
    window.joistEvents = [];
    for (const type of ['start', 'progress', 'checking', 'complete', 'error', 'abort']) {
      document.addEventListener(`joist:upload:${type}`, (event) => {
        const { upload, key, message, code, loaded, total, fieldValue } = event.detail ?? {};
        window.joistEvents.push({ type, name: event.detail?.file?.name, upload, key, message, code, loaded, total, fieldValue });
      });
    }
  });
  return page;
}

/** The recorded events of `type` (all when omitted). */
export function events(page, type) {
  return page.evaluate((wanted) => window.joistEvents.filter((event) => !wanted || event.type === wanted), type);
}

/** Waits until `count` uploads completed, failing early on an upload error. */
export async function waitForCompletes(page, count, timeout = 120_000) {
  await page.waitForFunction(
    (wanted) => window.joistEvents.some((event) => event.type === 'error')
      || window.joistEvents.filter((event) => event.type === 'complete').length >= wanted,
    count,
    { timeout },
  );
  const errors = await events(page, 'error');
  if (errors.length) throw new Error(`upload failed: ${JSON.stringify(errors)}`);
}

/** `size` deterministic bytes (seeded). */
export function testBytes(size, seed = 1) {
  const bytes = Buffer.alloc(size);
  let state = (seed * 2654435761) >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/**
 * Writes a file of `size` deterministic bytes (seeded) that are what its name says, as finalize
 * checks: a `.pdf` starts with PDF's magic, a `.txt` is printable ASCII. Answers its path and SHA-256.
 */
export function testFile(name, size, seed = 1) {
  const path = join(scratchDir('file-'), name);
  const bytes = testBytes(size, seed);
  if (name.endsWith('.pdf')) bytes.write('%PDF-1.7\n'.slice(0, size), 0, 'latin1');
  if (name.endsWith('.txt')) for (let i = 0; i < size; i++) bytes[i] = 32 + (bytes[i] % 95);
  writeFileSync(path, bytes);
  return { path, sha256: sha256(bytes), size };
}

/** Polls `check` every 100 ms until it answers something truthy, which it returns. */
export async function until(what, check, timeout = 30_000) {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((next) => setTimeout(next, 100));
  }
}

/** A sparse file of `size` bytes (for "too large" checks; nothing is read). */
export function sparseFile(name, size) {
  const path = join(scratchDir('file-'), name);
  writeFileSync(path, '');
  truncateSync(path, size);
  return path;
}

/** A valid PNG of one pixel of the given grey level. */
export function pngFile(name, grey) {
  const path = join(scratchDir('png-'), name);
  const base = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55', 'hex');
  const idat = Buffer.concat([Buffer.from([0x78, 0x01, 0x01, 0x02, 0x00, 0xfd, 0xff, 0x00, grey]), adler([0x00, grey])]);
  writeFileSync(path, Buffer.concat([base, chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]));
  return path;
}

/** A `width`×`height` RGB PNG with a diagonal gradient from `from` to `to` (each `[r, g, b]`). */
export function gradientPng(name, width, height, from, to) {
  const path = join(scratchDir('png-'), name);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const t = (x + y) / (width + height - 2);
      for (let c = 0; c < 3; c++) rows[row + 1 + x * 3 + c] = Math.round(from[c] + (to[c] - from[c]) * t);
    }
  }
  writeFileSync(path, pngBytes(width, height, 8, 2, rows));
  return path;
}

/** A PNG of `width` × `height` (IHDR's `bitDepth` and `colorType`) whose filtered scanlines are `rows`. */
export function pngBytes(width, height, bitDepth, colorType, rows) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colorType, 0, 0, 0], 8);
  const signature = Buffer.from('89504e470d0a1a0a', 'hex');
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function adler(bytes) {
  let a = 1, b = 0;
  for (const byte of bytes) { a = (a + byte) % 65521; b = (b + a) % 65521; }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(((b << 16) | a) >>> 0);
  return out;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of what a (presigned) URL serves. */
export async function sha256OfUrl(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
  return sha256(Buffer.from(await response.arrayBuffer()));
}

/** The multipart leftovers (part files, upload records) the embedded store holds. */
export function storeLeftovers(storeRoot, uploadId) {
  return readdirSync(storeRoot).filter((name) => name.includes(uploadId));
}

/** POSTs JSON to the demo's joist API. */
export async function api(base, call, body) {
  const response = await fetch(`${base}/api/joist/${call}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * A TCP proxy to `upstream` whose `state.mode` decides what happens to the requests `matches`
 * (given the request's first bytes as text): `pass`, `hold` (never answered) or `refuse`
 * (connection reset). Answers its url, state (with `held` and `refused` counts) and close.
 */
export async function holdingProxy(upstream, matches) {
  const { hostname, port } = new URL(upstream);
  const state = { mode: 'pass', held: 0, refused: 0 };
  const sockets = new Set();
  const server = createServer((client) => {
    sockets.add(client);
    const backend = connect(Number(port), hostname);
    let holding = false;
    client.on('data', (chunk) => {
      if (holding) return;
      if (state.mode !== 'pass' && matches(chunk.toString('latin1'))) {
        if (state.mode === 'hold') {
          holding = true;
          state.held += 1;
        } else {
          state.refused += 1;
          client.resetAndDestroy();
          backend.destroy();
        }
        return;
      }
      backend.write(chunk);
    });
    backend.on('data', (chunk) => { if (!holding) client.write(chunk); });
    const close = () => { client.destroy(); backend.destroy(); sockets.delete(client); };
    client.on('error', close);
    backend.on('error', close);
    client.on('close', close);
    backend.on('close', () => { if (!holding) close(); });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => { for (const socket of sockets) socket.destroy(); server.close(); },
  };
}

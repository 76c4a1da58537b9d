// joist scaled out: two demo instances (separate processes, one PostgreSQL database, the Redis
// queue and limits) behind nginx as the round-robin proxy, against a three-node Garage cluster
// (replication factor 3). 50 uploads from 1 B to 100 MiB alternate instances call by call and
// race their finalizes; one Garage node is killed with SIGKILL mid-run and restarted. Every
// upload is intact by SHA-256 with one finalized outcome; the rate limit is exact across the
// instances; forwarding headers count only from the trusted proxy; a refused body does not
// break a keep-alive connection.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoBinary, freePort, repo, scratchDir, sha256, testBytes, until } from './support.mjs';

const MIB = 1024 * 1024;
const RATE_LIMIT = 60;
const postgres = process.env.JOIST_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisDb = 5;
const ministackPython = join(process.env.MINISTACK_VENV ?? join(process.env.HOME, '.cache/joist-ministack-venv'), 'bin/python');

function exportsOf(output) {
  return Object.fromEntries(output.split('\n').filter((line) => line.startsWith('export ')).map((line) => line.slice(7).split('=')));
}

function psql(database, sql) {
  return execFileSync('psql', [database, '-At', '-c', sql], { encoding: 'utf8' }).trim();
}

async function waitFor(url, child, log) {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`exited early:\n${log.join('')}`);
    try { if ((await fetch(url)).ok) return; } catch { /* not up yet */ }
    await new Promise((next) => setTimeout(next, 100));
  }
  throw new Error(`${url} did not answer:\n${log.join('')}`);
}

/** One HTTP call with a JSON body from `localAddress` (a loopback address of its own: a client of its own). */
function send(base, path, { body, localAddress = '127.0.0.1', agent, headers = {} } = {}) {
  return new Promise((done, fail) => {
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const url = new URL(path, base);
    const call = request(url, { method: 'POST', localAddress, agent, headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const json = (response.headers['content-type'] ?? '').includes('json');
        done({ status: response.statusCode, body: json && text ? JSON.parse(text) : text, headers: response.headers });
      });
    });
    call.on('error', fail);
    call.end(payload);
  });
}

const api = (base, call, body, options = {}) => send(base, `/api/joist/${call}`, { ...options, body });
/** What `instance` logged, without colours. */
const logOf = (instance) => instance.log.join('').replace(/\x1b\[[0-9;]*m/g, '');


async function putWithRetry(part, bytes) {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(part.url, { method: 'PUT', body: bytes, headers: part.headers });
      if (response.ok) return response.headers.get('etag');
      if (attempt === 5) throw new Error(`PUT part ${part.number}: ${response.status} ${await response.text()}`);
    } catch (error) {
      if (attempt === 5) throw error;
    }
    await new Promise((next) => setTimeout(next, 500 * attempt));
  }
}

/** The SHA-256 of every object under `prefix`, read from the cluster with botocore. */
function storedHashes(store) {
  const script = `
import hashlib, json, sys, botocore.session
endpoint, key, secret, bucket = sys.argv[1:5]
s3 = botocore.session.get_session().create_client("s3", endpoint_url=endpoint, region_name="garage", aws_access_key_id=key, aws_secret_access_key=secret,
    config=botocore.config.Config(s3={"addressing_style": "path"}))
out = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="uploads/backup.archive/"):
    for item in page.get("Contents", []):
        body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
        digest = hashlib.sha256()
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
        out[item["Key"]] = digest.hexdigest()
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(ministackPython, ['-c', script, store.JOIST_ENDPOINT_2, store.AWS_ACCESS_KEY_ID, store.AWS_SECRET_ACCESS_KEY, store.JOIST_BUCKET], { encoding: 'utf8', maxBuffer: 1 << 24 }));
}

describe('two instances behind nginx on a three-node Garage cluster', () => {
  const work = scratchDir('cluster-');
  const database = `joist_cluster_${randomBytes(4).toString('hex')}`;
  const databaseUrl = postgres.replace(/\/[^/]*$/, `/${database}`);
  const instances = [];
  let store;
  let nginx;
  let proxy;

  before(async () => {
    store = exportsOf(execFileSync(join(repo, 'scripts/garage-cluster'), ['start', join(work, 'garage')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    psql(postgres, `CREATE DATABASE ${database}`);
    execFileSync('redis-cli', ['-n', String(redisDb), 'FLUSHDB']);
    for (const [index, endpoint] of [store.JOIST_ENDPOINT, store.JOIST_ENDPOINT_2].entries()) {
      const port = await freePort();
      const log = [];
      const env = {
        ...process.env, ...store, LOCO_ENV: 'cluster', PORT: String(port), APP_HOST: `http://127.0.0.1:${port}`,
        DATABASE_URL: databaseUrl, REDIS_URL: `redis://127.0.0.1:6379/${redisDb}`, JOIST_LIMITS_REDIS: `redis://127.0.0.1:6379/${redisDb}`, TRUSTED_PROXY: '127.0.0.1/32',
        JOIST_ENDPOINT: endpoint, JOIST_PREPARE_RATE_LIMIT: String(RATE_LIMIT),
      };
      const child = spawn(demoBinary, ['start', '--server-and-worker'], { cwd: join(repo, 'examples/demo'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (chunk) => log.push(chunk.toString()));
      child.stderr.on('data', (chunk) => log.push(chunk.toString()));
      const url = `http://127.0.0.1:${port}`;
      instances.push({ url, port, child, log, name: `instance ${index + 1}` });
      // one at a time: the first runs the migrations
      await waitFor(`${url}/_ping`, child, log);
    }
    const nginxPort = await freePort();
    for (const folder of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(work, folder));
    writeFileSync(join(work, 'nginx.conf'), `
user root;
worker_processes 1;
daemon off;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log;
events { worker_connections 512; }
http {
  access_log ${work}/nginx-access.log;
  client_body_temp_path ${work}/body; proxy_temp_path ${work}/proxy; fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi; scgi_temp_path ${work}/scgi;
  upstream joist { ${instances.map((instance) => `server 127.0.0.1:${instance.port};`).join(' ')} keepalive 16; }
  server {
    listen 127.0.0.1:${nginxPort};
    client_max_body_size 16m;
    location / {
      proxy_pass http://joist;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      # the client's address, replacing whatever the client claimed
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_next_upstream off;
    }
  }
}
`);
    const log = [];
    nginx = spawn('nginx', ['-p', work, '-c', join(work, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr.on('data', (chunk) => log.push(chunk.toString()));
    proxy = `http://127.0.0.1:${nginxPort}`;
    await waitFor(`${proxy}/_ping`, nginx, log);
  });

  after(async () => {
    nginx?.kill('SIGTERM');
    for (const instance of instances) instance.child.kill('SIGTERM');
    await Promise.all(instances.map((instance) => new Promise((done) => (instance.child.exitCode !== null ? done() : instance.child.once('exit', done)))));
    if (store) execFileSync(join(repo, 'scripts/garage-cluster'), ['stop', join(work, 'garage')]);
    try { psql(postgres, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`); } catch { /* already gone */ }
  });

  it('50 uploads from 1 B to 100 MiB alternate instances and survive a killed Garage node', async () => {
    const sizes = Array.from({ length: 50 }, (_, i) => Math.max(1, Math.round((100 * MIB) ** (i / 49))));
    const expected = new Map();
    const [a, b] = instances;
    let killed = false;
    for (const [i, size] of sizes.entries()) {
      if (i === 15) {
        execFileSync(join(repo, 'scripts/garage-cluster'), ['kill', join(work, 'garage'), '3']);
        killed = true;
      }
      if (i === 35) execFileSync(join(repo, 'scripts/garage-cluster'), ['restart', join(work, 'garage'), '3']);
      const [first, second] = i % 2 ? [b, a] : [a, b];
      const bytes = testBytes(size, i + 1);
      const prepared = await api(first.url, 'prepare', { field: 'backup.archive', filename: `file-${i}.bin`, size, content_type: 'application/octet-stream' }, { localAddress: '127.0.0.2' });
      assert.equal(prepared.status, 201, `${first.name}: ${JSON.stringify(prepared.body)}`);
      const { token, part_size: partSize, part_count: partCount, mode } = prepared.body;
      const parts = [];
      const numbers = Array.from({ length: partCount }, (_, n) => n + 1);
      for (let start = 0; start < numbers.length; start += 4) {
        const window = numbers.slice(start, start + 4);
        const signed = mode === 'single' ? { status: 200, body: prepared.body } : await api(second.url, 'parts', { token, numbers: window });
        assert.equal(signed.status, 200, `${second.name} /parts: ${JSON.stringify(signed.body)}`);
        await Promise.all(signed.body.parts.map(async (part) => {
          const from = (part.number - 1) * partSize;
          parts.push({ number: part.number, etag: await putWithRetry(part, bytes.subarray(from, from + part.size)) });
        }));
      }
      const status = await api(second.url, 'status', { token });
      assert.equal(status.status, 200, JSON.stringify(status.body));
      if (mode === 'multipart') assert.equal(status.body.parts_done.length, partCount, `${second.name} sees every part`);
      parts.sort((x, y) => x.number - y.number);
      const finalizeOn = async (instance) => {
        for (let attempt = 0; ; attempt++) {
          const answer = await api(instance.url, 'finalize', { token, parts });
          if (answer.status === 200 || attempt === 20 || !['upload_finalizing', 'store_unavailable'].includes(answer.body?.error?.code)) return answer;
          await new Promise((next) => setTimeout(next, 250));
        }
      };
      const raced = await Promise.all([finalizeOn(a), finalizeOn(b)]);
      for (const answer of raced) assert.equal(answer.status, 200, `file ${i} (${size} B): ${JSON.stringify(answer.body)}`);
      assert.equal(raced[0].body.key, raced[1].body.key);
      assert.equal(raced[0].body.field_value, raced[1].body.field_value, 'both finalizes answer the one outcome');
      expected.set(raced[0].body.key, { sha: sha256(bytes), upload: prepared.body.upload });
    }
    assert.ok(killed);
    const stored = storedHashes(store);
    for (const [key, { sha }] of expected) assert.equal(stored[key], sha, `${key} intact`);
    assert.equal(Object.keys(stored).length, 50);
    const outcomes = psql(databaseUrl, "SELECT count(*) FILTER (WHERE status = 'finalized'), count(*) FROM joist_uploads WHERE field = 'backup.archive'");
    assert.equal(outcomes, '50|50');
    const events = psql(databaseUrl, "SELECT count(*), count(DISTINCT upload_id) FROM joist_events WHERE kind = 'finalized'");
    assert.equal(events, '50|50', 'one finalized event per upload, whichever instance won');
    // the finalize handler ran through the Redis queue, on either instance, for every upload
    await until('every event delivered', () => psql(databaseUrl, "SELECT count(*) FROM joist_events WHERE status <> 'delivered'") === '0');
  });

  it('the rate limit is exact across instances behind the proxy', async () => {
    while (new Date().getSeconds() > 40) await new Promise((next) => setTimeout(next, 500));
    const answers = [];
    for (let n = 0; n < RATE_LIMIT + 30; n++) {
      answers.push(await api(proxy, 'prepare', { field: 'backup.archive', filename: `rate-${n}.bin`, size: 1, content_type: 'application/octet-stream' }, { localAddress: '127.0.0.3' }));
    }
    const count = (status) => answers.filter((answer) => answer.status === status).length;
    assert.deepEqual([count(201), count(429)], [RATE_LIMIT, 30]);
    assert.ok(answers.filter((answer) => answer.status === 429).every((answer) => answer.body.error.code === 'rate_limited'));
    for (const instance of instances) {
      assert.match(logOf(instance), /joist upload prepared.*client=Some\(127\.0\.0\.3\)/, `${instance.name} served some`);
    }
    // another client behind the same proxy has its own limit
    const other = await api(proxy, 'prepare', { field: 'backup.archive', filename: 'other.bin', size: 1, content_type: 'application/octet-stream' }, { localAddress: '127.0.0.4' });
    assert.equal(other.status, 201, JSON.stringify(other.body));
  });

  it('a forged X-Forwarded-For counts only from the trusted proxy', async () => {
    // 127.0.0.3 used up its limit; a peer that is not a trusted proxy cannot borrow its name
    const forged = { 'x-forwarded-for': '127.0.0.5', forwarded: 'for=127.0.0.5' };
    const limited = await api(proxy, 'prepare', { field: 'backup.archive', filename: 'forged.bin', size: 1, content_type: 'application/octet-stream' }, { localAddress: '127.0.0.3', headers: forged });
    assert.equal(limited.status, 429, 'nginx replaces the header with the real client address');
    const direct = await api(instances[0].url, 'prepare', { field: 'backup.archive', filename: 'direct.bin', size: 1, content_type: 'application/octet-stream' }, { localAddress: '127.0.0.6', headers: { 'x-forwarded-for': '127.0.0.3' } });
    assert.equal(direct.status, 201, 'an untrusted peer is counted as itself');
    assert.match(logOf(instances[0]), /client=Some\(127\.0\.0\.6\)/);
  });

  it('a keep-alive client gets its next answer after a refused body', async () => {
    for (const base of [instances[0].url, proxy]) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      let failures = 0;
      for (let round = 0; round < 20; round++) {
        const refused = await api(base, 'prepare', Buffer.alloc(3 * MIB, 0x20), { agent, localAddress: '127.0.0.7' });
        assert.equal(refused.status, 413, `${base}: ${JSON.stringify(refused.body)}`);
        assert.equal(refused.body.error.code, 'request_too_large');
        try {
          const next = await send(base, '/_ping', { agent, body: {}, localAddress: '127.0.0.7' });
          if (next.status >= 500) failures += 1;
        } catch {
          failures += 1;
        }
      }
      agent.destroy();
      assert.equal(failures, 0, `${base}: follow-up requests failed`);
    }
  });
});

// Promotion from quarantine survives SIGKILL: the demo (quarantine on, checks in the background,
// on Garage) is killed while its copy to the final key is held, and while the deletion of the
// quarantine copy is held. Each time the store holds the quarantine object or the promoted one,
// never neither, and after a restart the sweeper finishes the upload.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { api, holdingProxy, sha256, startDemo, testBytes, until } from './support.mjs';

const ministackPython = join(process.env.MINISTACK_VENV ?? join(process.env.HOME, '.cache/joist-ministack-venv'), 'bin/python');

/** The SHA-256 of every object whose key holds `part`, read from Garage with botocore. */
function objects(garage, part) {
  const script = `
import hashlib, json, sys, botocore.session
endpoint, key, secret, bucket, region, part = sys.argv[1:7]
s3 = botocore.session.get_session().create_client("s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key, aws_secret_access_key=secret,
    config=botocore.config.Config(s3={"addressing_style": "path"}))
out = {}
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for item in page.get("Contents", []):
        if part in item["Key"]:
            out[item["Key"]] = hashlib.sha256(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()).hexdigest()
print(json.dumps(out))
`;
  const { JOIST_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, JOIST_BUCKET, JOIST_REGION } = garage;
  return JSON.parse(execFileSync(ministackPython, ['-c', script, JOIST_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, JOIST_BUCKET, JOIST_REGION, part], { encoding: 'utf8' }));
}

describe('promotion from quarantine across SIGKILL', () => {
  let demo;
  let proxy;
  let holding = () => false;
  after(async () => { await demo?.stop(); proxy?.close(); });

  /** Uploads `bytes` to backup.archive and finalizes: the upload's id and token (finalize answered 202). */
  async function checking(name, bytes) {
    const prepared = await api(demo.url, 'prepare', { field: 'backup.archive', filename: name, size: bytes.length, content_type: 'application/octet-stream' });
    assert.equal(prepared.status, 201, JSON.stringify(prepared.body));
    const [part] = prepared.body.parts;
    assert.match(new URL(part.url).pathname, /\/quarantine\/uploads\//);
    assert.equal((await fetch(part.url, { method: 'PUT', body: bytes, headers: part.headers })).status, 200);
    const finalized = await api(demo.url, 'finalize', { token: prepared.body.token });
    assert.equal(finalized.status, 202, JSON.stringify(finalized.body));
    return prepared.body;
  }

  /** Kills the demo, lets every request through, restarts it and waits for the sweeper to finish the upload. */
  async function killAndRestart(prepared) {
    await demo.kill();
    proxy.state.mode = 'pass';
    await demo.restart();
    return until('the restarted demo to finish the check', async () => {
      const now = await api(demo.url, 'status', { token: prepared.token });
      return now.body.status !== 'checking' && now.body;
    }, 60_000);
  }

  it('starts the demo on Garage with quarantine, its own store calls behind the proxy', async () => {
    demo = await startDemo('garage', {
      env: async (store) => {
        proxy = await holdingProxy(store.JOIST_ENDPOINT, (request) => holding(request));
        return {
          JOIST_ENDPOINT: proxy.url, JOIST_PUBLIC_ENDPOINT: store.JOIST_ENDPOINT,
          JOIST_QUARANTINE: 'true', JOIST_CHECK_BACKGROUND_ABOVE: '1', JOIST_CHECK_LEASE: '2',
          JOIST_EVENT_SWEEP_INTERVAL: '200',
        };
      },
    });
  });

  it('killed while the copy to the final key is held: the quarantine object stays, the restart promotes it', async () => {
    const bytes = testBytes(3 << 20, 81);
    holding = (request) => request.startsWith('PUT ') && /\r\nx-amz-copy-source:/i.test(request);
    proxy.state.mode = 'hold';
    const prepared = await checking('held-copy.bin', bytes);
    await until('the copy to be held', () => proxy.state.held >= 1);
    const before = objects(demo.garage, prepared.upload);
    assert.deepEqual(Object.keys(before).map((key) => key.startsWith('quarantine/')), [true], JSON.stringify(before));
    const done = await killAndRestart(prepared);
    assert.equal(done.status, 'finalized', JSON.stringify(done));
    assert.deepEqual(objects(demo.garage, prepared.upload), { [prepared.key]: sha256(bytes) });
  });

  it('killed while the quarantine copy is being deleted: both exist, the restart finishes', async () => {
    const bytes = testBytes(2 << 20, 82);
    holding = (request) => request.startsWith('DELETE ') && request.includes('/quarantine/');
    proxy.state.mode = 'hold';
    proxy.state.held = 0;
    const prepared = await checking('held-delete.bin', bytes);
    await until('the deletion to be held', () => proxy.state.held >= 1);
    const before = objects(demo.garage, prepared.upload);
    assert.deepEqual(Object.values(before), [sha256(bytes), sha256(bytes)], JSON.stringify(before));
    const done = await killAndRestart(prepared);
    assert.equal(done.status, 'finalized', JSON.stringify(done));
    assert.ok(done.finalized.field_value);
    assert.deepEqual(objects(demo.garage, prepared.upload), { [prepared.key]: sha256(bytes) });
  });
});

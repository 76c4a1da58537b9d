// Events survive crashes: the demo (BackgroundAsync workers, on Garage) is killed with SIGKILL
// while its finalize handler runs, and while a failed handler waits for its retry; after a
// restart the handler runs to success. The handler reads the whole object through a proxy this
// test controls, which can hold or refuse those reads (finalize's own range reads pass).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { api, holdingProxy, pngFile, sha256, startDemo, until } from './support.mjs';

/** The demo's events and the upload's metadata, read from its SQLite database. */
function recorded(demo, upload) {
  const script = `
import json, sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1])
upload = uuid.UUID(sys.argv[2]).bytes  # SQLite holds uuids as 16-byte blobs
events = [dict(zip(("kind", "status", "attempts", "last_error"), row)) for row in db.execute(
    "SELECT kind, status, attempts, last_error FROM joist_events WHERE upload_id = ? ORDER BY created_at", (upload,))]
metadata = db.execute("SELECT metadata FROM joist_uploads WHERE id = ?", (upload,)).fetchone()[0]
print(json.dumps({"events": events, "metadata": json.loads(metadata) if metadata else None}))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, demo.database, upload], { encoding: 'utf8' }));
}

/** Uploads a one-pixel PNG to `photo.image` and finalizes it; answers the upload's id. */
async function uploadPhoto(demo, name) {
  const bytes = readFileSync(pngFile(name, 128));
  const prepared = await api(demo.url, 'prepare', { field: 'photo.image', filename: name, size: bytes.length, content_type: 'image/png' });
  assert.equal(prepared.status, 201, JSON.stringify(prepared.body));
  const [part] = prepared.body.parts;
  const put = await fetch(part.url, { method: 'PUT', body: bytes, headers: part.headers });
  assert.equal(put.status, 200);
  const finalized = await api(demo.url, 'finalize', { token: prepared.body.token });
  assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
  return prepared.body.upload;
}

describe('events across SIGKILL', () => {
  let demo;
  let proxy;
  after(async () => { await demo?.stop(); proxy?.close(); });

  it('starts the demo with its store reads behind the proxy', async () => {
    demo = await startDemo('garage', {
      env: async (store) => {
        // the handler's whole-object reads; finalize's own range reads pass
        proxy = await holdingProxy(store.JOIST_ENDPOINT, (request) => request.startsWith('GET ') && !/\r\nrange:/i.test(request));
        return {
          JOIST_ENDPOINT: proxy.url, JOIST_PUBLIC_ENDPOINT: store.JOIST_ENDPOINT,
          JOIST_EVENT_LEASE: '3', JOIST_EVENT_BACKOFF: '4000', JOIST_EVENT_SWEEP_INTERVAL: '200',
        };
      },
    });
  });

  it('a handler killed while it runs runs again after the restart, to success', async () => {
    proxy.state.mode = 'hold';
    const upload = await uploadPhoto(demo, 'held.png');
    await until('the handler to be reading the object', () => proxy.state.held >= 1);
    assert.deepEqual(recorded(demo, upload).events.map(({ kind, status, attempts }) => [kind, status, attempts]), [['finalized', 'pending', 0]]);
    await demo.kill();
    proxy.state.mode = 'pass';
    await demo.restart();
    const done = await until('the event to be delivered', () => {
      const now = recorded(demo, upload);
      return now.events[0].status === 'delivered' && now;
    });
    assert.equal(done.events[0].attempts, 1, 'the killed delivery never settled; the restart delivered it once');
    assert.equal(done.metadata.width, 1, JSON.stringify(done.metadata));
    assert.equal(done.metadata.detected_type, 'image/png');
    assert.equal(done.metadata.sha256, sha256(readFileSync(pngFile('held.png', 128))), 'the handler read the whole file');
  });

  it('a handler that failed and waits for its retry is retried after the restart, to success', async () => {
    proxy.state.mode = 'refuse';
    const upload = await uploadPhoto(demo, 'refused.png');
    const failed = await until('the first delivery to fail', () => {
      const now = recorded(demo, upload);
      return now.events[0].attempts === 1 && now;
    });
    assert.equal(failed.events[0].status, 'pending', 'waiting for its retry');
    assert.ok(failed.events[0].last_error, 'the handler error is recorded');
    await demo.kill();
    proxy.state.mode = 'pass';
    await demo.restart();
    const done = await until('the retry to succeed', () => {
      const now = recorded(demo, upload);
      return now.events[0].status === 'delivered' && now;
    });
    assert.equal(done.events[0].attempts, 2, 'one failed delivery before the kill, one after the restart');
    assert.equal(done.metadata.width, 1);
    assert.ok(proxy.state.refused >= 1);
  });
});

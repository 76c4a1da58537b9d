// Against the freshly installed app at process.argv[2]: sign up, upload an avatar through joist's
// API straight to the embedded store, attach it to the user, and download the same bytes.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

const base = process.argv[2];
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

async function call(method, path, body, token) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const email = `ada-${Date.now()}@example.com`;
assert.equal((await call('POST', '/api/auth/register', { email, password: 'correct horse battery', name: 'Ada' })).status, 200);
const login = await call('POST', '/api/auth/login', { email, password: 'correct horse battery' });
assert.equal(login.status, 200, JSON.stringify(login.body));
const token = login.body.token;

const anonymous = await call('POST', '/api/joist/prepare', { field: 'users.avatar', filename: 'ada.png', size: 10, content_type: 'image/png' });
assert.equal(anonymous.status, 401, 'signed-in users only');
const tooLarge = await call('POST', '/api/joist/prepare', { field: 'users.avatar', filename: 'ada.png', size: 6 << 20, content_type: 'image/png' }, token);
assert.equal(tooLarge.status, 413, JSON.stringify(tooLarge.body));

// a PNG header (finalize checks the real type) and random bytes after it
const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000040000000300802000000', 'hex');
const bytes = Buffer.concat([png, randomBytes(300_000)]);
const prepared = await call('POST', '/api/joist/prepare', { field: 'users.avatar', filename: 'ada.png', size: bytes.length, content_type: 'image/png' }, token);
assert.equal(prepared.status, 201, JSON.stringify(prepared.body));
const parts = await call('POST', '/api/joist/parts', { token: prepared.body.token, numbers: [1] }, token);
assert.equal(parts.status, 200, JSON.stringify(parts.body));
const [part] = parts.body.parts;
const put = await fetch(part.url, { method: 'PUT', body: bytes, headers: part.headers ?? {} });
assert.equal(put.status, 200);
const finalized = await call('POST', '/api/joist/finalize', { token: prepared.body.token }, token);
assert.equal(finalized.status, 200, JSON.stringify(finalized.body));

const attached = await call('POST', '/api/avatar', { avatar: finalized.body.field_value }, token);
assert.equal(attached.status, 200, JSON.stringify(attached.body));
assert.equal(attached.body.key, prepared.body.key);
const shown = await call('GET', '/api/avatar', null, token);
const download = await fetch(shown.body.url);
assert.equal(download.status, 200);
assert.equal(sha256(Buffer.from(await download.arrayBuffer())), sha256(bytes), 'the store serves the uploaded bytes');
const admin = await fetch(`${base}/admin/joist`);
assert.equal(admin.status, 200, 'the admin pages are open in development');
assert.match(await admin.text(), /ada\.png/);
process.stdout.write(`uploaded, attached and downloaded ${bytes.length} bytes as ${prepared.body.key}\n`);

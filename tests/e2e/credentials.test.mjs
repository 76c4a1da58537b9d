// Production credentials and TLS, over their real protocols, against Garage and MiniStack: the ECS container
// credentials endpoint (served here) rotating to a second key while the first is deleted from
// Garage, an IMDSv2 instance metadata service, a shared profile file, a role_arn profile and a
// web identity token assumed through
// MiniStack's STS, and Garage behind a TLS front signed by a test CA.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { after, describe, it } from 'node:test';
import { api, demoBinary, pngFile, repo, scratchDir, sha256, startDemo, testBytes, until } from './support.mjs';

const MIB = 1024 * 1024;
const garageBinary = process.env.GARAGE ?? (spawnSync('sh', ['-c', 'command -v garage'], { encoding: 'utf8' }).stdout.trim() || join(process.env.HOME, '.cargo/bin/garage'));

/** Runs the garage CLI against the demo's Garage. */
function garage(demo, ...args) {
  return execFileSync(garageBinary, args, { env: { ...process.env, GARAGE_CONFIG_FILE: join(demo.garage.GARAGE_DIR, 'garage.toml') }, encoding: 'utf8' });
}

/** A new Garage key that may use the demo's bucket. */
function newKey(demo, name) {
  const key = { id: `GK${randomBytes(12).toString('hex')}`, secret: randomBytes(32).toString('hex') };
  garage(demo, 'key', 'import', '--yes', '-n', name, key.id, key.secret);
  garage(demo, 'bucket', 'allow', '--read', '--write', '--owner', demo.garage.JOIST_BUCKET, '--key', key.id);
  return key;
}

/** The ECS container credentials endpoint: serves `current`, which expire 5 minutes and 3 seconds from each call. */
async function credentialsEndpoint(current) {
  const served = [];
  const server = createServer((request, response) => {
    served.push({ key: current.key.id, authorization: request.headers.authorization });
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({
      AccessKeyId: current.key.id,
      SecretAccessKey: current.key.secret,
      Token: '',
      Expiration: new Date(Date.now() + 5 * 60_000 + 3_000).toISOString(),
    }));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}/v2/credentials/task`, served, close: () => server.close() };
}

/**
 * Runs a demo command to its end in the `s3` environment of `demo`'s Garage, with `env` over it,
 * without blocking this process (the TLS front and the credentials endpoint live here).
 */
async function demoTask(demo, args, env) {
  const child = spawn(demoBinary, args, { cwd: join(repo, 'examples/demo'), env: { ...process.env, ...demo.garage, LOCO_ENV: 's3', ...env } });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => { output.stdout += chunk; });
  child.stderr.on('data', (chunk) => { output.stderr += chunk; });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  output.status = await new Promise((done) => child.once('exit', done));
  clearTimeout(timer);
  return output;
}

const credentialOf = (url) => new URL(url).searchParams.get('X-Amz-Credential').split('/')[0];

async function put(part, bytes) {
  const response = await fetch(part.url, { method: 'PUT', body: bytes, headers: part.headers });
  assert.equal(response.status, 200, `PUT part ${part.number}: ${await response.text()}`);
  return response.headers.get('etag');
}

/** Prepares `bytes` as a `backup.archive` upload. */
async function prepare(demo, name, bytes) {
  const prepared = await api(demo.url, 'prepare', { field: 'backup.archive', filename: name, size: bytes.length, content_type: 'application/octet-stream' });
  assert.equal(prepared.status, 201, JSON.stringify(prepared.body));
  return prepared.body;
}

/** Uploads every part still to go (signed afresh by `/parts`), then finalizes. */
async function finish(demo, prepared, bytes, done = []) {
  const numbers = prepared.parts.map((part) => part.number).filter((number) => !done.some((part) => part.number === number));
  const parts = [...done];
  if (numbers.length) {
    const signed = prepared.mode === 'single' ? { status: 200, body: { parts: prepared.parts } } : await api(demo.url, 'parts', { token: prepared.token, numbers });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    for (const part of signed.body.parts) {
      const start = (part.number - 1) * prepared.part_size;
      parts.push({ number: part.number, etag: await put(part, bytes.subarray(start, start + part.size)), credential: credentialOf(part.url) });
    }
  }
  const finalized = await api(demo.url, 'finalize', { token: prepared.token, parts: parts.map(({ number, etag }) => ({ number, etag })) });
  assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
  assert.equal(finalized.body.size, bytes.length);
  return { finalized: finalized.body, parts };
}

/** Attaches a finalized photo in the gallery and answers the download URLs the page shows: each
 * photo's link to its original, and its image (the thumbnail variant once made). */
async function galleryUrls(demo, fieldValue) {
  const response = await fetch(`${demo.url}/photos`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ images: fieldValue }) });
  const html = await response.text();
  assert.equal(response.status, 200, html);
  const urls = (pattern) => [...html.matchAll(pattern)].map((match) => match[1].replaceAll('&amp;', '&'));
  return { originals: urls(/<li><a href="([^"]+)"/g), images: urls(/<img src="([^"]+)"/g) };
}

async function uploadPhoto(demo, name, grey) {
  const bytes = readFileSync(pngFile(name, grey));
  const prepared = await api(demo.url, 'prepare', { field: 'photo.image', filename: name, size: bytes.length, content_type: 'image/png' });
  assert.equal(prepared.status, 201, JSON.stringify(prepared.body));
  const { finalized } = await finish(demo, prepared.body, bytes);
  return { bytes, fieldValue: finalized.field_value };
}

describe('credentials from the ECS container endpoint', () => {
  const cleanups = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

  it('switches to a rotated key with no restart, while the first key is deleted', async () => {
    const current = {};
    const endpoint = await credentialsEndpoint(current);
    cleanups.push(endpoint.close);
    const demo = await startDemo('garage', {
      env: (store) => {
        current.key = { id: store.AWS_ACCESS_KEY_ID, secret: store.AWS_SECRET_ACCESS_KEY };
        return { AWS_ACCESS_KEY_ID: null, AWS_SECRET_ACCESS_KEY: null, AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint.url, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'task-token' };
      },
    });
    cleanups.push(demo.stop);
    const first = current.key;
    assert.ok(endpoint.served.length > 0, 'the app asked the container endpoint');
    assert.ok(endpoint.served.every((request) => request.authorization === 'task-token'), 'with the authorization token');

    // before the switch: a whole upload, and the first part of one that spans the switch
    const small = testBytes(3 * MIB, 1);
    const before = await finish(demo, await prepare(demo, 'before.bin', small), small);
    assert.deepEqual(before.parts.map((part) => part.credential), [first.id]);
    const photo = await uploadPhoto(demo, 'before.png', 40);
    const spanning = testBytes(20 * MIB, 2);
    const open = await prepare(demo, 'spanning.bin', spanning);
    assert.equal(open.mode, 'multipart');
    const firstPart = open.parts[0];
    const firstDone = [{ number: 1, etag: await put(firstPart, spanning.subarray(0, firstPart.size)), credential: credentialOf(firstPart.url) }];

    // the switch: a second key is served, and the first one stops existing
    current.key = newKey(demo, 'rotated');
    garage(demo, 'key', 'delete', '--yes', first.id);
    const rotated = current.key;
    await until('URLs signed with the rotated key', async () => {
      const signed = await api(demo.url, 'parts', { token: open.token, numbers: [2] });
      return signed.status === 200 && credentialOf(signed.body.parts[0].url) === rotated.id;
    });
    const spanned = await finish(demo, open, spanning, firstDone);
    assert.deepEqual(spanned.parts.map((part) => part.credential), [first.id, rotated.id, rotated.id], 'part 1 before the switch, parts 2 and 3 after');
    const afterwards = testBytes(17 * MIB, 3);
    const after = await finish(demo, await prepare(demo, 'after.bin', afterwards), afterwards);
    assert.ok(after.parts.every((part) => part.credential === rotated.id));

    // download links made without waiting (templates) are signed with the rotated key too
    const { originals, images } = await galleryUrls(demo, photo.fieldValue);
    assert.ok(originals.length >= 1 && images.length >= 1, 'a link and an image per photo');
    for (const url of [...originals, ...images]) assert.equal(credentialOf(url), rotated.id);
    const downloaded = Buffer.from(await (await fetch(originals[0])).arrayBuffer());
    assert.equal(sha256(downloaded), sha256(photo.bytes), 'the photo uploaded before the switch downloads after it');
    assert.ok(!demo.log.join('').includes('panicked'), demo.log.join(''));
  });
});

/** An EC2 instance metadata service that speaks IMDSv2 only: a session token first, then the role's credentials. */
async function instanceMetadata(key) {
  const seen = { tokens: 0, refused: 0, credentials: 0 };
  const session = randomBytes(16).toString('hex');
  const server = createServer((request, response) => {
    if (request.method === 'PUT' && request.url === '/latest/api/token' && request.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      seen.tokens += 1;
      response.setHeader('x-aws-ec2-metadata-token-ttl-seconds', request.headers['x-aws-ec2-metadata-token-ttl-seconds']);
      response.end(session);
      return;
    }
    if (request.headers['x-aws-ec2-metadata-token'] !== session) {
      seen.refused += 1;
      response.statusCode = 401;
      response.end();
      return;
    }
    if (request.url === '/latest/meta-data/iam/security-credentials/') {
      response.end('joist-app-role');
    } else if (request.url === '/latest/meta-data/iam/security-credentials/joist-app-role') {
      seen.credentials += 1;
      response.end(JSON.stringify({
        Code: 'Success', LastUpdated: new Date().toISOString(), Type: 'AWS-HMAC',
        AccessKeyId: key.id, SecretAccessKey: key.secret, Token: '',
        Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      }));
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => server.close() };
}

describe('credentials from the EC2 instance metadata service (IMDSv2)', () => {
  const cleanups = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

  it('signs with the instance role, asking for a session token first', async () => {
    let metadata;
    const dir = scratchDir('imds-');
    const demo = await startDemo('garage', {
      env: async (store) => {
        metadata = await instanceMetadata({ id: store.AWS_ACCESS_KEY_ID, secret: store.AWS_SECRET_ACCESS_KEY });
        cleanups.push(metadata.close);
        return {
          AWS_ACCESS_KEY_ID: null, AWS_SECRET_ACCESS_KEY: null, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
          AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata.url,
        };
      },
    });
    cleanups.push(demo.stop);
    const bytes = testBytes(17 * MIB, 9);
    const done = await finish(demo, await prepare(demo, 'instance.bin', bytes), bytes);
    assert.ok(done.parts.every((part) => part.credential === demo.garage.AWS_ACCESS_KEY_ID));
    assert.ok(metadata.seen.tokens >= 1 && metadata.seen.credentials >= 1, JSON.stringify(metadata.seen));
    assert.equal(metadata.seen.refused, 0, 'every metadata read carried the session token');
  });
});

describe('credentials from a shared profile file', () => {
  const cleanups = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

  it('signs with the named profile, and refuses to boot with an unknown one', async () => {
    const dir = scratchDir('profile-');
    let keys;
    const files = (store) => {
      keys = { id: store.AWS_ACCESS_KEY_ID, secret: store.AWS_SECRET_ACCESS_KEY };
      writeFileSync(join(dir, 'credentials'), `[default]\naws_access_key_id = GK000000000000000000000000\naws_secret_access_key = wrong\n\n[uploads]\naws_access_key_id = ${keys.id}\naws_secret_access_key = ${keys.secret}\n`);
      writeFileSync(join(dir, 'config'), '[default]\nregion = garage\n\n[profile uploads]\nregion = garage\n');
      return { AWS_ACCESS_KEY_ID: null, AWS_SECRET_ACCESS_KEY: null, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config') };
    };
    const demo = await startDemo('garage', { env: (store) => ({ ...files(store), JOIST_CREDENTIALS_PROFILE: 'uploads' }) });
    cleanups.push(demo.stop);
    const bytes = testBytes(2 * MIB, 4);
    const done = await finish(demo, await prepare(demo, 'profile.bin', bytes), bytes);
    assert.deepEqual(done.parts.map((part) => part.credential), [keys.id]);

    const refused = await demoTask(demo, ['task', 'joist:doctor'], { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_CONFIG_FILE: join(dir, 'config'), JOIST_CREDENTIALS_PROFILE: 'nobody' });
    assert.notEqual(refused.status, 0);
    const said = refused.stdout + refused.stderr;
    assert.match(said, /credentials_profile/, said);
    assert.match(said, /no profile `nobody`.*uploads/, said);
  });
});

/** A test CA and a certificate for 127.0.0.1 it signed, made with openssl. */
function testCertificates() {
  const dir = scratchDir('ca-');
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=joist test CA', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'store.key', '-out', 'store.csr');
  writeFileSync(join(dir, 'store.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', 'store.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'store.ext', '-out', 'store.pem');
  return { dir, ca: join(dir, 'ca.pem'), key: readFileSync(join(dir, 'store.key')), cert: readFileSync(join(dir, 'store.pem')) };
}

/** A TLS front on 127.0.0.1 that forwards to `upstream` (an http URL). */
async function tlsFront(upstream, certificates) {
  const { hostname, port } = new URL(upstream);
  const server = createTlsServer({ key: certificates.key, cert: certificates.cert }, (client) => {
    const backend = connect(Number(port), hostname);
    client.pipe(backend).pipe(client);
    client.on('error', () => backend.destroy());
    backend.on('error', () => client.destroy());
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `https://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

describe('a store behind a private CA', () => {
  const cleanups = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });
  const certificates = testCertificates();
  /** The server talks TLS to a front of Garage; the browser-facing URLs stay on Garage's own port. */
  const behindTls = async (store, extra) => {
    const front = await tlsFront(store.JOIST_ENDPOINT, certificates);
    cleanups.push(front.close);
    return { JOIST_ENDPOINT: front.url, JOIST_PUBLIC_ENDPOINT: store.JOIST_ENDPOINT, ...extra };
  };

  it('works with ca_file', async () => {
    const demo = await startDemo('garage', { env: (store) => behindTls(store, { JOIST_CA_FILE: certificates.ca }) });
    cleanups.push(demo.stop);
    const bytes = testBytes(18 * MIB, 5);
    const done = await finish(demo, await prepare(demo, 'tls.bin', bytes), bytes);
    assert.equal(done.parts.length, 3);
    const doctor = await demoTask(demo, ['task', 'joist:doctor', `origins:${demo.url}`], { JOIST_ENDPOINT: demo.env.JOIST_ENDPOINT, JOIST_PUBLIC_ENDPOINT: demo.env.JOIST_PUBLIC_ENDPOINT, JOIST_CA_FILE: certificates.ca });
    assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
  });

  it('without ca_file, the doctor and the first call fail naming ca_file', async () => {
    const demo = await startDemo('garage', { cors: false, env: (store) => behindTls(store, {}) });
    cleanups.push(demo.stop);
    const bytes = testBytes(18 * MIB, 6);
    const prepared = await api(demo.url, 'prepare', { field: 'backup.archive', filename: 'untrusted.bin', size: bytes.length, content_type: 'application/octet-stream' });
    assert.equal(prepared.status, 503, JSON.stringify(prepared.body));
    assert.equal(prepared.body.error.code, 'store_unavailable');
    await until('the log to name ca_file', () => /certificate.*ca_file/.test(demo.log.join('')));
    const doctor = await demoTask(demo, ['task', 'joist:doctor', `origins:${demo.url}`], { JOIST_ENDPOINT: demo.env.JOIST_ENDPOINT, JOIST_PUBLIC_ENDPOINT: demo.env.JOIST_PUBLIC_ENDPOINT });
    assert.notEqual(doctor.status, 0);
    assert.match(doctor.stdout + doctor.stderr, /not trusted[\s\S]*fix: set `ca_file`/, doctor.stdout + doctor.stderr);
  });

  it('refuses to boot with an unreadable ca_file, naming the key', async () => {
    const refused = await demoTask({ garage: {} }, ['task', 'joist:doctor'], { LOCO_ENV: 's3', JOIST_BUCKET: 'b', JOIST_ENDPOINT: 'https://127.0.0.1:9', JOIST_CA_FILE: join(certificates.dir, 'missing.pem') });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stdout + refused.stderr, /ca_file.*cannot read `[^`]*missing\.pem`/);
  });
});

const ministackPython = join(process.env.MINISTACK_VENV ?? join(process.env.HOME, '.cache/joist-ministack-venv'), 'bin/python');

/** Creates a role in MiniStack's IAM that `principal` may assume with `action`; answers its ARN. */
function ministackRole(store, name, principal, action) {
  const script = `
import json, sys, botocore.session
endpoint, key, secret, name, principal, action = sys.argv[1:7]
iam = botocore.session.get_session().create_client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key, aws_secret_access_key=secret)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": json.loads(principal), "Action": action}]}
role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
iam.put_role_policy(RoleName=name, PolicyName="s3", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
print(role["Role"]["Arn"])
`;
  return execFileSync(ministackPython, ['-c', script, store.JOIST_ENDPOINT, store.AWS_ACCESS_KEY_ID, store.AWS_SECRET_ACCESS_KEY, name, JSON.stringify(principal), action], { encoding: 'utf8' }).trim();
}

/** An unsigned OpenID Connect token, as an EKS service account's projected token reads. */
function webIdentityToken(issuer) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', kid: 'test' })}.${part({ iss: issuer, sub: 'system:serviceaccount:shop:web', aud: ['sts.amazonaws.com'], iat: now, exp: now + 3600 })}.c2lnbmF0dXJl`;
}

describe('credentials assumed through STS (MiniStack)', () => {
  const cleanups = [];
  after(async () => { for (const cleanup of cleanups.reverse()) await cleanup(); });

  it('a profile with role_arn and source_profile', async () => {
    const dir = scratchDir('profile-');
    let roleArn;
    const demo = await startDemo('ministack', {
      env: (store) => {
        roleArn = ministackRole(store, 'joist-app', { AWS: '*' }, 'sts:AssumeRole');
        writeFileSync(join(dir, 'config'), `[profile app]\nrole_arn = ${roleArn}\nsource_profile = base\nregion = us-east-1\n\n[profile base]\naws_access_key_id = ${store.AWS_ACCESS_KEY_ID}\naws_secret_access_key = ${store.AWS_SECRET_ACCESS_KEY}\n`);
        return {
          AWS_ACCESS_KEY_ID: null, AWS_SECRET_ACCESS_KEY: null, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
          AWS_ENDPOINT_URL_STS: store.JOIST_ENDPOINT, JOIST_CREDENTIALS_PROFILE: 'app',
        };
      },
    });
    cleanups.push(demo.stop);
    const bytes = testBytes(MIB, 7);
    const prepared = await prepare(demo, 'assumed.bin', bytes);
    const url = new URL(prepared.parts[0].url);
    assert.ok(url.searchParams.get('X-Amz-Security-Token'), 'signed with temporary credentials');
    assert.notEqual(credentialOf(prepared.parts[0].url), demo.garage.AWS_ACCESS_KEY_ID, 'not the source profile\'s key');
    await finish(demo, prepared, bytes);
  });

  it('a web identity token (EKS IRSA)', async () => {
    const dir = scratchDir('irsa-');
    const demo = await startDemo('ministack', {
      env: (store) => {
        const issuer = 'https://oidc.eks.us-east-1.amazonaws.com/id/JOISTTEST';
        const roleArn = ministackRole(store, 'joist-irsa', { Federated: `arn:aws:iam::000000000000:oidc-provider/${issuer.slice(8)}` }, 'sts:AssumeRoleWithWebIdentity');
        writeFileSync(join(dir, 'token'), webIdentityToken(issuer));
        return {
          AWS_ACCESS_KEY_ID: null, AWS_SECRET_ACCESS_KEY: null, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
          AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'), AWS_ROLE_ARN: roleArn, AWS_ROLE_SESSION_NAME: 'shop-web', AWS_ENDPOINT_URL_STS: store.JOIST_ENDPOINT,
        };
      },
    });
    cleanups.push(demo.stop);
    const bytes = testBytes(MIB, 8);
    const prepared = await prepare(demo, 'irsa.bin', bytes);
    assert.ok(new URL(prepared.parts[0].url).searchParams.get('X-Amz-Security-Token'), 'signed with the assumed role');
    assert.notEqual(credentialOf(prepared.parts[0].url), demo.garage.AWS_ACCESS_KEY_ID);
    await finish(demo, prepared, bytes);
  });
});

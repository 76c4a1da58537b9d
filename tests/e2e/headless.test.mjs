// joist.js without a form: a plain page (the demo's /spa: no joist field, no joist_media()) imports
// the module from its stable URL and calls `upload()` against the demo's JWT-protected field, with a Loco JWT
// minted from the demo's development secret. And the module's types, checked by tsc.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, repo, scratchDir, screenshots, sha256, startDemo, storeLeftovers, testBytes } from './support.mjs';

const MIB = 1024 * 1024;
const FIELD = 'document.file';
/** The demo's development `auth.jwt.secret` (base64, as Loco reads it). */
const JWT_SECRET = 'ZGVtby1kZXZlbG9wbWVudC1qd3Qtc2VjcmV0LW5vdC1mb3ItcHJvZHVjdGlvbg==';

/** A Loco user JWT (HS512, `pid` and `exp`), as Loco's auth signs it. */
function jwt(pid) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS512', typ: 'JWT' })}.${encode({ pid, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  const signature = createHmac('sha512', Buffer.from(JWT_SECRET, 'base64')).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** The demo's `/spa` page: no joist field, no joist assets, a module script of its own. */
async function plainPage(browser, demo) {
  const page = await browser.newPage();
  await page.goto(`${demo.url}/spa`);
  assert.equal(await page.locator('.joist-field, link[href*="/api/joist/assets/"]').count(), 0);
  return page;
}

/** Runs `upload()` in the page with `options` (`bytes`: the file's content as base64, `name`). */
function uploadInPage(page, { bytes, name, options, abortAfterBytes }) {
  return page.evaluate(async ({ bytes, name, options, abortAfterBytes }) => {
    const { upload } = await import('/api/joist/joist.js');
    const data = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const file = new File([data], name, { type: 'application/octet-stream' });
    const ctrl = new AbortController();
    const progress = [];
    const starts = [];
    try {
      const result = await upload(file, {
        ...options,
        signal: ctrl.signal,
        onStart: (start) => starts.push(start),
        onProgress: (report) => {
          progress.push(report.loaded);
          document.getElementById('state').textContent = `${report.loaded} of ${report.total}`;
          if (abortAfterBytes && report.loaded >= abortAfterBytes) ctrl.abort();
        },
      });
      return { result, progress, starts };
    } catch (error) {
      return { error: { code: error.code, message: error.message, status: error.status, isError: error instanceof Error }, progress, starts };
    }
  }, { bytes, name, options, abortAfterBytes });
}

describe('upload() from a plain page, to a JWT-protected field', () => {
  let demo;
  let browser;
  before(async () => {
    demo = await startDemo('embedded');
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('serves the module and its types at stable URLs, revalidated', async () => {
    const module = await fetch(`${demo.url}/api/joist/joist.js`);
    assert.equal(module.status, 200);
    assert.match(module.headers.get('content-type'), /^text\/javascript/);
    assert.match(module.headers.get('cache-control'), /max-age=300/);
    assert.equal(module.headers.get('x-typescript-types'), './joist.d.ts');
    assert.match(await module.text(), /export async function upload\(/);
    const again = await fetch(`${demo.url}/api/joist/joist.js`, { headers: { 'if-none-match': module.headers.get('etag') } });
    assert.equal(again.status, 304);
    const types = await fetch(`${demo.url}/api/joist/joist.d.ts`);
    assert.equal(types.status, 200);
    assert.equal(await types.text(), readFileSync(join(repo, 'assets/static/joist/joist.d.ts'), 'utf8'));
  });

  it('uploads 24 MiB in parts with a bearer JWT and gets the field value', async () => {
    const page = await plainPage(browser, demo);
    const bytes = testBytes(24 * MIB, 16);
    const options = { field: FIELD, headers: { Authorization: `Bearer ${jwt('user-1')}` }, concurrency: 2 };
    const { result, progress, starts, error } = await uploadInPage(page, { bytes: bytes.toString('base64'), name: 'report.bin', options });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.deepEqual(starts.map((start) => [start.mode, start.partCount]), [['multipart', 3]]);
    assert.equal(progress.at(-1), 24 * MIB);
    assert.equal(result.filename, 'report.bin');
    assert.equal(result.size, 24 * MIB);
    assert.match(result.field_value, /\./);
    assert.equal(sha256(readFileSync(join(demo.storeRoot, 'joist-demo', result.key))), sha256(bytes));
    await page.screenshot({ path: `${screenshots}/headless-uploaded.png` });
    await page.close();
  });

  it("the page's own file input uploads and shows the result", async () => {
    const page = await plainPage(browser, demo);
    const bytes = testBytes(20 * MIB, 21);
    await page.setInputFiles('#file', { name: 'spa.bin', mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForFunction(() => /^Uploaded /.test(document.getElementById('state').textContent), null, { timeout: 60_000 });
    const result = JSON.parse(await page.textContent('#result'));
    assert.equal(await page.getAttribute('#progress', 'value'), '1');
    assert.equal(sha256(readFileSync(join(demo.storeRoot, 'joist-demo', result.key))), sha256(bytes));
    await page.screenshot({ path: `${screenshots}/headless-page.png` });
    await page.close();
  });

  it('rejects with the API code when signed out, and with a small file uploads in one PUT', async () => {
    const page = await plainPage(browser, demo);
    const small = testBytes(4096, 3);
    const denied = await uploadInPage(page, { bytes: small.toString('base64'), name: 'a.bin', options: { field: FIELD } });
    assert.equal(denied.error.code, 'unauthenticated', JSON.stringify(denied.error));
    assert.equal(denied.error.status, 401);
    assert.ok(denied.error.isError);
    const headers = { Authorization: `Bearer ${jwt('user-2')}` };
    const missing = await uploadInPage(page, { bytes: small.toString('base64'), name: 'a.bin', options: { field: 'no.such', headers } });
    assert.equal(missing.error.code, 'unknown_field', JSON.stringify(missing.error));
    const { result, starts } = await uploadInPage(page, { bytes: small.toString('base64'), name: 'a.bin', options: { field: FIELD, headers } });
    assert.equal(starts[0].mode, 'single');
    assert.equal(sha256(readFileSync(join(demo.storeRoot, 'joist-demo', result.key))), sha256(small));
    await page.close();
  });

  it('aborting the signal aborts the upload on the server and on the store', async () => {
    const page = await plainPage(browser, demo);
    const storeUploads = [];
    page.on('request', (request) => {
      const id = new URL(request.url()).searchParams.get('uploadId');
      if (id) storeUploads.push(id);
    });
    const prepared = page.waitForResponse((response) => response.url().endsWith('/api/joist/prepare')).then((response) => response.json());
    const bytes = testBytes(40 * MIB, 7);
    const options = { field: FIELD, headers: { Authorization: `Bearer ${jwt('user-3')}` }, concurrency: 1 };
    const { error, starts } = await uploadInPage(page, { bytes: bytes.toString('base64'), name: 'big.bin', options, abortAfterBytes: 9 * MIB });
    assert.equal(error?.code, 'aborted', JSON.stringify(error));
    const { token } = await prepared;
    const status = await fetch(`${demo.url}/api/joist/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: options.headers.Authorization },
      body: JSON.stringify({ token }),
    }).then((response) => response.json());
    assert.equal(status.status, 'aborted', JSON.stringify(status));
    assert.ok(storeUploads.length, 'parts went to the store');
    assert.deepEqual(storeLeftovers(demo.storeRoot, storeUploads[0]), [], 'no parts or upload record left in the store');
    assert.equal(starts[0].mode, 'multipart');
    await page.close();
  });
});

describe('joist.d.ts', () => {
  it('types a correct use and refuses a wrong one (tsc --strict)', () => {
    const dir = scratchDir('types-');
    writeFileSync(join(dir, 'joist.d.ts'), readFileSync(join(repo, 'assets/static/joist/joist.d.ts')));
    writeFileSync(join(dir, 'app.ts'), `
import { upload, attachAll, type UploadError, type UploadResult } from './joist';

export async function send(file: File, jwt: string, signal: AbortSignal): Promise<string> {
  try {
    const result: UploadResult = await upload(file, {
      field: 'document.file',
      headers: { Authorization: \`Bearer \${jwt}\` },
      signal,
      concurrency: 2,
      onProgress: ({ loaded, total, bytesPerSecond }) => console.log(loaded / total, bytesPerSecond),
    });
    return result.field_value + (result.metadata.width ?? 0);
  } catch (error) {
    return (error as UploadError).code;
  }
}

document.querySelector('form')?.addEventListener('joist:upload:complete', (event) => console.log(event.detail.fieldValue));
attachAll().forEach((field) => field.add([]));
// @ts-expect-error: \`field\` is required
upload(new Blob(), {});
// @ts-expect-error: progress reports are objects
upload(new Blob(), { field: 'x', onProgress: (loaded: string) => loaded });
`);
    const tsc = join(repo, 'tests/e2e/node_modules/typescript/bin/tsc');
    const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'es2022', '--moduleResolution', 'bundler', '--lib', 'es2022,dom', join(dir, 'app.ts')];
    try {
      execFileSync(process.execPath, [tsc, ...args], { encoding: 'utf8' });
    } catch (error) {
      assert.fail(`tsc found errors:\n${error.stdout}${error.stderr}`);
    }
  });
});

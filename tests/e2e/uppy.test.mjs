// Uppy 6's Dashboard on the demo's /uppy page, uploading through joist with the stock @uppy/aws-s3
// plugin and joist-uppy.js, in real headless Chromium against the embedded store.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api, launch, newPage, screenshots, sha256, startDemo, storeLeftovers, testFile, until } from './support.mjs';

const MIB = 1024 * 1024;

/** A Loco user JWT signed with the demo's development secret (as headless.test.mjs mints them). */
function jwt(pid) {
  const secret = Buffer.from('ZGVtby1kZXZlbG9wbWVudC1qd3Qtc2VjcmV0LW5vdC1mb3ItcHJvZHVjdGlvbg==', 'base64');
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS512', typ: 'JWT' })}.${encode({ pid, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  return `${unsigned}.${createHmac('sha512', secret).update(unsigned).digest('base64url')}`;
}

describe('Uppy through joist (embedded store)', () => {
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

  /** The /uppy page with `paths` added to the Dashboard, and every request it makes recorded. */
  async function openUppy(paths, query = '') {
    const page = await newPage(browser);
    const requests = [];
    page.on('request', (request) => requests.push({ method: request.method(), url: request.url(), authorization: request.headers().authorization }));
    const problems = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${demo.url}/uppy${query}`);
    await page.waitForFunction(() => window.uppy);
    await page.locator('input.uppy-Dashboard-input').first().setInputFiles(paths);
    return { page, requests, problems };
  }

  const startUpload = (page) => page.locator('button.uppy-StatusBar-actionBtn--upload').click();

  /** The files as Uppy holds them: name, error, joist's plan and the response body. */
  const files = (page) => page.evaluate(() => window.uppy.getFiles().map((file) => ({
    id: file.id, name: file.name, error: file.error ?? null, joist: file.joist ?? null,
    body: file.response?.body ?? null, s3Multipart: file.s3Multipart ?? null,
  })));

  async function waitForDone(page, count, timeout = 120_000) {
    await page.waitForFunction(
      (wanted) => window.uppy.getFiles().some((file) => file.error)
        || document.querySelectorAll('#done li').length >= wanted,
      count,
      { timeout },
    );
    const failed = (await files(page)).filter((file) => file.error);
    assert.deepEqual(failed, [], 'no file failed');
  }

  const stored = (key) => sha256(readFileSync(join(demo.storeRoot, 'joist-demo', key)));

  it('uploads a 40 MiB file in parts and a small one in a single PUT, each with a field value', async () => {
    const big = testFile('archive.bin', 40 * MIB, 11);
    const small = testFile('notes.txt', 3000, 12);
    const { page, requests, problems } = await openUppy([big.path, small.path]);
    await startUpload(page);
    await waitForDone(page, 2);
    await page.screenshot({ path: `${screenshots}/uppy-dashboard-uploaded.png`, fullPage: true });
    const byName = Object.fromEntries((await files(page)).map((file) => [file.name, file]));
    assert.equal(byName['archive.bin'].joist.mode, 'multipart');
    assert.equal(byName['notes.txt'].joist.mode, 'single');
    for (const [name, file] of [['archive.bin', big], ['notes.txt', small]]) {
      const { body } = byName[name];
      assert.match(body.field_value, /\S{20,}/, `${name} has a field value`);
      assert.equal(body.size, file.size);
      assert.ok(body.metadata, `${name} has metadata`);
      assert.equal(stored(body.key), file.sha256, `the store holds ${name}'s bytes`);
    }
    const parts = requests.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='));
    assert.equal(new Set(parts.map((r) => new URL(r.url).searchParams.get('partNumber'))).size, 5, 'five 8 MiB parts');
    const singles = requests.filter((r) => r.method === 'PUT' && !r.url.includes('partNumber='));
    assert.equal(singles.length, 1, 'one single PUT');
    const control = requests.filter((r) => r.url.includes('/api/joist/uppy/')).map((r) => `${r.method} ${new URL(r.url).pathname}`);
    assert.deepEqual(control, ['POST /api/joist/uppy/create', 'POST /api/joist/uppy/upload']);
    assert.equal(requests.filter((r) => r.url.endsWith('/api/joist/parts')).length, 0, "prepare's window held every part URL");
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('aborts on the server when a file is removed or the upload cancelled mid-way', async () => {
    const big = testFile('removed.bin', 40 * MIB, 13);
    const small = testFile('removed.txt', 2000, 14);
    const { page, requests } = await openUppy([big.path, small.path]);
    const held = [];
    // the second part and the single PUT never get an answer: both files stay mid-upload
    await page.route((url) => url.searchParams.get('partNumber') === '2' || (url.pathname.endsWith('/removed.txt') && !url.search.includes('uploadId')),
      (route) => { if (route.request().method() === 'PUT') held.push(route.request().url()); else route.continue(); });
    await startUpload(page);
    await until('both uploads in flight', () => held.length >= 2, 60_000);
    const before = Object.fromEntries((await files(page)).map((file) => [file.name, file]));
    const storeUploadId = new URL(held.find((url) => url.includes('partNumber='))).searchParams.get('uploadId');
    // the multipart file with its Remove button, then the single one with the Dashboard's Cancel
    await page.evaluate((id) => document.querySelector(`[id="uppy_${id}"] button.uppy-Dashboard-Item-action--remove`).click(), before['removed.bin'].id);
    await page.locator('button.uppy-DashboardContent-back').click();
    for (const name of ['removed.bin', 'removed.txt']) {
      await until(`${name} aborted`, async () => (await api(demo.url, 'status', { token: before[name].joist.token })).body.status === 'aborted');
    }
    assert.ok(requests.some((r) => r.method === 'DELETE' && r.url.endsWith('/api/joist/uppy/upload')), 'Uppy aborted the multipart upload');
    assert.ok(requests.some((r) => r.method === 'POST' && r.url.endsWith('/api/joist/abort')), 'the adapter aborted the uploads');
    assert.deepEqual(storeLeftovers(demo.storeRoot, storeUploadId), [], 'no parts or upload record left in the store');
    assert.deepEqual(await files(page), []);
    await page.close();
  });

  it('pauses and resumes a multipart upload, sending only the missing parts', async () => {
    const big = testFile('paused.bin', 40 * MIB, 15);
    const { page, requests } = await openUppy([big.path]);
    let holding = true;
    const held = [];
    await page.route((url) => url.searchParams.get('partNumber') === '3', (route) => {
      if (holding) held.push(route); else route.continue();
    });
    await startUpload(page);
    await until('part 3 in flight', () => held.length > 0, 60_000);
    await page.getByRole('button', { name: 'Pause upload' }).click();
    await page.screenshot({ path: `${screenshots}/uppy-dashboard-paused.png`, fullPage: true });
    holding = false;
    for (const route of held) await route.abort().catch(() => {});
    const putsBefore = requests.filter((r) => r.method === 'PUT').length;
    await page.getByRole('button', { name: 'Resume upload' }).click();
    await waitForDone(page, 1);
    const [file] = await files(page);
    assert.equal(stored(file.body.key), big.sha256);
    assert.ok(requests.some((r) => r.method === 'GET' && r.url.endsWith('/api/joist/uppy/upload')), 'the resume listed the parts');
    const resumed = requests.filter((r) => r.method === 'PUT').slice(putsBefore)
      .map((r) => new URL(r.url).searchParams.get('partNumber'));
    assert.deepEqual(resumed, ['3', '4', '5'], 'parts 1 and 2 were not sent again');
    await page.close();
  });

  it('resumes after a reload: Golden Retriever keeps the file and joist token, only the missing parts go up', async () => {
    const big = testFile('reloaded.bin', 40 * MIB, 16);
    const { page, requests } = await openUppy([big.path]);
    const held = [];
    const holdPartThree = (url) => url.searchParams.get('partNumber') === '3';
    await page.route(holdPartThree, (route) => { held.push(route); });
    await startUpload(page);
    await until('part 3 in flight', () => held.length > 0, 60_000);
    const [before] = await files(page);
    assert.equal(before.s3Multipart.uploadId, before.joist.token, "Uppy's UploadId is joist's token");
    await page.waitForTimeout(1000); // Golden Retriever saves its state throttled
    await page.unroute(holdPartThree);
    const sentBefore = requests.length;
    await page.reload();
    await page.waitForFunction(() => window.uppy?.getFiles().length === 1);
    await page.screenshot({ path: `${screenshots}/uppy-dashboard-recovered.png`, fullPage: true });
    await page.locator('button.uppy-StatusBar-actionBtn--upload').click();
    await waitForDone(page, 1);
    const [file] = await files(page);
    assert.equal(file.body.upload, before.joist.upload, 'the same upload finished');
    assert.equal(stored(file.body.key), big.sha256);
    const after = requests.slice(sentBefore);
    assert.ok(after.some((r) => r.method === 'GET' && r.url.endsWith('/api/joist/uppy/upload')), 'the resume listed the parts');
    assert.ok(!after.some((r) => r.url.endsWith('/api/joist/prepare')), 'no new upload was prepared');
    assert.equal(after.filter((r) => r.url.endsWith('/api/joist/parts')).length, 1, 'one /parts call signed every missing part');
    const resent = after.filter((r) => r.method === 'PUT').map((r) => new URL(r.url).searchParams.get('partNumber'));
    assert.deepEqual(resent, ['3', '4', '5']);
    await page.close();
  });

  it("shows joist's refusal on the file, in parts (through the S3 XML error) and in one PUT", async () => {
    // PDFs named .png: finalize detects a PDF where an image was declared
    const big = testFile('fake-big.pdf', 20 * MIB, 17);
    const small = testFile('fake-small.pdf', 4000, 18);
    const renamed = [big, small].map(({ path }) => {
      const png = path.replace(/\.pdf$/, '.png');
      renameSync(path, png);
      return png;
    });
    const { page } = await openUppy(renamed, '?field=car.owners_manual');
    await startUpload(page);
    await page.waitForFunction(() => window.uppy.getFiles().every((file) => file.error));
    await page.screenshot({ path: `${screenshots}/uppy-dashboard-refused.png`, fullPage: true });
    for (const file of await files(page)) {
      assert.doesNotMatch(file.error, /S3 returned|Failed to upload/, `${file.name}: joist's own message`);
      assert.match(file.error, /png|image/i, `${file.name}: ${file.error}`);
      const { body } = await api(demo.url, 'status', { token: file.joist.token });
      assert.equal(body.status, 'rejected', file.name);
    }
    await page.close();
  });

  it("sends the page's JWT on every joist call, never to the store, for a signed-in-only field", async () => {
    const big = testFile('signed.bin', 24 * MIB, 22);
    const small = testFile('signed.txt', 3000, 23);
    const { page, requests } = await openUppy([big.path, small.path], '?field=document.file');
    const token = jwt('uppy-user');
    await page.fill('#token', token);
    await startUpload(page);
    await waitForDone(page, 2);
    for (const file of await files(page)) assert.equal(stored(file.body.key), (file.name === 'signed.bin' ? big : small).sha256);
    const joist = requests.filter((r) => new URL(r.url).pathname.startsWith('/api/joist/') && !r.url.endsWith('.js'));
    assert.ok(joist.some((r) => r.url.endsWith('/api/joist/uppy/create')) && joist.some((r) => r.url.endsWith('/api/joist/prepare')));
    assert.deepEqual(joist.filter((r) => r.authorization !== `Bearer ${token}`), [], 'every joist call carries the JWT');
    const store = requests.filter((r) => r.method === 'PUT');
    assert.equal(store.length, 4, 'three parts and a single PUT');
    assert.ok(store.every((r) => !r.authorization), 'no store request carries it');

    const { page: anonymous } = await openUppy([small.path], '?field=document.file');
    await startUpload(anonymous);
    await anonymous.waitForFunction(() => window.uppy.getFiles()[0]?.error);
    assert.match((await files(anonymous))[0].error, /sign/i, 'joist asks to sign in');
    await anonymous.close();
    await page.close();
  });

  it('retries a failed part from where it stopped', async () => {
    const big = testFile('retried.bin', 40 * MIB, 19);
    const { page, requests } = await openUppy([big.path]);
    let refuse = true;
    await page.route((url) => url.searchParams.get('partNumber') === '4', (route) => {
      if (!refuse) return route.continue();
      refuse = false;
      return route.fulfill({ status: 403, contentType: 'application/xml', body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' });
    });
    await startUpload(page);
    await page.waitForFunction(() => window.uppy.getFiles()[0]?.error);
    assert.equal((await files(page))[0].error, 'Request has expired', "the store's message is on the file");
    const sent = requests.length;
    await page.locator('button.uppy-StatusBar-actionBtn--retry').click();
    await waitForDone(page, 1);
    const [file] = await files(page);
    assert.equal(stored(file.body.key), big.sha256);
    const again = requests.slice(sent);
    assert.ok(!again.some((r) => r.url.endsWith('/api/joist/prepare')), 'the same upload went on');
    assert.deepEqual(again.filter((r) => r.method === 'PUT').map((r) => new URL(r.url).searchParams.get('partNumber')), ['4', '5']);
    await page.close();
  });
});

describe('Uppy through joist, with quarantine checks in the background', () => {
  let demo;
  let browser;

  before(async () => {
    demo = await startDemo('embedded', { env: () => ({ JOIST_QUARANTINE: 'true', JOIST_CHECK_BACKGROUND_ABOVE: '1 MiB' }) });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('waits while joist checks files in the background, then has their field values', async () => {
    const big = testFile('checked.bin', 20 * MIB, 20);
    const single = testFile('checked.txt', 4 * MIB, 21);
    const page = await newPage(browser);
    const finalizes = [];
    page.on('response', (response) => { if (response.url().endsWith('/api/joist/finalize')) finalizes.push(response.status()); });
    await page.goto(`${demo.url}/uppy`);
    await page.waitForFunction(() => window.uppy);
    await page.locator('input.uppy-Dashboard-input').first().setInputFiles([big.path, single.path]);
    await page.locator('button.uppy-StatusBar-actionBtn--upload').click();
    await page.waitForFunction(() => document.querySelectorAll('#done li').length === 2 || window.uppy.getFiles().some((f) => f.error), null, { timeout: 120_000 });
    const uploaded = await page.evaluate(() => window.uppy.getFiles().map((f) => ({ name: f.name, error: f.error ?? null, body: f.response?.body })));
    for (const [file, expected] of [[uploaded.find((f) => f.name === 'checked.bin'), big], [uploaded.find((f) => f.name === 'checked.txt'), single]]) {
      assert.equal(file.error, null);
      assert.match(file.body.field_value, /\S{20,}/);
      assert.equal(sha256(readFileSync(join(demo.storeRoot, 'joist-demo', file.body.key))), expected.sha256);
    }
    assert.ok(finalizes.includes(202), `the single file's finalize answered 202 checking (${finalizes})`);
    await page.close();
  });
});

// The demo's forms in real headless Chromium: real bytes to the store, checked by SHA-256.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  api, events, launch, newPage, pngFile, screenshots, sha256OfUrl, sparseFile, startDemo,
  storeLeftovers, testFile, waitForCompletes,
} from './support.mjs';

const MIB = 1024 * 1024;

for (const store of (process.env.JOIST_E2E_STORES ?? 'embedded,garage').split(',')) describe(`browser uploads against the ${store} store`, () => {
  let demo;
  let browser;

  before(async () => {
    demo = await startDemo(store);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  /** Opens the new-car form, fills the name and chooses `path`. */
  async function chooseManual(page, name, path) {
    await page.goto(`${demo.url}/cars/new`);
    await page.fill('#car-name', name);
    await page.setInputFiles('[data-joist-field="car.owners_manual"] input[type=file]', path);
  }

  /** Saves the car form and answers the manual's SHA-256 as the store serves it. */
  async function saveAndDownload(page) {
    await Promise.all([page.waitForURL(/\/cars\/\d+$/), page.click('#car-form button[type=submit]')]);
    const href = await page.getAttribute('#manual-link', 'href');
    return sha256OfUrl(href);
  }

  it('uploads a tiny file and attaches it to the car', async () => {
    const page = await newPage(browser);
    const file = testFile('tiny.txt', 5, 11);
    await chooseManual(page, 'Tiny', file.path);
    await waitForCompletes(page, 1);
    assert.equal(await saveAndDownload(page), file.sha256);
    assert.equal(await page.textContent('#manual-link'), 'tiny.txt');
    await page.close();
  });

  it('shows what finalize and the demo handler found in the file', async () => {
    const page = await newPage(browser);
    await chooseManual(page, 'Pictured', pngFile('cover.png', 120));
    await waitForCompletes(page, 1);
    await Promise.all([page.waitForURL(/\/cars\/\d+$/), page.click('#car-form button[type=submit]')]);
    const summary = page.locator('#manual-summary');
    for (let i = 0; i < 50 && !/sha256/.test((await summary.count()) ? await summary.textContent() : ''); i++) {
      await page.waitForTimeout(100);
      await page.reload();
    }
    assert.match(await page.textContent('#manual-summary'), /^\(image\/png, 1×1, sha256 [0-9a-f]{12}…\)$/);
    await page.close();
  });

  it('shows the current file on the edit form and removes it', async () => {
    const page = await newPage(browser);
    const file = testFile('old.txt', 3, 2);
    await chooseManual(page, 'Edited', file.path);
    await waitForCompletes(page, 1);
    await Promise.all([page.waitForURL(/\/cars\/\d+$/), page.click('#car-form button[type=submit]')]);
    await Promise.all([page.waitForURL(/\/edit$/), page.getByRole('link', { name: 'Edit', exact: true }).click()]);
    assert.equal(await page.textContent('.joist-current-name'), 'old.txt');
    assert.equal(await sha256OfUrl(await page.getAttribute('.joist-current-name', 'href')), file.sha256);
    await page.screenshot({ path: `${screenshots}/${store}-car-edit.png`, fullPage: true });
    await page.getByRole('button', { name: 'Remove' }).click();
    assert.equal(await page.inputValue('[data-joist-value]'), 'remove');
    await Promise.all([page.waitForURL(/\/cars\/\d+$/), page.click('#car-form button[type=submit]')]);
    assert.match(await page.textContent('main'), /No owner's manual yet/);
    await page.close();
  });

  it('uploads 40 MiB in parallel parts with progress, and the bucket holds the same bytes', async () => {
    const page = await newPage(browser);
    const file = testFile('manual.pdf', 40 * MIB, 40);
    const puts = [];
    page.on('request', (request) => { if (request.method() === 'PUT') puts.push(request.url()); });
    let release;
    const held = new Promise((done) => { release = done; });
    await page.route(/partNumber=5/, async (route) => { await held; await route.continue(); });
    await chooseManual(page, 'Model T', file.path);
    await page.waitForFunction(() => window.joistEvents.some((event) => event.type === 'progress' && event.loaded >= 8 * 1024 * 1024));
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${screenshots}/${store}-car-form-uploading.png`, fullPage: true });
    release();
    await waitForCompletes(page, 1);
    await page.screenshot({ path: `${screenshots}/${store}-car-form-uploaded.png`, fullPage: true });
    assert.equal(new Set(puts.filter((url) => url.includes('partNumber=')).map((url) => new URL(url).searchParams.get('partNumber'))).size, 5);
    const progress = await events(page, 'progress');
    assert.ok(progress.length >= 2 && progress.every((event) => event.total === 40 * MIB));
    assert.equal(progress.at(-1).loaded, 40 * MIB, 'the last progress event reports every byte');
    assert.equal(await saveAndDownload(page), file.sha256);
    await page.screenshot({ path: `${screenshots}/${store}-car-show.png`, fullPage: true });
    await page.close();
  });

  it('cancels a multipart upload mid-way and aborts it on the store', async () => {
    const page = await newPage(browser);
    const file = testFile('cancel.pdf', 30 * MIB, 3);
    let storeUploadId;
    const heldUrls = [];
    page.on('request', (request) => {
      const id = new URL(request.url()).searchParams.get('uploadId');
      if (id) storeUploadId = id;
    });
    await page.route(/partNumber=[2-4]&/, (route) => { heldUrls.push(route.request().url()); /* held: never answered */ });
    await chooseManual(page, 'Cancelled', file.path);
    await page.waitForFunction(() => window.joistEvents.some((event) => event.type === 'start'));
    const [{ upload }] = await events(page, 'start');
    for (let i = 0; i < 200 && !heldUrls.some((url) => url.includes('partNumber=2&')); i++) await page.waitForTimeout(50);
    await page.getByRole('button', { name: /cancel/i }).click();
    await page.waitForFunction(() => window.joistEvents.some((event) => event.type === 'abort'));
    assert.equal((await events(page, 'abort'))[0].upload, upload);
    assert.ok(storeUploadId, 'a part URL named the store upload');
    await page.waitForTimeout(200);
    const partTwo = heldUrls.find((url) => url.includes('partNumber=2&'));
    // The store refuses a part for the aborted upload: a 4xx, or (Garage) an answer before the
    // body that ends the connection.
    const late = await fetch(partTwo, { method: 'PUT', body: Buffer.alloc(8 * MIB) })
      .then((response) => response.status, (error) => `connection closed: ${error.cause?.code ?? error.message}`);
    assert.ok(typeof late === 'string' || (late >= 400 && late < 500), `a part PUT after the abort is refused (${late})`);
    if (demo.store === 'embedded') {
      assert.deepEqual(storeLeftovers(demo.storeRoot, storeUploadId), [], 'no parts or upload record left in the store');
    }
    assert.equal(await page.inputValue('[data-joist-value]'), '');
    await page.close();
  });

  it('retries a part that fails twice, then completes', async () => {
    const page = await newPage(browser);
    const file = testFile('flaky.pdf', 24 * MIB, 7);
    let attempts = 0;
    await page.route(/partNumber=2&/, async (route) => {
      attempts += 1;
      if (attempts <= 2) await route.abort('connectionreset');
      else await route.continue();
    });
    await chooseManual(page, 'Flaky', file.path);
    await waitForCompletes(page, 1);
    assert.equal(attempts, 3);
    assert.equal(await saveAndDownload(page), file.sha256);
    await page.close();
  });

  it('resumes after a page reload instead of starting over', async () => {
    const page = await newPage(browser);
    const file = testFile('resume.pdf', 32 * MIB, 9);
    await page.route(/partNumber=[34]&/, () => { /* held until the reload */ });
    await chooseManual(page, 'Resumed', file.path);
    const doneParts = new Set();
    page.on('requestfinished', (request) => {
      const number = new URL(request.url()).searchParams.get('partNumber');
      if (request.method() === 'PUT' && number) doneParts.add(number);
    });
    await page.waitForFunction(() => window.joistEvents.some((event) => event.type === 'start'));
    const [{ upload }] = await events(page, 'start');
    for (let i = 0; i < 200 && doneParts.size < 2; i++) await page.waitForTimeout(100);
    assert.deepEqual([...doneParts].sort(), ['1', '2']);

    await page.unroute(/partNumber=[34]&/);
    await page.reload();
    const calls = [];
    page.on('request', (request) => calls.push(`${request.method()} ${new URL(request.url()).pathname}${new URL(request.url()).search.includes('partNumber=') ? `#${new URL(request.url()).searchParams.get('partNumber')}` : ''}`));
    await page.fill('#car-name', 'Resumed');
    await page.setInputFiles('[data-joist-field="car.owners_manual"] input[type=file]', file.path);
    await waitForCompletes(page, 1);
    assert.ok(calls.includes('POST /api/joist/status'), calls.join('\n'));
    assert.ok(!calls.includes('POST /api/joist/prepare'), calls.join('\n'));
    const parts = calls.filter((call) => call.startsWith('PUT ')).map((call) => call.split('#')[1]).sort();
    assert.deepEqual(parts, ['3', '4']);
    assert.equal((await events(page, 'complete'))[0].upload, upload);
    assert.equal(await saveAndDownload(page), file.sha256);
    await page.close();
  });

  it('refuses a too-large file before sending anything', async () => {
    const page = await newPage(browser);
    const requests = [];
    await page.goto(`${demo.url}/cars/new`);
    page.on('request', (request) => requests.push(request.url()));
    await page.setInputFiles('[data-joist-field="car.owners_manual"] input[type=file]', sparseFile('huge.pdf', 200 * MIB + 1));
    await page.waitForSelector('[data-joist-error]:not([hidden])');
    assert.match(await page.textContent('[data-joist-error]'), /too large|at most|200/i);
    await page.waitForTimeout(300);
    assert.deepEqual(requests, []);
    await page.screenshot({ path: `${screenshots}/${store}-car-form-too-large.png`, fullPage: true });
    await page.close();
  });

  it('uploads several images at once and shows them in the gallery', async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/photos`);
    const images = [pngFile('a.png', 40), pngFile('b.png', 140), pngFile('c.png', 240)];
    await page.setInputFiles('[data-joist-field="photo.image"] input[type=file]', images);
    await waitForCompletes(page, 3);
    await page.screenshot({ path: `${screenshots}/${store}-photos-uploaded.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/photos$/), page.click('#photos-form button[type=submit]')]);
    await page.waitForFunction(() => [...document.querySelectorAll('#gallery img')].every((img) => img.complete && img.naturalWidth > 0));
    assert.equal(await page.locator('#gallery img').count(), 3);
    await page.screenshot({ path: `${screenshots}/${store}-photos-gallery.png`, fullPage: true });
    await page.close();
  });

  it('sends a SHA-256 per file that the store checks, so a corrupted body is refused', async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/photos`);
    const checksummed = [];
    page.on('request', (request) => {
      const header = request.headers()['x-amz-checksum-sha256'];
      if (request.method() === 'PUT' && header) checksummed.push(header);
    });
    await page.route(/\/bad\.png\?/, async (route) => {
      const body = Buffer.from(route.request().postDataBuffer());
      body[body.length - 1] ^= 0xff;
      await route.continue({ postData: body });
    });
    await page.setInputFiles('[data-joist-field="photo.image"] input[type=file]', [pngFile('good.png', 90), pngFile('bad.png', 190)]);
    await page.waitForFunction(() => window.joistEvents.filter((event) => ['complete', 'error'].includes(event.type)).length >= 2);
    const [complete] = await events(page, 'complete');
    const [error] = await events(page, 'error');
    assert.equal(complete.name, 'good.png');
    assert.equal(error.name, 'bad.png');
    assert.ok(checksummed.length >= 2, 'every PUT carried its checksum');
    await page.close();
  });

  it('names the missing CORS exposure when the store hides ETag', async () => {
    const page = await newPage(browser);
    const file = testFile('hidden.pdf', 20 * MIB, 4);
    await page.route(/partNumber=1&/, (route) => route.fulfill({
      status: 200,
      headers: { 'access-control-allow-origin': demo.url, etag: '"0123456789abcdef0123456789abcdef"' },
      body: '',
    }));
    await chooseManual(page, 'Hidden', file.path);
    await page.waitForFunction(() => window.joistEvents.some((event) => event.type === 'error'));
    const [error] = await events(page, 'error');
    assert.match(error.message, /ETag/);
    assert.match(error.message, /CORS/);
    await page.screenshot({ path: `${screenshots}/${store}-car-form-cors-error.png`, fullPage: true });
    await page.close();
  });

  it('holds the form submit until the upload finished', async () => {
    const page = await newPage(browser);
    const file = testFile('slow.pdf', 20 * MIB, 5);
    let release;
    const held = new Promise((done) => { release = done; });
    await page.route(/partNumber=3&/, async (route) => { await held; await route.continue(); });
    await chooseManual(page, 'Patient', file.path);
    await page.waitForFunction(() => window.joistEvents.some((event) => event.type === 'start'));
    await page.click('#car-form button[type=submit]');
    await page.waitForTimeout(500);
    assert.match(page.url(), /\/cars\/new$/, 'still on the form');
    assert.match(await page.textContent('[data-joist-field] [data-joist-error]'), /waiting/i);
    release();
    await page.waitForURL(/\/cars\/\d+$/, { timeout: 60_000 });
    assert.equal(await sha256OfUrl(await page.getAttribute('#manual-link', 'href')), file.sha256);
    await page.close();
  });

  it('refuses a forged field value with a form error', async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/cars/new`);
    await page.fill('#car-name', 'Forged');
    await page.evaluate(() => { document.querySelector('[data-joist-value]').value = 'eyJ1IjoxfQ.Zm9yZ2Vk'; });
    await page.click('#car-form button[type=submit]');
    await page.waitForSelector('.form-error');
    assert.match(await page.textContent('.form-error'), /could not be verified/);
    const { status } = await api(demo.url, 'status', { token: 'eyJ1IjoxfQ.Zm9yZ2Vk' });
    assert.equal(status, 401);
    await page.close();
  });
});

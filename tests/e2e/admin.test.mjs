// The admin pages in headless Chromium: find an upload in the list, see what it is, delete it
// with the keyboard after confirming; and the pages stay closed outside development.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { api, gradientPng, launch, newPage, screenshots, startDemo, testFile, waitForCompletes } from './support.mjs';

const MIB = 1024 * 1024;

describe('admin pages on the development demo', () => {
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

  /** Uploads two photos through the gallery form and leaves a 70 MiB manual one part in. */
  async function seedUploads(page) {
    await page.goto(`${demo.url}/photos`);
    await page.setInputFiles('[data-joist-field="photo.image"] input[type=file]', [
      gradientPng('sunset.png', 320, 200, [255, 94, 58], [60, 20, 110]),
      gradientPng('harbour <b>at night.png', 200, 200, [10, 40, 90], [120, 200, 230]),
    ]);
    await waitForCompletes(page, 2);
    await Promise.all([page.waitForURL(/\/photos$/), page.click('#photos-form button[type=submit]')]);
    const manual = testFile('service-log.txt', 70 * MIB, 5);
    const prepared = await api(demo.url, 'prepare', { field: 'car.owners_manual', filename: 'service-log.txt', size: manual.size, content_type: 'text/plain' });
    assert.equal(prepared.status, 201, JSON.stringify(prepared.body));
    const parts = await api(demo.url, 'parts', { token: prepared.body.token, numbers: [1] });
    const part = readFileSync(manual.path).subarray(0, prepared.body.part_size);
    const put = await fetch(parts.body.parts[0].url, { method: 'PUT', body: part, headers: parts.body.parts[0].headers ?? {} });
    assert.equal(put.status, 200);
    return prepared.body;
  }

  it('finds, shows and deletes an upload, all by keyboard after the search', async () => {
    const page = await newPage(browser);
    await page.setViewportSize({ width: 1280, height: 900 });
    const unfinished = await seedUploads(page);

    await page.goto(`${demo.url}/admin/joist`);
    assert.equal(await page.locator('table.uploads tbody tr').count(), 3);
    assert.deepEqual((await page.locator('a.filename').allTextContents()).sort(), ['harbour <b>at night.png', 'service-log.txt', 'sunset.png']);
    await page.screenshot({ path: `${screenshots}/admin-list.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: `${screenshots}/admin-list-narrow.png`, fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.fill('input[name=q]', 'harbour');
    await Promise.all([page.waitForURL(/q=harbour/), page.keyboard.press('Enter')]);
    assert.equal(await page.locator('table.uploads tbody tr').count(), 1);
    assert.equal(await page.textContent('a.filename'), 'harbour <b>at night.png', 'the filename shows as text');

    await Promise.all([page.waitForURL(/\/uploads\//), page.click('a.filename')]);
    await page.waitForFunction(() => document.querySelector('img.preview')?.naturalWidth === 200);
    assert.match(await page.textContent('main'), /"width": 200/, 'the finalize handler\'s metadata');
    const download = await page.getAttribute('a[download]', 'href');
    assert.equal((await fetch(download)).status, 200);
    await page.screenshot({ path: `${screenshots}/admin-detail.png`, fullPage: true });

    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.getByRole('link', { name: 'Delete…' }).focus();
    await Promise.all([page.waitForURL(/\/confirm\?/), page.keyboard.press('Enter')]);
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Delete', 'the confirm button has focus');
    await page.screenshot({ path: `${screenshots}/admin-confirm.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/actions\//), page.keyboard.press('Enter')]);
    assert.equal(await page.textContent('td[data-label=Outcome]'), 'deleted the object and the record');
    assert.notEqual((await fetch(download)).status, 200, 'the object is gone from the store');

    await page.goto(`${demo.url}/admin/joist/uploads/${unfinished.upload}`);
    assert.match(await page.textContent('main'), /1 of 9 parts uploaded \(8 MiB\)/);
    await page.screenshot({ path: `${screenshots}/admin-detail-multipart.png`, fullPage: true });
    await page.close();
  });
});

describe('admin pages outside development', () => {
  let demo;

  before(async () => {
    demo = await startDemo('garage');
  });

  after(async () => {
    await demo?.stop();
  });

  it('refuses everyone by default', async () => {
    const response = await fetch(`${demo.url}/admin/joist`);
    assert.equal(response.status, 403);
    assert.match(await response.text(), /open only in development/);
  });
});

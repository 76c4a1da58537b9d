// joist.js against a flaky network in headless Chromium: 50 files from 1 byte to 200 MiB go up
// through a proxy that drops one connection in ten and cuts one request body every 48 MiB, and
// the store holds every file byte for byte.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, newPage, sha256OfUrl, startDemo, testFile, waitForCompletes } from './support.mjs';

const MIB = 1024 * 1024;

/** The SHA-256 of what `url` serves, retrying downloads the flaky proxy breaks. */
async function sha256Through(url) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await sha256OfUrl(url);
    } catch (error) {
      if (attempt === 10) throw error;
    }
  }
}

describe('uploads through a flaky network', () => {
  let demo;
  let browser;

  before(async () => {
    demo = await startDemo('embedded', { faults: { dropEvery: 10, cutEveryBytes: 48 * MIB } });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('uploads 50 files from 1 byte to 200 MiB, every one intact', async () => {
    const page = await newPage(browser);
    const failed = [];
    page.on('requestfailed', (request) => { if (request.method() === 'PUT') failed.push(request.url()); });
    const sizes = Array.from({ length: 50 }, (_, i) => Math.round((200 * MIB) ** (i / 49)));
    for (const [index, size] of sizes.entries()) {
      const file = testFile(`flaky-${index}.txt`, size, index + 1);
      await page.goto(`${demo.url}/cars/new`);
      await page.fill('#car-name', `Flaky ${index}`);
      await page.setInputFiles('[data-joist-field="car.owners_manual"] input[type=file]', file.path);
      await waitForCompletes(page, 1, 300_000);
      await Promise.all([page.waitForURL(/\/cars\/\d+$/), page.click('#car-form button[type=submit]')]);
      assert.equal(await sha256Through(await page.getAttribute('#manual-link', 'href')), file.sha256, `file ${index} (${size} bytes)`);
    }
    const { connections, dropped, cut } = demo.proxy.counts;
    // Whether a fault reaches joist.js depends on timing: Chromium sends a request again on its
    // own when a connection it reused is reset before any answer (a clean-clone run once saw no
    // PUT fail). joist.js's own retries are tested where the failure is certain
    // (uploads.test.mjs, uppy.test.mjs).
    assert.ok(dropped + cut >= 10, `faults were injected: ${JSON.stringify(demo.proxy.counts)}`);
    process.stdout.write(`# faults: ${connections} connections, ${dropped} dropped, ${cut} cut, ${failed.length} PUTs failed in Chromium\n`);
    await page.close();
  });
});

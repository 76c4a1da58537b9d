// Finalize checks what was really uploaded, seen from the browser: a lying file is refused with
// the reason shown in the form, a real JPEG (made by Chromium's own encoder) shows its
// dimensions, a 20000×20000 PNG is refused by max_pixels without anything decoding it; and with
// clamd and quarantine (checked in the background), EICAR is refused after "Checking…" while a
// clean file is promoted.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { events, launch, newPage, pngBytes, screenshots, sha256OfUrl, startDemo, testFile } from './support.mjs';

const PHOTO_INPUT = '[data-joist-field="photo.image"] input[type=file]';

/** A valid black 1-bit greyscale PNG of `width` × `height`: 400 Mpx compress to a few KiB. */
function blackPng(width, height) {
  return pngBytes(width, height, 1, 0, Buffer.alloc((1 + Math.ceil(width / 8)) * height));
}

/** Waits for the photo field's first upload to end, completed or refused. */
async function settled(page) {
  await page.waitForFunction(() => window.joistEvents.some((event) => ['complete', 'error'].includes(event.type)));
  return (await events(page)).find((event) => ['complete', 'error'].includes(event.type));
}

describe('finalize checks the bytes, seen in Chromium', () => {
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

  it('refuses HTML named .png and says why in the form', async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/photos`);
    const html = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>');
    await page.setInputFiles(PHOTO_INPUT, { name: 'cat.png', mimeType: 'image/png', buffer: html });
    const outcome = await settled(page);
    assert.equal(outcome.code, 'content_mismatch', JSON.stringify(outcome));
    const shown = await page.textContent('[data-joist-field="photo.image"] [data-joist-error]');
    assert.match(shown, /cat\.png: the file is text\/html, not image\/png as declared/);
    assert.equal(await page.getAttribute('[data-joist-field="photo.image"] [data-joist-value]', 'value'), '', 'no field value');
    await page.screenshot({ path: `${screenshots}/content-refused.png`, fullPage: true });
    await page.close();
  });

  it("shows a real JPEG's dimensions after upload", async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/photos`);
    const jpeg = Buffer.from(await page.evaluate(async () => {
      const canvas = Object.assign(document.createElement('canvas'), { width: 640, height: 480 });
      const context = canvas.getContext('2d');
      context.fillStyle = '#3a7';
      context.fillRect(0, 0, 640, 480);
      const blob = await new Promise((done) => canvas.toBlob(done, 'image/jpeg', 0.9));
      return [...new Uint8Array(await blob.arrayBuffer())];
    }));
    await page.setInputFiles(PHOTO_INPUT, { name: 'field.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    const outcome = await settled(page);
    assert.equal(outcome.type, 'complete', JSON.stringify(outcome));
    assert.equal(await page.textContent('.joist-upload-status'), 'Uploaded · 640 × 480');
    await page.screenshot({ path: `${screenshots}/content-jpeg-dimensions.png`, fullPage: true });
    await page.close();
  });

  it('refuses a 20000×20000 PNG by max_pixels, from its header alone', async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/photos`);
    const bomb = blackPng(20_000, 20_000);
    assert.ok(bomb.length < 200_000, `the bomb is ${bomb.length} bytes`);
    await page.setInputFiles(PHOTO_INPUT, { name: 'bomb.png', mimeType: 'image/png', buffer: bomb });
    const outcome = await settled(page);
    assert.equal(outcome.code, 'image_dimensions', JSON.stringify(outcome));
    assert.match(outcome.message, /400000000 pixels; this field takes at most 40000000 \(max_pixels\)/);
    await page.close();
  });
});

describe('quarantine and clamd, seen in Chromium', () => {
  let demo;
  let browser;
  before(async () => {
    assert.ok(process.env.JOIST_TEST_CLAMD, 'JOIST_TEST_CLAMD: scripts/test starts clamd');
    demo = await startDemo('embedded', {
      env: () => ({ JOIST_CLAMD: process.env.JOIST_TEST_CLAMD, JOIST_QUARANTINE: 'true', JOIST_CHECK_BACKGROUND_ABOVE: '1' }),
    });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('refuses EICAR after checking it, and promotes a clean file', async () => {
    const page = await newPage(browser);
    await page.goto(`${demo.url}/cars/new`);
    const eicar = Buffer.from('X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*', 'latin1');
    assert.equal(eicar.length, 68);
    await page.setInputFiles('[data-joist-field="car.owners_manual"] input[type=file]', { name: 'eicar.txt', mimeType: 'text/plain', buffer: eicar });
    const outcome = await settled(page);
    assert.equal(outcome.code, 'upload_rejected', JSON.stringify(outcome));
    assert.ok((await events(page, 'checking')).length === 1, 'the form showed Checking…');
    assert.match(await page.textContent('[data-joist-field="car.owners_manual"] [data-joist-error]'), /eicar\.txt: the file was refused by a scan: Joist-Test-EICAR\S* \(clamav\)/);
    await page.screenshot({ path: `${screenshots}/content-eicar-refused.png`, fullPage: true });

    const clean = testFile('manual.pdf', 3 << 20, 77);
    await page.goto(`${demo.url}/cars/new`);
    await page.fill('#car-name', 'Checked');
    await page.setInputFiles('[data-joist-field="car.owners_manual"] input[type=file]', clean.path);
    const done = await settled(page);
    assert.equal(done.type, 'complete', JSON.stringify(done));
    assert.ok(!done.key.startsWith('quarantine/'), done.key);
    await Promise.all([page.waitForURL(/\/cars\/\d+$/), page.click('#car-form button[type=submit]')]);
    assert.equal(await sha256OfUrl(await page.getAttribute('#manual-link', 'href')), clean.sha256);
    assert.ok(existsSync(join(demo.storeRoot, 'joist-demo', done.key)), 'promoted to its key');
    assert.ok(!existsSync(join(demo.storeRoot, 'joist-demo', 'quarantine', done.key)), 'the quarantine copy is gone');
    await page.close();
  });
});

// Thumbnails in real headless Chromium: photos uploaded through the gallery form get their
// `thumb` variant (240 × 240 WebP, made by the finalize event's job), the gallery shows them
// with their width and height reserved before anything loads, and nothing shifts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gradientPng, launch, newPage, screenshots, startDemo, until, waitForCompletes } from './support.mjs';

const PHOTO_INPUT = '[data-joist-field="photo.image"] input[type=file]';

for (const store of (process.env.JOIST_E2E_STORES ?? 'embedded,garage').split(',')) describe(`thumbnails against the ${store} store`, () => {
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

  it('shows each photo through its 240 × 240 WebP thumbnail without a layout shift', async () => {
    const page = await newPage(browser);
    await page.addInitScript(() => {
      window.layoutShift = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.goto(`${demo.url}/photos`);
    const photos = [
      gradientPng('wide.png', 1200, 500, [200, 30, 30], [30, 30, 200]),
      gradientPng('tall.png', 300, 900, [30, 160, 60], [250, 220, 40]),
    ];
    await page.setInputFiles(PHOTO_INPUT, photos);
    await waitForCompletes(page, 2);
    await Promise.all([page.waitForURL(/\/photos$/), page.click('#photos-form button[type=submit]')]);

    // The job runs in the background: reload until the page renders both thumbnails as ready.
    await until('both thumbnails to be ready', async () => {
      await page.goto(`${demo.url}/photos`, { waitUntil: 'domcontentloaded' });
      return page.evaluate(() => {
        const shown = [...document.querySelectorAll('#gallery img')].slice(0, 2);
        return shown.length === 2 && shown.every((img) => !img.hasAttribute('data-joist-pending'));
      });
    }, 60_000);

    // Before any image loads, each box already has its size.
    const boxes = await page.evaluate(() => [...document.querySelectorAll('#gallery img')].slice(0, 2).map((img) => ({
      src: img.getAttribute('src'),
      width: img.getAttribute('width'),
      height: img.getAttribute('height'),
      box: img.getBoundingClientRect().height,
    })));
    for (const box of boxes) {
      assert.match(box.src, /\/variants\/thumb\?/, JSON.stringify(box));
      assert.deepEqual([box.width, box.height], ['240', '240']);
      assert.ok(box.box > 50, `the box is reserved: ${JSON.stringify(box)}`);
    }

    await page.waitForFunction(() => [...document.querySelectorAll('#gallery img')].slice(0, 2)
      .every((img) => img.complete && img.naturalWidth > 0));
    const loaded = await page.evaluate(async () => Promise.all([...document.querySelectorAll('#gallery img')].slice(0, 2).map(async (img) => {
      const response = await fetch(img.src);
      return {
        width: img.naturalWidth,
        height: img.naturalHeight,
        type: response.headers.get('content-type'),
        box: img.getBoundingClientRect().height,
      };
    })));
    for (const image of loaded) {
      assert.deepEqual([image.width, image.height, image.type], [240, 240, 'image/webp'], JSON.stringify(image));
    }
    assert.deepEqual(loaded.map((image) => image.box), boxes.map((box) => box.box), 'the boxes did not change size');
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => window.layoutShift), 0, 'no layout shift');
    await page.screenshot({ path: `${screenshots}/${store}-thumbnails.png`, fullPage: true });
    await page.close();
  });
});

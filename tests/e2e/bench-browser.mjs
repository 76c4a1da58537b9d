// Browser throughput for BENCHMARKS.md (run by scripts/bench-browser, not by the test suite):
// joist.js in headless Chromium uploads FILE through the demo's /backups page at URL, and the
// time from its start event to its complete event gives the rate.
import { statSync } from 'node:fs';
import { launch } from './support.mjs';

const [url, file] = process.argv.slice(2);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.addInitScript((concurrency) => {
    window.marks = {};
    // JOIST_BENCH_CONCURRENCY overrides the field's parallel parts before joist.js attaches.
    if (concurrency) {
      new MutationObserver(() => {
        for (const field of document.querySelectorAll('[data-joist-field]')) field.dataset.joistConcurrency = concurrency;
      }).observe(document, { childList: true, subtree: true });
    }
    for (const type of ['start', 'complete', 'error']) {
      document.addEventListener(`joist:upload:${type}`, (event) => {
        window.marks[type] = performance.now();
        if (type === 'error') window.marks.message = event.detail?.message;
      });
    }
  }, process.env.JOIST_BENCH_CONCURRENCY ?? '');
  await page.goto(`${url}/backups`);
  await page.setInputFiles('[data-joist-field="backup.archive"] input[type=file]', file);
  await page.waitForFunction(() => window.marks.complete || window.marks.error, null, { timeout: 900_000 });
  const marks = await page.evaluate(() => window.marks);
  if (marks.error) throw new Error(`upload failed: ${marks.message}`);
  const bytes = statSync(file).size;
  const seconds = (marks.complete - marks.start) / 1000;
  process.stdout.write(`browser bytes=${bytes} seconds=${seconds.toFixed(2)} MB/s=${(bytes / seconds / 1e6).toFixed(1)}\n`);
} finally {
  await browser.close();
}

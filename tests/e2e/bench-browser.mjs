// Browser throughput for BENCHMARKS.md (run by scripts/bench-browser, not by the test suite).
//
//   node bench-browser.mjs URL FILE [joist|raw|fetch]
//
// joist: joist.js in headless Chromium uploads FILE through the demo's /backups page at URL; the
// time from its start event (after prepare) to its complete event (after finalize) gives the rate.
// raw: the same Chromium and the same API, but the least a page can do: plain XHR PUTs of the file's
// slices to the signed URLs, no progress, no retries, no interface. It is the ceiling joist.js is
// measured against, timed the same way. fetch: the raw page with `fetch` and a Blob body instead of
// XHR. JOIST_BENCH_CONCURRENCY sets the parallel parts of all three. Each run uploads FILE twice in
// one browser and reports the second: the first pays for the browser's cold start (code compiled,
// connections opened), which a user's page pays once.
import { statSync } from 'node:fs';
import { launch } from './support.mjs';

const [url, file, mode = 'joist'] = process.argv.slice(2);
const concurrency = process.env.JOIST_BENCH_CONCURRENCY ?? '';
const browser = await launch();
try {
  // one context, so the second upload finds the first's connections and caches
  const context = await browser.newContext();
  const run = async () => {
    const page = await context.newPage();
    try {
      return mode === 'joist' ? await joist(page) : await raw(page, mode === 'fetch');
    } finally {
      await page.close();
    }
  };
  await run();
  const seconds = await run();
  const bytes = statSync(file).size;
  process.stdout.write(`${mode} bytes=${bytes} seconds=${seconds.toFixed(2)} MB/s=${(bytes / seconds / 1e6).toFixed(1)}\n`);
} finally {
  await browser.close();
}

async function joist(page) {
  await page.addInitScript((concurrency) => {
    window.marks = {};
    if (concurrency) {
      new MutationObserver(() => {
        for (const field of document.querySelectorAll('[data-joist-field]')) field.dataset.joistConcurrency = concurrency;
      }).observe(document, { childList: true, subtree: true });
    }
    // Settles on the complete or error event: no polling, which would run in the page and take CPU
    // from the upload.
    window.finished = new Promise((resolve) => {
      for (const type of ['start', 'complete', 'error']) {
        document.addEventListener(`joist:upload:${type}`, (event) => {
          window.marks[type] = performance.now();
          if (type === 'error') window.marks.message = event.detail?.message;
          if (type !== 'start') resolve(window.marks);
        });
      }
    });
  }, concurrency);
  await page.goto(`${url}/backups`);
  await page.setInputFiles('[data-joist-field="backup.archive"] input[type=file]', file);
  const marks = await page.evaluate(() => window.finished);
  if (marks.error) throw new Error(`upload failed: ${marks.message}`);
  return (marks.complete - marks.start) / 1000;
}

async function raw(page, viaFetch) {
  await page.goto(`${url}/backups`);
  await page.evaluate(() => document.body.append(Object.assign(document.createElement('input'), { type: 'file', id: 'raw' })));
  await page.setInputFiles('#raw', file);
  return page.evaluate(async ([concurrency, viaFetch]) => {
    const file = document.querySelector('#raw').files[0];
    const post = async (path, body) => {
      const headers = { 'content-type': 'application/json' };
      const response = await fetch(`/api/joist/${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!response.ok) throw new Error(`${path}: ${await response.text()}`);
      return response.json();
    };
    const body = { field: 'backup.archive', filename: 'raw.bin', size: file.size, content_type: 'application/octet-stream' };
    const { token, part_size, part_count, parts } = await post('prepare', body);
    const started = performance.now();
    const numbers = Array.from({ length: part_count }, (_, index) => index + 1);
    // Part number to its signed URL (a promise), asked for in windows of 16 as they are needed.
    const signed = new Map(parts.map((part) => [part.number, Promise.resolve(part)]));
    const sign = (n) => {
      const window = numbers.slice(n - 1, n + 15).filter((m) => !signed.has(m));
      const answer = post('parts', { token, numbers: window }).then(({ parts }) => new Map(parts.map((part) => [part.number, part])));
      for (const m of window) signed.set(m, answer.then((byNumber) => byNumber.get(m)));
    };
    const put = async (n, { url, headers = {} }) => {
      const body = file.slice((n - 1) * part_size, n * part_size);
      if (viaFetch) {
        const response = await fetch(url, { method: 'PUT', headers, body });
        if (!response.ok) throw new Error(`part ${n}: ${response.status}`);
        return response.headers.get('ETag');
      }
      return new Promise((resolve, reject) => {
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', url);
        for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
        xhr.onload = () => (xhr.status < 300 ? resolve(xhr.getResponseHeader('ETag')) : reject(new Error(`part ${n}: ${xhr.status}`)));
        xhr.onerror = () => reject(new Error(`part ${n}: network error`));
        xhr.send(body);
      });
    };
    const etags = new Map();
    const queue = [...numbers];
    const worker = async () => {
      for (let n = queue.shift(); n; n = queue.shift()) {
        if (!signed.has(n)) sign(n);
        etags.set(n, await put(n, await signed.get(n)));
      }
    };
    await Promise.all(Array.from({ length: Number(concurrency) || 4 }, worker));
    await post('finalize', { token, parts: numbers.map((number) => ({ number, etag: etags.get(number) })) });
    return (performance.now() - started) / 1000;
  }, [concurrency, viaFetch]);
}

/**
 * joist.js: uploads files straight to the store, through joist's JSON API.
 *
 * Two ways in:
 * - `upload(file, {field, ...})`, headless: no DOM needed, for single-page apps and custom UIs. It
 *   returns a Promise of the finalize result and rejects with an Error carrying `code` and `message`.
 * - `.joist-field`s (rendered by `joist_field()`), attached on load or with `attach`/`attachAll`,
 *   which run on the same code. Their events bubble from the `.joist-field`, with their `detail`
 *   (`field`: the field's name, `file`: the File, `upload`: the upload's id):
 *     joist:upload:start     {field, file, upload, mode, partCount}        prepared or resumed
 *     joist:upload:progress  {field, file, loaded, total, bytesPerSecond}  at most 10 a second, and at 100 % at once
 *     joist:upload:complete  {field, file, upload, key, fieldValue, metadata} finalized, value set
 *     joist:upload:checking  {field, file, upload}                         the server checks it (scans, quarantine)
 *     joist:upload:error     {field, file, code, message}                  refused or failed
 *     joist:upload:abort     {field, file, upload}                         cancelled or removed
 *
 * Types: joist.d.ts, served beside this module.
 */

const WAITING = 'Waiting for uploads to finish…';
const REFUSED = new Set(['content_mismatch', 'image_dimensions', 'unreadable_image', 'infected', 'scan_failed', 'upload_rejected']);
const ETAG_HIDDEN = 'The store did not expose the ETag header: its CORS rule must list ETag in ExposeHeaders';
/** The engine's default `multipart_threshold`: below it an upload is one PUT, signed with the file's SHA-256. */
const SINGLE_BELOW = 64 << 20;

const controllers = new WeakMap();
const guardedForms = new WeakSet();
const submitters = new WeakMap();

const problem = (code, message, extra) => Object.assign(new Error(message), { code, ...extra });
const retryable = (status) => status === 408 || status === 429 || status >= 500;
const backoff = (attempt) => 500 * 2 ** attempt * (0.75 + Math.random() / 2);
const find = (root, name) => root.querySelector(`[data-joist-${name}]`);
const recordKey = (field, file) => `joist:${JSON.stringify([field, file.name, file.size, file.lastModified])}`;
const count = (value, fallback, min) => (parseInt(value, 10) >= min ? parseInt(value, 10) : fallback);

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** Runs `task`, and again after a backoff when it fails retryably, `retries` times at most. */
async function withRetries(task, retries, signal) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await task();
    } catch (error) {
      if (!error.retry || attempt >= retries) throw Object.assign(error, { retry: false });
      await sleep(backoff(attempt), signal);
    }
  }
}

/** POSTs `body` as JSON with `headers`: the answer, or a problem with the API's code and message. */
async function post(url, body, headers) {
  let response;
  try {
    const sent = { ...headers, 'content-type': 'application/json' };
    response = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: sent, body: JSON.stringify(body) });
  } catch {
    throw problem('network_error', 'Could not reach the server: check the connection.', { status: 0, retry: true });
  }
  const { status } = response;
  const data = await response.json().catch(() => ({}));
  if (response.ok) return data;
  const { code = 'http_error', message = `The server answered HTTP ${status}.` } = data?.error || {};
  throw problem(code, message, { status, retry: retryable(status), api: true });
}

/** `use(localStorage)`, or null where storage fails (then uploads cannot resume). */
function withStorage(use) {
  try {
    return use(localStorage);
  } catch {
    return null;
  }
}

/** Runs the tasks given to it in order, at most `max` at once. */
function limiter(max) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active < max && queue.length) {
      active++;
      queue.shift()();
    }
  };
  return async (task) => {
    await new Promise((resolve) => {
      queue.push(resolve);
      next();
    });
    try {
      return await task();
    } finally {
      active--;
      next();
    }
  };
}

/** As the server decides: SVG, which can run script, only by its exact name. */
function accepts(patterns, type) {
  const actual = type.trim().toLowerCase() || 'application/octet-stream';
  const family = (p) => actual !== 'image/svg+xml' && (p === '*/*' || (p.endsWith('/*') && actual.startsWith(p.slice(0, -1))));
  return !patterns.length || patterns.some((p) => p === actual || family(p));
}

async function sha256(blob) {
  if (!crypto.subtle) throw problem('checksum_unavailable', 'Checksums need a secure (https) page.');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return btoa(String.fromCharCode(...digest));
}

/** Signed part URLs by number, with when they were signed and their lifetime. */
function signedParts(parts) {
  const at = Date.now();
  return new Map(
    parts.map((part) => {
      const seconds = Number(new URL(part.url).searchParams.get('X-Amz-Expires'));
      return [part.number, { part, at, life: seconds * 1000 || Infinity }];
    }),
  );
}

/** The ETag of a part the store took, or the error it answered. */
function storeAnswer(xhr, expiresAt) {
  const { status } = xhr;
  if (status >= 200 && status < 300) return xhr.getResponseHeader('ETag') || problem('etag_hidden', ETAG_HIDDEN);
  // A single PUT is signed `If-None-Match: *`: its first try landed though its answer was lost.
  // The object is there; finalize checks it.
  if (status === 412) return '';
  const body = xhr.responseText;
  if (((status === 403 || status === 400) && /expired/i.test(body)) || (status === 403 && Date.now() > expiresAt)) {
    return problem('url_expired', 'The upload link expired.', { status, retry: true, expired: true });
  }
  const said = /<Message>([^<]*)</.exec(body)?.[1];
  const retry = retryable(status);
  const message = `The file store answered HTTP ${status}${said ? `: ${said}` : '.'}`;
  return problem(retry ? 'store_unavailable' : 'store_refused', message, { status, retry });
}

function storeUnreachable() {
  const cause = `the network is down, or the bucket's CORS rule may be missing for this origin (${location.origin})`;
  return problem('network_error', `Could not reach the file store: ${cause}.`, { status: 0, retry: true });
}

/**
 * One file going up, without any DOM: its parts, its resume record, its calls to the API.
 * `options`: {field, api, headers, retries, checksum, singleBelow, limit, resume, onStart,
 * onProgress, onChecking}, as `upload` normalizes them.
 */
class Transfer {
  constructor(file, options) {
    this.file = file;
    this.options = options;
    this.key = recordKey(options.field, file);
  }

  /** Uploads and finalizes the file: the finalize result. Aborting `signal` gives the upload up on the server. */
  async run(signal) {
    try {
      await this.open(signal);
      const { limit } = this.options;
      await Promise.all([...this.todo].map((n) => limit(() => this.sendPart(n, signal))));
      signal.throwIfAborted();
      this.reportAll();
      let result = await this.call('finalize', { token: this.token, parts: this.partList() });
      if (result.status === 'checking') result = await this.checked(signal);
      signal.throwIfAborted();
      this.forgetRecord();
      return result;
    } catch (error) {
      clearTimeout(this.timer);
      this.failed = true;
      if (signal.aborted) {
        await this.abandon();
        throw problem('aborted', 'The upload was cancelled.', { cause: error });
      }
      if (error.api && error.status < 500) this.forgetRecord();
      throw error;
    }
  }

  /** Gives the upload up: forgets its record and aborts it on the server (once). */
  async abandon() {
    this.forgetRecord();
    if (!this.token || this.abandoned) return;
    this.abandoned = true;
    await this.call('abort', { token: this.token }).catch(() => null);
  }

  /** Waits while the server checks the file in the background (scans, quarantine): its finalize result. */
  async checked(signal) {
    this.options.onChecking({ upload: this.id });
    for (let attempt = 0; ; attempt++) {
      await sleep(Math.min(500 * 2 ** attempt, 5000), signal);
      const now = await this.call('status', { token: this.token });
      if (now.finalized) return now.finalized;
      if (now.status !== 'checking') {
        throw problem('upload_rejected', now.error || `The file was not accepted (${now.status}).`, { api: true, status: 422 });
      }
    }
  }

  /** Resumes the stored upload of this file, or prepares a new one. */
  async open(signal) {
    const saved = this.options.resume ? withStorage((storage) => JSON.parse(storage.getItem(this.key))) : null;
    if (!(saved?.token && (await this.resume(saved)))) {
      signal.throwIfAborted();
      await this.prepare();
    }
    signal.throwIfAborted();
    this.todo = new Set();
    for (let n = 1; n <= this.partCount; n++) if (!this.etags.has(n)) this.todo.add(n);
    this.sent = new Map([...this.etags.keys()].map((n) => [n, this.partLength(n)]));
    this.loaded = [...this.sent.values()].reduce((sum, size) => sum + size, 0);
    this.samples = [[performance.now(), this.loaded]];
    this.lastReport = 0;
    this.options.onStart({ upload: this.id, mode: this.mode, partCount: this.partCount });
  }

  async resume(saved) {
    const status = await this.call('status', { token: saved.token }).catch((error) => {
      if (![401, 403, 404, 410].includes(error.status)) throw error;
    });
    if (!['prepared', 'uploading'].includes(status?.status)) {
      this.forgetRecord();
      return false;
    }
    this.adopt(saved);
    this.etags = new Map(status.parts_done.filter((p) => p.etag).map((p) => [p.number, p.etag]));
    return true;
  }

  async prepare() {
    const { file, options } = this;
    const body = { field: options.field, filename: file.name, size: file.size, content_type: file.type };
    // A single PUT's URL is signed with the file's SHA-256: no later PUT can replace what was checked.
    if (file.size < options.singleBelow && globalThis.crypto?.subtle) body.checksum = await sha256(file);
    const { token, upload, part_size, part_count, mode, parts } = await this.call('prepare', body);
    const record = { token, upload, part_size, part_count, mode, firstWindow: parts.length };
    if (options.resume) withStorage((storage) => storage.setItem(this.key, JSON.stringify(record)));
    this.adopt(record);
    this.etags = new Map();
    if (!options.checksum) {
      const signed = Promise.resolve(signedParts(parts));
      for (const part of parts) this.urls.set(part.number, signed);
    }
  }

  forgetRecord() {
    if (this.options.resume) withStorage((storage) => storage.removeItem(this.key));
  }

  adopt({ token, upload, mode, part_size, part_count, firstWindow }) {
    Object.assign(this, { token, id: upload, mode, partSize: part_size, partCount: part_count, window: firstWindow || 1 });
    this.urls = new Map();
  }

  partLength(n) {
    return Math.min(this.partSize, this.file.size - (n - 1) * this.partSize);
  }

  partList() {
    const known = [...this.etags].filter(([, etag]) => etag);
    return known.sort((a, b) => a[0] - b[0]).map(([number, etag]) => ({ number, etag }));
  }

  call(path, body) {
    const { api, headers, retries } = this.options;
    return withRetries(() => post(`${api}/${path}`, body, headers), retries);
  }

  async sendPart(n, signal) {
    signal.throwIfAborted();
    const start = (n - 1) * this.partSize;
    const blob = this.file.slice(start, start + this.partLength(n));
    const checksum = this.options.checksum ? await sha256(blob) : undefined;
    const send = async () => this.put(await this.urlFor(n, checksum), blob, n, signal);
    this.etags.set(n, await withRetries(send, this.options.retries, signal));
    this.todo.delete(n);
    this.urls.delete(n);
    this.progress(n, blob.size);
  }

  /** A signed URL for part `n`: a fresh one signed before, else a new window of them. */
  async urlFor(n, checksum) {
    if (checksum) return (await this.sign([n], { [n]: checksum })).get(n);
    const known = (await this.urls.get(n))?.get(n);
    if (known && Date.now() < known.at + known.life * 0.9) return known;
    const numbers = [n];
    for (const m of this.todo) {
      if (numbers.length >= this.window) break;
      if (m > n && !this.urls.has(m)) numbers.push(m);
    }
    const signed = this.sign(numbers);
    for (const m of numbers) this.urls.set(m, signed);
    signed.catch(() => numbers.forEach((m) => this.urls.get(m) === signed && this.urls.delete(m)));
    return (await signed).get(n);
  }

  async sign(numbers, checksums) {
    const { parts } = await this.call('parts', { token: this.token, numbers, ...(checksums && { checksums }) });
    return signedParts(parts);
  }

  put({ part, at, life }, blob, n, signal) {
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      const xhr = new XMLHttpRequest();
      const stop = () => xhr.abort();
      signal.addEventListener('abort', stop, { once: true });
      xhr.onloadend = () => signal.removeEventListener('abort', stop);
      xhr.open(part.method || 'PUT', part.url);
      for (const [name, value] of Object.entries(part.headers || {})) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (event) => this.progress(n, event.loaded);
      xhr.onload = () => {
        const answer = storeAnswer(xhr, at + life);
        if (typeof answer === 'string') return resolve(answer);
        if (answer.expired) this.urls.delete(n);
        reject(answer);
      };
      xhr.onerror = xhr.ontimeout = () => reject(storeUnreachable());
      xhr.onabort = () => reject(signal.reason);
      xhr.send(blob);
    });
  }

  /** Counts part `n`'s bytes sent; a retried part counts only past its best attempt. */
  progress(n, loaded) {
    const before = this.sent.get(n) || 0;
    if (loaded <= before) return;
    this.sent.set(n, loaded);
    this.loaded += loaded - before;
    this.throttle();
  }

  /** Reports progress now if the last report is 100 ms old or the last byte is sent, else once the 100 ms are up. */
  throttle() {
    if (this.loaded === this.file.size) return this.reportAll();
    const wait = this.lastReport + 100 - performance.now();
    if (wait <= 0) return this.report();
    this.timer ||= setTimeout(() => {
      this.timer = 0;
      this.throttle();
    }, wait);
  }

  report() {
    const now = performance.now();
    const { loaded, samples } = this;
    samples.push([now, loaded]);
    while (samples.length > 2 && now - samples[0][0] > 5000) samples.shift();
    const [since, from] = samples[0];
    const bytesPerSecond = now - since > 500 ? Math.round(((loaded - from) * 1000) / (now - since)) : 0;
    this.lastReport = now;
    this.reported = loaded;
    this.options.onProgress({ loaded, total: this.file.size, bytesPerSecond });
  }

  /** Reports the bytes sent so far at once, unless they are reported already (not once the upload failed). */
  reportAll() {
    clearTimeout(this.timer);
    this.timer = 0;
    if (!this.failed && this.reported !== this.loaded) this.report();
  }
}

const ignore = () => {};

/** `upload`'s options with their defaults, for a Transfer. */
function transferOptions(options) {
  if (typeof options?.field !== 'string' || !options.field) {
    throw problem('invalid_options', 'upload() needs the name of the joist field to upload to, as `field`.');
  }
  return {
    field: options.field,
    api: (options.baseUrl || '/api/joist').replace(/\/$/, ''),
    headers: options.headers || {},
    retries: count(options.retries, 3, 0),
    checksum: Boolean(options.checksum),
    singleBelow: options.singleBelow ?? SINGLE_BELOW,
    limit: limiter(count(options.concurrency, 4, 1)),
    resume: options.resume ?? true,
    onStart: options.onStart || ignore,
    onProgress: options.onProgress || ignore,
    onChecking: options.onChecking || ignore,
  };
}

/**
 * Uploads `file` to a joist field without any form: prepares it, sends its bytes straight to the
 * store (in parallel parts above the multipart threshold), finalizes it.
 * @param {Blob & {name?: string, lastModified?: number}} file a File (or a Blob, named `blob`)
 * @param {import('./joist').UploadOptions} options at least `field`
 * @returns {Promise<import('./joist').UploadResult>} the finalize result, with the `field_value` to submit
 */
export async function upload(file, options) {
  const normalized = transferOptions(options);
  const named = file instanceof File ? file : new File([file], file.name || 'blob', { type: file.type });
  const ctrl = new AbortController();
  const { signal } = options;
  if (signal?.aborted) throw problem('aborted', 'The upload was cancelled.', { cause: signal.reason });
  const stop = () => ctrl.abort(signal.reason);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await new Transfer(named, normalized).run(ctrl.signal);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

function bytes(count) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let unit = 0;
  for (; count >= 1024 && unit < 4; unit++) count /= 1024;
  return unit ? `${count.toFixed(1)} ${units[unit]}` : `${count} B`;
}

function duration(seconds) {
  return seconds < 60 ? `${Math.ceil(seconds)} s` : `${Math.ceil(seconds / 60)} min`;
}

function el(tag, className, text) {
  const element = document.createElement(tag);
  element.className = className;
  element.textContent = text || '';
  return element;
}

function button(text, className, onClick) {
  const element = el('button', className, text);
  element.type = 'button';
  element.addEventListener('click', onClick);
  return element;
}

/** One file of a field going up: its row, and the Transfer that sends it. */
class Upload {
  constructor(field, file) {
    this.field = field;
    this.file = file;
    this.key = recordKey(field.name, file);
    this.buildRow();
    this.start();
  }

  start() {
    this.task = this.run();
  }

  async run() {
    const ctrl = (this.ctrl = new AbortController());
    this.state = 'running';
    this.show('running', 'Preparing…', button('Cancel', 'joist-cancel', () => this.discard()));
    this.transfer = new Transfer(this.file, {
      ...this.field.transferOptions,
      onStart: (detail) => {
        this.id = detail.upload;
        this.emit('start', detail);
      },
      onProgress: (progress) => this.report(progress),
      onChecking: (detail) => {
        this.status.textContent = 'Checking…';
        this.emit('checking', detail);
      },
    });
    try {
      const result = await this.transfer.run(ctrl.signal);
      if (this.state === 'running') this.finish(result);
    } catch (error) {
      if (this.state === 'running') this.fail(error);
    }
  }

  report({ loaded, total, bytesPerSecond }) {
    if (this.state !== 'running') return;
    const percent = Math.floor((loaded / total) * 100);
    let text = `${bytes(loaded)} of ${bytes(total)}`;
    if (bytesPerSecond) text += ` · ${bytes(bytesPerSecond)}/s · ${duration((total - loaded) / bytesPerSecond)} left`;
    this.fill.style.width = `${percent}%`;
    this.bar.setAttribute('aria-valuenow', percent);
    this.status.textContent = loaded === total ? 'Finishing…' : text;
    this.emit('progress', { loaded, total, bytesPerSecond });
  }

  finish(result) {
    this.state = 'done';
    this.value = result.field_value;
    this.field.refresh();
    const { width, height } = result.metadata || {};
    const done = width && height ? `Uploaded · ${width} × ${height}` : 'Uploaded';
    this.show('done', done, button('Remove', 'joist-upload-remove', () => this.discard()));
    if (this.field.multiple && this.file.type.startsWith('image/')) {
      const thumb = el('img', 'joist-thumb');
      thumb.alt = '';
      thumb.src = this.thumb = URL.createObjectURL(this.file);
      this.row.prepend(thumb);
    }
    const { upload, key, field_value: fieldValue, metadata } = result;
    this.emit('complete', { upload, key, fieldValue, metadata });
  }

  fail(error) {
    this.state = 'failed';
    this.error = error.message || String(error);
    const remove = button('Remove', 'joist-upload-remove', () => this.discard());
    // The file itself was refused: sending it again cannot help.
    if (REFUSED.has(error.code)) this.show('failed', this.error, remove);
    else this.show('failed', this.error, button('Retry', 'joist-retry', () => this.retry()), remove);
    this.field.alert(`${this.file.name}: ${this.error}`);
    this.emit('error', { code: error.code || 'client_error', message: this.error });
  }

  retry() {
    this.field.alert('');
    this.start();
  }

  /** Cancels or removes the upload: stops it, forgets it, aborts it on the server. */
  async discard() {
    if (this.state === 'aborted') return;
    if (this.state === 'failed') this.field.alert('');
    this.state = 'aborted';
    this.ctrl.abort();
    if (this.row.contains(document.activeElement)) this.field.input.focus();
    this.row.remove();
    if (this.thumb) URL.revokeObjectURL(this.thumb);
    this.field.forget(this);
    await this.task;
    await this.transfer.abandon();
    this.emit('abort', { upload: this.id });
  }

  buildRow() {
    const name = this.file.name;
    this.row = el('li', 'joist-upload');
    this.bar = el('div', 'joist-progress');
    const aria = { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': 0, 'aria-label': `Uploading ${name}` };
    for (const [attribute, value] of Object.entries(aria)) this.bar.setAttribute(attribute, value);
    this.fill = this.bar.appendChild(el('div', 'joist-progress-fill'));
    this.status = el('span', 'joist-upload-status');
    this.actions = el('span', 'joist-upload-actions');
    this.row.append(el('span', 'joist-upload-name', name), this.bar, this.status, this.actions);
    this.field.list.append(this.row);
  }

  show(state, text, ...buttons) {
    this.row.dataset.joistState = state;
    this.bar.hidden = state !== 'running';
    this.status.textContent = text;
    const focused = this.actions.contains(document.activeElement);
    this.actions.replaceChildren(...buttons);
    if (focused) buttons[0].focus();
  }

  emit(type, detail) {
    this.field.emit(type, { file: this.file, ...detail });
  }
}

/** One joist field: its inputs, its uploads, the value its form submits. */
class Field {
  constructor(element, options = {}) {
    const data = element.dataset;
    this.element = element;
    this.name = data.joistField;
    this.maxSize = Number(data.joistMaxSize) || Infinity;
    this.accept = (data.joistAccept || '').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
    this.multiple = data.joistMultiple === 'true';
    // One limiter for the field: its uploads share `concurrency`.
    this.transferOptions = transferOptions({
      field: this.name,
      baseUrl: data.joistApi,
      retries: options.retries ?? data.joistRetries,
      checksum: options.checksum ?? data.joistChecksum === 'true',
      singleBelow: Number(data.joistSingleBelow) || 0,
      concurrency: options.concurrency ?? data.joistConcurrency,
    });
    this.input = find(element, 'input');
    this.value = find(element, 'value');
    this.list = find(element, 'list');
    this.errorBox = find(element, 'error');
    this.uploads = [];
    this.removed = false;
    this.bind();
  }
  /**
   * Checks and uploads files, as if chosen in the field's input.
   * @param {Iterable<File>} files all of them if the field takes several, else the last one
   */
  add(files) {
    const chosen = [...files].slice(this.multiple ? 0 : -1);
    const refused = chosen.map((file) => ({ file, ...this.refusal(file) })).filter((refusal) => refusal.code);
    this.alert(refused.map((refusal) => refusal.message).join('\n'));
    for (const refusal of refused) this.emit('error', refusal);
    for (const file of chosen) if (!refused.some((refusal) => refusal.file === file)) this.upload(file);
  }

  /** Uploads `file`, unless it is here already: then a failed upload of it is retried. */
  upload(file) {
    const twin = this.uploads.find((upload) => upload.key === recordKey(this.name, file));
    if (twin) {
      if (twin.state === 'failed') twin.retry();
      return;
    }
    if (!this.multiple) [...this.uploads].forEach((upload) => upload.discard());
    this.uploads.push(new Upload(this, file));
  }

  refusal({ name, size, type }) {
    if (!size) return { code: 'invalid_size', message: `"${name}" is empty.` };
    if (size > this.maxSize) {
      return { code: 'file_too_large', message: `"${name}" is too large: this field takes files up to ${bytes(this.maxSize)}.` };
    }
    if (!accepts(this.accept, type)) {
      const message = `"${name}" is not an accepted type (${type || 'unknown'}): this field takes ${this.accept.join(', ')}.`;
      return { code: 'type_not_allowed', message };
    }
  }

  forget(upload) {
    this.uploads = this.uploads.filter((other) => other !== upload);
    this.refresh();
  }

  /** Sets the submitted value: the finished uploads' values, else `remove` or `""`. */
  refresh() {
    const values = this.uploads.filter((upload) => upload.state === 'done').map((upload) => upload.value);
    this.value.value = values.length ? values.join(' ') : this.removed ? 'remove' : '';
  }

  alert(text) {
    this.errorBox.textContent = text;
    this.errorBox.hidden = !text;
  }

  emit(type, detail) {
    const event = new CustomEvent(`joist:upload:${type}`, { bubbles: true, detail: { field: this.name, ...detail } });
    this.element.dispatchEvent(event);
  }

  bind() {
    const { element, input } = this;
    input.addEventListener('change', () => {
      this.add(input.files);
      input.value = '';
    });
    find(element, 'remove')?.addEventListener('click', () => {
      this.removed = true;
      find(element, 'current').hidden = true;
      this.refresh();
      input.focus();
    });
    this.bindDrop();
    const form = element.closest('form');
    if (form && !guardedForms.has(form)) {
      guardedForms.add(form);
      form.addEventListener('submit', guardSubmit);
    }
  }

  bindDrop() {
    const zone = find(this.element, 'drop') || this.element;
    const highlight = (on) => zone.classList.toggle('joist-dragover', on);
    const on = (type, handle) =>
      this.element.addEventListener(type, (event) => [...(event.dataTransfer?.types || [])].includes('Files') && handle(event));
    let depth = 0;
    on('dragenter', () => highlight(++depth > 0));
    on('dragleave', () => highlight(--depth > 0));
    on('dragover', (event) => {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    });
    on('drop', (event) => {
      event.preventDefault();
      highlight((depth = 0));
      this.add(event.dataTransfer.files);
    });
  }
}

const fieldsIn = (form) =>
  [...form.querySelectorAll('[data-joist-ready]')].map((element) => controllers.get(element)).filter(Boolean);
const uploadsIn = (form) => fieldsIn(form).flatMap((field) => field.uploads);

/** Holds a form's submit back while its uploads run, and refuses it while one has failed. */
function guardSubmit(event) {
  const form = event.currentTarget;
  if (!uploadsIn(form).some((upload) => upload.state === 'running' || upload.state === 'failed')) return;
  event.preventDefault();
  const waiting = submitters.has(form);
  submitters.set(form, event.submitter);
  if (!waiting) settle(form);
}

async function settle(form) {
  for (;;) {
    const uploads = uploadsIn(form);
    const failed = uploads.find((upload) => upload.state === 'failed');
    const running = uploads.filter((upload) => upload.state === 'running');
    if (failed || !running.length) return release(form, failed);
    form.classList.add('joist-waiting');
    running.forEach((upload) => upload.field.alert(WAITING));
    await Promise.all(running.map((upload) => upload.task));
  }
}

function release(form, failed) {
  const submitter = submitters.get(form);
  submitters.delete(form);
  form.classList.remove('joist-waiting');
  fieldsIn(form).forEach((field) => field.errorBox.textContent === WAITING && field.alert(''));
  if (failed) {
    const message = failed.error.replace(/\.$/, '');
    failed.field.alert(`An upload failed: ${failed.file.name}: ${message}. Retry or remove it before saving.`);
  } else {
    form.requestSubmit(submitter?.form === form ? submitter : null);
  }
}

/**
 * @typedef {object} JoistField A field's controller.
 * @property {HTMLElement} element the `.joist-field`
 * @property {(files: Iterable<File>) => void} add uploads files, as if chosen
 */

/**
 * Makes one field upload the files chosen or dropped on it.
 * @param {HTMLElement} element a `.joist-field` element as the server renders it
 * @param {{concurrency?: number, retries?: number, checksum?: boolean}} [options] override the
 *   field's `data-joist-concurrency`, `data-joist-retries` and `data-joist-checksum`
 * @returns {JoistField} the field's controller (the same one when called again)
 */
export function attach(element, options) {
  let field = controllers.get(element);
  if (!field) {
    field = new Field(element, options);
    controllers.set(element, field);
    element.dataset.joistReady = '';
  }
  return field;
}

/**
 * Attaches every field in `root` (and `root` if it is one); attached fields keep their controller.
 * @param {ParentNode} [root]
 * @returns {JoistField[]} the fields' controllers
 */
export function attachAll(root = document) {
  const elements = [...root.querySelectorAll('[data-joist-field]')];
  if (root.matches?.('[data-joist-field]')) elements.unshift(root);
  return elements.map((element) => attach(element));
}

// Outside a page (a worker, a test runner) there are no fields: only `upload` is of use.
if (globalThis.document?.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', () => attachAll(), { once: true });
} else if (globalThis.document) {
  attachAll();
}

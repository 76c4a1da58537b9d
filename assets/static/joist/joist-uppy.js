/**
 * joist-uppy.js: the options of Uppy's `@uppy/aws-s3` plugin (6.2 or later) that upload through joist.
 *
 *   import { joistS3 } from '/api/joist/joist-uppy.js';
 *   uppy.use(AwsS3, joistS3(uppy, { field: 'document.file', headers: { Authorization: `Bearer ${jwt}` } }));
 *
 * Each file is prepared with joist before Uppy uploads it (a preprocessor); Uppy then PUTs the
 * bytes straight to the store with the URLs joist signs (a window of part URLs per `/parts` call),
 * and sends its S3 control calls (create, list, complete, abort) to `{baseUrl}/uppy/…`, which
 * answer in S3's XML through the upload token (the `UploadId` Uppy sees and Golden Retriever keeps).
 * A postprocessor finalizes and puts joist's answer on the file's `response.body`: `field_value`
 * (what a form submits), `key`, `metadata`, `upload`, `filename`, `size`, `content_type`.
 *
 * Options: `field` (required), `baseUrl` ('/api/joist'), `headers` (an object, or a function
 * returning one, added to every joist call, never to the store's), `singleBelow` (64 MiB: files
 * below it send their SHA-256, which the store checks on a single PUT), `pluginId` ('AwsS3').
 */

const SINGLE_BELOW = 64 << 20;
/** Part URLs are signed again when they have less than this left. */
const URL_MARGIN_MS = 60_000;
const ETAG_HIDDEN = 'The store did not expose the ETag header: its CORS rule must list ETag in ExposeHeaders';
const OPEN = new Set(['prepared', 'uploading', 'checking', 'finalized', 'attached']);

const problem = (code, message, status) => Object.assign(new Error(message), { code, status });
const retryable = (status) => status === 0 || status === 408 || status === 429 || status >= 500;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const absolute = (url) => new URL(url, globalThis.location?.href).href;

/** `[major, minor]` of a version string. */
const minor = (version) => String(version).split('.').slice(0, 2).map(Number);

async function sha256(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The message of an S3 XML error (joist's routes and the store answer those). */
function xmlMessage(body) {
  const match = /<Message>([\s\S]*?)<\/Message>/.exec(body || '');
  if (!match) return null;
  return match[1].replace(/&(lt|gt|quot|apos|amp);/g, (_, name) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name]);
}

/**
 * Options for `uppy.use(AwsS3, …)` that upload `field` through joist.
 * @param {import('@uppy/core').Uppy} uppy
 * @param {{field: string, baseUrl?: string, headers?: object | (() => object | Promise<object>), singleBelow?: number, pluginId?: string}} options
 */
export function joistS3(uppy, { field, baseUrl = '/api/joist', headers = {}, singleBelow = SINGLE_BELOW, pluginId = 'AwsS3' } = {}) {
  if (!field) throw new TypeError('joistS3: `field` is required');
  /** Signed part URLs by token: number → {url, headers, expiresAt}. */
  const windows = new Map();

  const apiHeaders = async () => (typeof headers === 'function' ? await headers() : headers);

  /** POSTs `body` to `{baseUrl}/{call}`: the answer, or a problem with joist's code (retryable failures are retried). */
  async function api(call, body) {
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        const sent = { ...(await apiHeaders()), 'content-type': 'application/json' };
        response = await fetch(`${baseUrl}/${call}`, { method: 'POST', credentials: 'same-origin', headers: sent, body: JSON.stringify(body) });
      } catch {
        response = null;
      }
      const status = response?.status ?? 0;
      if (response?.ok) return (await response.json().catch(() => null)) ?? {};
      if (retryable(status) && attempt < 3) {
        await sleep(500 * 2 ** attempt);
        continue;
      }
      if (!response) throw problem('network_error', 'Could not reach the server: check the connection.', 0);
      const { code = 'http_error', message = `The server answered HTTP ${status}.` } = (await response.json().catch(() => ({})))?.error || {};
      throw problem(code, message, status);
    }
  }

  const fileWith = (match) => uppy.getFiles().find((file) => file.joist && match(file.joist));

  function remember(token, parts, lifetime) {
    const window = windows.get(token) ?? new Map();
    const expiresAt = Date.now() + lifetime;
    for (const part of parts) window.set(part.number, { url: part.url, headers: part.headers, expiresAt });
    windows.set(token, window);
  }

  /** The signed URL of part `number`: from the window, or with the next window from `/parts`. */
  async function partUrl(plan, number) {
    const cached = windows.get(plan.token)?.get(number);
    if (cached && cached.expiresAt - URL_MARGIN_MS > Date.now()) return cached;
    const last = Math.min(plan.partCount, number + plan.window - 1);
    const numbers = Array.from({ length: last - number + 1 }, (_, i) => number + i);
    const { parts } = await api('parts', { token: plan.token, numbers });
    remember(plan.token, parts, plan.lifetime);
    return windows.get(plan.token).get(number);
  }

  /** A plan the server still holds for `file` (restored by Golden Retriever, or a retry), or none. */
  async function resumable(file) {
    const saved = file.joist;
    if (!saved?.token || saved.field !== field) return null;
    try {
      const { status } = await api('status', { token: saved.token });
      return OPEN.has(status) ? saved : null;
    } catch (error) {
      if (['invalid_token', 'token_expired', 'unknown_upload', 'not_owner'].includes(error.code)) return null;
      throw error;
    }
  }

  async function prepare(file) {
    const contentType = file.type || 'application/octet-stream';
    const body = { field, filename: file.name, size: file.size, content_type: contentType };
    if (file.size < singleBelow) body.checksum = await sha256(file.data);
    const answer = await api('prepare', body);
    const lifetime = Math.max(Date.parse(answer.expires_at) - Date.now(), URL_MARGIN_MS * 2);
    const plan = {
      field,
      token: answer.token,
      upload: answer.upload,
      key: answer.key,
      mode: answer.mode,
      partSize: answer.part_size,
      partCount: answer.part_count,
      window: Math.max(answer.parts.length, 1),
      lifetime,
    };
    remember(plan.token, answer.parts, lifetime);
    return plan;
  }

  function checkPlugin() {
    const version = uppy.getPlugin(pluginId)?.constructor?.VERSION;
    const [major, min] = minor(version);
    if (version && (major < 6 || (major === 6 && min < 2))) {
      throw problem('unsupported_uppy', `joist needs @uppy/aws-s3 6.2 or later (this is ${version}): earlier versions drop the headers joist signs`, 0);
    }
  }

  uppy.addPreProcessor(async (fileIDs) => {
    await Promise.all(fileIDs.map(async (id) => {
      const file = uppy.getFile(id);
      if (!file || file.progress.uploadComplete) return;
      uppy.emit('preprocess-progress', file, { mode: 'indeterminate', message: 'Preparing…' });
      try {
        checkPlugin();
        let plan = await resumable(file);
        if (!plan) {
          uppy.setFileState(id, { joist: undefined, s3Multipart: undefined });
          plan = await prepare(file);
        }
        if (!uppy.getFile(id)) {
          // removed while it was being prepared
          await api('abort', { token: plan.token }).catch(() => {});
          return;
        }
        uppy.setFileState(id, { joist: plan });
        uppy.emit('preprocess-complete', uppy.getFile(id));
      } catch (error) {
        uppy.emit('preprocess-complete', file);
        uppy.emit('upload-error', uppy.getFile(id) ?? file, error);
      }
    }));
  });

  /** joist's finalize answer, waiting through background checks (finalize answers 202 `checking`). */
  async function finalized(token) {
    let answer = await api('finalize', { token });
    for (let wait = 500; answer.status === 'checking'; wait = Math.min(wait * 2, 5000)) {
      await sleep(wait);
      const status = await api('status', { token });
      if (status.finalized) return status.finalized;
      if (status.status !== 'checking') throw problem('upload_closed', status.error || `The upload ended ${status.status}.`, 409);
      answer = status;
    }
    return answer;
  }

  uppy.addPostProcessor(async (fileIDs) => {
    await Promise.all(fileIDs.map(async (id) => {
      const file = uppy.getFile(id);
      if (!file?.joist || file.error || !file.progress.uploadComplete || file.response?.body?.field_value) return;
      uppy.emit('postprocess-progress', file, { mode: 'indeterminate', message: 'Checking the file…' });
      try {
        const answer = await finalized(file.joist.token);
        const current = uppy.getFile(id);
        if (!current) return;
        uppy.setFileState(id, { response: { ...current.response, body: { ...current.response?.body, ...answer } } });
        uppy.emit('postprocess-complete', uppy.getFile(id));
      } catch (error) {
        const current = uppy.getFile(id);
        if (!current) return;
        uppy.emit('postprocess-complete', current);
        uppy.emit('upload-error', current, error);
      }
    }));
  });

  uppy.on('file-removed', (file) => {
    const plan = file.joist;
    if (!plan) return;
    windows.delete(plan.token);
    if (file.progress?.uploadComplete) return; // a finished upload is the host's to keep
    // Uppy aborts a multipart upload it is running (DELETE) too, but not one Golden Retriever
    // restored and nothing resumed yet; a second abort answers 204
    api('abort', { token: plan.token }).catch((error) => uppy.log(error, 'warning'));
  });

  uppy.on('upload-error', (file, error) => {
    if (!file?.joist) return;
    windows.delete(file.joist.token);
    const message = /Missing ETag/.test(error?.message) ? ETAG_HIDDEN : xmlMessage(error?.body);
    if (message && uppy.getFile(file.id)) uppy.setFileState(file.id, { error: message });
  });

  return {
    shouldUseMultipart: (file) => file.joist?.mode === 'multipart',
    // Uppy cuts the parts before any call, from the size alone: a prepared file of that size has the plan
    getChunkSize: ({ size }) => uppy.getFiles().find((file) => file.joist && file.size === size)?.joist.partSize ?? 8 << 20,
    generateObjectKey: (file) => file.joist?.key ?? file.name,
    async signRequest(request) {
      const { method, uploadId, partNumber } = request;
      const control = async (path, token) => ({ url: absolute(`${baseUrl}/uppy/${path}`), headers: { ...(await apiHeaders()), 'x-joist-token': token } });
      if (uploadId && method === 'PUT') {
        const file = fileWith((plan) => plan.token === uploadId);
        if (!file) throw problem('unknown_upload', 'This file is no longer being uploaded.', 0);
        const part = await partUrl(file.joist, partNumber);
        return { url: part.url, headers: part.headers };
      }
      if (uploadId) return control('upload', uploadId);
      const file = fileWith((plan) => plan.key === request.key);
      if (!file) throw problem('unknown_upload', 'This file was not prepared with joist.', 0);
      if (method === 'POST') return { ...(await control('create', file.joist.token)), key: file.joist.key };
      const part = await partUrl(file.joist, 1);
      return { url: part.url, headers: part.headers, key: file.joist.key };
    },
  };
}

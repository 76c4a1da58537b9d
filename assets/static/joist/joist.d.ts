// Types of joist.js, served beside it at `{api_base_url}/joist.d.ts`.

/** The error an upload rejects with: the API's stable `code` and its message. */
export interface UploadError extends Error {
  /**
   * The API's error code (`file_too_large`, `type_not_allowed`, `content_mismatch`, `infected`,
   * `unauthenticated`, ...), or one of the client's: `aborted`, `network_error`, `url_expired`,
   * `store_refused`, `store_unavailable`, `etag_hidden`, `checksum_unavailable`, `invalid_options`.
   */
  code: string;
  /** The HTTP status that carried the error (0: none reached the client). */
  status?: number;
}

/** Progress of one upload, reported at most ten times a second and once when every byte is sent. */
export interface UploadProgress {
  /** Bytes the store has taken (a retried part counts once). */
  loaded: number;
  /** The file's size. */
  total: number;
  /** Over the last five seconds; 0 until half a second has passed. */
  bytesPerSecond: number;
}

/** What `onStart` is told once the upload is prepared (or resumed). */
export interface UploadStart {
  /** The upload's id. */
  upload: string;
  /** `single`: one PUT; `multipart`: parts in parallel. */
  mode: 'single' | 'multipart';
  partCount: number;
}

/** What the server knows of the file once it has checked it. */
export interface FileMetadata {
  /** The type its bytes show (`image/png`), when recognised. */
  detected_type?: string;
  width?: number;
  height?: number;
  /** EXIF orientation (1-8). */
  orientation?: number;
  /** The field's image variants, by name: `pending` at finalize, `ready` once the job made them. */
  variants?: Record<string, VariantRecord>;
  [key: string]: unknown;
}

/** One image variant as recorded on the upload (`/status` shows it as it is now). */
export interface VariantRecord {
  status: 'pending' | 'ready' | 'failed';
  width?: number;
  height?: number;
  /** Its size in bytes. */
  size?: number;
  content_type?: string;
  /** Why it failed. */
  error?: string;
}

/** The finalize result: the file is in the store, checked and recorded. */
export interface UploadResult {
  /** The upload's id. */
  upload: string;
  /** The object's key in the bucket. */
  key: string;
  /** The signed value to submit with the record the file belongs to. */
  field_value: string;
  /** The cleaned filename. */
  filename: string;
  size: number;
  content_type: string;
  metadata: FileMetadata;
}

export interface UploadOptions {
  /** The joist field to upload to (`"car.owners_manual"`). */
  field: string;
  /** The engine's `api_base_url`. Default `/api/joist`. */
  baseUrl?: string;
  /** Sent with every API call (not to the store), e.g. `{Authorization: 'Bearer ' + jwt}`. */
  headers?: Record<string, string>;
  /** Aborting it stops the upload and aborts it on the server; the Promise rejects with code `aborted`. */
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
  onStart?: (start: UploadStart) => void;
  /** The server checks the file in the background (scans, quarantine); the Promise waits for it. */
  onChecking?: (checking: { upload: string }) => void;
  /** Parts sent at once. Default 4. */
  concurrency?: number;
  /** Send each part's SHA-256, so the store refuses bytes that changed on the way. Default false. */
  checksum?: boolean;
  /** Keep a record in localStorage, so a later call with the same file resumes. Default true. */
  resume?: boolean;
  /** Tries again after a retryable failure, this many times. Default 3. */
  retries?: number;
  /**
   * The engine's `multipart_threshold`: files below it are hashed and their one PUT signed with
   * the SHA-256. Default 64 MiB (the engine's default).
   */
  singleBelow?: number;
}

/** Uploads `file` to a joist field without any form: the finalize result. */
export function upload(file: Blob, options: UploadOptions): Promise<UploadResult>;

/** A `.joist-field`'s controller. */
export interface JoistField {
  /** The `.joist-field`. */
  element: HTMLElement;
  /** Uploads files, as if chosen in the field's input. */
  add(files: Iterable<File>): void;
}

/** Overrides of a field's `data-joist-*` settings. */
export interface FieldOptions {
  concurrency?: number;
  retries?: number;
  checksum?: boolean;
}

/** Makes one field upload the files chosen or dropped on it (the same controller when called again). */
export function attach(element: HTMLElement, options?: FieldOptions): JoistField;

/** Attaches every field in `root` (and `root` if it is one). */
export function attachAll(root?: ParentNode): JoistField[];

/** The `detail` of the `joist:upload:*` events a field dispatches. */
export interface JoistUploadEvents {
  'joist:upload:start': CustomEvent<{ field: string; file: File } & UploadStart>;
  'joist:upload:progress': CustomEvent<{ field: string; file: File } & UploadProgress>;
  'joist:upload:checking': CustomEvent<{ field: string; file: File; upload: string }>;
  'joist:upload:complete': CustomEvent<{
    field: string;
    file: File;
    upload: string;
    key: string;
    fieldValue: string;
    metadata?: FileMetadata;
  }>;
  'joist:upload:error': CustomEvent<{ field: string; file: File; code: string; message: string }>;
  'joist:upload:abort': CustomEvent<{ field: string; file: File; upload: string }>;
}

declare global {
  interface HTMLElementEventMap extends JoistUploadEvents {}
}

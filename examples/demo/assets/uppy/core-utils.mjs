// What @uppy/aws-s3 6.3 imports from '@uppy/core/utils' (the page's import map points here), from
// @uppy/core's own files: the package's index would pull in Preact and more.
export { fetcher } from '/uppy/vendor/@uppy/core/lib/utils/fetcher.js';
export { filterFilesToEmitUploadStarted, filterFilesToUpload } from '/uppy/vendor/@uppy/core/lib/utils/fileFilters.js';
export { default as getAllowedMetaFields } from '/uppy/vendor/@uppy/core/lib/utils/getAllowedMetaFields.js';
export { TaskQueue } from '/uppy/vendor/@uppy/core/lib/utils/TaskQueue.js';
export { default as toError } from '/uppy/vendor/@uppy/core/lib/utils/toError.js';

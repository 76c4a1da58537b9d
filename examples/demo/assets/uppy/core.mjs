// What @uppy/aws-s3 6.3 imports from '@uppy/core' (the page's import map points here): the plugin
// base class of the `uppy` bundle the page runs, and @uppy/core's own EventManager.
export { BasePlugin } from '/uppy/vendor/uppy/dist/uppy.min.mjs';
export { default as EventManager } from '/uppy/vendor/@uppy/core/lib/EventManager.js';

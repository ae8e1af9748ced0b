#!/usr/bin/env node
import('../dist/cli/main.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    console.error('switchyard is not built: run `npm ci` (or `npm run build`) first.');
    process.exit(1);
  }
  throw error;
});

import { readFileSync } from 'node:fs';

/** Switchyard's version, from package.json (two levels up from both src/ and dist/). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

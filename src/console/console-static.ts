import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireResponse } from '../protocol/wire.js';

/**
 * Where `npm run build:console` (Vite) writes the console's pages: dist/console-web of the package, two levels
 * above this module whether it runs from src/console (tsx) or dist/console (the build).
 */
export const CONSOLE_WEB_DIR = fileURLToPath(new URL('../../dist/console-web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Headers of every console page: nothing from elsewhere runs or loads, no other site frames it, and a page
 * never leaks its URL (which holds queue names) to a link it opens.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Serves the built console: `/console/` and its assets; the page routes itself by the URL's hash. */
export class ConsoleFiles {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly root: string = CONSOLE_WEB_DIR) {}

  async serve(pathname: string): Promise<WireResponse> {
    if (pathname === '/console') return { status: 301, headers: { location: '/console/' }, body: '' };
    const relative = pathname === '/console/' ? 'index.html' : decodeSafely(pathname.slice('/console/'.length));
    const file = relative === undefined ? undefined : path.resolve(this.root, relative);
    // Nothing outside the build directory, however the path is spelled.
    if (file === undefined || !file.startsWith(this.root) || file === this.root) return notFound();
    // Only hashed assets are kept in memory: they never change, while the page is read again so that a rebuild under
    // a running server serves the page that names the new assets.
    const immutable = relative?.startsWith('assets/') === true;
    let body = immutable ? this.cache.get(file) : undefined;
    if (body === undefined) {
      try {
        body = await readFile(file);
      } catch {
        if (relative === 'index.html') {
          return {
            status: 503,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            body: 'The console is not built: run `npm run build:console` (npm ci and npm start build it).',
          };
        }
        return notFound();
      }
      if (immutable) this.cache.set(file, body);
    }
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    // Vite names assets by content hash, so they never change; the page itself must be fetched again.
    const caching = immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
    return {
      status: 200,
      headers: { ...PAGE_HEADERS, 'content-type': type, 'cache-control': caching },
      body,
    };
  }
}

function decodeSafely(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function notFound(): WireResponse {
  return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found' };
}

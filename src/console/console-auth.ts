import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isIP } from 'node:net';

/** How long a console login lasts without use. */
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
const SESSION_COOKIE = 'switchyard_console';
/** Sessions kept at most; the least recently used goes first (a login flood cannot grow memory). */
const MAX_SESSIONS = 1000;

export const CSRF_HEADER = 'x-switchyard-csrf';

/** Whether an address the server listens on is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

export type Access =
  | { ok: true; csrfToken: string | undefined; viaBearer: boolean }
  | { ok: false; status: 401 | 403 | 421; code: string; message: string };

interface Session {
  csrfToken: string;
  lastUsed: number;
}

/**
 * Who may use the console. On loopback nobody logs in (only this machine reaches it); anywhere else the console
 * asks for the configured token, as a login that sets an HttpOnly, SameSite=Strict session cookie, or as an
 * `Authorization: Bearer` header for scripts and the CLI.
 *
 * State-changing requests (POSTs) from a browser must carry the session's CSRF token in `x-switchyard-csrf`: a
 * header another site's page cannot set without a CORS preflight this server never grants. On loopback, where there
 * is no session, one token per process stands in, and the Host header must name a loopback address, so that a
 * page using DNS rebinding to reach 127.0.0.1 under its own name gets nothing.
 */
export class ConsoleAuth {
  readonly required: boolean;
  private readonly tokenDigest: Buffer | undefined;
  private readonly sessions = new Map<string, Session>();
  private readonly loopbackCsrf = randomBytes(24).toString('base64url');
  private readonly now: () => number;

  constructor(options: { host: string; token: string | undefined; now?: () => number }) {
    this.required = !isLoopbackHost(options.host);
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.now = options.now ?? Date.now;
  }

  /** Whether a login can succeed at all: off the loopback, a token must be configured. */
  get configured(): boolean {
    return !this.required || this.tokenDigest !== undefined;
  }

  /** Checks a request to the console API; `mutating` for POSTs. */
  check(req: http.IncomingMessage, mutating: boolean): Access {
    if (!this.required) {
      if (!isLoopbackHost(hostName(req.headers.host))) {
        return {
          ok: false,
          status: 421,
          code: 'MisdirectedRequest',
          message: 'The console on a loopback address answers only requests addressed to a loopback name.',
        };
      }
      if (mutating && !this.csrfMatches(req, this.loopbackCsrf)) return csrfRefused();
      return { ok: true, csrfToken: this.loopbackCsrf, viaBearer: false };
    }
    if (!this.configured) {
      return {
        ok: false,
        status: 403,
        code: 'ConsoleLocked',
        message:
          'This server listens beyond loopback and has no console token: set consoleToken in the config or SWITCHYARD_CONSOLE_TOKEN, then log in with it.',
      };
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(headerValue(req, 'authorization') ?? '')?.[1];
    if (bearer !== undefined) {
      // A header a cross-site form cannot send: no CSRF token needed.
      return this.tokenMatches(bearer)
        ? { ok: true, csrfToken: undefined, viaBearer: true }
        : { ok: false, status: 401, code: 'Unauthorized', message: 'The bearer token is not the console token.' };
    }
    const session = this.session(req);
    if (!session) return { ok: false, status: 401, code: 'Unauthorized', message: 'Log in to use the console.' };
    if (mutating && !this.csrfMatches(req, session.csrfToken)) return csrfRefused();
    return { ok: true, csrfToken: session.csrfToken, viaBearer: false };
  }

  /** A login: the session cookie to set, or undefined when the token is wrong. */
  login(token: string): { cookie: string; csrfToken: string } | undefined {
    if (!this.required || !this.tokenMatches(token)) return undefined;
    const id = randomBytes(32).toString('base64url');
    const session = { csrfToken: randomBytes(24).toString('base64url'), lastUsed: this.now() };
    this.sessions.set(id, session);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    return { cookie: cookie(id, SESSION_IDLE_MS / 1000), csrfToken: session.csrfToken };
  }

  /** Ends the request's session; the cookie that clears it. */
  logout(req: http.IncomingMessage): string {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id !== undefined) this.sessions.delete(id);
    return cookie('', 0);
  }

  /** Whether the request belongs to a live session (or needs none). */
  authenticated(req: http.IncomingMessage): boolean {
    return !this.required || this.session(req) !== undefined;
  }

  private session(req: http.IncomingMessage): Session | undefined {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const now = this.now();
    if (now - session.lastUsed > SESSION_IDLE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastUsed = now;
    // Re-inserted so that the map's order stays least recently used first.
    this.sessions.delete(id);
    this.sessions.set(id, session);
    return session;
  }

  private tokenMatches(token: string): boolean {
    return this.tokenDigest !== undefined && timingSafeEqual(digest(token), this.tokenDigest);
  }

  private csrfMatches(req: http.IncomingMessage, expected: string): boolean {
    const given = headerValue(req, CSRF_HEADER);
    return given !== undefined && timingSafeEqual(digest(given), digest(expected));
  }
}

function csrfRefused(): Access {
  return {
    ok: false,
    status: 403,
    code: 'CsrfTokenMismatch',
    message: `A console POST must carry the session's CSRF token in the ${CSRF_HEADER} header.`,
  };
}

/** Digests compare in constant time whatever the lengths given. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function cookie(value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

function cookieValue(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function hostName(host: string | undefined): string {
  if (host === undefined) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function headerValue(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

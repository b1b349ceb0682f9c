import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

/**
 * Temporal's codec server protocol over node:http, for the Web UI and the
 * Temporal CLI: `POST /encode` and `POST /decode` (also under a namespace
 * prefix, `/{namespace}/decode`, for `--codec-endpoint` templating), body and
 * answer `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}`
 * (proto3 JSON: bytes are base64). Anyone who may call /decode reads every
 * payload, so every call needs `Authorization: Bearer <token>` (compared in
 * constant time), and browsers may call only from the configured Web UI origins.
 */

export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  /** Loopback by default: put TLS (and usually your sign-on) in front before exposing it. */
  host?: string;
  /** The bearer token callers must present; undefined only with allowUnauthenticated. */
  token?: string;
  /** Local development on loopback only: the dev server's Web UI cannot send a bearer token. */
  allowUnauthenticated?: boolean;
  /** Web UI origins allowed to call from a browser, exactly as the browser sends them (scheme://host:port). */
  allowedOrigins?: string[];
  maxBodyBytes?: number;
}

export interface RunningCodecServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export class CodecServerConfigError extends Error {
  override readonly name = 'CodecServerConfigError';
}

const ROUTE = /^\/(?:([^/]+)\/)?(encode|decode)$/;
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';
const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** An origin is scheme://host[:port] and nothing else; wildcards are refused (anyone could decode). */
export function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CodecServerConfigError(`"${value}" is not an origin such as http://localhost:8233`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) {
    throw new CodecServerConfigError(
      `"${value}" is not an origin (scheme://host[:port], no path, no wildcard)`,
    );
  }
  return url.origin;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time on equal-length digests, so neither the content nor the length of the token leaks through timing. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = match?.[1]?.trim() ?? '';
  return timingSafeEqual(digest(given), digest(expected)) && given.length > 0;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function fromJson(payload: JsonPayload, index: number): Payload {
  if (typeof payload !== 'object' || payload === null)
    throw new HttpError(400, `payloads[${index}]: expected an object`);
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (typeof value !== 'string')
      throw new HttpError(400, `payloads[${index}].metadata.${key}: expected base64`);
    metadata[key] = Buffer.from(value, 'base64');
  }
  if (payload.data !== undefined && typeof payload.data !== 'string') {
    throw new HttpError(400, `payloads[${index}].data: expected base64`);
  }
  return { metadata, data: Buffer.from(payload.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    if (value) metadata[key] = Buffer.from(value).toString('base64');
  }
  return { metadata, data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64') };
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const host = options.host ?? '127.0.0.1';
  if (options.token === undefined || options.token === '') {
    if (!options.allowUnauthenticated) throw new CodecServerConfigError('a bearer token is required');
    if (!LOOPBACK.has(host)) {
      throw new CodecServerConfigError(
        `without a token the codec server binds to loopback only, not ${host}`,
      );
    }
  }
  const origins = new Set((options.allowedOrigins ?? []).map(parseOrigin));
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // Browsers are held to the list; tools (the Temporal CLI) send no Origin and need only the token.
      if (!origins.has(origin)) throw new HttpError(403, `origin ${origin} is not allowed`);
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    const route = ROUTE.exec(path);
    if (!route) throw new HttpError(404, 'not found: use POST /encode or /decode');
    if (req.method === 'OPTIONS') {
      // A preflight carries no credentials by design; the real request that follows must.
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      throw new HttpError(405, 'use POST');
    }
    if (options.token && !bearerMatches(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'a valid bearer token is required');
    }
    let body: { payloads?: unknown };
    try {
      body = JSON.parse(await readBody(req, limit)) as { payloads?: unknown };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(400, 'body is not JSON');
    }
    if (!Array.isArray(body?.payloads)) throw new HttpError(400, 'body must be {"payloads": [...]}');
    const payloads = (body.payloads as JsonPayload[]).map(fromJson);
    let out: Payload[];
    try {
      out =
        route[2] === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    } catch (err) {
      throw new HttpError(422, `cannot ${route[2]}: ${(err as Error).message}`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ payloads: out.map(toJson) }));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
      // Drain what the client still sends, so it sees the answer instead of a reset.
      req.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

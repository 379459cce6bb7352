// HTTP GET for the registry client (I/O edge), on node:http/https rather than
// fetch: fetch (undici) cost ~30 ms to load and roughly a third of a 60 MiB
// pull's CPU in stream and promise machinery (docs/architecture.md, "Images").
// Redirects are followed (blob downloads are usually redirected to storage);
// Authorization is not sent to another origin, as fetch does not.

import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  /** A response header (lower-case name), undefined when absent. */
  header(name: string): string | undefined;
  /** The body as chunks (read it, or discard() it). */
  readonly body: AsyncIterable<Buffer>;
  /** The whole body. */
  bytes(): Promise<Buffer>;
  /** Drop the body and free the connection. */
  discard(): void;
}

/** A network failure (code as ECONNREFUSED, ETIMEDOUT, CERT_HAS_EXPIRED...). */
export class HttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_REDIRECTS = 10;
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/** GET url; `idleTimeoutMs` bounds each wait for data, not the whole transfer (layers can be large). */
export async function httpGet(url: string | URL, headers: Readonly<Record<string, string>>, idleTimeoutMs: number): Promise<HttpResponse> {
  let target = new URL(url);
  let sent = { ...headers };
  for (let hop = 0; ; hop++) {
    const res = await request(target, sent, idleTimeoutMs);
    const location = res.headers.location;
    if (res.statusCode !== undefined && res.statusCode >= 300 && res.statusCode < 400 && location && res.statusCode !== 304) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new HttpError('EREDIRECT', `more than ${MAX_REDIRECTS} redirects from ${String(url)}`);
      const next = new URL(location, target);
      if (next.origin !== target.origin) sent = Object.fromEntries(Object.entries(sent).filter(([k]) => k.toLowerCase() !== 'authorization'));
      target = next;
      continue;
    }
    return wrap(res);
  }
}

function request(url: URL, headers: Readonly<Record<string, string>>, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  const transport = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!transport) return Promise.reject(new HttpError('EPROTO', `unsupported URL scheme ${url.protocol}`));
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
      // From here the idle timeout guards the body: a stalled transfer errors the stream.
      res.socket.setTimeout(idleTimeoutMs, () => res.destroy(new HttpError('ETIMEDOUT', `no data for ${idleTimeoutMs / 1000} s`)));
      resolve(res);
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new HttpError('ETIMEDOUT', `no answer within ${idleTimeoutMs / 1000} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e instanceof HttpError ? e : new HttpError(e.code ?? 'EIO', e.message)));
  });
}

function wrap(res: http.IncomingMessage): HttpResponse {
  const status = res.statusCode ?? 0;
  return {
    status,
    statusText: res.statusMessage ?? '',
    ok: status >= 200 && status < 300,
    header: (name) => {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
    body: res,
    async bytes() {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
    discard: () => {
      res.resume();
    },
  };
}

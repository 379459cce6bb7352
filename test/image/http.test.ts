// The registry client's HTTP layer (src/image/http.ts) against real local
// servers: redirects (blob downloads are redirected to storage), credentials
// kept from other origins, a stalled body cut by the idle timeout.

import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError, httpGet } from '../../src/image/http';

interface Seen {
  readonly url: string;
  readonly authorization: string | undefined;
}

async function server(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ origin: string; seen: Seen[]; close(): void }> {
  const seen: Seen[] = [];
  const srv = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    handle(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    seen,
    close: () => {
      srv.closeAllConnections();
      srv.close();
    },
  };
}

describe('registry HTTP client (src/image/http.ts)', function () {
  it('follows redirects; Authorization goes along on the same origin, never to another one', async function () {
    const storage = await server((_, res) => res.end('layer bytes'));
    const registry = await server((req, res) => {
      if (req.url === '/v2/r/blobs/a') res.writeHead(307, { Location: '/v2/r/blobs/b' }).end();
      else if (req.url === '/v2/r/blobs/b') res.writeHead(302, { Location: `${storage.origin}/bucket/b?sig=1` }).end();
      else res.writeHead(404).end();
    });
    try {
      const res = await httpGet(`${registry.origin}/v2/r/blobs/a`, { Authorization: 'Bearer secret' }, 5000);
      assert.equal(res.status, 200);
      assert.equal((await res.bytes()).toString(), 'layer bytes');
      assert.deepEqual(registry.seen, [
        { url: '/v2/r/blobs/a', authorization: 'Bearer secret' },
        { url: '/v2/r/blobs/b', authorization: 'Bearer secret' },
      ]);
      assert.deepEqual(storage.seen, [{ url: '/bucket/b?sig=1', authorization: undefined }]);
    } finally {
      registry.close();
      storage.close();
    }
  });

  it('gives up on a redirect loop', async function () {
    const loop = await server((_, res) => res.writeHead(302, { Location: '/again' }).end());
    try {
      await assert.rejects(httpGet(`${loop.origin}/start`, {}, 5000), (e: unknown) => e instanceof HttpError && e.code === 'EREDIRECT');
    } finally {
      loop.close();
    }
  });

  it('a body that stops arriving fails after the idle timeout, however long the transfer has run', async function () {
    const stall = await server((_, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000)); // then nothing more
    });
    try {
      const res = await httpGet(`${stall.origin}/blob`, {}, 300);
      const t0 = Date.now();
      await assert.rejects(res.bytes(), /no data for 0\.3 s/);
      assert.ok(Date.now() - t0 < 5000);
    } finally {
      stall.close();
    }
  });

  it('a refused connection is an HttpError with the socket code', async function () {
    const gone = await server((_, res) => res.end());
    const origin = gone.origin;
    gone.close();
    await assert.rejects(httpGet(`${origin}/v2/`, {}, 5000), (e: unknown) => e instanceof HttpError && e.code === 'ECONNREFUSED');
  });
});

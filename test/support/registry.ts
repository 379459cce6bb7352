// A real OCI registry (Debian's docker-registry, distribution v2) on a free
// loopback port, with images built offline by test/support/images.ts.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createSign, randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort } from './ports';

export const REGISTRY_BIN = '/usr/bin/docker-registry';


export interface Blob {
  readonly digest: string;
  readonly bytes: Buffer;
  readonly mediaType: string;
}

export function blobOf(bytes: Buffer, mediaType: string): Blob {
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes, mediaType };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/**
 * A Docker-style token service (the flow Docker Hub uses): anyone gets a JWT,
 * signed with a self-signed certificate the registry trusts, for the scope
 * they ask for. Tokens handed out are counted.
 */
class TokenServer {
  issued = 0;
  private constructor(
    readonly server: http.Server,
    readonly realm: string,
    private readonly key: string,
    private readonly certDer: Buffer,
  ) {}

  static async start(dir: string): Promise<TokenServer> {
    const key = path.join(dir, 'token.key');
    const cert = path.join(dir, 'token.crt');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=podgen-test-token'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
    const der = Buffer.from(new X509Certificate(fs.readFileSync(cert)).raw);
    let self: TokenServer | undefined;
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const scope = url.searchParams.get('scope') ?? '';
      const [, name] = scope.split(':');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ token: self?.sign(url.searchParams.get('service') ?? '', name ?? '') }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    self = new TokenServer(server, `http://127.0.0.1:${port}/token`, fs.readFileSync(key, 'utf8'), der);
    return self;
  }

  sign(service: string, repository: string): string {
    this.issued++;
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [this.certDer.toString('base64')] }));
    const claims = b64url(
      JSON.stringify({
        iss: 'podgen-test-issuer',
        sub: '',
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access: repository ? [{ type: 'repository', name: repository, actions: ['pull', 'push'] }] : [],
      }),
    );
    const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(this.key);
    return `${header}.${claims}.${b64url(signature)}`;
  }
}

export class TestRegistry {
  private constructor(
    readonly dir: string,
    readonly address: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
    readonly auth: { readonly user: string; readonly password: string } | undefined,
    readonly tokens: TokenServer | undefined,
  ) {}

  static async start(opts: { auth?: { user: string; password: string }; tokenAuth?: boolean } = {}): Promise<TestRegistry> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-registry-'));
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let authYaml = '';
    let tokens: TokenServer | undefined;
    if (opts.tokenAuth) {
      tokens = await TokenServer.start(dir);
      authYaml = `auth:\n  token:\n    realm: ${tokens.realm}\n    service: podgen-test-registry\n    issuer: podgen-test-issuer\n    rootcertbundle: ${dir}/token.crt\n`;
    }
    if (opts.auth) {
      const hash = spawnSync('htpasswd', ['-Bbn', opts.auth.user, opts.auth.password], { encoding: 'utf8' });
      if (hash.status !== 0) throw new Error(`htpasswd failed: ${hash.stderr}`);
      fs.writeFileSync(path.join(dir, 'htpasswd'), hash.stdout);
      authYaml = `auth:\n  htpasswd:\n    realm: podgen-test\n    path: ${dir}/htpasswd\n`;
    }
    fs.writeFileSync(
      path.join(dir, 'config.yml'),
      `version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: ${address}\n${authYaml}`,
    );
    const logFile = path.join(dir, 'registry.log');
    const log = fs.openSync(logFile, 'w');
    const child = spawn(REGISTRY_BIN, ['serve', path.join(dir, 'config.yml')], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const reg = new TestRegistry(dir, address, child, logFile, opts.auth, tokens);
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        const res = await fetch(`http://${address}/v2/`);
        if (res.status === 200 || res.status === 401) break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        reg.stop();
        throw new Error(`registry did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return reg;
  }

  private headers(repo = ''): Record<string, string> {
    if (this.tokens) return { Authorization: `Bearer ${this.tokens.sign('podgen-test-registry', repo)}` };
    return this.auth ? { Authorization: `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}` } : {};
  }

  async pushBlob(repo: string, blob: Blob): Promise<void> {
    const start = await fetch(`http://${this.address}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: this.headers(repo) });
    if (start.status !== 202) throw new Error(`upload start: ${start.status} ${await start.text()}`);
    const location = new URL(start.headers.get('location') as string, `http://${this.address}`);
    location.searchParams.set('digest', blob.digest);
    const put = await fetch(location, { method: 'PUT', body: blob.bytes, headers: { ...this.headers(repo), 'Content-Type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`upload ${blob.digest}: ${put.status} ${await put.text()}`);
  }

  async pushManifest(repo: string, reference: string, manifest: Blob): Promise<void> {
    const res = await fetch(`http://${this.address}/v2/${repo}/manifests/${reference}`, {
      method: 'PUT',
      body: manifest.bytes,
      headers: { ...this.headers(repo), 'Content-Type': manifest.mediaType },
    });
    if (res.status !== 201) throw new Error(`manifest ${repo}:${reference}: ${res.status} ${await res.text()}`);
  }

  /** Where the registry keeps a blob's bytes (to tamper with them in tests). */
  blobDataPath(digest: string): string {
    const hex = digest.slice(7);
    return path.join(this.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
  }

  /** How many times blobs were fetched (GET .../blobs/sha256:...) according to the access log. */
  blobGets(): number {
    return (fs.readFileSync(this.logFile, 'utf8').match(/"GET \/v2\/[^ ]*\/blobs\/sha256:[a-f0-9]{64} HTTP/g) ?? []).length;
  }

  stop(): void {
    this.tokens?.server.close();
    this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Docker/OCI distribution API client (I/O edge): manifests and blobs over
// HTTPS, the registry token flow (anonymous or with credentials), Basic auth,
// plain HTTP only for loopback registries or ones the user marks insecure.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { HttpError, httpGet, type HttpResponse } from './http';
import { ACCEPT } from './manifest';
import { formatReference, type ImageReference, isLoopbackRegistry, registryEndpoint } from './reference';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface RegistryOptions {
  /** Use plain HTTP (insecure registries, and loopback ones by default). */
  readonly plainHttp: boolean;
  readonly credentials: Credentials | undefined;
  readonly timeoutMs: number;
}

/** Credentials for a registry from ~/.docker/config.json or $XDG_RUNTIME_DIR/containers/auth.json. */
export function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const files = [
    env.REGISTRY_AUTH_FILE,
    env.XDG_RUNTIME_DIR && path.join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'),
    path.join(env.HOME || os.homedir(), '.docker', 'config.json'),
  ].filter((f): f is string => Boolean(f));
  const keys = registry === 'docker.io' ? ['docker.io', 'https://index.docker.io/v1/', 'index.docker.io'] : [registry, `https://${registry}`, `http://${registry}`];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const auths = json && typeof json === 'object' && 'auths' in json ? (json as { auths: unknown }).auths : undefined;
    if (!auths || typeof auths !== 'object') continue;
    for (const key of keys) {
      const entry: unknown = (auths as Record<string, unknown>)[key];
      const auth = entry && typeof entry === 'object' && 'auth' in entry ? (entry as { auth: unknown }).auth : undefined;
      if (typeof auth !== 'string') continue;
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  return undefined;
}

interface Challenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Parse WWW-Authenticate: Bearer realm="...",service="...",scope="...". */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of (m[2] as string).matchAll(/(\w+)="([^"]*)"/g)) params[(p[1] as string).toLowerCase()] = p[2] as string;
  return { scheme: (m[1] as string).toLowerCase(), params };
}

export class RegistryClient {
  private authorization: string | undefined;

  constructor(
    readonly ref: ImageReference,
    private readonly opts: RegistryOptions,
  ) {}

  static defaultOptions(ref: ImageReference, insecureRegistries: readonly string[] = []): RegistryOptions {
    return {
      plainHttp: isLoopbackRegistry(ref.registry) || insecureRegistries.includes(ref.registry),
      credentials: findCredentials(ref.registry),
      timeoutMs: 60_000,
    };
  }

  private get base(): string {
    return `${this.opts.plainHttp ? 'http' : 'https'}://${registryEndpoint(this.ref.registry)}/v2/${this.ref.repository}`;
  }

  private async send(url: string, headers: Record<string, string>): Promise<HttpResponse> {
    try {
      return await httpGet(url, { ...headers, ...(this.authorization ? { Authorization: this.authorization } : {}) }, this.opts.timeoutMs);
    } catch (e) {
      const detail = e instanceof HttpError ? e.code : (e as Error).message;
      const tls = /CERT|SSL|TLS|self.signed|EPROTO/i.test(`${detail} ${(e as Error).message}`);
      throw new PodgenError(`cannot reach registry ${this.ref.registry}: ${detail}`, {
        kind: 'unavailable',
        hint: tls
          ? 'the registry does not speak HTTPS with a trusted certificate; if it is yours and plain HTTP, add it with --insecure-registry'
          : 'check the registry address and that it is up (and this host can reach it)',
        cause: e,
      });
    }
  }

  /** GET with the registry auth dance: on 401 fetch a token (or use Basic) and retry once. */
  private async get(url: string, headers: Record<string, string>): Promise<HttpResponse> {
    let res = await this.send(url, headers);
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.header('www-authenticate') ?? '');
    res.discard();
    if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      this.authorization = `Bearer ${await this.token(challenge)}`;
    } else if (challenge?.scheme === 'basic' && this.opts.credentials) {
      this.authorization = basic(this.opts.credentials);
    } else {
      throw this.denied();
    }
    res = await this.send(url, headers);
    if (res.status === 401 || res.status === 403) {
      res.discard();
      throw this.denied();
    }
    return res;
  }

  private denied(): PodgenError {
    const name = formatReference(this.ref);
    return new PodgenError(`registry ${this.ref.registry} refused access to ${name}`, {
      kind: 'auth',
      hint: this.opts.credentials
        ? 'the stored credentials were rejected: log in again (they are read from ~/.docker/config.json or $XDG_RUNTIME_DIR/containers/auth.json)'
        : 'the image is private or does not exist: store credentials in ~/.docker/config.json or $XDG_RUNTIME_DIR/containers/auth.json',
    });
  }

  private async token(ch: Challenge): Promise<string> {
    const url = new URL(ch.params.realm as string);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    url.searchParams.set('scope', ch.params.scope ?? `repository:${this.ref.repository}:pull`);
    const headers: Record<string, string> = this.opts.credentials ? { Authorization: basic(this.opts.credentials) } : {};
    let res: HttpResponse;
    try {
      res = await httpGet(url, headers, this.opts.timeoutMs);
    } catch (e) {
      throw new PodgenError(`cannot reach the token service ${url.origin} of ${this.ref.registry}: ${(e as Error).message}`, { kind: 'unavailable', cause: e });
    }
    if (res.status === 401 || res.status === 403) {
      res.discard();
      throw this.denied();
    }
    if (!res.ok) {
      res.discard();
      throw new PodgenError(`the token service of ${this.ref.registry} answered ${res.status}`, { kind: 'unavailable' });
    }
    let json: unknown;
    try {
      json = JSON.parse((await res.bytes()).toString('utf8'));
    } catch (e) {
      throw new PodgenError(`the token service of ${this.ref.registry} sent no JSON: ${(e as Error).message}`, { kind: 'unavailable' });
    }
    const token = json && typeof json === 'object' ? ((json as Record<string, unknown>).token ?? (json as Record<string, unknown>).access_token) : undefined;
    if (typeof token !== 'string') throw new PodgenError(`the token service of ${this.ref.registry} sent no token`, { kind: 'unavailable' });
    return token;
  }

  /** A manifest or index by tag or digest: its bytes, media type and digest header. */
  async manifest(reference: string): Promise<{ body: Buffer; contentType: string; digestHeader: string | undefined }> {
    const res = await this.get(`${this.base}/manifests/${reference}`, { Accept: ACCEPT });
    if (res.status === 404) {
      res.discard();
      throw new PodgenError(`image ${this.ref.registry}/${this.ref.repository}:${reference} not found`, {
        kind: 'not-found',
        hint: 'check the name and tag (the registry has no manifest by that name)',
      });
    }
    if (!res.ok) {
      res.discard();
      throw new PodgenError(`registry ${this.ref.registry} answered ${res.status} ${res.statusText} for the manifest of ${this.ref.repository}:${reference}`, { kind: 'unavailable' });
    }
    return {
      body: await res.bytes(),
      contentType: res.header('content-type') ?? '',
      digestHeader: res.header('docker-content-digest'),
    };
  }

  /** A blob's body as a stream of chunks. */
  async blob(digest: string): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.get(`${this.base}/blobs/${digest}`, {});
    if (!res.ok) {
      res.discard();
      throw new PodgenError(`registry ${this.ref.registry} answered ${res.status} for blob ${digest}`, {
        kind: res.status === 404 ? 'not-found' : 'unavailable',
      });
    }
    return res.body;
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

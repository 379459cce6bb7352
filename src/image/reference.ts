// Image references (distribution/reference grammar): [registry[:port]/]path[:tag][@digest].
// Pure. Short names expand like podman's registries.conf default for
// Debian/Docker users: "nginx" -> docker.io/library/nginx:latest.

export interface ImageReference {
  /** Registry host[:port] as written or implied, e.g. "docker.io", "localhost:5000". */
  readonly registry: string;
  /** Repository path, e.g. "library/nginx". */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export type ParsedReference = { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly message: string };

const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
export const DEFAULT_REGISTRY = 'docker.io';
const MAX_NAME = 255;

/** True when the first path component names a registry rather than a repository. */
function isDomain(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost';
}

/** shortNameRegistry: where a name without registry goes (registries.conf unqualified-search-registries). */
export function parseReference(input: string, shortNameRegistry: string = DEFAULT_REGISTRY): ParsedReference {
  const fail = (why: string): ParsedReference => ({ ok: false, message: `"${input}" is not a valid image reference: ${why}` });
  if (input === '') return fail('it is empty');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    if (!DIGEST.test(digest)) return fail(`digest "${digest}" is not sha256:<64 lowercase hex digits>`);
    rest = rest.slice(0, at);
  }
  let registry = shortNameRegistry;
  const slash = rest.indexOf('/');
  if (slash !== -1 && isDomain(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    if (!DOMAIN.test(registry)) return fail(`registry "${registry}" is not a host name[:port]`);
    rest = rest.slice(slash + 1);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      return fail(tag.length > 128 ? `tag is ${tag.length} characters long (at most 128)` : `tag "${tag}" may only hold letters, digits, "_", "." and "-", and not start with "." or "-"`);
    }
  }
  if (rest === '') return fail('the repository name is empty');
  for (const c of rest.split('/')) {
    if (!PATH_COMPONENT.test(c)) return fail(`repository "${rest}" is not lowercase letters, digits and separators (".", "_", "-")`);
  }
  if (registry === DEFAULT_REGISTRY && !rest.includes('/')) rest = `library/${rest}`;
  if (`${registry}/${rest}`.length > MAX_NAME) return fail(`the name is longer than ${MAX_NAME} characters`);
  return { ok: true, ref: { registry, repository: rest, tag: tag ?? (digest ? undefined : 'latest'), digest } };
}

/** Canonical text: docker.io/library/nginx:1.25 (and @sha256:... when pinned). */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Where the registry API lives: Docker Hub's registry is not at docker.io itself. */
export function registryEndpoint(registry: string): string {
  return registry === DEFAULT_REGISTRY ? 'registry-1.docker.io' : registry;
}

/** Plain HTTP is used only for loopback registries and those the user marks insecure. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The first registry of `unqualified-search-registries` in registries.conf
 * (containers-registries.conf(5)), which podman also tries first for short names.
 */
export function shortNameRegistryFrom(registriesConf: string | undefined): string {
  const m = registriesConf && /^\s*unqualified-search-registries\s*=\s*\[([^\]]*)\]/m.exec(registriesConf);
  const first = m ? /["']([^"']+)["']/.exec(m[1] as string) : null;
  return first?.[1] ?? DEFAULT_REGISTRY;
}

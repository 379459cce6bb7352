// Value validators for definition keys. Each returns undefined when the value
// is fine, or a message that says what is wrong and what a good value looks
// like. A value holding systemd specifiers (%h, %i, ...) is checked as systemd
// will typically expand it (guard below); one with $VAR is the service's
// environment, known only at run time, and passes.

import { unitNameProblem } from '../values/unitName';
import { parseReference } from '../image/reference';
import { parseBoolean } from '../parse/lookup';
import { parseCapability } from '../values/capability';
import { parseCpus } from '../values/cpus';
import { parseDuration } from '../values/duration';
import { problemOf } from '../values/parsed';
import { parseIpRange, parseSubnet } from '../values/subnet';
import { parsePublish } from '../values/port';
import { parseSignal } from '../values/signal';
import { parsePathList, parseSeccompProfile } from '../values/securityOpt';
import { parseSize } from '../values/size';
import { problemsOnceExpanded } from '../values/specifier';
import { parseUlimit } from '../values/ulimit';
import { parseVolume } from '../values/volume';

export type Check = (value: string) => string | undefined;

/** True when an Exec line's $VAR / ${VAR} in the value takes the service's environment at run time. */
export function hasVariable(value: string): boolean {
  return /\$(\{[A-Za-z_]|[A-Za-z_])/.test(value.replace(/\$\$/g, ''));
}

/** True when systemd will expand part of the value at run time (%h, %i, ... or $VAR, ${VAR}). */
export function hasSpecifier(value: string): boolean {
  // Only %letter is a specifier: "%," or "50%" are literal (and %digit is refused by decode/specifiers.ts).
  return /%[A-Za-z]/.test(value.replace(/%%/g, '')) || hasVariable(value);
}

/**
 * A check of a value systemd may still change: $VAR is the service's environment (anything), but
 * a specifier is a known kind of text, so the value must be valid with typical expansions:
 * StopTimeout=%i passes (web@30.service), StopTimeout=%h/x5 cannot ever be a number.
 */
const guard =
  (check: Check): Check =>
  (value) => {
    if (hasVariable(value)) return undefined;
    if (!hasSpecifier(value)) return check(value);
    return problemsOnceExpanded(value, (text) => [check(text)].flatMap((p) => p ?? []))[0];
  };

export const boolean: Check = (value) =>
  parseBoolean(value) === undefined ? `"${value}" is not a boolean; use yes/no (or true/false, on/off, 1/0)` : undefined;

export const booleanOr =
  (words: readonly string[]): Check =>
  (value) =>
    parseBoolean(value) !== undefined || words.includes(value.toLowerCase())
      ? undefined
      : `"${value}" is not valid; use yes, no${words.map((w) => ` or ${w}`).join('')}`;

export const oneOf =
  (allowed: readonly string[]): Check =>
  (value) =>
    allowed.includes(value) ? undefined : `"${value}" is not one of ${allowed.join(', ')}`;

export const unsignedInt: Check = guard((value) => (/^\d+$/.test(value) ? undefined : `"${value}" is not a whole number`));

/**
 * A .volume's User=/Group=: Quadlet reads them as numbers and writes 0 for anything else, which is
 * right for "root" only; any other name would silently become root, so it is refused.
 */
export const numericIdOrRoot: Check = guard((value) =>
  /^\d+$/.test(value) || value === 'root' ? undefined : `"${value}" is not a numeric ID: Quadlet would create the volume owned by root (0); give the number (id -u NAME)`,
);
export const signedInt: Check = guard((value) => (/^-?\d+$/.test(value) ? undefined : `"${value}" is not a whole number (-1 means unlimited)`));

// Go time.ParseDuration syntax, which podman uses: 30s, 1m30s, 500ms, 1h (a bare number is not one).
export const duration: Check = guard((value) => problemOf(parseDuration(value)));
export const durationOrDisable: Check = (value) => (value === 'disable' ? undefined : duration(value));

// docker/go-units RAMInBytes: a number with an optional b/k/m/g/t/p unit.
export const memorySize: Check = guard((value) => problemOf(parseSize(value)));


export const cpus: Check = guard((value) => problemOf(parseCpus(value)));

export const path: Check = (value) => (value.length === 0 ? 'empty path' : /\0/.test(value) ? 'path contains a NUL byte' : undefined);

export const absolutePath: Check = guard((value) => (value.startsWith('/') ? undefined : `"${value}" is not an absolute path`));

/** [[ip:][hostPort]:]containerPort[/protocol], as docker run -p and Quadlet's PublishPort=. */
export const publishPort: Check = guard((value) => problemOf(parsePublish(value)));

export const exposePort: Check = guard((value) =>
  /^\d+(-\d+)?(\/udp|\/tcp)?$/.test(value.trim()) ? undefined : `invalid port format "${value}"; write it like 80, 8000-8010 or 53/udp`,
);

/** [source:]destination[:options] with an absolute destination. */
export const volume: Check = guard((value) => problemOf(parseVolume(value)));

export const tmpfs: Check = guard((value) => {
  const dest = value.split(':')[0] as string;
  return dest.startsWith('/') ? undefined : `tmpfs destination "${dest}" is not an absolute path`;
});

export const envName: Check = (word) => {
  const eq = word.indexOf('=');
  const name = eq === -1 ? word : word.slice(0, eq);
  if (name === '') return `"${word}" has an empty variable name`;
  if (/[\s\0]/.test(name)) return `variable name "${name}" contains whitespace`;
  return undefined;
};

const USER = /^([a-z_][a-z0-9_.-]*\$?|\d+)$/i;
export const userOrGroup: Check = guard((value) =>
  USER.test(value) ? undefined : `"${value}" is not a user/group name or numeric id`,
);

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
export const containerName: Check = guard((value) =>
  NAME.test(value) ? undefined : `"${value}" is not a valid container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`,
);

// Not guarded: systemd expands no specifiers in a unit's own name.
export const unitNamePrefix: Check = (value) => {
  if (value.includes('/') || value.includes('..')) return `"${value}" is not a valid systemd unit name: it would escape the unit directory`;
  const problem = unitNameProblem(`${value}.service`);
  return problem ? `"${value}" is not a valid systemd unit name: ${problem}` : undefined;
};

const HOSTNAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
export const hostname: Check = guard((value) => (HOSTNAME.test(value) && value.length <= 253 ? undefined : `"${value}" is not a valid host name`));

export const ipv4: Check = (value) => {
  const parts = value.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
    ? undefined
    : `"${value}" is not an IPv4 address`;
};

export const ipv6: Check = (value) =>
  /^[0-9a-fA-F:.]+$/.test(value) && value.includes(':') && (value.match(/::/g) ?? []).length <= 1
    ? undefined
    : `"${value}" is not an IPv6 address`;

export const ipAddress: Check = guard((value) =>
  ipv4(value) === undefined || ipv6(value) === undefined || value === 'none' ? undefined : `"${value}" is not an IP address`,
);

export const subnet: Check = guard((value) => problemOf(parseSubnet(value)));
export const ipRange: Check = guard((value) => problemOf(parseIpRange(value)));

export const addHost: Check = guard((value) => {
  const i = value.indexOf(':');
  if (i <= 0) return `"${value}" is not host:ip`;
  const ip = value.slice(i + 1);
  return ipv4(ip) === undefined || ipv6(ip) === undefined || ip === 'host-gateway' ? undefined : `"${ip}" in "${value}" is not an IP address`;
});

export const capability: Check = (value) => problemOf(parseCapability(value));

export const device: Check = guard((value) => {
  const dev = value.replace(/^-/, '').split(':')[0] as string;
  return dev.startsWith('/') ? undefined : `device "${dev}" is not an absolute path like /dev/fuse`;
});

export const idMap: Check = guard((value) =>
  /^[+@]?\d+:[+@]?\d+(:\d+)?$/.test(value) ? undefined : `"${value}" is not an id mapping like 0:10000:65536`,
);

export const sysctl: Check = (value) => (/^[a-z0-9_.\-/]+=.*$/i.test(value) ? undefined : `"${value}" is not name=value`);

export const ulimit: Check = guard((value) => (value === 'host' ? undefined : problemOf(parseUlimit(value))));

export const signal: Check = guard((value) => problemOf(parseSignal(value)));

export const imageReference: Check = guard((value) => {
  if (value.endsWith('.image') || value.endsWith('.build')) return undefined;
  if (/^(sha256:)?[a-f0-9]{64}$/.test(value)) return undefined;
  const parsed = parseReference(value);
  return parsed.ok ? undefined : `${parsed.message}; write it like docker.io/library/nginx:1.25`;
});

export const seccompProfile: Check = guard((value) => problemOf(parseSeccompProfile(value)));
export const maskPaths: Check = guard((value) => problemOf(parsePathList(value, false)));
export const unmaskPaths: Check = guard((value) => problemOf(parsePathList(value, true)));

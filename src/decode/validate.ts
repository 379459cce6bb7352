// Value validators for definition keys. Each returns undefined when the value
// is fine, or a message that says what is wrong and what a good value looks
// like. Values holding systemd specifiers (%h, %i, ...) are only known at run
// time, so the format checks let them through.

import { parseReference } from '../image/reference';
import { parseBoolean } from '../parse/lookup';

export type Check = (value: string) => string | undefined;

/** True when systemd will expand part of the value at run time (%h, %i, ... or $VAR, ${VAR}). */
export function hasSpecifier(value: string): boolean {
  return /%[^%]/.test(value.replace(/%%/g, '')) || /\$(\{[A-Za-z_]|[A-Za-z_])/.test(value.replace(/\$\$/g, ''));
}

const guard =
  (check: Check): Check =>
  (value) =>
    hasSpecifier(value) ? undefined : check(value);

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

export const signedInt: Check = guard((value) => (/^-?\d+$/.test(value) ? undefined : `"${value}" is not a whole number (-1 means unlimited)`));

// Go time.ParseDuration syntax, which podman uses: 30s, 1m30s, 500ms, 1h.
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
export const duration: Check = guard((value) =>
  GO_DURATION.test(value) || /^\d+$/.test(value) ? undefined : `"${value}" is not a duration; write it like 30s, 1m30s or 500ms`,
);
export const durationOrDisable: Check = (value) => (value === 'disable' ? undefined : duration(value));

// docker/go-units RAMInBytes: a number with an optional b/k/m/g/t/p unit.
const MEMORY = /^\d+(\.\d+)? ?[kmgtpKMGTP]?[iI]?[bB]?$/;
export const memorySize: Check = guard((value) =>
  MEMORY.test(value) ? undefined : `"${value}" is not a memory size; write it like 512m, 2g or 1073741824 (units b, k, m, g)`,
);

export function parseMemoryBytes(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(value);
  if (!m) return undefined;
  const unit = ((m[2] as string) || '').toLowerCase();
  const pow = ' kmgtp'.indexOf(unit || ' ');
  return Math.floor(parseFloat(m[1] as string) * 1024 ** Math.max(pow, 0));
}

export const cpus: Check = guard((value) =>
  /^\d+(\.\d+)?$/.test(value) && parseFloat(value) > 0 ? undefined : `"${value}" is not a CPU count; write it like 0.5 or 2`,
);

export const path: Check = (value) => (value.length === 0 ? 'empty path' : /\0/.test(value) ? 'path contains a NUL byte' : undefined);

export const absolutePath: Check = guard((value) => (value.startsWith('/') ? undefined : `"${value}" is not an absolute path`));

function portNumber(s: string, what: string, allowZero: boolean): string | undefined {
  if (!/^\d+$/.test(s)) return `${what} "${s}" is not a number`;
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) return `${what} ${s} is out of range (1-65535)`;
  return undefined;
}

function portRange(s: string, what: string, allowZero = false): string | undefined {
  const parts = s.split('-');
  if (parts.length > 2) return `${what} "${s}" is not a port or a range like 8000-8010`;
  for (const p of parts) {
    const err = portNumber(p, what, allowZero);
    if (err) return err;
  }
  if (parts.length === 2 && Number(parts[0]) > Number(parts[1])) return `${what} range "${s}" runs backwards`;
  return undefined;
}

/** [[ip:][hostPort]:]containerPort[/protocol], as docker run -p and Quadlet's PublishPort=. */
export const publishPort: Check = guard((value) => {
  let rest = value;
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    const proto = rest.slice(slash + 1);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) return `protocol "${proto}" in "${value}" is not tcp, udp or sctp`;
    rest = rest.slice(0, slash);
  }
  let ip: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return `unterminated IPv6 address in "${value}"`;
    ip = rest.slice(1, close);
    rest = rest.slice(close + 1);
    if (!rest.startsWith(':')) return `"${value}" needs a port after the IPv6 address`;
    rest = rest.slice(1);
  }
  const parts = rest.split(':');
  if (parts.length > 3) return `"${value}" is not [[ip:][hostPort]:]containerPort[/protocol]`;
  if (parts.length === 3) {
    if (ip !== undefined) return `"${value}" has two addresses`;
    ip = parts.shift();
  }
  if (ip !== undefined && ip !== '' && ipv4(ip) && ipv6(ip)) return `"${ip}" in "${value}" is not an IP address`;
  const container = parts.pop() as string;
  const host = parts.pop();
  const cErr = portRange(container, 'container port');
  if (cErr) return `${cErr} in "${value}"`;
  if (host !== undefined && host !== '') {
    const hErr = portRange(host, 'host port');
    if (hErr) return `${hErr} in "${value}"`;
  }
  return undefined;
});

export const exposePort: Check = guard((value) =>
  /^\d+(-\d+)?(\/udp|\/tcp)?$/.test(value.trim()) ? undefined : `invalid port format "${value}"; write it like 80, 8000-8010 or 53/udp`,
);

const VOLUME_OPTIONS = new Set([
  'ro', 'rw', 'z', 'Z', 'U', 'O', 'copy', 'nocopy', 'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate',
  'unbindable', 'runbindable', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'bind', 'rbind', 'noatime',
  'relatime', 'strictatime', 'nodiratime', 'idmap',
]);

/** [source:]destination[:options] with an absolute destination. */
export const volume: Check = guard((value) => {
  const parts = value.split(':');
  if (parts.length > 3) return `"${value}" is not [source:]destination[:options]`;
  const dest = parts.length >= 2 ? (parts[1] as string) : (parts[0] as string);
  if (parts.length >= 2 && (parts[0] as string) === '') return `"${value}" has an empty source`;
  if (!dest.startsWith('/')) return `destination "${dest}" in "${value}" is not an absolute path inside the container`;
  if (parts.length === 3) {
    for (const opt of (parts[2] as string).split(',')) {
      const name = opt.replace(/^idmap.*$/, 'idmap');
      if (!VOLUME_OPTIONS.has(name)) return `unknown volume option "${opt}" in "${value}" (known: ro, rw, z, Z, U, O, nocopy, shared, slave, private, ...)`;
    }
  }
  return undefined;
});

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

export const unitNamePrefix: Check = guard((value) =>
  /^[a-zA-Z0-9:_.\\@-]+$/.test(value) && !value.includes('..') ? undefined : `"${value}" is not a valid systemd unit name`,
);

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

export const addHost: Check = guard((value) => {
  const i = value.indexOf(':');
  if (i <= 0) return `"${value}" is not host:ip`;
  const ip = value.slice(i + 1);
  return ipv4(ip) === undefined || ipv6(ip) === undefined || ip === 'host-gateway' ? undefined : `"${ip}" in "${value}" is not an IP address`;
});

export const capability: Check = (value) =>
  /^(CAP_)?[A-Z_]+$/i.test(value) || value.toLowerCase() === 'all' ? undefined : `"${value}" is not a capability name like CAP_NET_ADMIN`;

export const device: Check = guard((value) => {
  const dev = value.replace(/^-/, '').split(':')[0] as string;
  return dev.startsWith('/') ? undefined : `device "${dev}" is not an absolute path like /dev/fuse`;
});

export const idMap: Check = guard((value) =>
  /^[+@]?\d+:[+@]?\d+(:\d+)?$/.test(value) ? undefined : `"${value}" is not an id mapping like 0:10000:65536`,
);

export const sysctl: Check = (value) => (/^[a-z0-9_.\-/]+=.*$/i.test(value) ? undefined : `"${value}" is not name=value`);

export const ulimit: Check = guard((value) => {
  if (value === 'host') return undefined;
  const m = /^([a-z]+)=(-?\d+|unlimited)(:(-?\d+|unlimited))?$/.exec(value);
  return m ? undefined : `"${value}" is not a ulimit like nofile=1024:2048`;
});

const SIGNALS = new Set([
  'HUP', 'INT', 'QUIT', 'ILL', 'TRAP', 'ABRT', 'BUS', 'FPE', 'KILL', 'USR1', 'SEGV', 'USR2', 'PIPE', 'ALRM', 'TERM',
  'STKFLT', 'CHLD', 'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'XCPU', 'XFSZ', 'VTALRM', 'PROF', 'WINCH', 'IO',
  'PWR', 'SYS',
]);
export const signal: Check = guard((value) => {
  if (/^\d+$/.test(value) && Number(value) > 0 && Number(value) < 65) return undefined;
  const name = value.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name) || /^RTM(IN|AX)([+-]\d+)?$/.test(name)) return undefined;
  return `"${value}" is not a signal name like SIGTERM or a number`;
});

export const imageReference: Check = guard((value) => {
  if (value.endsWith('.image') || value.endsWith('.build')) return undefined;
  if (/^(sha256:)?[a-f0-9]{64}$/.test(value)) return undefined;
  const parsed = parseReference(value);
  return parsed.ok ? undefined : `${parsed.message}; write it like docker.io/library/nginx:1.25`;
});

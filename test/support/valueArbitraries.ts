// Random valid values of the podgen engine's value kinds (fast-check), and
// the docker run flags a generated unit hands to prepare, as systemd would
// pass them: shared by the typed-model and the import round-trip tests.

import fc from 'fast-check';
import { runArgsOfUnit } from '../../src/commands/exportKube';
import { CAPABILITIES } from '../../src/values/capability';
import { parsePublish } from '../../src/values/port';
import { ULIMIT_TYPES } from '../../src/values/ulimit';

/** The docker run flags a podgen-engine unit hands to prepare, parsed by prepare's own parser (what export kube reads too). */
export const prepareArgs = runArgsOfUnit;

export const port = fc.integer({ min: 1, max: 65000 });
export const publish = fc
  .record({ ip: fc.constantFrom('', '127.0.0.1:', '[::1]:', '0.0.0.0:'), host: fc.option(port, { nil: undefined }), container: port, span: fc.integer({ min: 0, max: 3 }), proto: fc.constantFrom('', '/tcp', '/udp') })
  .map(({ ip, host, container, span, proto }) => {
    const r = (p: number): string => (span ? `${p}-${p + span}` : String(p));
    // IP::PORT publishes on a free host port of that address (docker's spelling).
    return `${ip}${host === undefined ? (ip ? ':' : '') : `${r(host)}:`}${r(container)}${proto}`;
  })
  .filter((v) => parsePublish(v).ok);
export const segment = fc.stringMatching(/^[a-zA-Z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
export const absolute = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
export const volume = fc.oneof(
  fc.record({ source: absolute, target: absolute, opts: fc.subarray(['ro', 'nosuid', 'nodev', 'noexec', 'rprivate', 'Z']) }).map(({ source, target, opts }) => `${source}:${target}${opts.length ? `:${opts.join(',')}` : ''}`),
  fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/), target: absolute }).map(({ name, target }) => `${name}:${target}`),
  absolute,
);
export const memory = fc.record({ n: fc.integer({ min: 1, max: 4096 }), dec: fc.constantFrom('', '.5', '.25'), unit: fc.constantFrom('', 'k', 'm', 'g', 'M', 'G', 'mb', 'GiB') }).map(({ n, dec, unit }) => `${n}${dec}${unit}`);
export const cpus = fc.integer({ min: 1, max: 80_000 }).map((t) => String(t / 10_000));
export const ulimit = fc
  .record({ type: fc.constantFrom(...ULIMIT_TYPES), soft: fc.integer({ min: 0, max: 100_000 }), more: fc.integer({ min: 0, max: 100_000 }), hard: fc.constantFrom('same', 'number', 'unlimited') })
  .map(({ type, soft, more, hard }) => `${type}=${soft}${hard === 'same' ? '' : hard === 'number' ? `:${soft + more}` : ':unlimited'}`);
export const capability = fc.record({ cap: fc.constantFrom(...CAPABILITIES), prefix: fc.boolean(), lower: fc.boolean() }).map(({ cap, prefix, lower }) => {
  const name = prefix ? `CAP_${cap}` : cap;
  return lower ? name.toLowerCase() : name;
});
export const signal = fc.oneof(fc.constantFrom('TERM', 'sigint', 'SigQuit', 'HUP', 'USR1', 'SIGRTMIN+3', 'WINCH'), fc.integer({ min: 1, max: 64 }).map(String));

export const seccomp = fc.oneof(fc.constant('unconfined'), absolute.map((p) => `${p}.json`));
export const maskPaths = fc.array(absolute, { minLength: 1, maxLength: 3 }).map((ps) => ps.join(':'));
export const unmaskPaths = fc.oneof(fc.constant('ALL'), maskPaths);


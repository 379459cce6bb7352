// A `docker run` / `podman run` command -> the assignments of a .container
// definition. Every flag is looked up in runFlagTable.ts: mapped to its key,
// read specially, understood (with a note), kept for podman, or refused with
// the flag named and why. Values are checked by the same checks the decoder
// applies to the key, so an import that succeeds generates.

import * as path from 'node:path';
import { CONTAINER_KEY_INDEX } from '../decode/containerKeys';
import type { Engine } from '../decode/decodeContainer';
import { PodgenError } from '../errors';
import { parseRestartPolicy } from '../restart/policy';
import { parseSecurityOpt } from '../values/securityOpt';
import { formatReference, parseReference } from '../image/reference';
import { type FlagKind, scanFlags } from '../parse/argv';
import { runFlag, type FlagSpec, type Special } from './runFlagTable';
import { splitShellLine } from './shellLine';

/** One [Container] line: a value, or the words of an exec-style key (Exec=, PodmanArgs=), as the container should receive them. */
export type Assignment = { readonly key: string; readonly value: string } | { readonly key: string; readonly words: readonly string[] };

export interface ImportedRun {
  /** The definition's name: --name, else derived from the image. */
  readonly name: string;
  readonly containerName: string | undefined;
  readonly image: string;
  /** [Container] assignments in the order of the flags (Image= first, Exec= last). */
  readonly assignments: readonly Assignment[];
  /** What became of flags with no key of their own (-d, -t, -e NAME from your environment, ...). */
  readonly notes: readonly string[];
  readonly restart: string | undefined;
  /** -d was given (podgen run decides foreground or unit by it). */
  readonly detach: boolean;
  /** --rm was given. */
  readonly remove: boolean;
  /** The named volumes anonymous ones became (anonymousVolumePrefix). */
  readonly anonymousVolumes: readonly string[];
}

export interface ImportOptions {
  /** The engine the definition is for: flags the podgen engine cannot honour are refused for it. */
  readonly engine: Engine;
  /** Relative paths (-v ./data:/data, --env-file .env) are made absolute against this directory. */
  readonly cwd: string;
  /** Where -e NAME (no value) takes its value from, as docker run does from its own environment. */
  readonly env: NodeJS.ProcessEnv;
  /** The registry a short image name means (podgen pull's: registries.conf, else docker.io). */
  readonly shortNameRegistry: string;
  /**
   * podgen run -d: an anonymous volume (-v /data) becomes the named volume PREFIX-N, so that it
   * lives as long as the container (across restarts and reboots, as Docker's) and goes with
   * `podgen rm -v`. A unit's own anonymous volumes are fresh at every start.
   */
  readonly anonymousVolumePrefix?: string;
}

const usage = (message: string, hint: string): PodgenError => new PodgenError(message, { kind: 'usage', hint });

/** The words of the run command: one shell line, or words already split (after `--`). Leading docker|podman [container] run is removed. */
export function runWords(input: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const words = input.length === 1 && /\s/.test(input[0] as string) ? splitShellLine(input[0] as string, env) : [...input];
  let i = 0;
  if (words[i] === 'sudo') i++;
  if (words[i] !== undefined && /(^|\/)(docker|podman|podgen)$/.test(words[i] as string)) i++;
  else throw usage(`expected a docker run or podman run command, got "${words[0] ?? ''}"`, 'e.g. podgen import run "docker run -d -p 80:80 nginx"');
  if (words[i] === 'container') i++;
  if (words[i] !== 'run') throw usage(`only "run" commands can be imported, got "${words.slice(0, i + 1).join(' ')}"`, 'docker create, compose and other commands are not run lines (podgen import compose takes compose files)');
  return words.slice(i + 1);
}

/** A definition name from an image reference: docker.io/library/nginx:1.16 -> nginx. */
export function nameFromImage(image: string): string {
  const last = image.replace(/@.*$/, '').split('/').pop() ?? image;
  const base = last.replace(/:[^:]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return base || 'container';
}

function absolute(p: string, cwd: string): string {
  return p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..' ? path.resolve(cwd, p) : p;
}

const kindOf = (name: string): FlagKind | undefined => {
  const spec = runFlag(name);
  return spec === undefined ? undefined : spec.takesValue ? 'value' : 'bool';
};

/** The flags before the image, as [name, value]; unknown flags count as booleans here (importRun refuses them). */
export function leadingFlags(argv: readonly string[]): Array<readonly [string, string | undefined]> {
  const lenient = (name: string): FlagKind => kindOf(name) ?? 'bool';
  const stop = (name: string): Error => usage(`${name} needs a value`, `${name} VALUE`);
  return scanFlags(argv, lenient, { unknown: stop, needsValue: stop }).flags.map((f) => [f.name, f.value] as const);
}

/** Whether the run flags ask for -d. */
export function detachRequested(argv: readonly string[]): boolean {
  return leadingFlags(argv).some(([n, v]) => (n === '-d' || n === '--detach') && v !== 'false');
}

/** A short image name written out in full (a definition names its registry), with a note saying so. */
function qualified(image: string, shortNameRegistry: string, notes: string[]): string {
  const parsed = parseReference(image, shortNameRegistry);
  if (!parsed.ok) throw usage(`image ${parsed.message}`, 'name the image as docker pull takes it, e.g. docker.io/library/nginx:1.25');
  const first = image.split('/')[0] as string;
  if (image.includes('/') && (/[.:]/.test(first) || first === 'localhost')) return image;
  const full = formatReference(parsed.ref);
  notes.push(`${image}: written as ${full}, the image the short name means here`);
  return full;
}

/** Parse the run flags (docker's spelling) and make assignments; throws a usage error naming the flag. */
export function importRun(flagsAndImage: readonly string[], opts: ImportOptions): ImportedRun {
  const out: Assignment[] = [];
  const notes: string[] = [];
  const podmanArgs: string[] = [];
  let containerName: string | undefined;
  let restart: string | undefined;
  let rootfs = false;
  let detach = false;
  let remove = false;
  const anonymousVolumes: string[] = [];
  const argv = [...flagsAndImage];

  const assign = (flag: string, k: string, value: string): void => {
    const spec = CONTAINER_KEY_INDEX.get(k);
    if (!spec) throw new PodgenError(`internal: no key ${k}`, { kind: 'internal' });
    if (opts.engine === 'podgen' && !spec.podgen) {
      throw usage(`${flag}: the podgen engine does not honour ${k}= (the key ${flag} maps to)`, `import with --engine podman to keep it, or leave ${flag} out`);
    }
    const problem = spec.check?.(value);
    if (problem) throw usage(`${flag} ${value}: ${problem}`, `fix the value of ${flag}`);
    out.push({ key: k, value });
  };

  const applySpecial = (s: Special, flag: string, value: string, on: boolean): void => {
    switch (s) {
      case 'env': {
        const eq = value.indexOf('=');
        if (eq > 0) return assign(flag, 'Environment', value);
        if (/[*?]/.test(value)) throw usage(`${flag} ${value}: a name pattern takes variables from podman's own environment, which a service does not have`, 'give each variable as NAME=VALUE');
        const v = opts.env[value];
        if (v === undefined) {
          notes.push(`${flag} ${value}: not set in your environment, so not set in the container (as docker run does)`);
          return;
        }
        notes.push(`${flag} ${value}: its value was taken from your environment now; the service does not read it at start`);
        return assign(flag, 'Environment', `${value}=${v}`);
      }
      case 'envFile':
        return assign(flag, 'EnvironmentFile', path.resolve(opts.cwd, value));
      case 'httpProxy':
        return assign(flag, 'HttpProxy', on ? 'true' : 'false');
      case 'user': {
        const colon = value.indexOf(':');
        if (colon === -1) return assign(flag, 'User', value);
        assign(flag, 'User', value.slice(0, colon));
        return assign(flag, 'Group', value.slice(colon + 1));
      }
      case 'securityOpt':
        return securityOpt(flag, value);
      case 'restart': {
        const p = parseRestartPolicy(value);
        if (!p.ok || p.policy.kind === 'systemd') throw usage(`${flag} ${value}: ${p.ok ? 'not a Docker restart policy' : p.message}`, 'no, always, unless-stopped, on-failure or on-failure:N');
        restart = value;
        return assign(flag, 'RestartPolicy', value);
      }
      case 'name':
        containerName = value;
        return assign(flag, 'ContainerName', value);
      case 'rootfs':
        rootfs = on;
        return;
      case 'sdnotify':
        switch (value) {
          case 'container':
            return assign(flag, 'Notify', 'true');
          case 'healthy':
            return assign(flag, 'Notify', 'healthy');
          case 'conmon':
            notes.push(`${flag}=conmon: the unit is ready once the container runs (the default)`);
            return;
          default:
            return keepForPodman(flag, value, `--sdnotify=${value} has no Notify= value`);
        }
      case 'noHealthcheck':
        return assign(flag, 'HealthCmd', 'none');
      case 'pod':
        notes.push(`${flag} ${value}: Pod=${value}.pod needs a ${value}.pod definition beside this one`);
        return assign(flag, 'Pod', value.endsWith('.pod') ? value : `${value}.pod`);
      case 'volume': {
        const colon = value.indexOf(':');
        if (colon === -1 && opts.anonymousVolumePrefix !== undefined && value.startsWith('/')) {
          const name = `${opts.anonymousVolumePrefix}-${anonymousVolumes.length + 1}`;
          anonymousVolumes.push(name);
          return assign(flag, 'Volume', `${name}:${value}`);
        }
        return assign(flag, 'Volume', colon > 0 ? `${absolute(value.slice(0, colon), opts.cwd)}${value.slice(colon)}` : value);
      }
      case 'runtime':
        if (value !== 'runc' && value !== 'crun') throw usage(`${flag} ${value}: podgen runs runc or crun`, 'leave it out (runc) or give crun');
        return assign(flag, 'Runtime', value);
      default: {
        const never: never = s;
        return never;
      }
    }
  };

  const securityOpt = (flag: string, value: string): void => {
    const label = /^label[=:](.*)$/.exec(value);
    if (label) {
      const v = label[1] as string;
      const kinds: Record<string, string> = { type: 'SecurityLabelType', filetype: 'SecurityLabelFileType', level: 'SecurityLabelLevel' };
      if (v === 'disable') return assign(flag, 'SecurityLabelDisable', 'true');
      if (v === 'nested') return assign(flag, 'SecurityLabelNested', 'true');
      const [kind, ...rest] = v.split(':');
      const k = kinds[kind ?? ''];
      if (k) return assign(flag, k, rest.join(':'));
      return keepForPodman(flag, value, `${value} has no [Container] key`);
    }
    const apparmor = /^apparmor[=:](.*)$/.exec(value);
    if (apparmor) return assign(flag, 'AppArmor', apparmor[1] as string);
    const parsed = parseSecurityOpt(value);
    if (!parsed.ok) {
      if (/^(seccomp|mask|unmask|no-new-privileges)\b/.test(value)) throw usage(`${flag} ${value}: ${parsed.message}`, `fix the value of ${flag}`);
      return keepForPodman(flag, value, `${value} has no [Container] key`);
    }
    const o = parsed.value;
    switch (o.kind) {
      case 'no-new-privileges':
        return assign(flag, 'NoNewPrivileges', String(o.value));
      case 'seccomp':
        return assign(flag, 'SeccompProfile', value.replace(/^seccomp[=:]/, ''));
      case 'mask':
        return assign(flag, 'Mask', o.paths.join(':'));
      case 'unmask':
        return assign(flag, 'Unmask', o.paths === 'ALL' ? 'ALL' : o.paths.join(':'));
      default: {
        const never: never = o;
        return never;
      }
    }
  };

  const keepForPodman = (flag: string, value: string | undefined, why: string): void => {
    if (opts.engine !== 'podman') throw usage(`${flag}${value === undefined ? '' : ` ${value}`} cannot be imported: ${why}`, `import with --engine podman to keep it as PodmanArgs=, or leave it out`);
    podmanArgs.push(value === undefined ? flag : `${flag}=${value}`);
    notes.push(`${flag}: kept as PodmanArgs= (no [Container] key; the podgen engine cannot run this definition)`);
  };

  const apply = (spec: FlagSpec, flag: string, value: string | undefined): void => {
    const on = value === undefined || spec.takesValue || value !== 'false';
    const v = value ?? '';
    const rule = spec.rule;
    switch (rule.kind) {
      case 'key':
        return assign(flag, rule.key, v);
      case 'bool':
        return assign(flag, rule.key, on ? 'true' : 'false');
      case 'special':
        return applySpecial(rule.special, flag, v, on);
      case 'understood':
        if (flag === '-d' || flag === '--detach') detach = on;
        if (flag === '--rm') remove = on;
        notes.push(rule.note);
        return;
      case 'podman':
        return keepForPodman(flag, value, rule.why);
      case 'refused':
        throw usage(`${flag} cannot be imported: ${rule.why}`, `leave ${flag} out`);
      default: {
        const never: never = rule;
        return never;
      }
    }
  };

  const { flags, operand } = scanFlags(argv, kindOf, {
    unknown: (name, word) => usage(`unknown flag ${name}${word !== name && !word.startsWith(`${name}=`) ? ` in ${word}` : ''}`, 'docker run --help and podman run --help list the flags; podgen import run --help says what becomes of them'),
    needsValue: (name) => usage(`${name} needs a value`, `${name} VALUE`),
    inCluster: (name, word) => usage(`${name} in ${word} needs a value`, `give it separately: ${name} VALUE`),
  });
  for (const { name, value } of flags) {
    const spec = runFlag(name) as FlagSpec;
    if (!spec.takesValue && value !== undefined && value !== 'true' && value !== 'false') throw usage(`${name}=${value}: expected true or false`, `${name} or ${name}=false`);
    apply(spec, name, value);
  }
  const i = operand;
  const given = argv[i];
  if (given === undefined || given === '') throw usage('no image given', 'docker run [FLAGS] IMAGE [COMMAND [ARG...]]');
  const command = argv.slice(i + 1);
  const image = rootfs ? given : qualified(given, opts.shortNameRegistry, notes);
  if (rootfs) assign('--rootfs', 'Rootfs', image);
  else assign('IMAGE', 'Image', image);
  if (podmanArgs.length > 0) out.push({ key: 'PodmanArgs', words: podmanArgs });
  if (command.length > 0) out.push({ key: 'Exec', words: command });
  if (remove && restart !== undefined && restart !== 'no') throw usage('--rm and --restart conflict: a container removed when it stops cannot be restarted', 'leave one of them out (as docker run says)');
  // Image= first, as people write definitions; the rest in the order given.
  const ordered = [...out.filter((a) => a.key === 'Image' || a.key === 'Rootfs'), ...out.filter((a) => a.key !== 'Image' && a.key !== 'Rootfs')];
  return {
    name: containerName ?? nameFromImage(image),
    containerName,
    image,
    assignments: ordered,
    notes,
    restart,
    detach,
    remove,
    anonymousVolumes,
  };
}

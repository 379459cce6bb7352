// Seccomp profiles in Docker's JSON format (what /usr/share/containers/seccomp.json,
// Docker's default.json and `--security-opt seccomp=FILE` hold) turned into the
// OCI runtime spec's linux.seccomp, the way Docker and podman do it: the entries
// for this machine's architecture, the container's capabilities and kernel are
// kept, the rest dropped. Pure: the caller reads the file.

import { PodgenError } from '../errors';

export interface SeccompArg {
  readonly index: number;
  readonly value: number;
  readonly valueTwo: number;
  readonly op: string;
}

interface Filter {
  readonly caps: readonly string[];
  readonly arches: readonly string[];
  readonly minKernel: string | undefined;
}

export interface ProfileSyscall {
  readonly names: readonly string[];
  readonly action: string;
  readonly errnoRet: number | undefined;
  readonly args: readonly SeccompArg[];
  readonly includes: Filter;
  readonly excludes: Filter;
}

/** A profile, checked: every field runc would trip over has been refused with its place in the file. */
export interface SeccompProfile {
  readonly defaultAction: string;
  readonly defaultErrnoRet: number | undefined;
  readonly architectures: readonly string[];
  readonly archMap: ReadonlyArray<{ readonly architecture: string; readonly subArchitectures: readonly string[] }>;
  readonly flags: readonly string[];
  readonly syscalls: readonly ProfileSyscall[];
}

/** linux.seccomp of the OCI runtime spec. */
export interface OciSeccomp {
  readonly defaultAction: string;
  readonly defaultErrnoRet?: number;
  readonly architectures: readonly string[];
  readonly flags?: readonly string[];
  readonly syscalls: ReadonlyArray<{ names: readonly string[]; action: string; errnoRet?: number; args?: readonly SeccompArg[] }>;
}

export interface SeccompHost {
  /** process.arch */
  readonly arch: string;
  /** os.release(), e.g. 6.1.0-13-amd64 */
  readonly kernel: string;
  /** The container's capabilities (CAP_...). */
  readonly caps: readonly string[];
}

const ACTIONS = new Set([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
const OPS = new Set(['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ']);

/** Node's process.arch -> the names profiles use: libseccomp's for archMap, Go's for includes.arches. */
const ARCHES: Readonly<Record<string, { readonly scmp: string; readonly go: string }>> = {
  x64: { scmp: 'SCMP_ARCH_X86_64', go: 'amd64' },
  arm64: { scmp: 'SCMP_ARCH_AARCH64', go: 'arm64' },
  arm: { scmp: 'SCMP_ARCH_ARM', go: 'arm' },
  ia32: { scmp: 'SCMP_ARCH_X86', go: '386' },
  s390x: { scmp: 'SCMP_ARCH_S390X', go: 's390x' },
  ppc64: { scmp: 'SCMP_ARCH_PPC64LE', go: 'ppc64le' },
  riscv64: { scmp: 'SCMP_ARCH_RISCV64', go: 'riscv64' },
  mips64el: { scmp: 'SCMP_ARCH_MIPSEL64', go: 'mips64le' },
};

class ProfileReader {
  constructor(private readonly file: string) {}

  fail(where: string, what: string): never {
    throw new PodgenError(`seccomp profile ${this.file}: ${where} ${what}`, {
      kind: 'definition',
      hint: "the profile must be in Docker's JSON format (as /usr/share/containers/seccomp.json); or use SeccompProfile=unconfined",
    });
  }

  object(v: unknown, where: string): Record<string, unknown> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(where, 'is not a JSON object');
    return v as Record<string, unknown>;
  }

  string(v: unknown, where: string): string {
    if (typeof v !== 'string') this.fail(where, 'is not a string');
    return v;
  }

  strings(v: unknown, where: string): string[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(where, 'is not a list');
    return v.map((x, i) => this.string(x, `${where}[${i}]`));
  }

  uint(v: unknown, where: string): number {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(where, 'is not a whole number');
    return v;
  }

  action(v: unknown, where: string): string {
    const a = this.string(v, where);
    if (!ACTIONS.has(a)) this.fail(where, `"${a}" is not a seccomp action (${[...ACTIONS].join(', ')})`);
    return a;
  }

  filter(v: unknown, where: string): Filter {
    if (v === undefined || v === null) return { caps: [], arches: [], minKernel: undefined };
    const o = this.object(v, where);
    const minKernel = o.minKernel === undefined || o.minKernel === '' ? undefined : this.string(o.minKernel, `${where}.minKernel`);
    if (minKernel !== undefined && !/^\d+\.\d+/.test(minKernel)) this.fail(`${where}.minKernel`, `"${minKernel}" is not a kernel version like 4.8`);
    return { caps: this.strings(o.caps, `${where}.caps`), arches: this.strings(o.arches, `${where}.arches`), minKernel };
  }

  arg(v: unknown, where: string): SeccompArg {
    const o = this.object(v, where);
    const op = this.string(o.op, `${where}.op`);
    if (!OPS.has(op)) this.fail(`${where}.op`, `"${op}" is not a comparison (${[...OPS].join(', ')})`);
    return { index: this.uint(o.index, `${where}.index`), value: this.uint(o.value, `${where}.value`), valueTwo: this.uint(o.valueTwo ?? 0, `${where}.valueTwo`), op };
  }

  syscall(v: unknown, where: string): ProfileSyscall {
    const o = this.object(v, where);
    const names = o.names !== undefined ? this.strings(o.names, `${where}.names`) : [this.string(o.name, `${where}.name`)];
    if (names.length === 0) this.fail(`${where}.names`, 'is empty');
    const args = o.args === undefined || o.args === null ? [] : Array.isArray(o.args) ? o.args.map((a, i) => this.arg(a, `${where}.args[${i}]`)) : this.fail(`${where}.args`, 'is not a list');
    return {
      names,
      action: this.action(o.action, `${where}.action`),
      errnoRet: o.errnoRet === undefined || o.errnoRet === null ? undefined : this.uint(o.errnoRet, `${where}.errnoRet`),
      args,
      includes: this.filter(o.includes, `${where}.includes`),
      excludes: this.filter(o.excludes, `${where}.excludes`),
    };
  }
}

/** A profile from its JSON text; file names it in errors. */
export function readSeccompProfile(text: string, file: string): SeccompProfile {
  const r = new ProfileReader(file);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    r.fail('is not JSON:', e instanceof Error ? e.message : String(e));
  }
  const o = r.object(json, 'the top level');
  const archMap = o.archMap === undefined || o.archMap === null ? [] : Array.isArray(o.archMap) ? o.archMap : r.fail('archMap', 'is not a list');
  const architectures = r.strings(o.architectures, 'architectures');
  if (architectures.length > 0 && archMap.length > 0) r.fail('the top level', 'has both architectures and archMap; use one');
  const syscalls = o.syscalls === undefined || o.syscalls === null ? [] : Array.isArray(o.syscalls) ? o.syscalls : r.fail('syscalls', 'is not a list');
  return {
    defaultAction: r.action(o.defaultAction, 'defaultAction'),
    defaultErrnoRet: o.defaultErrnoRet === undefined || o.defaultErrnoRet === null ? undefined : r.uint(o.defaultErrnoRet, 'defaultErrnoRet'),
    architectures,
    archMap: archMap.map((a, i) => {
      const m = r.object(a, `archMap[${i}]`);
      return { architecture: r.string(m.architecture, `archMap[${i}].architecture`), subArchitectures: r.strings(m.subArchitectures, `archMap[${i}].subArchitectures`) };
    }),
    flags: r.strings(o.flags, 'flags'),
    syscalls: syscalls.map((s, i) => r.syscall(s, `syscalls[${i}]`)),
  };
}

/** "6.1.0-13-amd64" >= "5.8"? */
function kernelAtLeast(kernel: string, min: string): boolean {
  const [a = 0, b = 0] = kernel.split(/[.-]/).map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

/** Whether an entry applies to this container (Docker's rules: all included caps held, no excluded one). */
function applies(s: ProfileSyscall, host: SeccompHost, goArch: string | undefined): boolean {
  const { includes: inc, excludes: exc } = s;
  if (inc.arches.length > 0 && (goArch === undefined || !inc.arches.includes(goArch))) return false;
  if (goArch !== undefined && exc.arches.includes(goArch)) return false;
  if (!inc.caps.every((c) => host.caps.includes(c))) return false;
  if (exc.caps.some((c) => host.caps.includes(c))) return false;
  if (inc.minKernel !== undefined && !kernelAtLeast(host.kernel, inc.minKernel)) return false;
  if (exc.minKernel !== undefined && kernelAtLeast(host.kernel, exc.minKernel)) return false;
  return true;
}

/** The spec's linux.seccomp for this container. */
export function ociSeccomp(profile: SeccompProfile, host: SeccompHost): OciSeccomp {
  const native = ARCHES[host.arch];
  const mapped = profile.archMap.find((m) => m.architecture === native?.scmp);
  const architectures = profile.architectures.length > 0 ? profile.architectures : mapped ? [mapped.architecture, ...mapped.subArchitectures] : [];
  return {
    defaultAction: profile.defaultAction,
    ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}),
    architectures,
    ...(profile.flags.length > 0 ? { flags: profile.flags } : {}),
    syscalls: profile.syscalls
      .filter((s) => applies(s, host, native?.go))
      .map((s) => ({
        names: s.names,
        action: s.action,
        ...(s.errnoRet !== undefined ? { errnoRet: s.errnoRet } : {}),
        ...(s.args.length > 0 ? { args: s.args } : {}),
      })),
  };
}

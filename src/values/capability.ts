// Linux capabilities by name (any case, with or without CAP_), or ALL, as
// docker run --cap-add and Quadlet's AddCapability= take them. Pure.

import { bad, ok, type Parsed } from './parsed';

/** capabilities(7), up to Linux 5.9 (CAP_CHECKPOINT_RESTORE, 40). */
export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
] as const;

/** CAP_NET_ADMIN, or ALL. */
export function parseCapability(value: string): Parsed<string> {
  const v = value.trim().toUpperCase();
  if (v === 'ALL') return ok('ALL');
  const name = v.replace(/^CAP_/, '');
  return (CAPABILITIES as readonly string[]).includes(name) ? ok(`CAP_${name}`) : bad(`"${value}" is not a capability; write a name like CAP_NET_ADMIN (capabilities(7))`);
}

/** The names in a capability mask as /proc/PID/status shows it (CapBnd: 000001ffffffffff); CAPABILITIES is in kernel order. */
export function capabilitiesInMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim() || '0'}`);
  return CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n).map((c) => `CAP_${c}`);
}

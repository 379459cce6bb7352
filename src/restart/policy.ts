// Docker's restart policies, as podgen accepts them in RestartPolicy=.
// Semantics follow moby's restartmanager; see docs/restart-policies.md.

export type RestartPolicy =
  | { readonly kind: 'no' }
  | { readonly kind: 'always' }
  /** maxRetries undefined: unlimited (Docker's on-failure and on-failure:0). */
  | { readonly kind: 'on-failure'; readonly maxRetries: number | undefined }
  | { readonly kind: 'unless-stopped' }
  /** A plain [Service] Restart= written by the user; passed through untouched. */
  | { readonly kind: 'systemd'; readonly restart: string };

export const SYSTEMD_RESTART_VALUES = ['no', 'on-success', 'on-failure', 'on-abnormal', 'on-watchdog', 'on-abort', 'always'];

export type ParsedPolicy = { readonly ok: true; readonly policy: RestartPolicy } | { readonly ok: false; readonly message: string };

const SPELLINGS = 'no, always, on-failure, on-failure:N (N >= 0) or unless-stopped';

export function parseRestartPolicy(value: string): ParsedPolicy {
  switch (value) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      return { ok: true, policy: { kind: value } };
    case 'on-failure':
      return { ok: true, policy: { kind: 'on-failure', maxRetries: undefined } };
    default:
      break;
  }
  const m = /^on-failure:(.*)$/.exec(value);
  if (m) {
    const n = m[1] as string;
    if (!/^\d+$/.test(n) || Number(n) > 1_000_000) {
      return { ok: false, message: `restart count "${n}" in "${value}" must be a whole number from 0 to 1000000 (0 means unlimited)` };
    }
    const max = Number(n);
    return { ok: true, policy: { kind: 'on-failure', maxRetries: max === 0 ? undefined : max } };
  }
  return { ok: false, message: `unknown restart policy "${value}"; use ${SPELLINGS}` };
}

/** Docker's own spelling of a policy, for messages and JSON output. */
export function describeRestartPolicy(p: RestartPolicy): string {
  switch (p.kind) {
    case 'no':
    case 'always':
    case 'unless-stopped':
      return p.kind;
    case 'on-failure':
      return p.maxRetries === undefined ? 'on-failure' : `on-failure:${p.maxRetries}`;
    case 'systemd':
      return `systemd Restart=${p.restart}`;
    default: {
      const never: never = p;
      return never;
    }
  }
}

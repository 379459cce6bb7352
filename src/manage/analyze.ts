// Asking systemd itself what it makes of units: `systemd-analyze verify`
// reads unit files offline with the manager's own parser (every key, every
// value grammar of the installed systemd) and says which lines it would
// ignore. podgen generate refuses a definition whose units systemd would read
// differently from what was written; this is the complete check behind the
// static ones in decode/ (which work without systemd, and say more).
// (Not --recursive-errors=no: with it, systemd 252 stays silent about a
// dependency it cannot add, "Failed to add dependency on none".)

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { UnitComplaint, UnitVerifier } from '../plan/context';
import { runSync } from '../process/run';

const ANALYZE = '/usr/bin/systemd-analyze';

/** systemd's word for a line it drops, or a setting it refuses. */
const IGNORED = /ignoring|Unknown (key|section|lvalue)|Invalid|Failed to parse|Failed to resolve|bad-setting|Refusing|Neither a valid|not absolute|is obsolete/i;
/** Settings that still work, with a newer spelling. */
const DEPRECATED = /please use .* instead|will be removed soon|please update your unit file/i;
/** podgen makes the .upholds/ link itself (systemctl enable of systemd 252 does not know UpheldBy=). */
const EXPECTED = /Unknown key '?UpheldBy'? in section \[?Install\]?/;

/** The verifier of the systemd on this machine, or undefined where there is none (units are then checked statically only). */
export function systemdVerifier(): UnitVerifier | undefined {
  if (!fs.existsSync(ANALYZE)) return undefined;
  return (units) => {
    if (units.length === 0) return [];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-verify-'));
    try {
      for (const u of units) fs.writeFileSync(path.join(dir, u.unitName), u.text);
      let output: string;
      try {
        const r = runSync([ANALYZE, 'verify', '--man=no', ...units.map((u) => path.join(dir, u.unitName))], {
          env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning', SYSTEMD_LOG_COLOR: '0', SYSTEMD_LOG_LOCATION: '0' },
          timeoutMs: 20_000,
        });
        output = `${r.stdout}${r.stderr}`;
      } catch {
        // A systemd-analyze that cannot run (or hangs) leaves the static checks to stand alone, as where there is none.
        return [];
      }
      return complaintsIn(output, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** The FILE:LINE: lines of verify's output about our files (lines without a place are about the machine: missing programs, units). */
export function complaintsIn(output: string, dir: string): UnitComplaint[] {
  const out: UnitComplaint[] = [];
  for (const raw of output.split('\n')) {
    if (!raw.startsWith(`${dir}/`)) continue;
    const m = /^([^/:]+):(\d+): (.*)$/.exec(raw.slice(dir.length + 1));
    if (!m) continue;
    const message = m[3] as string;
    const deprecated = DEPRECATED.test(message);
    if (EXPECTED.test(message) || (!deprecated && !IGNORED.test(message))) continue;
    out.push({ unitName: m[1] as string, line: Number(m[2]), message, deprecated });
  }
  return out;
}

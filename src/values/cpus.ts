// CPU counts as docker's --cpus takes them (a positive decimal: 0.5, 2), and
// what systemd's CPUQuota= can say of them: a percentage with two decimals
// (a ten-thousandth of a CPU). Pure.

import { bad, ok, type Parsed } from './parsed';

/** CPUs, as a whole number of ten-thousandths (systemd's smallest CPUQuota= step, 0.01%). */
export function parseCpus(v: string): Parsed<number> {
  if (!/^\d+(\.\d+)?$/.test(v.trim())) return bad(`"${v}" is not a CPU count; write it like 0.5 or 2`);
  const tenThousandths = Number(v) * 10_000;
  if (tenThousandths < 1) return bad(`"${v}" is below what systemd can limit to (0.0001 CPU, CPUQuota=0.01%)`);
  if (Math.abs(tenThousandths - Math.round(tenThousandths)) > 1e-6) return bad(`"${v}" is finer than systemd can limit to; round it to 4 decimals`);
  return ok(Math.round(tenThousandths));
}

/** systemd's CPUQuota= for a CPU count in ten-thousandths: 1.5 CPUs -> 150%, 0.001 -> 0.1%. */
export function cpuQuota(tenThousandths: number): string {
  return `${(tenThousandths / 100).toFixed(2).replace(/\.?0+$/, '')}%`;
}

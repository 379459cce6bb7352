// The restart policy placed in a unit, for both engines: the restart
// manager's settings and hooks when podgen-unit is built (and, for the podman
// engine, only when the definition asks for a RestartPolicy=: other podman
// units stay exactly what Quadlet writes), else systemd's static settings.
// What each setting means: src/restart/unitSettings.ts.

import type { ContainerDefinition } from '../decode/decodeContainer';
import { lookupAllStrv } from '../parse/lookup';
import { hook, managedSettings, needsGate, policyWord, restarts, type Setting, staticSettings } from '../restart/unitSettings';
import type { PlanContext, PlanProblems } from './context';
import type { ServiceFile } from './serviceFile';

/** Settings the restart manager owns: a definition that sets them as well says two things at once. */
const MANAGER_OWNED = ['RestartSec', 'StartLimitIntervalSec', 'StartLimitBurst', 'RestartPreventExitStatus', 'RestartForceExitStatus', 'RestartSteps', 'RestartMaxDelaySec'] as const;

export interface RestartPlacement {
  /** podgen-unit, when the restart manager runs this unit. */
  readonly manager: string | undefined;
  /**
   * podgen engine: podgen-unit's ExecStop= stops the container itself (grace period, then SIGKILL)
   * and SIGKILL is clean to systemd; podman engine: podman's own ExecStop= stops it, the hook
   * only notes the stop, and podman's exit codes for SIGKILL/SIGTERM (137, 143) are clean.
   */
  readonly graceful: boolean;
}

function apply(service: ServiceFile, settings: readonly Setting[], userWins: boolean): void {
  for (const s of settings) {
    if (s.key === 'Environment' || !userWins || !service.has(s.section, s.key)) service.add(s.section, s.key, s.value);
  }
}

/**
 * Apply the definition's policy. With the manager: the settings, the gate (unless-stopped,
 * on-failure), `ended` as the last ExecStopPost=, and what the engine needs besides (the podman
 * engine's back-off wait and stop note; the podgen engine places its own in its start and stop).
 * A restart policy implies coming back at boot, as Docker's containers do: without an [Install]
 * of its own, the unit is wanted by multi-user.target (default.target for --user). Returns that
 * target, for the [Install] symlinks.
 */
export function applyRestartPolicy(service: ServiceFile, def: ContainerDefinition, ctx: PlanContext, how: RestartPlacement, problems: PlanProblems): string | undefined {
  const policy = def.restart;
  const manager = how.manager;
  if (manager) {
    if (restarts(policy)) {
      for (const key of MANAGER_OWNED) {
        const section = key.startsWith('StartLimit') ? 'Unit' : 'Service';
        if (service.has(section, key)) {
          problems.error(`${key}= conflicts with RestartPolicy=${policyWord(policy)}, whose restart manager sets the delays and limits itself`, key, `remove ${key}=, or use a plain [Service] Restart= for systemd's own behaviour`, section);
        }
      }
    }
    apply(service, managedSettings(policy), false);
    service.add('Service', 'SuccessExitStatus', how.graceful ? 'SIGKILL' : '137 143');
    if (needsGate(policy)) service.addCommand('Service', 'ExecCondition', hook.gate(manager));
    if (!how.graceful) {
      service.prependCommand('Service', 'ExecStartPre', hook.wait(manager, []));
      service.prependCommand('Service', 'ExecStop', hook.stop(manager));
    }
    service.addCommand('Service', 'ExecStopPost', hook.ended(manager));
  } else {
    apply(service, staticSettings(policy), true);
    if (restarts(policy) && !ctx.nativeHelper) {
      problems.warning(
        `podgen-unit was not built (no C compiler when podgen was installed): RestartPolicy=${policyWord(policy)} gets systemd's fixed 100 ms delay, without Docker's back-off, limits reset by a start by hand, or boot rules`,
        'RestartPolicy',
        "apt-get install gcc libc6-dev, then npm install in podgen's directory, and generate again (docs/restart-policies.md lists what differs)",
      );
    }
  }
  const installed = ['WantedBy', 'RequiredBy', 'UpheldBy'].some((k) => lookupAllStrv(def.unit, 'Install', k).length > 0);
  if (!restarts(policy) || installed) return undefined;
  const target = ctx.user ? 'default.target' : 'multi-user.target';
  service.add('Install', 'WantedBy', target);
  return target;
}

// A container, as its docker run flags (RunArgs: the typed model prepare
// reads) and its restart policy -> Kubernetes objects: a Deployment (a
// container that restarts always) or a Pod (one that does not, or only on
// failure), a Service for its published ports, a PersistentVolumeClaim per
// named volume. What Kubernetes cannot say is a comment on the object and a
// warning. Pure; the objects are checked against the Kubernetes API schema
// (kubernetes-models) by the caller.

import { describeRestartPolicy, type RestartPolicy } from '../restart/policy';
import type { RunArgs } from '../runtime/runArgs';

export interface KubeObject {
  readonly kind: 'Deployment' | 'Pod' | 'Service' | 'PersistentVolumeClaim';
  readonly body: Record<string, unknown>;
  /** Said above the object in the YAML (what did not carry over). */
  readonly comments: readonly string[];
}

export interface KubeExport {
  readonly objects: readonly KubeObject[];
  readonly warnings: readonly string[];
}

/** A DNS-1123 label from a container or volume name. */
export function kubeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 63) || 'container';
}

const seconds = (ms: number): number => Math.max(1, Math.round(ms / 1000));

export function toKube(name: string, a: RunArgs, restart: RestartPolicy | undefined): KubeExport {
  const warnings: string[] = [];
  const comments: string[] = [];
  const say = (s: string): void => {
    warnings.push(`${name}: ${s}`);
    comments.push(s);
  };
  const app = kubeName(name);
  const volumes: Array<Record<string, unknown>> = [];
  const mounts: Array<Record<string, unknown>> = [];
  const claims: string[] = [];
  a.volumes.forEach((v, i) => {
    const vol = `vol-${i}`;
    switch (v.kind) {
      case 'bind':
        volumes.push({ name: vol, hostPath: { path: v.source } });
        say(`the bind mount ${v.source} becomes a hostPath volume: it names a path on whichever node runs the pod`);
        mounts.push({ name: vol, mountPath: v.target, ...(v.options.includes('ro') ? { readOnly: true } : {}) });
        break;
      case 'named': {
        const claim = kubeName(v.name);
        if (!claims.includes(claim)) claims.push(claim);
        volumes.push({ name: vol, persistentVolumeClaim: { claimName: claim } });
        mounts.push({ name: vol, mountPath: v.target, ...(v.options.includes('ro') ? { readOnly: true } : {}) });
        break;
      }
      case 'anonymous':
        volumes.push({ name: vol, emptyDir: {} });
        mounts.push({ name: vol, mountPath: v.target });
        break;
      default: {
        const never: never = v;
        return never;
      }
    }
  });
  a.tmpfs.forEach((t, i) => {
    volumes.push({ name: `tmpfs-${i}`, emptyDir: { medium: 'Memory' } });
    mounts.push({ name: `tmpfs-${i}`, mountPath: t.target });
  });
  const ports = a.publish.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol.toUpperCase(), ...(p.hostPort ? { hostPort: p.hostPort } : {}), ...(p.hostIp ? { hostIP: p.hostIp } : {}) }));
  const probe = ((): Record<string, unknown> | undefined => {
    const h = a.health;
    if (!h) return undefined;
    const command = h.test.kind === 'exec' ? [...h.test.argv] : ['/bin/sh', '-c', h.test.command];
    return { exec: { command }, periodSeconds: seconds(h.intervalMs), timeoutSeconds: seconds(h.timeoutMs), failureThreshold: Math.max(1, h.retries), ...(h.startPeriodMs ? { initialDelaySeconds: seconds(h.startPeriodMs) } : {}) };
  })();
  const user = a.user === undefined ? undefined : /^(\d+)(?::(\d+))?$/.exec(a.user);
  if (a.user !== undefined && !user) say(`User=${a.user} is a name: Kubernetes takes numeric ids (runAsUser); left out`);
  const security: Record<string, unknown> = {
    ...(a.readOnly ? { readOnlyRootFilesystem: true } : {}),
    ...(a.privileged ? { privileged: true } : {}),
    ...(a.capAdd.length || a.capDrop.length ? { capabilities: { ...(a.capAdd.length ? { add: [...a.capAdd] } : {}), ...(a.capDrop.length ? { drop: [...a.capDrop] } : {}) } } : {}),
    ...(a.noNewPrivileges ? { allowPrivilegeEscalation: false } : {}),
    ...(user ? { runAsUser: Number(user[1]), ...(user[2] ? { runAsGroup: Number(user[2]) } : {}) } : {}),
  };
  const env = [...new Map(a.env.map(([k, v]) => [k, v])).entries()].map(([k, v]) => ({ name: k, value: v }));
  if (a.envFiles.length) say(`environment files (${a.envFiles.map((f) => f.path).join(', ')}) are read on this host: make them a ConfigMap or Secret`);
  const limits: Record<string, string> = {
    ...(a.memory ? { memory: String(a.memory) } : {}),
    ...(a.cpus ? { cpu: String(a.cpus) } : {}),
  };
  if (a.pidsLimit !== undefined) say('the pids limit has no container field in Kubernetes (it is the kubelet\'s)');
  if (a.network !== 'bridge') say(`network ${a.network}: pods have their own network; ${a.network === 'host' ? 'hostNetwork could stand for it' : 'left out'}`);
  const container: Record<string, unknown> = {
    name: app,
    image: a.image,
    ...(a.entrypoint !== undefined && a.entrypoint !== '' ? { command: [a.entrypoint] } : {}),
    ...(a.command.length ? { args: [...a.command] } : {}),
    ...(a.workdir ? { workingDir: a.workdir } : {}),
    ...(env.length ? { env } : {}),
    ...(ports.length ? { ports } : {}),
    ...(mounts.length ? { volumeMounts: mounts } : {}),
    ...(Object.keys(limits).length ? { resources: { limits } } : {}),
    ...(Object.keys(security).length ? { securityContext: security } : {}),
    ...(probe ? { [a.health?.onFailure === 'none' ? 'readinessProbe' : 'livenessProbe']: probe } : {}),
  };
  const podSpec = (restartPolicy: 'Always' | 'OnFailure' | 'Never'): Record<string, unknown> => ({
    restartPolicy,
    containers: [container],
    ...(volumes.length ? { volumes } : {}),
    ...(a.hostname ? { hostname: kubeName(a.hostname) } : {}),
    ...(a.stopTimeout !== undefined ? { terminationGracePeriodSeconds: a.stopTimeout } : {}),
  });
  const labels = { app };
  const objects: KubeObject[] = [];
  const kind = restart?.kind ?? 'no';
  if (kind === 'always' || kind === 'unless-stopped') {
    if (kind === 'unless-stopped') say('unless-stopped: a Deployment always runs its pod; a stop by hand is kubectl scale --replicas=0');
    objects.push({ kind: 'Deployment', body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, labels }, spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec('Always') } } }, comments: [...comments] });
  } else {
    if (restart?.kind === 'on-failure' && restart.maxRetries !== undefined) say(`${describeRestartPolicy(restart)}: Kubernetes restarts on failure without a limit (restartPolicy: OnFailure)`);
    if (restart?.kind === 'systemd') say('a [Service] Restart= of its own: restartPolicy Never');
    objects.push({ kind: 'Pod', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: app, labels }, spec: podSpec(restart?.kind === 'on-failure' ? 'OnFailure' : 'Never') }, comments: [...comments] });
  }
  if (ports.length) {
    objects.push({
      kind: 'Service',
      body: { apiVersion: 'v1', kind: 'Service', metadata: { name: app, labels }, spec: { selector: labels, ports: a.publish.map((p, i) => ({ name: `p${i}-${p.protocol}`, port: p.hostPort || p.containerPort, targetPort: p.containerPort, protocol: p.protocol.toUpperCase() })) } },
      comments: ['the ports the container publishes on its host (hostPort above, for podman kube play and single nodes); in a cluster, reach it through this Service'],
    });
  }
  for (const c of claims) {
    objects.push({ kind: 'PersistentVolumeClaim', body: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: c }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }, comments: ['the volume of the same name; 1Gi is a guess: podgen volumes have no size'] });
  }
  return { objects, warnings };
}

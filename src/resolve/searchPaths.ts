// Where definitions are looked for, in precedence order. Mirrors Quadlet's
// unit search path (podman-systemd.unit(5)), then podgen's own units/.

import * as os from 'node:os';
import * as path from 'node:path';

export interface SearchEnv {
  readonly cwd: string;
  readonly user: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly uid: number;
  readonly home: string;
  readonly packageUnitsDir: string;
}

export function defaultSearchEnv(user: boolean): SearchEnv {
  return {
    cwd: process.cwd(),
    user,
    env: process.env,
    uid: typeof process.getuid === 'function' ? process.getuid() : 0,
    home: os.homedir(),
    packageUnitsDir: path.resolve(__dirname, '..', '..', '..', 'units'),
  };
}

/** Quadlet's directories for system or user units (QUADLET_UNIT_DIRS overrides them, as in Quadlet). */
export function quadletDirs(e: SearchEnv): string[] {
  const override = e.env.QUADLET_UNIT_DIRS;
  if (override) return override.split(':').filter((d) => path.isAbsolute(d));
  if (!e.user) return ['/run/containers/systemd', '/etc/containers/systemd', '/usr/share/containers/systemd'];
  const dirs: string[] = [];
  if (e.env.XDG_RUNTIME_DIR) dirs.push(path.join(e.env.XDG_RUNTIME_DIR, 'containers/systemd'));
  dirs.push(path.join(e.env.XDG_CONFIG_HOME || path.join(e.home, '.config'), 'containers/systemd'));
  dirs.push(`/etc/containers/systemd/users/${e.uid}`, '/etc/containers/systemd/users');
  return dirs;
}

/** Every directory a NAME is looked up in, in order. */
export function searchDirs(e: SearchEnv): string[] {
  return [e.cwd, ...quadletDirs(e), e.packageUnitsDir];
}

/** Where podgen installs units: systemd's admin directory, or the user's (PODGEN_UNIT_DIR overrides, for tests). */
export function defaultUnitDir(user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_UNIT_DIR) return env.PODGEN_UNIT_DIR;
  if (!user) return '/etc/systemd/system';
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'systemd', 'user');
}

/**
 * Where the units of `podgen run -d --rm` containers go: systemd's runtime directory, emptied at
 * every boot, as such a container is. None when PODGEN_UNIT_DIR redirects the units (tests).
 */
export function runtimeUnitDir(user: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PODGEN_UNIT_DIR) return undefined;
  if (!user) return '/run/systemd/system';
  return env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'systemd', 'user') : undefined;
}

/** Where systemd runs generators into (the normal directory): podgen's generator writes its units there. */
export function generatorOutputDir(user: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PODGEN_UNIT_DIR) return undefined;
  if (!user) return '/run/systemd/generator';
  return env.XDG_RUNTIME_DIR ? path.join(env.XDG_RUNTIME_DIR, 'systemd', 'generator') : undefined;
}

/** Every directory podgen's container units are in, in systemd's precedence: /etc, /run, the generator's. */
export function containerUnitDirs(user: boolean, env: NodeJS.ProcessEnv = process.env): string[] {
  return [defaultUnitDir(user, env), runtimeUnitDir(user, env), generatorOutputDir(user, env)].filter((d): d is string => d !== undefined);
}

/**
 * Where `podgen run -d` keeps the definitions it writes: on disk (the container outlives a reboot,
 * as Docker's do), or, for --rm, under /run (gone at boot, as the container is).
 */
export function runDefinitionDir(user: boolean, removeOnStop: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_RUN_DEFINITION_DIR) return path.join(env.PODGEN_RUN_DEFINITION_DIR, removeOnStop ? 'rm' : 'kept');
  if (!user) return removeOnStop ? '/run/podgen/run' : '/var/lib/podgen/run';
  if (removeOnStop) return path.join(env.XDG_RUNTIME_DIR || path.join(os.tmpdir(), `podgen-${process.getuid?.() ?? 'user'}`), 'podgen', 'run');
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'podgen', 'run');
}

/** Where `podgen up -f compose.yaml` keeps the definitions it imported, one directory per project. */
export function composeProjectDir(user: boolean, project: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_COMPOSE_DIR) return path.join(env.PODGEN_COMPOSE_DIR, project);
  if (!user) return path.join('/var/lib/podgen/compose', project);
  return path.join(env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'podgen', 'compose', project);
}

/**
 * podgen's own definition directories, read by its systemd generator (and `podgen check`). They
 * are not Quadlet's, so podgen's generator and podman's never read the same file; a name both
 * would generate is left to Quadlet (commands/generator.ts). First directory wins per file name.
 */
export function generatorDirs(e: SearchEnv): string[] {
  const override = e.env.PODGEN_DEFINITION_DIRS;
  if (override) return override.split(':').filter((d) => path.isAbsolute(d));
  if (!e.user) return ['/run/podgen/definitions', '/etc/podgen/definitions', '/usr/share/podgen/definitions'];
  const dirs: string[] = [];
  if (e.env.XDG_RUNTIME_DIR) dirs.push(path.join(e.env.XDG_RUNTIME_DIR, 'podgen/definitions'));
  dirs.push(path.join(e.env.XDG_CONFIG_HOME || path.join(e.home, '.config'), 'podgen/definitions'));
  dirs.push(`/etc/podgen/definitions/users/${e.uid}`);
  return dirs;
}

/** Where `podgen generator install` links the generator: systemd's admin generator directories. */
export function generatorLinkPath(user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const root = env.PODGEN_GENERATOR_ROOT ?? '/etc/systemd';
  return path.join(root, user ? 'user-generators' : 'system-generators', 'podgen-generator');
}

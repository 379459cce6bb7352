// Entry point: argv -> one typed call per command -> output. This is the only
// place that knows about exit codes (documented in README.md and below).

import * as path from 'node:path';
import yargs from 'yargs';
import { ENGINES, type Engine } from '../decode/decodeContainer';
import { describeError, ExitCode, formatDiagnostic, PodgenError } from '../errors';
import { stdoutWasClosed } from './stdout';
import type { GenerateResult } from '../commands/generate';
import * as fs from 'node:fs';
import { defaultStoreRoot, ImageStore } from '../image/store';
import { formatBytes } from '../values/formatBytes';
import type { PullArgs } from './pullCli';
import { defaultSearchEnv, defaultUnitDir, quadletDirs } from '../resolve/searchPaths';
import { PODGEN_VERSION } from '../version';
import { definitionFilesIn, ensureImage, EXIT_CODES, printReports, printTable, TIMEOUT_OPTION, timeoutMs, USER_OPTION, warnForUserUnits, withSystemd } from './shared';
import { containerCommands } from './containerCli';
import { type ImportComposeArgs, runImportCompose } from './composeCli';

type Format = 'unit' | 'json';

// Options several commands share, defined once.
const ENGINE_OPTION = { alias: 'e', choices: ENGINES, default: 'podgen' as Engine, describe: 'what ExecStart runs: podgen (runc/crun, no daemon) or podman (as Quadlet writes it)' };
const FILE_OPTION = { alias: 'f', type: 'string' as const, describe: 'also every definition in this directory (containers, networks, volumes, pods, images: systemd orders them by their Requires=/After=, and stops them in reverse), or a compose file (imported into /var/lib/podgen/compose/PROJECT)' };
const NAMES_OR_FILE = (a: { names?: unknown; file?: unknown }): true | string => ((Array.isArray(a.names) && a.names.length > 0) || a.file ? true : 'name at least one definition, or a directory with -f');
const JSON_OPTION = { type: 'boolean' as const, default: false, describe: 'print the result as JSON' };
const REPLACE_OPTION = { type: 'boolean' as const, default: false, describe: 'replace (or remove) a unit of the same name that podgen did not write' };

interface GenerateArgs {
  readonly names: string[];
  readonly engine: Engine;
  readonly user: boolean;
  readonly output: string | undefined;
  readonly format: Format;
}

function printGenerated(result: GenerateResult, args: GenerateArgs): void {
  for (const w of result.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
  if ((args.format === 'json' || !args.output) && stdoutWasClosed()) {
    throw new PodgenError(`standard output is closed: the ${args.format === 'json' ? 'plan' : 'unit'} has nowhere to go${args.output ? '' : '; nothing was written'}`, {
      kind: 'output',
      hint: 'redirect it to a file (> web.service), or write the units with --output DIR',
    });
  }
  if (args.format === 'json') {
    const units = result.units.map((u) => ({ ...u.plan, text: u.text, companions: u.companions }));
    process.stdout.write(`${JSON.stringify({ units, written: result.written }, null, 2)}\n`);
    return;
  }
  if (args.output) {
    if (result.written.length <= 20) for (const w of result.written) process.stderr.write(`wrote ${w}\n`);
    else process.stderr.write(`wrote ${result.units.length} units (${result.written.length} files and links) to ${args.output}\n`);
    return;
  }
  const texts = result.units.flatMap((u) => [{ unitName: u.plan.unitName, text: u.text }, ...u.companions]);
  texts.forEach((u, i) => {
    if (texts.length > 1) process.stdout.write(`${i > 0 ? '\n' : ''}---${u.unitName}---\n`);
    process.stdout.write(u.text);
  });
}

// Command modules load on demand: `podgen pull` need not load the unit templates, and the reverse.
async function runGenerate(args: GenerateArgs): Promise<void> {
  const { generate, machineContext } = await import('../commands/generate');
  const result = generate({
    names: args.names,
    engine: args.engine,
    output: args.output,
    search: defaultSearchEnv(args.user),
    ctx: machineContext(args.user),
  });
  printGenerated(result, args);
}

async function runGeneratorCommand(args: { action: string; dirs: string[]; user: boolean }): Promise<void> {
  const gen = await import('../commands/generator');
  const { machineContext } = await import('../commands/generate');
  const { generatorLinkPath } = await import('../resolve/searchPaths');
  const user = args.user || process.env.SYSTEMD_SCOPE === 'user';
  const link = generatorLinkPath(user);
  switch (args.action) {
    case 'install':
      process.stderr.write(`installed ${gen.installGenerator(link, gen.generatorScript(process.execPath, path.resolve(__dirname, 'entry.js'), user))}; run systemctl ${user ? '--user ' : ''}daemon-reload\n`);
      return;
    case 'uninstall':
      process.stderr.write(gen.uninstallGenerator(link) ? `removed ${link}\n` : `${link} was not installed\n`);
      return;
    default:
      if (!path.isAbsolute(args.action)) {
        throw new PodgenError(`unknown generator action "${args.action}"`, { kind: 'usage', hint: 'podgen generator install|uninstall; systemd itself runs it with its output directories' });
      }
      // At boot: no systemd-analyze run per definition (the pass must stay well under a second).
      gen.runGenerator(args.action, defaultSearchEnv(user), machineContext(user, { ...process.env, PODGEN_NO_VERIFY: '1' }));
  }
}

async function runCheck(args: { user: boolean; json: boolean }): Promise<void> {
  const { generatorPass } = await import('../commands/generator');
  const { machineContext } = await import('../commands/generate');
  const { generatorDirs } = await import('../resolve/searchPaths');
  const search = defaultSearchEnv(args.user);
  const pass = generatorPass(search, machineContext(args.user));
  if (args.json) {
    const units = pass.outputs.map((o) => ({ file: o.file, units: o.units.map((u) => u.unitName) }));
    process.stdout.write(`${JSON.stringify({ directories: generatorDirs(search), units, failed: pass.failed, warnings: pass.warnings }, null, 2)}\n`);
  } else {
    for (const w of pass.warnings) process.stderr.write(`${formatDiagnostic(w)}\n`);
    for (const o of pass.outputs) process.stdout.write(`ok      ${o.file} -> ${o.units.map((u) => u.unitName).join(' ')}\n`);
    for (const f of pass.failed) process.stdout.write(`FAILED  ${f.file}\n${f.message.replace(/^/gm, '        ')}\n`);
    if (pass.outputs.length + pass.failed.length === 0) process.stdout.write(`no definitions in ${generatorDirs(search).join(', ')}\n`);
  }
  if (pass.failed.length > 0) {
    throw new PodgenError(`${pass.failed.length} of ${pass.outputs.length + pass.failed.length} definitions would be left out at boot`, { kind: 'definition', hint: 'fix the problems above; the generator writes the others' });
  }
}

interface NetworkCreateArgs {
  readonly name: string;
  readonly subnet: string[];
  readonly gateway: string[];
  readonly 'ip-range': string[];
  readonly ipv6: boolean;
  readonly internal: boolean;
  readonly 'interface-name'?: string;
  readonly opt: string[];
  readonly dns: string[];
  readonly label: string[];
}

async function runNetworkCreate(args: NetworkCreateArgs): Promise<void> {
  const { createNetwork } = await import('../commands/network');
  const { defaultStoreRoot } = await import('../image/store');
  let mtu: number | undefined;
  for (const o of args.opt) {
    const m = /^mtu=(\d+)$/.exec(o);
    if (!m) throw new PodgenError(`--opt ${o} is not an option podgen's bridges take`, { kind: 'usage', hint: 'mtu=N is the one driver option the podgen engine has' });
    mtu = Number(m[1]);
  }
  const labels = Object.fromEntries(args.label.map((l) => [l.split('=')[0] as string, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
  const r = await createNetwork(defaultStoreRoot(process.getuid?.() !== 0), {
    name: args.name,
    subnets: args.subnet,
    gateways: args.gateway,
    ipRanges: args['ip-range'],
    ipv6: args.ipv6,
    internal: args.internal,
    dns: args.dns,
    labels,
    ...(args['interface-name'] !== undefined ? { interfaceName: args['interface-name'] } : {}),
    ...(mtu !== undefined ? { mtu } : {}),
  });
  process.stdout.write(`${r.network.name} ${r.network.subnet}${r.network.subnet6 ? ` ${r.network.subnet6}` : ''} ${r.network.bridge}${r.created ? '' : ' (unchanged)'}\n`);
}

async function runNetworkRm(args: { names: string[]; 'if-exists': boolean }): Promise<void> {
  const { removeNetwork } = await import('../commands/network');
  const { defaultStoreRoot } = await import('../image/store');
  for (const name of args.names) if (await removeNetwork(defaultStoreRoot(process.getuid?.() !== 0), name, { ifExists: args['if-exists'] })) process.stdout.write(`${name}\n`);
}

async function runNetworkLs(args: { json: boolean }): Promise<void> {
  const { networkRows } = await import('../commands/network');
  const { defaultStoreRoot } = await import('../image/store');
  const rows = networkRows(defaultStoreRoot(process.getuid?.() !== 0));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = [['NAME', 'SUBNET', 'BRIDGE', 'INTERNAL', 'CONTAINERS'], ...rows.map((r) => [r.name, r.subnet, r.bridge, r.internal ? 'yes' : 'no', r.containers.join(',') || '-'])];
  printTable(table);
}

async function runVolumeCreate(args: { name: string; device?: string; type?: string; opt?: string; uid?: number; gid?: number; copy: boolean; label: string[] }): Promise<void> {
  const { createVolumeCommand } = await import('../commands/volume');
  const { defaultStoreRoot } = await import('../image/store');
  const labels = Object.fromEntries(args.label.map((l) => [l.split('=')[0] as string, l.includes('=') ? l.slice(l.indexOf('=') + 1) : '']));
  const created = await createVolumeCommand(defaultStoreRoot(false), {
    name: args.name,
    copy: args.copy,
    labels,
    ...(args.device !== undefined ? { device: args.device } : {}),
    ...(args.type !== undefined ? { type: args.type } : {}),
    ...(args.opt !== undefined ? { options: args.opt } : {}),
    ...(args.uid !== undefined ? { uid: args.uid } : {}),
    ...(args.gid !== undefined ? { gid: args.gid } : {}),
  });
  process.stdout.write(`${args.name}${created ? '' : ' (exists)'}\n`);
}

async function runVolumeLs(args: { json: boolean }): Promise<void> {
  const { volumeRows } = await import('../commands/volume');
  const { defaultStoreRoot } = await import('../image/store');
  const rows = volumeRows(defaultStoreRoot(false));
  if (args.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = [['NAME', 'DEVICE', 'CONTAINERS'], ...rows.map((r) => [r.name, r.settings?.device ?? '-', r.containers.join(',') || '-'])];
  printTable(table);
}

async function runVolumeInspect(args: { name: string }): Promise<void> {
  const { inspectVolume } = await import('../commands/volume');
  const { defaultStoreRoot } = await import('../image/store');
  process.stdout.write(`${JSON.stringify(inspectVolume(defaultStoreRoot(false), args.name), null, 2)}\n`);
}

async function runVolumeRm(args: { names: string[] }): Promise<void> {
  const { removeVolume } = await import('../commands/volume');
  const { defaultStoreRoot } = await import('../image/store');
  for (const name of args.names) {
    await removeVolume(defaultStoreRoot(false), name);
    process.stdout.write(`${name}\n`);
  }
}

async function runVolumePrune(): Promise<void> {
  const { pruneVolumes } = await import('../commands/volume');
  const { defaultStoreRoot } = await import('../image/store');
  const { defaultUnitDir } = await import('../resolve/searchPaths');
  for (const name of await pruneVolumes(defaultStoreRoot(false), defaultUnitDir(false))) process.stdout.write(`${name}\n`);
}

async function runVolumeUnmount(args: { name: string }): Promise<void> {
  const { unmountVolume } = await import('../commands/volume');
  const { defaultStoreRoot } = await import('../image/store');
  await unmountVolume(defaultStoreRoot(false), args.name);
}

async function runPodCreate(args: { name: string; network: string[]; publish: string[]; ip?: string; 'network-alias': string[]; hostname?: string }): Promise<void> {
  const { podCreate } = await import('../commands/pod');
  const { defaultStoreRoot } = await import('../image/store');
  const pod = await podCreate(defaultStoreRoot(false), {
    name: args.name,
    network: args.network,
    publish: args.publish,
    networkAlias: args['network-alias'],
    ...(args.ip !== undefined ? { ip: args.ip } : {}),
    ...(args.hostname !== undefined ? { hostname: args.hostname } : {}),
  });
  process.stdout.write(`${pod.name} ${pod.ip ?? ''}\n`);
}

async function runPodRm(args: { name: string }): Promise<void> {
  const { podRm } = await import('../commands/pod');
  await podRm(args.name);
}

async function runPodPs(args: { json: boolean }): Promise<void> {
  const { podRows } = await import('../commands/pod');
  const rows = podRows();
  if (args.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = [['POD', 'IP', 'PORTS', 'NETWORKS', 'CONTAINERS'], ...rows.map((r) => [r.name, r.ip ?? '-', r.ports.join(',') || '-', r.networks.join(','), r.containers.map((c) => `${c.name}${c.running ? '' : ' (stopped)'}`).join(',') || '-'])];
  printTable(table);
}

interface ImagesArgs {
  readonly user: boolean;
  readonly json: boolean;
}

function runImages(args: ImagesArgs): void {
  const images = new ImageStore(defaultStoreRoot(args.user)).images();
  if (args.json) {
    process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    return;
  }
  const rows = [['NAME', 'DIGEST', 'SIZE', 'STORED'], ...images.map((i) => [i.name, i.manifestDigest.slice(7, 19), formatBytes(i.size), i.pulled])];
  printTable(rows);
}

interface StoreArgs {
  readonly user: boolean;
}

const storeOf = (args: StoreArgs): ImageStore => new ImageStore(defaultStoreRoot(args.user));

async function runRmi(args: StoreArgs & { images: string[]; force: boolean }): Promise<void> {
  const { removeImage } = await import('../commands/images');
  const dirs = quadletDirs(defaultSearchEnv(args.user));
  for (const name of args.images) {
    const r = await removeImage(storeOf(args), name, args.force, dirs);
    process.stdout.write(`removed ${r.removed.name} (${r.blobsDeleted} blobs, ${r.layersDeleted} unpacked layers freed)\n`);
  }
}

async function runPrune(args: StoreArgs): Promise<void> {
  const { collectGarbage } = await import('../commands/images');
  const r = await collectGarbage(storeOf(args));
  process.stdout.write(`freed ${r.blobsDeleted} blobs and ${r.layersDeleted} unpacked layers that no image uses\n`);
}

async function runInspect(args: StoreArgs & { image: string }): Promise<void> {
  const { inspectImage } = await import('../commands/images');
  process.stdout.write(`${JSON.stringify(inspectImage(storeOf(args), args.image), null, 2)}\n`);
}

async function runLoad(args: StoreArgs & { input: string; quiet: boolean }): Promise<void> {
  const { loadArchive } = await import('../commands/load');
  const images = await loadArchive(args.input, defaultStoreRoot(args.user), true);
  for (const i of images) process.stdout.write(args.quiet ? `${i.manifestDigest}\n` : `loaded ${i.name} ${i.manifestDigest}\n`);
}

interface InstallArgs {
  readonly names: string[];
  /** Seconds to wait for systemd's jobs (up). */
  readonly timeout?: number;
  readonly file?: string;
  readonly 'dry-run'?: boolean;
  readonly engine: Engine;
  readonly user: boolean;
  readonly force: boolean;
  readonly json: boolean;
}

async function runInstall(args: InstallArgs): Promise<void> {
  const { install } = await import('../commands/install');
  const { machineContext } = await import('../commands/generate');
  const names = await namesWithDir(args);
  const r = await withSystemd(
    args.user,
    (systemd) =>
      install({ names, engine: args.engine, search: defaultSearchEnv(args.user), ctx: machineContext(args.user), unitDir: defaultUnitDir(args.user), force: args.force, systemd }),
    true,
  );
  if (args.user) await warnForUserUnits(r.units);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  for (const u of r.units) process.stdout.write(`${u.unit}: ${u.state} (${u.path})\n`);
  process.stdout.write(r.reloaded ? 'systemd reloaded\n' : 'nothing changed; systemd not reloaded\n');
  for (const c of r.enableChanges) process.stdout.write(`${c.type} ${c.path}${c.source ? ` -> ${c.source}` : ''}\n`);
}

async function runUninstall(args: { names: string[]; user: boolean; force: boolean }): Promise<void> {
  const { uninstall } = await import('../commands/install');
  const r = await withSystemd(args.user, (systemd) => uninstall(args.names, defaultUnitDir(args.user), args.force, systemd, args.user), true);
  for (const u of r.removed) process.stdout.write(`${u}: disabled and removed\n`);
  for (const u of r.missing) process.stdout.write(`${u}: not installed\n`);
}

/** NAME arguments plus every definition of -f DIR (containers, networks, volumes, pods, images, ...), or of -f compose.yaml once imported. */
async function namesWithDir(args: InstallArgs, dryRun = false): Promise<string[]> {
  if (!args.file) return args.names;
  const { isComposeFile, composeDefinitions } = await import('./composeCli');
  if (isComposeFile(args.file)) return [...args.names, ...(await composeDefinitions({ file: args.file, engine: args.engine, user: args.user, dryRun }))];
  return [...args.names, ...definitionFilesIn(args.file)];
}

async function runUp(args: InstallArgs): Promise<void> {
  const { up, failureOf, planUp } = await import('../commands/lifecycle');
  const { machineContext } = await import('../commands/generate');
  const jobTimeoutMs = timeoutMs(args.timeout);
  const names = await namesWithDir(args, args['dry-run'] === true);
  if (args['dry-run']) {
    const plan = await withSystemd(args.user, (systemd) =>
      planUp({ names, engine: args.engine, search: defaultSearchEnv(args.user), ctx: machineContext(args.user), unitDir: defaultUnitDir(args.user), systemd }),
    );
    if (args.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
    else {
      for (const p of plan) {
        process.stdout.write(`${p.unit}: ${p.state}${p.job ? `; would ${p.job} it` : ''}\n`);
        for (const d of p.diff) process.stdout.write(`  ${d}\n`);
      }
      process.stdout.write('dry run: nothing was written, reloaded or started\n');
    }
    return;
  }
  const result = await withSystemd(
    args.user,
    async (systemd) => {
      // A live count on a terminal; logs and scripts get the per-unit lines (or --json) at the end.
      const { ttyJobProgress } = await import('./progress');
      const onJobs = process.stderr.isTTY && !args.json ? (n: number) => (n > 0 ? ttyJobProgress(process.stderr, n) : undefined) : undefined;
      return up({ names, engine: args.engine, search: defaultSearchEnv(args.user), ctx: machineContext(args.user), unitDir: defaultUnitDir(args.user), force: args.force, systemd, user: args.user, onJobs, ensureImage: (image) => ensureImage(image, args.user, args.json), jobTimeoutMs });
    },
    true,
  );
  if (args.user) await warnForUserUnits(result.install.units);
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const changed = result.install.units.filter((u) => u.state !== 'unchanged');
    if (changed.length === 0 && result.units.every((u) => u.job === undefined)) process.stdout.write('nothing to do: every unit is installed, unchanged and running\n');
    printReports(result.units);
  }
  const failure = failureOf(result.units);
  if (failure) throw failure;
}

async function runDown(args: { names: string[]; file?: string; user: boolean; force: boolean; timeout?: number }): Promise<void> {
  const { down } = await import('../commands/lifecycle');
  const ms = timeoutMs(args.timeout);
  let names = args.names;
  let composeDir: string | undefined;
  if (args.file) {
    const { isComposeFile, composeUnits } = await import('./composeCli');
    if (isComposeFile(args.file)) {
      const c = await composeUnits(args.file, args.user);
      names = [...names, ...c.names];
      composeDir = c.dir;
    } else names = [...names, ...definitionFilesIn(args.file)];
  }
  if (names.length === 0) throw new PodgenError('name the units to take down, or a directory or compose file with -f', { kind: 'usage' });
  // Containers before what they use (networks, volumes, pods): systemd stops them in one batch.
  const reports = await withSystemd(args.user, (systemd) => down(names, defaultUnitDir(args.user), args.force, systemd, args.user, ms), true);
  for (const r of reports) process.stdout.write(`${r.unit}: stopped, disabled and removed\n`);
  if (composeDir) fs.rmSync(composeDir, { recursive: true, force: true });
}

async function runUpdate(args: { names: string[]; user: boolean; restart: string; json: boolean }): Promise<void> {
  const { updateRestart } = await import('../commands/update');
  const { machineContext } = await import('../commands/generate');
  const { resolveRefs } = await import('../commands/containers');
  const helper = machineContext(args.user).nativeHelper;
  // Containers by name, unit or ID prefix, as every container command takes them.
  const units = resolveRefs(args.user, args.names, false).map((r) => r.unit);
  const changes = await withSystemd(args.user, (systemd) => updateRestart({ policy: args.restart, names: units, unitDir: defaultUnitDir(args.user), systemd, user: args.user, helper }), true);
  if (args.json) {
    process.stdout.write(`${JSON.stringify(changes, null, 2)}\n`);
    return;
  }
  for (const c of changes) process.stdout.write(`${c.unit}: restart policy ${c.after} (was ${c.before})${c.enabledBy ? `; now wanted by ${c.enabledBy}, so it comes back at boot` : ''}\n`);
}

async function runInfo(args: { json: boolean }): Promise<void> {
  const { machineInfo, formatInfo } = await import('../commands/info');
  const info = await machineInfo();
  process.stdout.write(args.json ? `${JSON.stringify(info, null, 2)}\n` : formatInfo(info));
}

async function runExportKube(args: { names: string[]; user: boolean }): Promise<void> {
  const { exportKube } = await import('../commands/exportKube');
  const { machineContext } = await import('../commands/generate');
  const r = exportKube(args.names, defaultSearchEnv(args.user), machineContext(args.user));
  for (const w of r.warnings) process.stderr.write(`podgen: warning: ${w}\n`);
  process.stdout.write(r.yaml);
}

async function runExportQuadlet(args: { names: string[]; output?: string; user: boolean; force: boolean }): Promise<void> {
  const { exportQuadletFiles } = await import('../commands/exportQuadlet');
  const files = exportQuadletFiles(args.names, defaultSearchEnv(args.user));
  for (const f of files) for (const w of f.warnings) process.stderr.write(`podgen: warning: ${w}\n`);
  if (args.output === undefined) {
    files.forEach((f, i) => process.stdout.write(`${i > 0 ? '\n' : ''}${files.length > 1 ? `---${f.fileName}---\n` : ''}${f.text}`));
    return;
  }
  const taken = files.map((f) => path.join(args.output as string, f.fileName)).filter((f) => fs.existsSync(f));
  if (taken.length && !args.force) throw new PodgenError(`${taken.join(', ')} exists`, { kind: 'usage', hint: 'use --force to replace, or another --output' });
  fs.mkdirSync(args.output, { recursive: true });
  const { writeAtomic } = await import('../files');
  for (const f of files) {
    writeAtomic(path.join(args.output, f.fileName), f.text);
    process.stderr.write(`wrote ${path.join(args.output, f.fileName)}\n`);
  }
}

/** The uid of USER (a name, resolved through NSS, or a number); the caller's own uid without one. */
async function uidOf(user: string | undefined): Promise<{ uid: number; name: string }> {
  if (user === undefined) return { uid: process.getuid?.() ?? 0, name: (await import('node:os')).userInfo().username };
  if (/^\d+$/.test(user)) return { uid: Number(user), name: user };
  const { run } = await import('../process/run');
  const r = await run(['getent', 'passwd', user], { allowFailure: true });
  const uid = r.status === 0 ? Number(r.stdout.split(':')[2]) : NaN;
  if (!Number.isInteger(uid)) throw new PodgenError(`no such user: ${user}`, { kind: 'not-found', hint: 'name an existing user, or give a numeric uid' });
  return { uid, name: user };
}

async function runLinger(args: { user?: string; off: boolean; json: boolean }): Promise<void> {
  const { connectLogin } = await import('../manage/login');
  const who = await uidOf(args.user);
  const login = await connectLogin();
  try {
    const before = await login.lingering(who.uid);
    if (before !== !args.off) await login.setLinger(who.uid, !args.off);
    const after = await login.lingering(who.uid);
    if (after === args.off) throw new PodgenError(`logind did not ${args.off ? 'disable' : 'enable'} lingering for ${who.name}`, { kind: 'unavailable' });
    if (args.json) process.stdout.write(`${JSON.stringify({ user: who.name, uid: who.uid, linger: after, changed: before !== after })}\n`);
    else if (before === after) process.stdout.write(`lingering is already ${after ? 'on' : 'off'} for ${who.name} (uid ${who.uid})\n`);
    else process.stdout.write(after ? `lingering on for ${who.name} (uid ${who.uid}): their user manager, and their enabled --user containers, start at boot\n` : `lingering off for ${who.name} (uid ${who.uid}): their user manager runs only while they are logged in\n`);
  } finally {
    login.close();
  }
}

function fail(err: unknown): void {
  process.stderr.write(`${describeError(err)}\n`);
  process.exitCode = err instanceof PodgenError ? err.exitCode : ExitCode.internal;
}

export async function main(argv: string[]): Promise<void> {
  // If a command's work never settles (a bug), Node would exit 0 silently: make that loud instead.
  let settled = false;
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('podgen: internal error: the command stopped without finishing\n');
    process.exitCode = ExitCode.internal;
  });
  const base = yargs(argv)
    .scriptName('podgen')
    .usage('$0 <command> [options]\n\nDaemonless containers as systemd services: definitions in, units out.');
  // The container commands (ps, logs, stop, rm, ...) live in containerCli.ts; they are listed after these.
  const parser = containerCommands(base
    .command<GenerateArgs>(
      ['generate <names..>', 'gen'],
      'turn definitions (.container, .network, .volume, .pod, .image, .build, .kube, .artifact files) into systemd units',
      (y) =>
        y
          .positional('names', {
            describe: 'definition names (looked up like Quadlet: ./NAME.container, /etc/containers/systemd, ..., then podgen\'s units/; db.network, data.volume, ... name the other kinds) or paths to definition files',
            type: 'string',
            array: true,
          })
          .option('engine', {
            alias: 'e',
            choices: ENGINES,
            default: 'podgen' as Engine,
            describe: 'what ExecStart runs: podgen (runc/crun through podgen, no daemon) or podman (the unit Quadlet would write)',
          })
          .option('user', { type: 'boolean', default: false, describe: 'generate for the user manager (systemctl --user) and search the user directories' })
          .option('output', { alias: 'o', type: 'string', describe: 'write DIR/NAME.service (and [Install] symlinks) atomically instead of printing' })
          .option('format', { alias: 'f', choices: ['unit', 'json'] as const, default: 'unit' as Format, describe: 'unit text, or the typed plan as JSON for scripts' })
          .example('$0 generate nginx', 'print the unit for the shipped nginx definition')
          .example('$0 generate --output /etc/systemd/system ./web.container', 'install a unit file (then: systemctl daemon-reload)')
          .example('$0 generate --engine podman --format json db', 'the Quadlet-equivalent plan, as JSON')
          .epilog(EXIT_CODES),
      (args) => runGenerate(args),
    )
    .command<{ action: string; dirs: string[]; user: boolean }>(
      'generator <action> [dirs..]',
      'podgen as a systemd generator: definitions in /etc/podgen/definitions (user: ~/.config/podgen/definitions) become units at boot and on daemon-reload',
      (y) =>
        y
          .positional('action', { type: 'string', describe: 'install | uninstall | NORMAL_DIR (how systemd runs it)' })
          .positional('dirs', { type: 'string', array: true, describe: 'EARLY_DIR LATE_DIR, passed by systemd' })
          .option('user', { type: 'boolean', default: false, describe: 'the user manager\'s generator (~/.config/podgen/definitions)' })
          .example('$0 generator install', 'link the generator into /etc/systemd/system-generators, then: systemctl daemon-reload')
          .example('$0 check', 'what the generator would do, with every error at file:line')
          .epilog('podgen\'s generator reads only its own directories, never Quadlet\'s (/etc/containers/systemd), so it and podman\'s generator never read the same file; a unit name both would write is left to Quadlet.\n\n' + EXIT_CODES),
      (args) => runGeneratorCommand(args),
    )
    .command('volume', "podgen's named volumes (they outlive containers and down)", (y) =>
      y
        .command<{ name: string; device?: string; type?: string; opt?: string; uid?: number; gid?: number; copy: boolean; label: string[] }>(
          'create <name>',
          'create a volume (again with the same settings: no change; its data is never touched)',
          (yy) =>
            yy
              .positional('name', { type: 'string', demandOption: true })
              .option('device', { type: 'string', describe: 'what to mount on it: a block device, tmpfs, or a directory (with --type bind)' })
              .option('type', { type: 'string', describe: 'the file system type of --device (ext4, xfs, tmpfs, bind, ...)' })
              .option('opt', { type: 'string', describe: 'mount options for --device (mount -o)' })
              .option('uid', { type: 'number', describe: "owner of the volume's root" })
              .option('gid', { type: 'number', describe: "group of the volume's root" })
              .option('copy', { type: 'boolean', default: true, describe: 'fill it from the image on first use when empty (--no-copy: never)' })
              .option('label', { type: 'string', array: true, default: [] as string[], describe: 'KEY=VALUE' })
              .epilog(EXIT_CODES),
          (args) => runVolumeCreate(args),
        )
        .command<{ json: boolean }>(['ls', 'list'], 'list volumes and the containers using them', (yy) => yy.option('json', { type: 'boolean', default: false }), (args) => runVolumeLs(args))
        .command<{ name: string }>('inspect <name>', 'a volume as JSON', () => undefined, (args) => runVolumeInspect(args))
        .command<{ names: string[] }>(['rm <names..>', 'remove'], 'remove volumes and their data (refused while a container uses one)', () => undefined, (args) => runVolumeRm(args))
        .command<{ user: boolean }>('prune', 'remove the volumes no container uses and no installed unit names', () => undefined, () => runVolumePrune())
        .command<{ name: string }>('unmount <name>', false, () => undefined, (args) => runVolumeUnmount(args))
        .demandCommand(1, 'podgen volume create|ls|inspect|rm|prune'),
    )
    .command('pod', "podgen's pods: containers sharing one network namespace (no infra process)", (y) =>
      y
        .command<{ name: string; network: string[]; publish: string[]; ip?: string; 'network-alias': string[]; hostname?: string }>(
          'create <name>',
          "make a pod's network namespace: on its networks, publishing its ports (a .pod unit does this at start)",
          (yy) =>
            yy
              .positional('name', { type: 'string', demandOption: true })
              .option('network', { type: 'string', array: true, default: [] as string[], describe: 'bridge networks (default: the podgen0 bridge)' })
              .option('publish', { alias: 'p', type: 'string', array: true, default: [] as string[], describe: 'ports, as docker run -p' })
              .option('ip', { type: 'string', describe: 'a fixed IPv4 address on the first network' })
              .option('network-alias', { type: 'string', array: true, default: [] as string[], describe: 'more names for the pod on its networks' })
              .option('hostname', { type: 'string', describe: "the containers' host name (default: the pod's name)" })
              .epilog(EXIT_CODES),
          (args) => runPodCreate(args),
        )
        .command<{ name: string }>(['rm <name>', 'remove'], "remove a pod's namespace (refused while a container of it runs)", () => undefined, (args) => runPodRm(args))
        .command<{ json: boolean }>('ps', 'pods, their address, ports, networks and containers', (yy) => yy.option('json', { type: 'boolean', default: false }), (args) => runPodPs(args))
        .demandCommand(1, 'podgen pod create|rm|ps'),
    )
    .command('network', "podgen's named bridge networks (the podgen engine's .network units use them)", (y) =>
      y
        .command<NetworkCreateArgs>(
          'create <name>',
          'create a network (again with the same settings: no change); containers on it reach each other by name and NetworkAlias=, and no other network',
          (yy) =>
            yy
              .positional('name', { type: 'string', demandOption: true })
              .option('subnet', { type: 'string', array: true, default: [] as string[], describe: 'CIDR, one IPv4 and one IPv6 at most (default: the first free 10.91.N.0/24)' })
              .option('gateway', { type: 'string', array: true, default: [] as string[], describe: "each subnet's bridge address, by position (default: the first in the subnet)" })
              .option('ip-range', { type: 'string', array: true, default: [] as string[], describe: 'CIDR inside the subnet of the same position that addresses are given from' })
              .option('ipv6', { type: 'boolean', default: false, describe: 'dual stack: IPv6 too (a ULA /64 unless an IPv6 --subnet is given)' })
              .option('internal', { type: 'boolean', default: false, describe: 'no way out: no default route, nothing forwarded off the bridge' })
              .option('interface-name', { type: 'string', describe: 'the bridge\'s name (default pg-HASH)' })
              .option('opt', { type: 'string', array: true, default: [] as string[], describe: 'driver options: mtu=N' })
              .option('dns', { type: 'string', array: true, default: [] as string[], describe: 'name servers for its containers' })
              .option('label', { type: 'string', array: true, default: [] as string[], describe: 'KEY=VALUE' })
              .epilog(EXIT_CODES),
          (args) => runNetworkCreate(args),
        )
        .command<{ names: string[]; 'if-exists': boolean }>(
          ['rm <names..>', 'remove'],
          'remove networks no container uses (bridge, leases and isolation rules go with them)',
          (yy) => yy.option('if-exists', { type: 'boolean', default: false, describe: 'a missing network is no error' }),
          (args) => runNetworkRm(args),
        )
        .command<{ json: boolean }>(['ls', 'list'], 'list the networks', (yy) => yy.option('json', { type: 'boolean', default: false }), (args) => runNetworkLs(args))
        .demandCommand(1, 'podgen network create|rm|ls'),
    )
    .command<{ user: boolean; json: boolean }>(
      'check',
      "check the generator's definitions (podgen's definition directories) and show what it would write or why not, at file:line",
      (y) =>
        y
          .option('user', { type: 'boolean', default: false, describe: "the user generator's directories" })
          .option('json', { type: 'boolean', default: false, describe: 'machine-readable' })
          .epilog(EXIT_CODES),
      (args) => runCheck(args),
    )
    .command<PullArgs>(
      'pull <image>',
      'download an image into podgen\'s store (no daemon): manifest, config and layers, each verified by sha256',
      (y) =>
        y
          .positional('image', { describe: 'image reference, e.g. docker.io/library/nginx:1.25 or nginx (= docker.io/library/nginx:latest)', type: 'string', demandOption: true })
          .option('user', { type: 'boolean', default: false, describe: 'use the per-user store (~/.local/share/podgen) instead of /var/lib/podgen' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the manifest digest' })
          .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
          .option('unpack', { type: 'boolean', default: true, describe: 'also unpack the layers for overlayfs (without root: files owned by you, no device nodes; --no-unpack: download only)' })
          .option('insecure-registry', { type: 'string', array: true, default: [] as string[], describe: 'registry (host:port) to reach over plain HTTP; loopback registries always are' })
          .option('policy', { choices: ['always', 'missing', 'newer', 'never'] as const, describe: 'always/newer: ask the registry (nothing is downloaded when nothing changed); missing: only when the store lacks it; never: the stored image or an error' })
          .example('$0 pull docker.io/library/busybox:1.36', 'pull an image')
          .epilog(EXIT_CODES),
      async (args) => (await import('./pullCli')).runPull(args),
    )
    .command<ImagesArgs>(
      'images',
      'list the images in podgen\'s store',
      (y) =>
        y
          .option('user', { type: 'boolean', default: false, describe: 'the per-user store' })
          .option('json', { type: 'boolean', default: false, describe: 'print as JSON' })
          .epilog(EXIT_CODES),
      (args) => runImages(args),
    )
    .command<StoreArgs & { images: string[]; force: boolean }>(
      'rmi <images..>',
      'remove images from the store, and the blobs and layers nothing else uses',
      (y) =>
        y
          .positional('images', { describe: 'image names or digest prefixes', type: 'string', array: true })
          .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'remove even when a definition uses the image' })
          .option('user', { type: 'boolean', default: false, describe: 'the per-user store' })
          .epilog(EXIT_CODES),
      (args) => runRmi(args),
    )
    .command('image', 'manage images in the store', (y) =>
      y
        .command<StoreArgs>('prune', 'free blobs and unpacked layers that no image uses', (yy) => yy.option('user', { type: 'boolean', default: false, describe: 'the per-user store' }), (args) => runPrune(args))
        .command<StoreArgs & { image: string }>(
          'inspect <image>',
          'show an image: its record, config and unpacked layers, as JSON',
          (yy) => yy.positional('image', { type: 'string', demandOption: true, describe: 'name or digest prefix' }).option('user', { type: 'boolean', default: false, describe: 'the per-user store' }),
          (args) => runInspect(args),
        )
        .demandCommand(1, 'name an image command: prune or inspect'),
    )
    .command<StoreArgs & { input: string; quiet: boolean }>(
      'load',
      'load images from a docker-archive or oci-archive tarball (podman save, docker save)',
      (y) =>
        y
          .option('input', { alias: 'i', type: 'string', demandOption: true, describe: 'the tarball' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only manifest digests' })
          .option('user', { type: 'boolean', default: false, describe: 'the per-user store' })
          .epilog(EXIT_CODES),
      (args) => runLoad(args),
    )
    .command<InstallArgs>(
      'install [names..]',
      'generate units and install them for systemd over D-Bus: write atomically, reload once, enable (no start)',
      (y) =>
        y
          .positional('names', { describe: 'definition names or .container paths', type: 'string', array: true, default: [] as string[] })
          .option('file', FILE_OPTION)
          .check(NAMES_OR_FILE)
          .options({ engine: ENGINE_OPTION, user: USER_OPTION, force: REPLACE_OPTION, json: JSON_OPTION })
          .epilog(EXIT_CODES),
      (args) => runInstall(args),
    )
    .command<{ names: string[]; user: boolean; force: boolean }>(
      'uninstall <names..>',
      'disable and remove units podgen installed, then reload (images and volumes are kept)',
      (y) =>
        y
          .positional('names', { describe: 'unit or definition names', type: 'string', array: true })
          .options({ user: USER_OPTION, force: REPLACE_OPTION })
          .epilog(EXIT_CODES),
      (args) => runUninstall(args),
    )
    .command<InstallArgs>(
      'up [names..]',
      'generate, install, enable and start containers, waiting for each (idempotent: nothing changed, nothing done)',
      (y) =>
        y
          .positional('names', { describe: 'definition names or .container paths', type: 'string', array: true, default: [] as string[] })
          .option('file', FILE_OPTION)
          .option('dry-run', { type: 'boolean', default: false, describe: 'show the unit file changes and the jobs, change nothing' })
          .option('timeout', TIMEOUT_OPTION)
          .check(NAMES_OR_FILE)
          .options({ engine: ENGINE_OPTION, user: USER_OPTION, force: REPLACE_OPTION, json: JSON_OPTION })
          .epilog(EXIT_CODES),
      (args) => runUp(args),
    )
    .command<{ names: string[]; file?: string; user: boolean; force: boolean; timeout?: number }>(
      'down [names..]',
      'stop, disable and remove containers\' units (images and volumes are kept)',
      (y) =>
        y
          .positional('names', { describe: 'unit or definition names', type: 'string', array: true, default: [] as string[] })
          .option('file', { alias: 'f', type: 'string', describe: 'every definition of this directory, or of this compose file\'s project (its imported definitions are removed too)' })
          .options({ user: USER_OPTION, force: REPLACE_OPTION, timeout: TIMEOUT_OPTION })
          .epilog(EXIT_CODES),
      (args) => runDown(args),
    )
    .command<{ names: string[]; user: boolean; restart: string; json: boolean }>(
      'update <names..>',
      'change installed containers live, as docker update does: --restart POLICY (no restart of a running container; the definition file is not edited)',
      (y) =>
        y
          .positional('names', { describe: 'container (unit) names', type: 'string', array: true })
          .option('restart', { type: 'string', demandOption: true, describe: 'the new restart policy: no, always, unless-stopped, on-failure or on-failure:N' })
          .options({ user: USER_OPTION, json: JSON_OPTION })
          .example('$0 update --restart unless-stopped web db', 'web and db come back after crashes and reboots, unless stopped by hand')
          .epilog(EXIT_CODES),
      (args) => runUpdate(args),
    ))
    .command<{ user?: string; off: boolean; json: boolean }>(
      'linger [user]',
      'let a user\'s manager start at boot, so their --user containers do too (systemd-logind SetUserLinger)',
      (y) =>
        y
          .positional('user', { describe: 'user name or uid (default: you; root may name anyone)', type: 'string' })
          .option('off', { type: 'boolean', default: false, describe: 'turn lingering off instead' })
          .options({ json: JSON_OPTION })
          .epilog(EXIT_CODES),
      (args) => runLinger(args),
    )
    // Dispatched by entry.ts before yargs (they take docker run flags verbatim); listed here for --help.
    .command<{ json: boolean }>(
      'info',
      'what podgen finds here for you: root or rootless, OCI runtimes, store and root file systems, network helpers, cgroup controllers, subordinate ids, and what is missing (with the Debian package)',
      (y) => y.options({ json: JSON_OPTION }).epilog(EXIT_CODES),
      (args) => runInfo(args),
    )
    .command('export', 'definitions for other hosts: Quadlet files for podman 4.4+, Kubernetes YAML', (y) =>
      y
        .command<{ names: string[]; output?: string; user: boolean; force: boolean }>(
          'quadlet <names..>',
          'containers (by container or unit name, or definition name or path) as .container files podman 4.4+ reads, with the .network/.volume files they use; podgen-only and newer keys are translated or dropped, with a warning each',
          (yy) =>
            yy
              .positional('names', { type: 'string', array: true, describe: 'containers or definitions' })
              .option('output', { alias: 'o', type: 'string', describe: 'write the files into DIR (default: print them)' })
              .option('force', { type: 'boolean', default: false, describe: 'replace files of the same names in DIR' })
              .options({ user: USER_OPTION })
              .example('$0 export quadlet web --output /tmp/for-podman-host', 'then copy to /etc/containers/systemd there')
              .epilog(EXIT_CODES),
          (args) => runExportQuadlet(args),
        )
        .command<{ names: string[]; user: boolean }>(
          'kube <names..>',
          'containers as Kubernetes YAML: a Deployment (restart always/unless-stopped) or Pod, a Service for published ports, a PersistentVolumeClaim per named volume; checked against the Kubernetes API schema; what Kubernetes cannot say is a comment and a warning',
          (yy) => yy.positional('names', { type: 'string', array: true, describe: 'containers or definitions' }).options({ user: USER_OPTION }).example('$0 export kube web > web.yaml', 'then: podman kube play web.yaml, or kubectl apply -f web.yaml').epilog(EXIT_CODES),
          (args) => runExportKube(args),
        )
        .demandCommand(1, 'export quadlet or export kube'),
    )
    .command('import', 'what you have, as definitions: docker/podman run lines and compose files', (y) =>
      y
        .command('run [command..]', 'a docker/podman run command (one quoted line, or after --) as a .container definition: podgen import run --help', () => undefined, () => undefined)
        .command<ImportComposeArgs>(
          'compose',
          'a compose file as definitions: a .container per service, a .network and .volume per network and volume, validated against the Compose Specification\'s schema; nothing is written when a field cannot be honoured, unless --skip-unsupported',
          (yy) =>
            yy
              .option('file', { alias: 'f', type: 'string', describe: 'the compose file (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml here)' })
              .option('project', { alias: 'p', type: 'string', describe: 'the project name (default: COMPOSE_PROJECT_NAME, the file\'s name:, else its directory\'s name); it prefixes every definition' })
              .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the directory to write the definitions to' })
              .option('profile', { type: 'string', array: true, default: [] as string[], describe: 'enable services of this profile (default: COMPOSE_PROFILES)' })
              .option('skip-unsupported', { type: 'boolean', default: false, describe: 'write the definitions without the fields podgen cannot honour (each is still reported)' })
              .options({ engine: ENGINE_OPTION, force: { type: 'boolean', default: false, describe: 'replace definitions of the same names in --output' } })
              .example('$0 import compose -f docker-compose.yml -o /etc/containers/systemd', 'then: podgen up -f /etc/containers/systemd')
              .epilog(EXIT_CODES),
          (args) => runImportCompose(args),
        )
        .demandCommand(1, 'import run or import compose'),
    )
    .command('run [flags..]', 'run a container through runc, no daemon: docker run flags (podgen run --help); -d makes it a transient unit', () => undefined, () => undefined)
    .command('exec <name> <command..>', 'run a command in a running container (runc exec)', () => undefined, () => undefined)
    .command('top <name>', "a container's processes", () => undefined, () => undefined)
    .command('stats [names..]', 'CPU, memory, pids, I/O of running containers from cgroup counters (--no-stream, --json)', () => undefined, () => undefined)
    .command('prepare', false, () => undefined, () => undefined)
    .command('cleanup', false, () => undefined, () => undefined)
    .completion('completion', 'print a bash/zsh completion script (source it from your shell profile)')
    .demandCommand(1, 'name a command; try podgen generate nginx')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(PODGEN_VERSION)
    .epilog(EXIT_CODES)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // Stop here: yargs would otherwise go on to run the command with invalid arguments.
      // Argument problems (also from .check()) are usage errors; anything else is the command's own.
      const e: unknown = err;
      if (e instanceof Error && e.name !== 'YError') throw e;
      throw new PodgenError(msg ?? String(e ?? 'invalid arguments'), { kind: 'usage', hint: 'run "podgen --help" (or "podgen COMMAND --help") for usage' });
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    fail(e);
  }
  settled = true;
}



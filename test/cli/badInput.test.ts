// Bad input is a feature: every malformed definition gets a precise message
// (file:line, key, what to do), a non-zero exit code, no stack trace, and no
// file is written.

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { podgen } from '../support/cli';

interface BadCase {
  readonly name: string;
  /** Definition text, or a function that prepares the argument in dir and returns it. */
  readonly input: string | ((dir: string) => string);
  readonly exit: number;
  readonly stderr: RegExp[];
  readonly engine?: 'podgen' | 'podman';
}

const good = '[Container]\nImage=docker.io/library/busybox:1.36\n';

/** A definition of another kind (x.network, x.volume, ...) written into the case's directory. */
const kindFile =
  (file: string, text: string) =>
  (d: string): string => {
    fs.writeFileSync(path.join(d, file), text);
    return path.join(d, file);
  };

const CASES: readonly BadCase[] = [
  // Every Quadlet kind: unknown keys with a suggestion, Quadlet's rules, value checks, the podgen engine's limits.
  { name: '.network: unknown key', input: kindFile('n.network', '[Network]\nSubnett=10.91.9.0/24\n'), exit: 65, stderr: [/n\.network:2: unknown key "Subnett" in \[Network\]; did you mean "Subnet"\?/] },
  { name: '.network: a subnet that is none', input: kindFile('n.network', '[Network]\nSubnet=10.91.9.0/33\n'), exit: 65, stderr: [/n\.network:2: Subnet=: "10\.91\.9\.0\/33" is not a subnet: the prefix must be 0-32/] },
  { name: '.network: a range without a subnet', input: kindFile('n.network', '[Network]\nIPRange=10.91.9.0/25\n'), exit: 65, stderr: [/n\.network:2: cannot set gateway or range without subnet/] },
  { name: '.network: two IPv4 subnets with the podgen engine', input: kindFile('n.network', '[Network]\nSubnet=10.91.9.0/24\nSubnet=10.91.10.0/24\n'), exit: 65, stderr: [/n\.network:3: the podgen engine gives a network one subnet per address family/] },
  { name: '.network: IPAMDriver= with the podgen engine', input: kindFile('n.network', '[Network]\nIPAMDriver=dhcp\n'), exit: 65, stderr: [/n\.network:2: key "IPAMDriver" is not supported by the podgen engine/] },
  { name: '.network: a [Container] section', input: kindFile('n.network', '[Container]\nImage=x\n'), exit: 65, stderr: [/n\.network:1: unknown section \[Container\]; a \.network file may hold/] },
  { name: '.volume: unknown key', input: kindFile('v.volume', '[Volume]\nDevise=/dev/sda1\n'), exit: 65, stderr: [/v\.volume:2: unknown key "Devise" in \[Volume\]; did you mean "Device"\?/] },
  { name: '.volume: Type= without Device=', input: kindFile('v.volume', '[Volume]\nType=ext4\n'), exit: 65, stderr: [/v\.volume:2: key Type can't be used without Device/] },
  { name: '.volume: a user name', input: kindFile('v.volume', '[Volume]\nUser=nobody\n'), exit: 65, stderr: [/v\.volume:2: User=: "nobody" is not a numeric ID/] },
  { name: '.pod: unknown key', input: kindFile('p.pod', '[Pod]\nPublishPorts=80:80\n'), exit: 65, stderr: [/p\.pod:2: unknown key "PublishPorts" in \[Pod\]; did you mean "PublishPort"\?/] },
  { name: '.pod: a key the podgen engine does not take', input: kindFile('p.pod', '[Pod]\nShmSize=1g\n'), exit: 65, stderr: [/p\.pod:2: key "ShmSize" is not supported by the podgen engine/] },
  { name: '.image: no Image=', input: kindFile('i.image', '[Image]\nArch=amd64\n'), exit: 65, engine: 'podman', stderr: [/i\.image:1: no Image key specified/] },
  { name: '.build: the podgen engine', input: kindFile('b.build', '[Build]\nImageTag=localhost/x\nFile=/srv/Containerfile\n'), exit: 65, stderr: [/b\.build:1: the podgen engine cannot run \.build definitions/, /--engine podman/] },
  { name: '.build: no ImageTag=', input: kindFile('b.build', '[Build]\nFile=/srv/Containerfile\n'), exit: 65, engine: 'podman', stderr: [/b\.build:1: no ImageTag key specified/] },
  { name: '.kube: no Yaml=', input: kindFile('k.kube', '[Kube]\nNetwork=host\n'), exit: 65, engine: 'podman', stderr: [/k\.kube:1: no Yaml key specified/] },
  { name: '.artifact: unknown key', input: kindFile('a.artifact', '[Artifact]\nArtefact=quay.io/x/y:1\n'), exit: 65, engine: 'podman', stderr: [/a\.artifact:2: unknown key "Artefact" in \[Artifact\]; did you mean "Artifact"\?/] },
  { name: 'a container referring to a network that is not there', input: kindFile('c.container', '[Container]\nImage=docker.io/library/busybox:1\nNetwork=missing.network\n'), exit: 65, stderr: [/c\.container:3: cannot get the resource name of missing\.network|requested Quadlet unit missing\.network was not found/] },
  { name: 'missing file', input: (d) => path.join(d, 'nope.container'), exit: 66, stderr: [/nope\.container does not exist/] },
  {
    name: 'directory instead of file',
    input: (d) => {
      fs.mkdirSync(path.join(d, 'adir.container'));
      return path.join(d, 'adir.container');
    },
    exit: 66,
    stderr: [/adir\.container is a directory, not a definition/],
  },
  {
    name: 'binary garbage',
    input: (d) => {
      const f = path.join(d, 'garbage.container');
      fs.writeFileSync(f, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0xff, 0xfe, 0x00, 0x10]));
      return f;
    },
    exit: 65,
    stderr: [/garbage\.container: definition is not a text file/],
  },
  { name: 'unterminated quote', input: `${good}Exec=/bin/echo "hello\n`, exit: 65, stderr: [/:3: Exec=: unbalanced quotes in: \/bin\/echo "hello$/m] },
  { name: 'continuation at end of file', input: `${good}Exec=/bin/echo \\\n`, exit: 65, stderr: [/:3: backslash continuation runs into the end of the file/] },
  { name: 'key before any section', input: `Image=busybox\n${good}`, exit: 65, stderr: [/:1: key "Image" appears before any \[Section\] header/] },
  {
    name: 'unknown section',
    input: `${good}[Sevrice]\nRestart=always\n`,
    exit: 65,
    stderr: [/:3: unknown section \[Sevrice\]/, /did you mean "Service"\?/],
  },
  {
    name: 'unknown key, with a suggestion',
    input: `${good}Publishport=80:80\n`,
    exit: 65,
    stderr: [/:3: unknown key "Publishport" in \[Container\]; did you mean "PublishPort"\?/],
  },
  { name: 'bad port 80:99999', input: `${good}PublishPort=80:99999\n`, exit: 65, stderr: [/:3: PublishPort=: container port 99999 is out of range \(1-65535\) in "80:99999"/] },
  { name: 'bad memory 12XB', input: `${good}Memory=12XB\n`, exit: 65, stderr: [/:3: Memory=: "12XB" is not a size; write it like 512m/] },
  {
    name: 'RestartPolicy=on-failure:-1',
    input: `${good}RestartPolicy=on-failure:-1\n`,
    exit: 65,
    stderr: [/:3: RestartPolicy=: restart count "-1" in "on-failure:-1" must be a whole number/],
  },
  {
    name: 'RestartPolicy=on-failure:x',
    input: `${good}RestartPolicy=on-failure:x\n`,
    exit: 65,
    stderr: [/:3: RestartPolicy=: restart count "x" in "on-failure:x" must be a whole number from 0 to 1000000/],
  },
  {
    name: 'RestartSec= next to RestartPolicy= (the restart manager sets the delays)',
    input: `${good}RestartPolicy=always\n[Service]\nRestartSec=5\n`,
    exit: 65,
    stderr: [/:5: RestartSec= conflicts with RestartPolicy=always, whose restart manager sets the delays and limits itself/],
  },
  {
    name: 'a health check with a bad duration',
    input: `${good}HealthCmd=true\nHealthStartPeriod=1 minute\n`,
    exit: 65,
    stderr: [/:4: HealthStartPeriod=: "1 minute" is not a duration/],
  },
  {
    name: 'RestartPolicy=sometimes',
    input: `${good}RestartPolicy=sometimes\n`,
    exit: 65,
    stderr: [/:3: RestartPolicy=: unknown restart policy "sometimes"; use no, always, on-failure, on-failure:N/],
  },
  {
    name: "Docker's spelling in [Service] Restart=",
    input: `${good}[Service]\nRestart=unless-stopped\n`,
    exit: 65,
    stderr: [/:4: Restart=: "unless-stopped" is not a systemd restart setting/, /belongs in \[Container\] RestartPolicy=unless-stopped/],
  },
  { name: 'unit name with ..', input: () => 'web..evil', exit: 1, stderr: [/"web\.\.evil" is not a valid definition name: a unit name cannot contain "\.\."/] },
  { name: 'ServiceName with /', input: `${good}ServiceName=../../etc/passwd\n`, exit: 65, stderr: [/:3: ServiceName=: "\.\.\/\.\.\/etc\/passwd" is not a valid systemd unit name/] },
  { name: 'no Image', input: '[Container]\nExec=/bin/true\n', exit: 65, stderr: [/no Image or Rootfs key specified/] },
  {
    name: 'key the podgen engine cannot honour',
    input: `${good}PodmanArgs=--privileged\n`,
    exit: 65,
    stderr: [/:3: key "PodmanArgs" is not supported by the podgen engine/, /--engine podman/],
  },
  { name: 'bad boolean', input: `${good}ReadOnly=maybe\n`, exit: 65, stderr: [/:3: ReadOnly=: "maybe" is not a boolean/] },
  { name: 'relative volume destination', input: `${good}Volume=/srv:data\n`, exit: 65, stderr: [/:3: Volume=: destination "data" in "\/srv:data" is not an absolute path/] },
  { name: 'Unicode noncharacter', input: `${good}Environment=A=\u{fffe}\n`, exit: 65, stderr: [/:3: line contains U\+FFFE, a Unicode noncharacter systemd refuses/] },
  {
    name: 'a % that is not a systemd specifier',
    input: `${good}Exec=date +%F\n[Service]\nEnvironment=A=100%k\n`,
    exit: 65,
    stderr: [/:3: "%F" is not a systemd specifier: systemd would drop this Exec= setting/, /write %% for a literal %: Exec=date \+%%F/, /:5: "%k" is not a systemd specifier/],
  },
  {
    name: 'a specifier systemctl enable does not know, in [Install]',
    input: `${good}[Install]\nWantedBy=%t.target\n`,
    exit: 65,
    stderr: [/:4: "%t" is not a specifier systemctl enable knows in \[Install\]/],
  },
  ...(
    [
      ['my web', /contains a space/, /rename it \(e\.g\. my-web\.container\), or set ServiceName=my-web/],
      ['wéb', /contains "é" \(U\+00E9\)/, /ServiceName=w-b/],
      ['50%', /contains "%" \(U\+0025\)/, /ServiceName=50-/],
      ['@x', /starts with "@"/, /ServiceName=x/],
    ] as const
  ).map(
    ([stem, why, hint]): BadCase => ({
      name: `file name "${stem}.container" that is no unit name`,
      input: (d) => {
        const file = path.join(d, `${stem}.container`);
        fs.writeFileSync(file, good);
        return file;
      },
      exit: 65,
      stderr: [new RegExp(`the file name ${stem}\\.container cannot name a systemd unit`), why, hint],
    }),
  ),
  {
    name: 'unit name that makes no container name',
    input: (d) => {
      const file = path.join(d, 'x:y.container');
      fs.writeFileSync(file, good);
      return file;
    },
    exit: 65,
    stderr: [/without ContainerName=, the unit name x:y\.service names the container: "x:y" is not a valid container name/, /set ContainerName=/],
  },
  {
    name: 'Type=oneshot with a restart policy that restarts clean exits',
    input: `${good}RestartPolicy=unless-stopped\n[Service]\nType=oneshot\n`,
    exit: 65,
    stderr: [/:3: RestartPolicy=unless-stopped restarts the container after it exits cleanly, which systemd refuses for Type=oneshot \(line 5\)/],
  },
  {
    name: 'Type=oneshot with [Service] Restart=always',
    input: `${good}[Service]\nType=oneshot\nRestart=always\n`,
    exit: 65,
    stderr: [/:5: Restart=always restarts the container after it exits cleanly/],
  },
  {
    name: 'a typo in a [Unit] key, with a suggestion',
    input: `${good}[Unit]\nWnats=db.service\n`,
    exit: 65,
    stderr: [/:4: unknown key "Wnats" in \[Unit\], which systemd 252 would ignore; did you mean "Wants"\?/],
  },
  {
    name: 'a key of one section under another',
    input: `${good}[Service]\nWantedBy=multi-user.target\nRestartPolicy=always\n`,
    exit: 65,
    stderr: [/:4: WantedBy= belongs in \[Install\], not \[Service\]/, /move it under \[Install\]/, /:5: RestartPolicy= belongs in \[Container\], not \[Service\]/],
  },
  {
    name: 'a key systemd does not know, no suggestion',
    input: `${good}[Install]\nZzzqqq=1\n`,
    exit: 65,
    stderr: [/:4: unknown key "Zzzqqq" in \[Install\]/, /keys of your own start with X-/],
  },
  {
    name: 'a time span systemd cannot parse',
    input: `${good}[Service]\nTimeoutStopSec=yes\nRestartSec=5 parsecs\n`,
    exit: 65,
    stderr: [/:4: TimeoutStopSec=: .*"yes"/, /:5: RestartSec=: "5 parsecs": "parsecs" is not a time unit systemd knows/],
  },
  {
    name: 'a dependency that is no unit name',
    input: `${good}[Unit]\nAfter=1m30s\nRequires=db\nWants=53:53/sctp /etc/systemd/system/x.service\n`,
    exit: 65,
    stderr: [
      /:4: After=: "1m30s" is not a unit name: it needs a type suffix/,
      /:5: Requires=: "db" is not a unit name/,
      /:6: Wants=: "53:53\/sctp" is not a unit name: write the unit's name, not a path/,
      /:6: Wants=: "\/etc\/systemd\/system\/x.service" is not a unit name/,
    ],
  },
  {
    name: 'unit names of the wrong type; an old spelling of a dependency key',
    input: `${good}[Unit]\nPropagateReloadTo=none\n[Service]\nSockets=db.container\nSlice=web.service\n`,
    exit: 65,
    stderr: [/:4: PropagateReloadTo=: "none" is not a unit name/, /:6: Sockets=: "db.container" is not a .socket unit, which Sockets= needs/, /:7: Slice=: "web.service" is not a .slice unit/],
  },
  {
    name: '[Service] Environment= without NAME=VALUE, or a bad name',
    input: `${good}[Service]\nEnvironment=true\nEnvironment="MY-VAR=1"\n`,
    exit: 65,
    stderr: [/:4: Environment=: "true" is not a NAME=VALUE assignment/, /:5: Environment=: "MY-VAR" is not a valid environment variable name/],
  },
  {
    name: 'an Exec*= line whose program is a relative path',
    input: `${good}[Service]\nExecStartPre=bin/setup --now\n`,
    exit: 65,
    stderr: [/:4: ExecStartPre=: "bin\/setup" is neither an absolute path nor a plain program name/],
  },
  {
    name: 'a count that is not a number, a user name with a colon',
    input: `${good}[Unit]\nStartLimitBurst=five\n[Service]\nUser=www:www\n`,
    exit: 65,
    stderr: [/:4: StartLimitBurst=: "five" is not a whole number/, /:6: User=: "www:www" is not a user or group name/],
  },
  {
    name: 'a specifier systemd does not expand in unit names',
    input: `${good}[Unit]\nAfter=home-%h.mount\n`,
    exit: 65,
    stderr: [/:4: "%h" is not a specifier systemd expands in unit names: systemd would drop this After= setting/],
  },
  {
    name: 'an empty assignment systemd ignores instead of resetting; a key systemd removed',
    input: `${good}[Service]\nRestart=\nTimeoutStopSec=\nCapabilities=cap_net_raw+ep\n`,
    exit: 65,
    stderr: [
      /:4: Restart= needs a value: systemd 252 does not read an empty one as a reset, it ignores the line/,
      /:5: TimeoutStopSec= needs a value/,
      /:6: Capabilities= was removed from systemd: systemd 252 ignores it/,
    ],
  },
  {
    name: 'a specifier that can never make the value valid',
    input: `${good}StopTimeout=%h/x5\nPublishPort=80%i:80\n`,
    exit: 65,
    // PublishPort=80%i:80 is fine: web@1 publishes 801.
    stderr: [/:3: StopTimeout=: "\/root\/x5" is not a whole number, once systemd expands "%h\/x5"/, /definition rejected \(1 problem\)/],
  },
  {
    name: 'a seccomp profile that is neither unconfined nor an absolute path; a relative Mask= path',
    input: `${good}SeccompProfile=my-profile.json\nMask=/proc/a:proc/b\n`,
    exit: 65,
    stderr: [/:3: SeccompProfile=: "my-profile.json" is not a seccomp profile; write unconfined, or the absolute path/, /:4: Mask=: "proc\/b" in "\/proc\/a:proc\/b" is not an absolute path/],
  },
  {
    name: 'a DefaultInstance= that makes no unit name (a / would put the enable link in a subdirectory)',
    input: (d) => {
      const f = path.join(d, 't@.container');
      fs.writeFileSync(f, `${good}[Install]\nWantedBy=multi-user.target\nDefaultInstance=a/b\n`);
      return f;
    },
    exit: 65,
    stderr: [/:5: DefaultInstance=: "a\/b" cannot be an instance name: use letters, digits and ":-_.\\@" only/],
  },
  {
    name: 'every problem at once',
    input: '[Container]\nImage=busybox\nPublishport=80\nMemory=lots\nRestartPolicy=sometimes\n',
    exit: 65,
    stderr: [/:3: unknown key "Publishport"/, /:4: Memory=/, /:5: RestartPolicy=/, /definition rejected \(3 problems\)/],
  },
];

describe('podgen generate: bad input', function () {
  let dir: string;
  let out: string;
  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'podgen-bad-'));
    out = path.join(dir, 'out');
    fs.mkdirSync(out);
  });
  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.name}: exit ${c.exit}, precise message, nothing written`, function () {
      let arg: string;
      if (typeof c.input === 'string') {
        arg = path.join(dir, 'bad.container');
        fs.writeFileSync(arg, c.input);
      } else {
        arg = c.input(dir);
      }
      const r = podgen(['generate', '--engine', c.engine ?? 'podgen', '--output', out, arg], { cwd: dir });
      assert.equal(r.status, c.exit, r.stderr);
      for (const re of c.stderr) assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'stack trace in output');
      assert.deepEqual(fs.readdirSync(out), [], 'a file was written');
      assert.equal(r.stdout, '');
    });
  }

  it('writes nothing when one definition of several is bad', function () {
    fs.writeFileSync(path.join(dir, 'ok.container'), good);
    fs.writeFileSync(path.join(dir, 'bad.container'), `${good}Memory=12XB\n`);
    const r = podgen(['generate', '--output', out, 'ok', 'bad'], { cwd: dir });
    assert.equal(r.status, 65);
    assert.match(r.stderr, /bad\.container:3: Memory=/);
    assert.deepEqual(fs.readdirSync(out), []);
  });

  it('reports a drop-in problem at the drop-in file and line', function () {
    fs.writeFileSync(path.join(dir, 'web.container'), good);
    fs.mkdirSync(path.join(dir, 'web.container.d'));
    fs.writeFileSync(path.join(dir, 'web.container.d', '10-port.conf'), '[Container]\n\nPublishPort=abc\n');
    const r = podgen(['generate', 'web'], { cwd: dir });
    assert.equal(r.status, 65);
    assert.match(r.stderr, /web\.container\.d\/10-port\.conf:3: PublishPort=: container port "abc" is not a port or a range like 8000-8010/);
  });

  it("systemd's own verdict (systemd-analyze verify): a value only systemd's parser knows is refused at its line, also in a drop-in; a deprecated setting is a warning", function () {
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      console.log('      (skipped: systemd-analyze is not installed; test/prepare-host.sh installs systemd)');
      this.skip();
    }
    fs.writeFileSync(path.join(dir, 'web.container'), `${good}[Service]\nIOSchedulingPriority=99\n`);
    fs.mkdirSync(path.join(dir, 'web.container.d'));
    fs.writeFileSync(path.join(dir, 'web.container.d', '10-job.conf'), '[Unit]\n\nJobTimeoutAction=bogus\n');
    const r = podgen(['generate', '--output', out, 'web'], { cwd: dir });
    assert.equal(r.status, 65, r.stderr);
    assert.match(r.stderr, /web\.container:4: IOSchedulingPriority=: systemd would ignore this line: Failed to parse IO priority, ignoring: 99/);
    assert.match(r.stderr, /web\.container\.d\/10-job\.conf:3: JobTimeoutAction=: systemd would ignore this line/);
    assert.deepEqual(fs.existsSync(out) ? fs.readdirSync(out) : [], [], 'nothing written');
    // PODGEN_NO_VERIFY=1 leaves these to systemd (the static checks do not know IO priorities).
    assert.equal(podgen(['generate', 'web'], { cwd: dir, env: { PODGEN_NO_VERIFY: '1' } }).status, 0);
    fs.writeFileSync(path.join(dir, 'old.container'), `${good}[Service]\nCPUShares=100\n`);
    const old = podgen(['generate', 'old'], { cwd: dir });
    assert.equal(old.status, 0, old.stderr);
    assert.match(old.stderr, /old\.container:4: warning: CPUShares= still works, but systemd says: .*please use CPUWeight= instead/);
  });

  it('output directory not writable: exit 73, nothing written', function () {
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    let mounted = false;
    if (process.getuid?.() === 0) {
      // root ignores permission bits: a read-only mount is the honest way to refuse writes.
      mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', ro]).status === 0;
      assert.ok(mounted, 'could not mount a read-only tmpfs');
    } else {
      fs.chmodSync(ro, 0o555);
    }
    try {
      fs.writeFileSync(path.join(dir, 'ok.container'), good);
      const r = podgen(['generate', '--output', ro, 'ok'], { cwd: dir });
      assert.equal(r.status, 73, r.stderr);
      assert.match(r.stderr, /cannot write .* in .*\/ro: .*(read-only|permission denied)/i);
      assert.match(r.stderr, /hint: choose a writable directory with --output/);
      assert.deepEqual(fs.readdirSync(ro), []);
    } finally {
      if (mounted) spawnSync('umount', [ro]);
    }
  });

  it('an unknown option is a usage error (exit 1) naming the option', function () {
    const r = podgen(['generate', '--enigne', 'podman', 'nginx']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Unknown argument: enigne/);
  });

  it('an unknown engine is a usage error listing the choices', function () {
    const r = podgen(['generate', '--engine', 'docker', 'nginx']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Invalid values:[\s\S]*Choices: "podgen", "podman"/);
  });
});

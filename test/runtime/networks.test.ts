// Named networks with the podgen engine, for real in the sandbox: .network
// units create bridges; containers on one network answer each other by name
// and alias, containers on another cannot reach them, an internal network
// has no way out; down removes it all, and 100 cycles leave nothing behind.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { type ChildProcess, spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { podgen, REPO_ROOT } from '../support/cli';
import { pushImage } from '../support/images';
import { runtimeImage } from '../support/runtimeImage';
import { freePort } from '../support/ports';
import { TestRegistry } from '../support/registry';
import { hostSideEnv, useSandbox } from '../support/sandbox';

describe('podgen engine: named networks (sandbox)', function () {
  this.timeout(600_000);
  const env = useSandbox('podgen-net-');
  let reg: TestRegistry;
  let defs: string;
  let image: string;
  let www: string;
  // In a process of its own: the test's event loop is blocked while podgen exec runs (spawnSync).
  let outside: ChildProcess | undefined;
  let outsidePort = 0;
  const run = (args: string[]) => podgen(args, { cwd: defs, env: hostSideEnv(env.sb, defs) });
  const inside = (args: string[]) => env.sb.exec([process.execPath, path.join(REPO_ROOT, 'bin', 'podgen'), ...args], 120_000);
  const write = (file: string, body: string): void => fs.writeFileSync(path.join(defs, file), body);
  // busybox's timeout, not wget -T (Debian's static busybox wget crashes with -T).
  const wget = (container: string, url: string) => inside(['exec', container, '/bin/busybox', 'timeout', '4', '/bin/busybox', 'wget', '-q', '-O', '-', url]);
  const hostAddress = (): string => {
    const all = Object.values(os.networkInterfaces()).flat().filter((i): i is os.NetworkInterfaceInfo => !!i);
    const a = all.find((i) => i.family === 'IPv4' && !i.internal && !/^10\.9[01]\./.test(i.address));
    if (!a) throw new Error('no outside IPv4 address on this machine');
    return a.address;
  };
  const networkLeftovers = (): string[] => {
    const found: string[] = [];
    const links = env.sb.exec(['ip', '-o', 'link', 'show']).stdout.split('\n').filter((l) => / pg-[0-9a-f]+[:@]/.test(l));
    if (links.length) found.push(`links: ${links.join(' | ')}`);
    const rules = env.sb.exec(['sh', '-c', 'iptables-save; ip6tables-save']).stdout.split('\n').filter((l) => l.includes('PODGEN-ISOLATION') || / pg-[0-9a-f]+ /.test(l));
    if (rules.length) found.push(`iptables: ${rules.join(' | ')}`);
    const leases = env.sb.exec(['sh', '-c', 'ls /run/podgen/cni/networks 2>/dev/null']).stdout.split('\n').filter((d) => d.startsWith('systemd-'));
    if (leases.length) found.push(`lease dirs: ${leases.join(' ')}`);
    const netns = env.sb.exec(['ip', 'netns', 'list']).stdout.split('\n').filter((l) => /podgen-(web|other|lonely|cyc)/.test(l));
    if (netns.length) found.push(`netns: ${netns.join(' ')}`);
    const stored = env.sb.exec(['sh', '-c', 'ls /var/lib/podgen/networks 2>/dev/null']).stdout.trim();
    if (stored) found.push(`network files: ${stored}`);
    return found;
  };

  before(async function () {
    reg = await TestRegistry.start();
    await pushImage(reg, 'test/net', '1', runtimeImage());
    image = `${reg.address}/test/net:1`;
    defs = path.join(env.staging, 'defs');
    fs.mkdirSync(defs);
    www = path.join(env.staging, 'www');
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), 'hello from the front\n');
    const outsideDir = path.join(env.staging, 'outside');
    fs.mkdirSync(outsideDir);
    fs.writeFileSync(path.join(outsideDir, 'index.html'), 'outside\n');
    outsidePort = await freePort();
    outside = spawn('busybox', ['httpd', '-f', '-p', `0.0.0.0:${outsidePort}`, '-h', outsideDir], { stdio: 'ignore' });
  });
  after(function () {
    reg?.stop();
    outside?.kill();
  });

  it('two containers on a network answer each other by name and alias; a third on another network cannot reach them; an internal network has no way out; down leaves nothing', function () {
    write('front.network', '[Network]\nSubnet=10.91.20.0/24\nLabel=tier=front\nDNS=10.91.20.53\n');
    write('back.network', '[Network]\nSubnet=10.91.21.0/24\n');
    write('priv.network', '[Network]\nSubnet=10.91.22.0/24\nInternal=true\n');
    const httpd = `Exec=/bin/busybox httpd -f -p 80 -h /srv\nVolume=${www}:/srv:ro\nStopTimeout=1\n`;
    write('web1.container', `[Container]\nImage=${image}\nNetwork=front.network\nNetworkAlias=www\nIP=10.91.20.50\n${httpd}`);
    write('web2.container', `[Container]\nImage=${image}\nNetwork=front.network\n${httpd}`);
    write('other.container', `[Container]\nImage=${image}\nNetwork=back.network\n${httpd}`);
    write('lonely.container', `[Container]\nImage=${image}\nNetwork=priv.network\n${httpd}`);
    const names = ['web1', 'web2', 'other', 'lonely'];
    const up = run(['up', ...names]);
    try {
      assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
      assert.equal(env.sb.execOk(['systemctl', 'show', '-p', 'ActiveState', '--value', 'front-network.service']).trim(), 'active', 'the network unit came up with its containers');
      const byName = wget('web2', 'http://web1/');
      assert.equal(byName.status, 0, byName.stderr);
      assert.equal(byName.stdout, 'hello from the front\n');
      assert.equal(wget('web2', 'http://www/').stdout, 'hello from the front\n', 'NetworkAlias= resolves');
      assert.equal(wget('web1', 'http://web2/').status, 0, 'and the other way round');
      assert.equal(wget('web2', 'http://10.91.20.50/').status, 0, 'IP= gave web1 its address');
      assert.match(inside(['exec', 'web1', '/bin/busybox', 'cat', '/etc/resolv.conf']).stdout, /^nameserver 10\.91\.20\.53$/m, "the network's DNS=");
      // Another network: no name, and no route through the host either.
      assert.notEqual(wget('other', 'http://web1/').status, 0, 'web1 is not a name on the back network');
      assert.notEqual(wget('other', 'http://10.91.20.50/').status, 0, 'isolation drops back -> front');
      assert.notEqual(wget('web1', `http://${inside(['inspect', 'other']).stdout.match(/10\.91\.21\.\d+/)?.[0] ?? '10.91.21.2'}/`).status, 0, 'and front -> back');
      // A way out exists for a normal network, none for an internal one.
      const outsideUrl = `http://${hostAddress()}:${outsidePort}/`;
      assert.equal(wget('other', outsideUrl).stdout, 'outside\n', 'a normal network reaches the host');
      assert.notEqual(wget('lonely', outsideUrl).status, 0, 'Internal=true: no way out');
      assert.notEqual(wget('lonely', 'http://10.91.20.50/').status, 0, 'nor into another network');
      assert.doesNotMatch(inside(['exec', 'lonely', '/bin/busybox', 'ip', 'route']).stdout, /default/, 'no default route');
      const ls = inside(['network', 'ls', '--json']);
      const rows = JSON.parse(ls.stdout) as Array<{ name: string; subnet: string; internal: boolean; containers: string[]; labels: Record<string, string> }>;
      const front = rows.find((r) => r.name === 'systemd-front');
      assert.deepEqual(front?.containers.sort(), ['web1', 'web2']);
      assert.equal(front?.labels.tier, 'front');
      assert.equal(rows.find((r) => r.name === 'systemd-priv')?.internal, true);
      const busy = inside(['network', 'rm', 'systemd-front']);
      assert.notEqual(busy.status, 0, 'a network in use is not removed');
      assert.match(busy.stderr, /network systemd-front is in use by web1, web2|in use by web2, web1/);
    } finally {
      const down = run(['down', ...names, 'front.network', 'back.network', 'priv.network']);
      assert.equal(down.status, 0, `${down.stdout}${down.stderr}`);
    }
    assert.deepEqual(networkLeftovers(), []);
  });

  it('IPv6: a dual-stack network (IPv6=true, or an IPv6 Subnet=); its containers reach each other over IPv6, by address and by name, and another network cannot', function () {
    write('six.network', '[Network]\nIPv6=true\n');
    write('sixb.network', '[Network]\nSubnet=10.91.60.0/24\nSubnet=fd00:91:60::/64\n');
    const httpd = `Exec=/bin/busybox httpd -f -p 80 -h /srv\nVolume=${www}:/srv:ro\nStopTimeout=1\n`;
    write('six1.container', `[Container]\nImage=${image}\nNetwork=six.network\n${httpd}`);
    write('six2.container', `[Container]\nImage=${image}\nNetwork=six.network\n${httpd}`);
    write('six3.container', `[Container]\nImage=${image}\nNetwork=sixb.network\n${httpd}`);
    const names = ['six1', 'six2', 'six3'];
    const up = run(['up', ...names]);
    try {
      assert.equal(up.status, 0, `${up.stdout}${up.stderr}`);
      const addr = (c: string): string => {
        const out = inside(['exec', c, '/bin/busybox', 'ip', '-6', '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']).stdout;
        const m = /inet6 ([0-9a-f:]+)\/64/.exec(out);
        assert.ok(m, `no global IPv6 address in ${c}: ${out}`);
        return m[1] as string;
      };
      const a1 = addr('six1');
      assert.match(a1, /^fd/, 'a ULA address from the generated subnet');
      assert.match(addr('six3'), /^fd00:91:60:/, 'the given IPv6 subnet');
      assert.equal(wget('six2', `http://[${a1}]/`).stdout, 'hello from the front\n', 'six2 reaches six1 over IPv6');
      const hosts = inside(['exec', 'six2', '/bin/busybox', 'cat', '/etc/hosts']).stdout;
      assert.match(hosts, new RegExp(`^${a1}\\tsix1\\t`, 'm'), `the IPv6 address is in the peers' hosts:\n${hosts}`);
      assert.notEqual(wget('six3', `http://[${a1}]/`).status, 0, 'ip6tables isolation drops sixb -> six');
    } finally {
      const down = run(['down', ...names, 'six.network', 'sixb.network']);
      assert.equal(down.status, 0, `${down.stdout}${down.stderr}`);
    }
    assert.deepEqual(networkLeftovers(), []);
  });

  it('bad networks are refused with the line and nothing is created: overlapping subnets, a gateway outside, more gateways than subnets', function () {
    write('n1.network', '[Network]\nSubnet=10.91.30.0/24\n');
    write('n2.network', '[Network]\nSubnet=10.91.30.128/25\n');
    write('usern2.container', `[Container]\nImage=${image}\nNetwork=n2.network\nExec=/bin/busybox sleep 60\n`);
    try {
      assert.equal(run(['up', 'n1.network']).status, 0);
      const overlap = run(['up', 'usern2']);
      assert.notEqual(overlap.status, 0);
      assert.match(`${overlap.stdout}${overlap.stderr}`, /Subnet=10\.91\.30\.128\/25 overlaps network systemd-n1 \(10\.91\.30\.0\/24\)/);
    } finally {
      run(['down', 'usern2', 'n2.network', 'n1.network']);
    }
    write('gw.network', '[Network]\nSubnet=10.91.31.0/24\nGateway=10.91.32.1\n');
    const gw = run(['up', 'gw.network']);
    assert.notEqual(gw.status, 0);
    assert.match(`${gw.stdout}${gw.stderr}`, /Gateway=10\.91\.32\.1 is not inside Subnet=10\.91\.31\.0\/24/);
    run(['down', 'gw.network']);
    write('two.network', '[Network]\nSubnet=10.91.33.0/24\nGateway=10.91.33.1\nGateway=10.91.33.2\n');
    const two = run(['generate', 'two.network']);
    assert.equal(two.status, 65);
    assert.match(two.stderr, /two\.network:4: cannot set more gateways than subnets/);
    write('bad.network', '[Network]\nSubnet=10.91.300.0/24\n');
    const bad = run(['generate', 'bad.network']);
    assert.equal(bad.status, 65);
    assert.match(bad.stderr, /bad\.network:2: Subnet=: "10\.91\.300\.0\/24" is not a subnet/);
    assert.deepEqual(networkLeftovers(), []);
  });

  it('100 cycles of network up, a container joining it, and down leave no bridge, rule, lease or netns', function () {
    write('cyc.network', '[Network]\nSubnet=10.91.40.0/24\n');
    write('cyc.container', `[Container]\nImage=${image}\nNetwork=cyc.network\nExec=/bin/pgtest term-exit 0\n`);
    assert.equal(run(['install', 'cyc', 'cyc.network']).status, 0);
    try {
      const r = env.sb.exec(['sh', '-c', 'for i in $(seq 100); do systemctl start cyc.service && systemctl stop cyc.service cyc-network.service || exit 1; done'], 600_000);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(env.sb.exec(['sh', '-c', 'journalctl -u cyc.service -o cat | grep -c "Started cyc.service"']).stdout.trim(), '100');
    } finally {
      run(['uninstall', 'cyc', 'cyc.network']);
    }
    assert.deepEqual(networkLeftovers(), []);
  });
});

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '@switchyard/model';
import { SwarmSnapshot } from '@switchyard/proto';
import { FakeDockerError, FakeDockerPort } from '@switchyard/reconciler/testing';
import { ExitCode } from '../src/index.js';
import { run } from './helpers.js';

/** A swarm with a routed service, a service labelled on its containers only, and an unlabelled one. */
function fakeSwarm(): FakeDockerPort {
  const docker = new FakeDockerPort({ now: () => Date.UTC(2026, 0, 1) });
  docker.networks = [
    { Id: 'net-app', Name: 'app', Driver: 'overlay', Scope: 'swarm' },
    { Id: 'net-ingress', Name: 'ingress', Driver: 'overlay', Scope: 'swarm', Ingress: true },
  ];
  docker.secrets = [{ ID: 'sec-1', Spec: { Name: 'web.cert', Labels: { 'com.switchyard.lb.allowed-services': 'web' } } }];
  docker.services = [
    {
      ID: 'svc-web',
      CreatedAt: '2026-01-01T00:00:00Z',
      Spec: {
        Name: 'web',
        Labels: { 'com.docker.lb.hosts': 'web.example.com', 'com.docker.lb.port': '8080' },
        TaskTemplate: { ContainerSpec: { Image: 'web' }, Networks: [{ Target: 'net-app' }] },
      },
    },
    {
      ID: 'svc-compose',
      CreatedAt: '2026-01-01T00:01:00Z',
      Spec: {
        Name: 'shop_app',
        Labels: { 'com.docker.stack.namespace': 'shop' },
        TaskTemplate: {
          ContainerSpec: { Image: 'app', Labels: { 'com.docker.lb.hosts': 'shop.example.com', 'com.docker.lb.port': '80' } },
          Networks: [{ Target: 'net-app' }],
        },
      },
    },
    { ID: 'svc-db', Spec: { Name: 'db', TaskTemplate: { ContainerSpec: { Image: 'db' } } } },
  ];
  docker.tasks = [
    {
      ID: 'task-web-1',
      ServiceID: 'svc-web',
      NodeID: 'node-1',
      Slot: 1,
      DesiredState: 'running',
      Status: { State: 'running' },
      NetworksAttachments: [{ Network: { ID: 'net-app' }, Addresses: ['10.0.1.5/24'] }],
    },
    { ID: 'task-db-1', ServiceID: 'svc-db', NodeID: 'node-1', Slot: 1, DesiredState: 'shutdown', Status: { State: 'complete' } },
  ];
  return docker;
}

describe('switchyard snapshot', () => {
  it('prints the swarm as SwarmSnapshot JSON (read-only) and a summary on stderr', async () => {
    const docker = fakeSwarm();
    const { code, stdout, stderr } = await run(['snapshot'], { docker });
    expect(code).toBe(ExitCode.ok);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    const snap = SwarmSnapshot.fromJSON(json);
    expect(snap.services.map((s) => s.name)).toEqual(['db', 'shop_app', 'web']);
    expect(snap.services[1]?.containerLabels).toEqual({ 'com.docker.lb.hosts': 'shop.example.com', 'com.docker.lb.port': '80' });
    expect(snap.tasks.map((t) => t.id)).toEqual(['task-db-1', 'task-web-1']);
    expect(snap.tasks[1]?.attachments).toEqual([{ networkId: 'net-app', addresses: ['10.0.1.5'] }]);
    expect(snap.secrets).toEqual([{ id: 'sec-1', name: 'web.cert', labels: { 'com.switchyard.lb.allowed-services': 'web' } }]);
    expect(stderr).toBe(
      'snapshot of the local Docker socket: 3 services (1 with com.docker.lb.* service labels, 1 with com.docker.lb.* container labels), ' +
        '2 tasks (1 running), 2 networks, 1 secrets\n',
    );
    // Only reads.
    const called = Object.entries(docker.calls).filter(([, n]) => n > 0);
    expect(called.sort()).toEqual([
      ['listNetworks', 1],
      ['listSecrets', 1],
      ['listServices', 1],
      ['listTasks', 1],
    ]);
    // What the other commands read: the routed service is served, the compose mistake is explained.
    const model = buildModel(snap);
    expect(model.hosts.map((h) => h.host)).toEqual(['web.example.com']);
    expect(model.services.map((s) => [s.name, s.routed])).toEqual([
      ['shop_app', false],
      ['web', true],
    ]);
  });

  it('writes --out FILE, which explain and render read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-snapshot-'));
    const { code, stdout, stderr } = await run(['snapshot', '--out', 'sub/snap.json'], { docker: fakeSwarm(), cwd: dir });
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/; wrote sub\/snap\.json\n$/);
    expect(readFileSync(join(dir, 'sub', 'snap.json'), 'utf8')).toMatch(/^\{\n {2}"services": \[/);
    const explain = await run(['explain', 'shop.example.com', '--snapshot', 'sub/snap.json'], { cwd: dir });
    expect(explain.code).toBe(ExitCode.notRouted);
    expect(explain.stdout).toContain('container-label');
    expect(explain.stdout).toContain('move them under deploy.labels (service labels)');
    const routed = await run(['explain', 'web.example.com', '--snapshot', 'sub/snap.json'], { cwd: dir });
    expect(routed.code).toBe(ExitCode.ok);
  });

  it('writes every list, even empty, so an empty swarm is not mistaken for {}', async () => {
    const { code, stdout } = await run(['snapshot'], { docker: new FakeDockerPort() });
    expect(code).toBe(ExitCode.ok);
    expect(JSON.parse(stdout)).toEqual({ services: [], tasks: [], networks: [], secrets: [] });
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-snapshot-'));
    await run(['snapshot', '--out', 'empty.json'], { docker: new FakeDockerPort(), cwd: dir });
    const lint = await run(['lint', '--snapshot', 'empty.json'], { cwd: dir });
    expect(lint.code).toBe(ExitCode.ok);
  });

  it('exits 3 naming the engine when Docker refuses or is unreachable', async () => {
    const notManager = fakeSwarm();
    notManager.failAlways('listServices', new FakeDockerError('This node is not a swarm manager.', 503));
    const refused = await run(['snapshot'], { docker: notManager, env: { DOCKER_HOST: 'tcp://10.0.0.9:2376' } });
    expect(refused.code).toBe(ExitCode.coreUnreachable);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('switchyard snapshot: cannot read the swarm from tcp://10.0.0.9:2376: This node is not a swarm manager.');
    expect(refused.stderr).toContain('swarm manager');

    const down = fakeSwarm();
    down.failAlways('listTasks', Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }));
    const unreachable = await run(['snapshot'], { docker: down });
    expect(unreachable.code).toBe(ExitCode.coreUnreachable);
    expect(unreachable.stderr).toContain('cannot read the swarm from the local Docker socket: connect ENOENT /var/run/docker.sock (is the Docker Engine running?');
  });

  it.each([
    [['snapshot', 'extra'], /unexpected argument "extra"/],
    [['snapshot', '--core', '127.0.0.1:1'], /option --core does not apply to snapshot/],
    [['snapshot', '--out', ''], /--out needs a file name/],
  ])('usage error → 2: %j', async (argv, message) => {
    const { code, stderr } = await run(argv, { docker: fakeSwarm() });
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toMatch(message);
  });
});

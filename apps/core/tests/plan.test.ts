import type { DockerConfig, DockerService, DockerServiceSpec, DockerTask } from '@switchyard/reconciler';
import { parseCoreConfig } from '../src/config.js';
import { DeliveryError } from '../src/delivery-error.js';
import { configName, planConfigs, planExtensionServices, planGarbage, planProxyService, planReassert, type ProxyServiceInput } from '../src/plan.js';
import { INSTALLATION, MANAGED_BY, MANAGED_BY_VALUE, ROLE, extensionServiceSpec, proxyServiceSpec, specFingerprint, type DeliveredConfig } from '../src/specs.js';

const config = parseCoreConfig(`[Extensions.default]\nProxyReplicas = 1\n[Extensions.blue]\nServiceCluster = "blue"\nPublishedPort = 81\nPublishedSSLPort = 444\n`);
const ext = config.Extensions.find((e) => e.Name === 'default')!;
const blue = config.Extensions.find((e) => e.Name === 'blue')!;
const rolling = { ...ext, HitlessServiceUpdate: false };

function service(id: string, spec: DockerServiceSpec, extra: Partial<DockerService> = {}): DockerService {
  return { ID: id, Version: { Index: 7 }, Spec: spec, ...extra } as DockerService;
}

const conf = (id: string, name = `cfg-${id}`): DeliveredConfig => ({ id, name, target: '/etc/nginx/nginx.conf' });

function proxyInput(partial: Partial<ProxyServiceInput> = {}): ProxyServiceInput {
  return { installation: 'switchyard', ext, configs: [conf('c2')], networks: ['net-a'], secrets: [], env: ['A=1'], hitless: true, preflight: true, current: undefined, modelVersion: 3, ...partial };
}

/** The proxy service as Docker would report it after `input` was applied with `configs`. */
function running(input: ProxyServiceInput, configs: DeliveredConfig[] = input.configs): DockerService {
  return service('svc-proxy', proxyServiceSpec(input.installation, input.ext, configs, input.networks, input.secrets, input.env));
}

const ops = (steps: { op: string }[]) => steps.map((s) => s.op);

describe('planExtensionServices', () => {
  const desired = [ext, blue].map((e) => ({ ext: e, spec: extensionServiceSpec(config, e, 'core-net') }));

  it('creates every missing extension service, saying which', () => {
    const actions = planExtensionServices(desired, []);
    expect(actions.map((a) => [a.op, a.op === 'create-service' && a.spec.Name])).toEqual([
      ['create-service', ext.ServiceName],
      ['create-service', blue.ServiceName],
    ]);
    expect(actions[1]).toMatchObject({ role: 'extension', message: 'created extension service', meta: { extension: 'blue', serviceCluster: 'blue' } });
  });

  it('updates only a service whose spec drifted, from the version it was listed at', () => {
    const drifted = { ...desired[1]!.spec, Labels: { ...desired[1]!.spec.Labels, extra: 'by hand' } };
    const actions = planExtensionServices(desired, [service('e1', desired[0]!.spec), service('e2', drifted)]);
    expect(actions).toEqual([expect.objectContaining({ op: 'update-service', id: 'e2', version: 7, spec: desired[1]!.spec, message: 'updated extension service' })]);
  });

  it('plans nothing when every service is as desired', () => {
    expect(planExtensionServices(desired, [service('e1', desired[0]!.spec), service('e2', desired[1]!.spec)])).toEqual([]);
  });

  it('does not take a proxy service of the same name for the extension service', () => {
    const proxyNamed = { ...desired[0]!.spec, Labels: { ...desired[0]!.spec.Labels, [ROLE]: 'proxy' } };
    expect(ops(planExtensionServices(desired.slice(0, 1), [service('p', proxyNamed)]))).toEqual(['create-service']);
  });
});

describe('planConfigs', () => {
  const files = [
    { path: 'nginx.conf', content: 'events {}\n' },
    { path: 'switchyard.d/part-001.conf', content: 'server {}\n' },
  ];

  it('creates a content-addressed config per new file, placing the first at ProxyConfigPath and the others beside it', () => {
    const plan = planConfigs('switchyard', ext, files, [], 4);
    expect(plan.configs).toEqual([
      { id: '', name: configName(ext.ProxyServiceName, files[0]!), target: '/etc/nginx/nginx.conf' },
      { id: '', name: configName(ext.ProxyServiceName, files[1]!), target: '/etc/nginx/switchyard.d/part-001.conf' },
    ]);
    expect(plan.create.map((c) => c.path)).toEqual(['nginx.conf', 'switchyard.d/part-001.conf']);
    expect(plan.create[0]).toMatchObject({
      content: 'events {}\n',
      labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTALLATION]: 'switchyard', 'com.switchyard.proxy-service': ext.ProxyServiceName, 'com.switchyard.config-path': 'nginx.conf' },
      meta: { modelVersion: 4, bytes: 10 },
    });
  });

  it('reuses a config that already holds the same file', () => {
    const existing = [{ ID: 'have', Spec: { Name: configName(ext.ProxyServiceName, files[0]!) } } as DockerConfig];
    const plan = planConfigs('switchyard', ext, files, existing, 4);
    expect(plan.configs.map((c) => c.id)).toEqual(['have', '']);
    expect(plan.create.map((c) => c.path)).toEqual(['switchyard.d/part-001.conf']);
  });

  it('names a file by its path and content: either differing gives another config', () => {
    const a = configName('p', { path: 'a.conf', content: 'x' });
    expect(configName('p', { path: 'a.conf', content: 'x' })).toBe(a);
    expect(configName('p', { path: 'b.conf', content: 'x' })).not.toBe(a);
    expect(configName('p', { path: 'a.conf', content: 'y' })).not.toBe(a);
  });
});

describe('planProxyService', () => {
  it('creates an absent service; hitless, the agents get the bundle first', () => {
    expect(ops(planProxyService(proxyInput()).steps)).toEqual(['publish-bundle', 'create-service']);
    const plan = planProxyService(proxyInput({ ext: rolling, hitless: false }));
    expect(ops(plan.steps)).toEqual(['create-service']);
    expect(plan.changed).toBe(true);
  });

  it('refuses a service of that name that this installation did not deploy', () => {
    const foreign = service('x', { Name: ext.ProxyServiceName, Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTALLATION]: 'another' } });
    expect(() => planProxyService(proxyInput({ current: foreign }))).toThrow(DeliveryError);
    expect(() => planProxyService(proxyInput({ current: foreign }))).toThrow(expect.objectContaining({ code: 'foreign-service' }));
    expect(() => planProxyService(proxyInput({ current: service('y', { Name: ext.ProxyServiceName }) }))).toThrow(/not deployed by this Switchyard core/);
  });

  it('hitless, new file content alone changes no spec: the tasks keep the configs they booted from', () => {
    const before = proxyInput({ configs: [conf('c1')] });
    const plan = planProxyService(proxyInput({ current: running(before) }));
    expect(ops(plan.steps)).toEqual(['publish-bundle']);
    expect(plan.changed).toBe(false);
    expect(specFingerprint(plan.spec)).toBe(specFingerprint(running(before).Spec!));
  });

  it('hitless, a change only a spec carries (a network) updates the service and mounts the new configs', () => {
    const before = proxyInput({ configs: [conf('c1')] });
    const plan = planProxyService(proxyInput({ current: running(before), networks: ['net-a', 'net-b'] }));
    expect(ops(plan.steps)).toEqual(['publish-bundle', 'update-service']);
    expect(plan.steps[1]).toMatchObject({ id: 'svc-proxy', version: 7, meta: { configs: ['cfg-c2'], networks: 2 } });
    expect(JSON.stringify(plan.spec)).toContain('cfg-c2');
  });

  it('rolling, new content updates the service; the same content plans nothing', () => {
    const before = proxyInput({ ext: rolling, hitless: false, configs: [conf('c1')] });
    expect(ops(planProxyService({ ...before, configs: [conf('c2')], current: running(before) }).steps)).toEqual(['update-service']);
    const same = planProxyService({ ...before, current: running(before) });
    expect(same.steps).toEqual([]);
    expect(same.changed).toBe(false);
  });

  it('runs the proxy check before a rollout that brings certificates, and names them', () => {
    const before = proxyInput();
    const cert = { id: 's1', name: 'web.crt', file: 'web.crt' };
    const key = { id: 's2', name: 'web.key', file: 'web.key' };
    const plan = planProxyService(proxyInput({ current: running(before), secrets: [key, cert] }));
    expect(ops(plan.steps)).toEqual(['check-proxy', 'publish-bundle', 'update-service']);
    expect(plan.steps[0]).toMatchObject({ secrets: ['web.crt', 'web.key'], spec: plan.spec });
    // Without a preflight, or for a new service (no task is replaced), there is nothing to check first.
    expect(ops(planProxyService(proxyInput({ current: running(before), secrets: [cert], preflight: false })).steps)).toEqual(['publish-bundle', 'update-service']);
    expect(ops(planProxyService(proxyInput({ secrets: [cert] })).steps)).toEqual(['publish-bundle', 'create-service']);
    // Secrets that are mounted already need no check.
    const withCert = proxyInput({ secrets: [cert] });
    expect(ops(planProxyService(proxyInput({ current: running(withCert), secrets: [cert], networks: ['net-b'] })).steps)).toEqual(['publish-bundle', 'update-service']);
  });

  it('replaces a service whose mode changes (Swarm cannot change it in place)', () => {
    const replicated = proxyInput({ ext: { ...ext, PublishMode: 'ingress' } });
    const plan = planProxyService(proxyInput({ current: running(replicated) }));
    expect(ops(plan.steps)).toEqual(['remove-service', 'publish-bundle', 'create-service']);
    expect(plan.steps[0]).toMatchObject({ id: 'svc-proxy', meta: { from: 'replicated', to: 'global' } });
    expect(plan.changed).toBe(true);
  });
});

describe('planGarbage', () => {
  const refs = (...ids: string[]) => ({ ContainerSpec: { Configs: ids.map((ConfigID) => ({ ConfigID })) } });
  const ours = { Name: ext.ProxyServiceName, Labels: { [MANAGED_BY]: MANAGED_BY_VALUE, [INSTALLATION]: 'switchyard' } };
  const configs = ['cur', 'prev', 'pin', 'old-task', 'stopping', 'gone', 'dead-task'].map((id) => ({ ID: id, Spec: { Name: `n-${id}` } }) as DockerConfig);
  const tasks = [
    { ID: 't1', DesiredState: 'running', Spec: refs('cur') },
    { ID: 't2', DesiredState: 'running', Spec: refs('old-task') },
    { ID: 't3', DesiredState: 'shutdown', Status: { State: 'running' }, Spec: refs('stopping') },
    { ID: 't4', DesiredState: 'shutdown', Status: { State: 'shutdown' }, Spec: refs('dead-task') },
  ] as DockerTask[];

  it('removes what no spec, previous spec, pinned bundle or live task references, and counts what waits for old tasks', () => {
    const svc = service('p', { ...ours, TaskTemplate: refs('cur') }, { PreviousSpec: { TaskTemplate: refs('prev') } as DockerServiceSpec });
    const plan = planGarbage({ service: svc, installation: 'switchyard', tasks, configs, pinned: new Set(['pin']) });
    expect(plan.remove.map((r) => r.id)).toEqual(['gone', 'dead-task']);
    expect(plan.remove[0]).toMatchObject({ name: 'n-gone', message: 'removed unused proxy config' });
    expect(plan.waiting).toBe(2);
  });

  it('collects nothing for an absent service or one this installation does not own', () => {
    expect(planGarbage({ service: undefined, installation: 'switchyard', tasks, configs, pinned: new Set() })).toEqual({ remove: [], waiting: 0 });
    expect(planGarbage({ service: service('p', { ...ours, TaskTemplate: refs('cur') }), installation: 'other', tasks, configs, pinned: new Set() }).remove).toEqual([]);
  });
});

describe('planReassert', () => {
  const spec = proxyServiceSpec('switchyard', ext, [conf('c1')], ['n'], [], []);
  const fp = specFingerprint(spec);
  const current = service('p', spec);
  it.each([
    ['nothing delivered yet', { delivered: false, appliedFingerprint: undefined, current, gcPending: true }, 'none'],
    ['as last applied', { delivered: true, appliedFingerprint: fp, current, gcPending: false }, 'none'],
    ['as last applied, garbage waits', { delivered: true, appliedFingerprint: fp, current, gcPending: true }, 'collect-garbage'],
    ['the last delivery failed', { delivered: true, appliedFingerprint: undefined, current, gcPending: false }, 'retry'],
    ['the service is gone', { delivered: true, appliedFingerprint: fp, current: undefined, gcPending: false }, 're-apply'],
    ['changed by hand', { delivered: true, appliedFingerprint: fp, current: service('p', { ...spec, Labels: { x: 'y' } }), gcPending: false }, 're-apply'],
  ] as const)('%s', (_what, input, expected) => {
    expect(planReassert(input)).toBe(expected);
  });
});

// Real-engine test: DockerodePort's calls and event stream against the running dockerd.
// Runs unless SWITCHYARD_E2E=0; fails loudly when dockerd is not reachable.
import { DockerodePort, type DockerEvent } from '../src/index.js';
import { realEngine, testName } from './real-helpers.js';

const describeReal = realEngine ? describe : describe.skip;

describeReal('DockerodePort on a real engine', () => {
  const docker = new DockerodePort();
  const configIds: string[] = [];
  const secretIds: string[] = [];

  beforeAll(async () => {
    await docker.ping().catch((err: unknown) => {
      throw new Error(`dockerd is not reachable (set SWITCHYARD_E2E=0 to skip real-engine tests): ${String(err)}`);
    });
  });

  afterAll(async () => {
    for (const id of configIds) await docker.removeConfig(id).catch(() => undefined);
    for (const id of secretIds) await docker.dockerode.getSecret(id).remove().catch(() => undefined);
  });

  it('pings and lists', async () => {
    await expect(docker.ping()).resolves.toEqual({ ok: true });
    const networks = await docker.listNetworks();
    expect(networks.some((n) => n.Ingress === true && n.Name === 'ingress')).toBe(true);
    await expect(docker.listServices({ label: ['sy-test-no-such-label'] })).resolves.toEqual([]);
    // The Engine resolves the service filter and answers 404 for an unknown service (the fake does too).
    await expect(docker.listTasks({ service: ['sy-test-no-such-service'] })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('creates, filters and removes configs (data in the body, not the URL)', async () => {
    const name = testName('config');
    const data = Buffer.from('x'.repeat(64 * 1024)).toString('base64');
    const id = await docker.createConfig({ Name: name, Labels: { 'sy-test': name }, Data: data });
    configIds.push(id);
    const found = await docker.listConfigs({ label: [`sy-test=${name}`] });
    expect(found.map((c) => [c.ID, c.Spec?.Name])).toEqual([[id, name]]);
    expect(found[0]?.Spec?.Data).toBe(data);
    await docker.removeConfig(id);
    configIds.pop();
    await expect(docker.listConfigs({ label: [`sy-test=${name}`] })).resolves.toEqual([]);
  });

  it('streams events as they happen and ends on abort', async () => {
    const abort = new AbortController();
    const seen: DockerEvent[] = [];
    const name = testName('secret');
    let secretId = '';
    const timeout = setTimeout(() => abort.abort(), 20_000);
    const consume = (async () => {
      for await (const ev of docker.events({ signal: abort.signal, filters: { type: ['secret'] } })) {
        seen.push(ev);
        if (ev.Actor.Attributes?.['name'] === name && ev.Action === 'create') abort.abort();
      }
    })();
    // Give the subscription a moment to be established before causing the event.
    await new Promise((r) => setTimeout(r, 500));
    const secret = await docker.dockerode.createSecret({ Name: name, Data: Buffer.from('s').toString('base64') });
    secretId = secret.id;
    secretIds.push(secretId);
    await consume;
    clearTimeout(timeout);
    const mine = seen.find((e) => e.Actor.ID === secretId);
    expect(mine).toMatchObject({ Type: 'secret', Action: 'create', Actor: { ID: secretId, Attributes: { name } }, scope: 'swarm' });
    expect(seen.every((e) => e.Type === 'secret')).toBe(true);
  }, 30_000);
});

import { GetStatusResponse, NoticeSeverity, type ConfigNotice } from '@switchyard/proto';
import { formatStatus } from '../src/index.js';
import { NOW, fixtureStatus, run, startFakeCore, type FakeCore } from './helpers.js';

const NOTICES: ConfigNotice[] = [
  {
    key: 'Extensions.default.PublishMode',
    code: 'ingress-without-ipvs',
    message:
      'extension default publishes ports 80 and 8443 through Swarm\'s routing mesh (PublishMode = "ingress"), but this host\'s kernel has no IPVS (/proc/net/ip_vs is missing): connections to those ports will likely be refused. Set PublishMode = "host" in [Extensions.default].',
    severity: NoticeSeverity.NOTICE_SEVERITY_WARNING,
  },
  { key: 'Extensions.default.Config.AdminPass', code: 'ignored-key', message: 'an HAProxy stats option', severity: NoticeSeverity.NOTICE_SEVERITY_INFO },
  { key: 'Extensions.default.Config.Version', code: 'ignored-key', message: "Interlock's extension version stamp", severity: NoticeSeverity.NOTICE_SEVERITY_INFO },
];

describe('switchyard status: config notices', () => {
  let core: FakeCore;
  beforeAll(async () => {
    core = await startFakeCore({ ...fixtureStatus(), configNotices: NOTICES });
  });
  afterAll(() => core.close());

  it('prints a "Config notices" section after the summary line, in core\'s order, before the clusters', async () => {
    const { code, stdout, stderr } = await run(['status', '--core', core.address]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines.slice(1, 7)).toEqual([
      '',
      'Config notices: 1 warning, 2 info',
      `  warning  Extensions.default.PublishMode       ingress-without-ipvs: ${NOTICES[0]?.message}`,
      '  info     Extensions.default.Config.AdminPass  ignored-key: an HAProxy stats option',
      "  info     Extensions.default.Config.Version    ignored-key: Interlock's extension version stamp",
      '',
    ]);
    expect(lines[7]).toBe('Cluster "" (default)');
  });

  it('--json carries them as configNotices in proto JSON form', async () => {
    const { code, stdout } = await run(['status', '--core', core.address, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.configNotices[0]).toEqual({ key: 'Extensions.default.PublishMode', code: 'ingress-without-ipvs', message: NOTICES[0]?.message, severity: 'NOTICE_SEVERITY_WARNING' });
    expect(json.configNotices.map((n: { severity: string }) => n.severity)).toEqual(['NOTICE_SEVERITY_WARNING', 'NOTICE_SEVERITY_INFO', 'NOTICE_SEVERITY_INFO']);
    expect(GetStatusResponse.fromJSON(json).configNotices).toEqual(NOTICES);
  });

  it('has no section when there are none (or core is older and sends none)', () => {
    const text = formatStatus(fixtureStatus(), '127.0.0.1:8080', NOW);
    expect(text).not.toContain('Config notices');
    expect(text.split('\n').slice(0, 3)).toEqual(['Core 127.0.0.1:8080: 2 service clusters, 2 registered extensions', '', 'Cluster "" (default)']);
  });
});

describe('switchyard status: the Docker engine as core sees it', () => {
  it('says ok with the last swarm read, and names the last failure while rounds keep failing', () => {
    const ok = formatStatus({ ...fixtureStatus(), reconcile: { lastSuccessAtUnixMs: NOW - 2000, lastError: '', lastErrorAtUnixMs: 0, consecutiveErrors: 0 } }, 'c:1', NOW);
    expect(ok.split('\n')[1]).toBe('Docker engine: ok, last swarm read 2s ago');
    const recovered = formatStatus(
      { ...fixtureStatus(), reconcile: { lastSuccessAtUnixMs: NOW - 1000, lastError: 'listTasks: Docker API call listTasks did not answer within 30000 ms', lastErrorAtUnixMs: NOW - 90_000, consecutiveErrors: 0 } },
      'c:1',
      NOW,
    );
    expect(recovered.split('\n')[1]).toBe('Docker engine: ok, last swarm read 1s ago; last failure 90s ago: listTasks: Docker API call listTasks did not answer within 30000 ms');
    const failing = formatStatus(
      { ...fixtureStatus(), reconcile: { lastSuccessAtUnixMs: NOW - 65_000, lastError: 'listServices: connect ENOENT /var/run/docker.sock', lastErrorAtUnixMs: NOW - 1000, consecutiveErrors: 4 } },
      'c:1',
      NOW,
    );
    expect(failing.split('\n')[1]).toBe(
      'Docker engine: FAILING, 4 failed rounds in a row (last swarm read 65s ago; routes keep their last good state): listServices: connect ENOENT /var/run/docker.sock',
    );
  });
});

import { Severity, SwarmSnapshot } from '@switchyard/proto';
import { buildModel, explainRequest, ModelCode } from '../src/index.js';
import { lb, SnapshotBuilder } from './snapshot-builder.js';

describe('com.docker.lb.* container labels (compose `labels:` instead of `deploy.labels:`)', () => {
  it('lists a service with only container lb labels as not routed, with an error that names them and says where they belong', () => {
    const snap = new SnapshotBuilder()
      .service('web', {}, { containerLabels: { ...lb('web.local'), 'com.docker.stack.namespace': 'shop' } })
      .service('plain', {}, { containerLabels: { 'com.docker.stack.namespace': 'shop' } })
      .build();
    const model = buildModel(snap);
    expect(model.hosts).toEqual([]);
    expect(model.services).toEqual([{ id: 'svc-web', name: 'web', serviceCluster: '', hosts: ['web.local'], routed: false, runningTasks: 1 }]);
    expect(model.diagnostics).toHaveLength(1);
    const [d] = model.diagnostics;
    expect(d).toMatchObject({ service: 'web', label: '', code: ModelCode.containerLabel, severity: Severity.SEVERITY_ERROR });
    expect(d?.message).toContain('not routed');
    expect(d?.message).toContain('com.docker.lb.hosts, com.docker.lb.port');
    expect(d?.message).not.toContain('com.docker.stack.namespace');
    expect(d?.message).toContain('move them under deploy.labels (service labels)');
  });

  it('warns (and routes on the service labels) when the service also has lb service labels', () => {
    const snap = new SnapshotBuilder().service('web', lb('web.local'), { containerLabels: { 'com.docker.lb.sticky_session_cookie': 'sid' } }).build();
    const model = buildModel(snap);
    expect(model.services).toEqual([{ id: 'svc-web', name: 'web', serviceCluster: '', hosts: ['web.local'], routed: true, runningTasks: 1 }]);
    expect(model.upstreams[0]?.stickyCookie).toBe('');
    expect(model.diagnostics).toEqual([
      expect.objectContaining({ service: 'web', label: '', code: 'container-label', severity: Severity.SEVERITY_WARNING }),
    ]);
    expect(model.diagnostics[0]?.message).toMatch(/^container label com\.docker\.lb\.sticky_session_cookie .*ignored.*deploy\.labels \(service labels\)/);
  });

  it('reports the service in the cluster its container labels name, once', () => {
    const snap = new SnapshotBuilder().service('edge', {}, { containerLabels: lb('edge.local', 80, { service_cluster: 'east' }) }).build();
    expect(buildModel(snap).services).toEqual([]);
    expect(buildModel(snap).diagnostics).toEqual([]);
    const east = buildModel(snap, { serviceCluster: 'east' });
    expect(east.services.map((s) => [s.name, s.serviceCluster, s.routed])).toEqual([['edge', 'east', false]]);
    expect(east.diagnostics.map((d) => d.code)).toEqual(['container-label']);
  });

  it('lets explain say why a host claimed only by container labels is not routed', () => {
    const model = buildModel(new SnapshotBuilder().service('web', {}, { containerLabels: lb('web.local') }).build());
    const e = explainRequest(model, 'web.local', '/');
    expect(e.routed).toBe(false);
    expect(e.claimants.map((c) => [c.service, c.diagnostics.map((d) => d.code)])).toEqual([['web', ['container-label']]]);
  });

  it('ignores services whose container labels are not lb labels, and snapshots without the field', () => {
    const snap = SwarmSnapshot.fromJSON({ services: [{ id: 's', name: 'old', labels: lb('old.local'), networkIds: ['n'] }], networks: [{ id: 'n', name: 'app' }] });
    expect(snap.services[0]?.containerLabels).toEqual({});
    const model = buildModel(snap);
    expect(model.diagnostics.filter((d) => d.code === 'container-label')).toEqual([]);
    expect(model.services[0]?.routed).toBe(true);
  });
});

import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { GetStatusResponse, NoticeSeverity, type ConfigNotice } from '../src/index.js';

const notice: ConfigNotice = { key: 'Extensions.default.PublishMode', code: 'ingress-without-ipvs', message: 'use PublishMode = "host"', severity: NoticeSeverity.NOTICE_SEVERITY_WARNING };

describe('GetStatusResponse.config_notices', () => {
  it('round-trips through binary and JSON (severity by name)', () => {
    const status = GetStatusResponse.fromPartial({ configNotices: [notice, { ...notice, key: 'EndpointOverride', code: 'ignored-key', severity: NoticeSeverity.NOTICE_SEVERITY_INFO }] });
    expect(GetStatusResponse.decode(GetStatusResponse.encode(status).finish())).toEqual(status);
    const json = GetStatusResponse.toJSON(status) as { configNotices: unknown[] };
    expect(json.configNotices[0]).toEqual({ key: notice.key, code: notice.code, message: notice.message, severity: 'NOTICE_SEVERITY_WARNING' });
    expect(GetStatusResponse.fromJSON(JSON.parse(JSON.stringify(json)))).toEqual(status);
  });

  it('is empty in a response from a core that predates it (field 5 absent)', () => {
    const old = new BinaryWriter();
    old.uint32(34).fork().uint32(10).string('switchyard-default-proxy').join(); // replicas (4) only
    const decoded = GetStatusResponse.decode(old.finish());
    expect(decoded.replicas.map((r) => r.proxyService)).toEqual(['switchyard-default-proxy']);
    expect(decoded.configNotices).toEqual([]);
    expect(GetStatusResponse.fromJSON({}).configNotices).toEqual([]);
  });
});

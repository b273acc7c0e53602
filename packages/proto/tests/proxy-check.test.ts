import { builtInCheckCommand } from '../src/index.js';

describe('builtInCheckCommand', () => {
  it('nginx: -t -c the main file; quiet adds -q; another binary', () => {
    expect(builtInCheckCommand('nginx', '/etc/nginx/nginx.conf')).toEqual(['nginx', '-t', '-c', '/etc/nginx/nginx.conf']);
    expect(builtInCheckCommand('nginx', '/x/gen-2/nginx.conf', { binary: '/usr/sbin/nginx', quiet: true })).toEqual(['/usr/sbin/nginx', '-t', '-q', '-c', '/x/gen-2/nginx.conf']);
  });

  it("haproxy: -c the main file and the split layout's switchyard.d beside it; never -q", () => {
    expect(builtInCheckCommand('haproxy', '/etc/haproxy/haproxy.cfg')).toEqual(['haproxy', '-c', '-f', '/etc/haproxy/haproxy.cfg', '-f', '/etc/haproxy/switchyard.d']);
    expect(builtInCheckCommand('haproxy', '/x/gen-2/haproxy.cfg', { binary: 'hap', quiet: true })).toEqual(['hap', '-c', '-f', '/x/gen-2/haproxy.cfg', '-f', '/x/gen-2/switchyard.d']);
  });
});

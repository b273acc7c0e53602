import { featuresHostsSuite } from '../features-hosts.js';

describe('hosts, context roots, redirects and the default backend through HAProxy', () =>
  featuresHostsSuite('haproxy', { http: 28101, https: 28401, grpc: 29101 }));

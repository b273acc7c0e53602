import { featuresHostsSuite } from '../features-hosts.js';

describe('hosts, context roots, redirects and the default backend through nginx', () =>
  featuresHostsSuite('nginx', { http: 18101, https: 18401, grpc: 19101 }));

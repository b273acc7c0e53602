import { balancingSuite } from '../features-balancing.js';

describe('balancing features on a real swarm through HAProxy', () => balancingSuite('haproxy', { http: 28103, https: 28403, grpc: 29103 }));

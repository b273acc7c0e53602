import { balancingSuite } from '../features-balancing.js';

describe('balancing features on a real swarm through nginx', () => balancingSuite('nginx', { http: 18103, https: 18403, grpc: 19103 }));

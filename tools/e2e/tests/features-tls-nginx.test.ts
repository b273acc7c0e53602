import { tlsFeaturesSuite } from '../features-tls.js';

describe('TLS features on a real swarm through nginx', () => tlsFeaturesSuite('nginx', { http: 18102, https: 18402, grpc: 19102 }));

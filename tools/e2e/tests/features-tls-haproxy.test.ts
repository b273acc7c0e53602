import { tlsFeaturesSuite } from '../features-tls.js';

describe('TLS features on a real swarm through HAProxy', () => tlsFeaturesSuite('haproxy', { http: 28102, https: 28402, grpc: 29102 }));

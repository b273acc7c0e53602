import { hitlessSuite } from '../hitless-suite.js';

describe('hitless updates on a real swarm through HAProxy', () => hitlessSuite('haproxy', { http: 18112, https: 18412, grpc: 19112, metrics: 19212 }));

import { hitlessSuite } from '../hitless-suite.js';

describe('hitless updates on a real swarm through nginx', () => hitlessSuite('nginx', { http: 18111, https: 18411, grpc: 19111, metrics: 19211 }));

import { routingSuite } from '../routing-suite.js';

describe('routing on a real swarm through nginx', () => routingSuite('nginx', { http: 18081, https: 18444, grpc: 19091 }));

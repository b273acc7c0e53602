import { routingSuite } from '../routing-suite.js';

describe('routing on a real swarm through HAProxy', () => routingSuite('haproxy', { http: 28081, https: 28444, grpc: 29091 }));

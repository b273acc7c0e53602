/**
 * Real traffic through HAProxy with the split layout: the same scenarios as traffic.test.ts, forced into
 * `switchyard.d/` parts and map files by a small `maxFileBytes`.
 */
import { trafficSuite } from './helpers/traffic-suite.js';

trafficSuite({ split: true, maxFileBytes: 5400 });

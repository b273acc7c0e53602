/**
 * Real traffic through nginx with the split layout: the same scenarios as traffic.test.ts, forced into
 * `switchyard.d/part-NNN.conf` files by a small `maxFileBytes`.
 */
import { trafficSuite } from './suites/traffic-suite.js';

trafficSuite({ split: true, maxFileBytes: 4200 });

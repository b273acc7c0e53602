/** Real traffic through nginx with the one-file layout (see suites/traffic-suite.ts). */
import { trafficSuite } from './suites/traffic-suite.js';

trafficSuite({ split: false });

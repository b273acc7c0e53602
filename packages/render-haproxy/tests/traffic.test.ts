/** Real traffic through HAProxy with the one-file layout (see helpers/traffic-suite.ts). */
import { trafficSuite } from './helpers/traffic-suite.js';

trafficSuite({ split: false });

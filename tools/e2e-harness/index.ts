// Switchyard's end-to-end test harness (not published): import from e2e tests as
// `import { SwarmFixture, httpGet, waitFor } from '<relative path>/tools/e2e-harness/index.js'`.
export { docker, dockerLines, imageExists, DockerError } from './docker.js';
export type { DockerErrorCode, DockerOptions, DockerResult } from './docker.js';
export { httpGet, isPortOpen } from './http.js';
export type { HttpGetOptions, HttpResponse } from './http.js';
export { FIXTURE_LABEL, SwarmFixture } from './swarm-fixture.js';
export type { FileMount, PortPublish, ServiceOptions, TaskInfo } from './swarm-fixture.js';
export { sleep, waitFor, WaitTimeoutError } from './wait.js';
export type { WaitForOptions } from './wait.js';
export { E2E_IMAGES, requireImages } from './images.js';

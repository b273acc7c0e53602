// `@switchyard/reconciler/testing`: the in-memory Docker engine for tests, kept out of the main entry so
// production code never loads it.
export { FakeDockerPort, FakeDockerError, type FakeDockerPortOptions, type DockerPortMethod } from './fake-docker-port.js';

import { parseCoreConfig } from '../src/index.js';

describe('DockerAPITimeout', () => {
  it('defaults to 30 s', () => {
    expect(parseCoreConfig('')).toMatchObject({ DockerAPITimeout: '30s', DockerAPITimeoutMs: 30_000, IgnoredKeys: [] });
  });

  it.each([
    ['DockerAPITimeout = "1m"', 60_000],
    ['DockerAPITimeout = "1s"', 1000],
    ['dockerapitimeout = "2m30s"', 150_000],
    ['DockerAPITimeout = "1h"', 3_600_000],
  ])('%s is %d ms', (line, ms) => {
    expect(parseCoreConfig(line).DockerAPITimeoutMs).toBe(ms);
  });

  it.each(['"500ms"', '"2h"', '"soon"', '30', '"0s"'])('refuses %s, naming the key', (value) => {
    expect(() => parseCoreConfig(`DockerAPITimeout = ${value}`)).toThrow(/DockerAPITimeout: /);
  });
});

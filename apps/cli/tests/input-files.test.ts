import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProxyModel } from '@switchyard/proto';
import { ExitCode } from '../src/index.js';
import { fixtureModel, FIXTURES, run } from './helpers.js';

describe('--snapshot and --model files of the wrong kind → 2, naming the file and the problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-input-'));
  const write = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  const files = {
    empty: write('empty.json', '{}'),
    array: write('array.json', '[]'),
    nul: write('null.json', 'null'),
    malformed: write('malformed.json', '{"services": ['),
    model: write('model.json', JSON.stringify(ProxyModel.toJSON(fixtureModel()))),
    noServices: write('no-services.json', JSON.stringify({ tasks: [], networks: [] })),
    servicesObject: write('services-object.json', JSON.stringify({ services: { web: {} } })),
    servicesScalars: write('services-scalars.json', JSON.stringify({ services: ['web'] })),
    snapshot: write('snapshot.json', JSON.stringify({ services: [], tasks: [], networks: [], secrets: [] })),
  };
  const snapshotCases: [string, RegExp][] = [
    [files.empty, /snapshot file empty\.json: an empty object \(\{\}\), not a SwarmSnapshot: it has no "services" key/],
    [files.array, /snapshot file array\.json: expected a SwarmSnapshot JSON object .*, got an array/],
    [files.nul, /snapshot file null\.json: expected a SwarmSnapshot JSON object .*, got null/],
    [files.malformed, /snapshot file malformed\.json is not valid JSON/],
    [files.model, /snapshot file model\.json: looks like a ProxyModel \(it has .*hosts.*\), not a SwarmSnapshot: pass it with --model/],
    [files.noServices, /snapshot file no-services\.json: no "services" key \(it has tasks, networks\): not a SwarmSnapshot/],
    [files.servicesObject, /snapshot file services-object\.json: "services" must be an array, got an object/],
    [files.servicesScalars, /snapshot file services-scalars\.json: "services"\[0\] must be an object, got a string/],
  ];
  const commands: [string, string[]][] = [
    ['lint', ['lint']],
    ['explain', ['explain', 'web.example.com', '--core', '127.0.0.1:1']],
    ['render', ['render', '--proxy', 'nginx', '--core', '127.0.0.1:1']],
  ];

  it.each(commands.flatMap(([name, argv]) => snapshotCases.map(([file, message]) => [name, argv, file, message] as const)))(
    '%s --snapshot %s',
    async (_name, argv, file, message) => {
      const { code, stdout, stderr } = await run([...argv, '--snapshot', file], { cwd: dir });
      expect(code).toBe(ExitCode.usage);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
    },
  );

  it.each([
    [files.empty, /model file empty\.json: an empty object \(\{\}\), not a ProxyModel/],
    [files.array, /model file array\.json: expected a ProxyModel JSON object, got an array/],
    [files.snapshot, /model file snapshot\.json: looks like a SwarmSnapshot \(it has services, tasks, networks, secrets\), not a ProxyModel: pass it with --snapshot/],
  ])('explain and render --model %s', async (file, message) => {
    for (const argv of [['explain', 'web.example.com'], ['render', '--proxy', 'nginx']]) {
      const { code, stderr } = await run([...argv, '--model', file, '--core', '127.0.0.1:1'], { cwd: dir });
      expect(code).toBe(ExitCode.usage);
      expect(stderr).toMatch(message);
    }
  });

  it('still reads an empty swarm snapshot and a real model', async () => {
    expect((await run(['explain', 'web.example.com', '--snapshot', files.snapshot], { cwd: dir })).code).toBe(ExitCode.notRouted);
    expect((await run(['explain', 'web.example.com', '--model', files.model], { cwd: dir })).code).toBe(ExitCode.ok);
    expect((await run(['render', '--proxy', 'nginx', '--snapshot', join(FIXTURES, 'snapshot.json')], { cwd: dir })).code).toBe(ExitCode.ok);
  });
});

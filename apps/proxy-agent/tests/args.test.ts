import { readAgentArgs } from '../src/index.js';

describe("the proxy agent's command line", () => {
  it('takes no arguments (its settings are variables) and --help', () => {
    expect(readAgentArgs([])).toEqual({ help: false });
    expect(readAgentArgs([''])).toEqual({ help: false });
    expect(readAgentArgs(['--help'])).toEqual({ help: true });
  });

  it.each([
    [['--core', 'core:8080'], /Unknown option '--core'/],
    [['-h'], /Unknown option '-h'/],
    [['nginx'], /Unexpected argument 'nginx' \(the agent's settings are SWITCHYARD_\* variables\)/],
    [['--help=yes'], /--help/],
  ])('refuses %j', (argv, message) => {
    const result = readAgentArgs(argv);
    expect('error' in result && result.error).toMatch(message);
  });
});

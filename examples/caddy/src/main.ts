#!/usr/bin/env node
/* switchyard-caddy-extension: the command line of src/cli.ts, stopped by SIGTERM or SIGINT. */
import { abortOnSignals } from '@switchyard/extension-sdk';
import { cliMain } from './cli.js';

void cliMain(process.argv.slice(2), process.env, {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  signal: abortOnSignals(),
}).then((code) => {
  process.exitCode = code;
});

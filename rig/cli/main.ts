#!/usr/bin/env node
// rig as a process: runs the command line (app.ts) and exits with its code.
import { hideBin } from 'yargs/helpers';
import { failure, runCommandLine } from './app.js';

// Node exits with status 0 when nothing is left to wait for, even while a promise is pending:
// a command that stops waiting that way has lost its result, which must not pass for success.
let settled = false;
process.once('beforeExit', () => {
  if (settled) return;
  process.stderr.write('rig: internal error (a bug; please report it with the command you ran): the command stopped before finishing\n');
  process.exitCode = 70;
});

runCommandLine(hideBin(process.argv))
  .finally(() => (settled = true))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (thrown: unknown) => {
      const { message, exitCode } = failure(thrown);
      process.stderr.write(message);
      process.exitCode = exitCode;
    },
  );

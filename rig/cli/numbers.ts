// Every number on the command line checked before a command runs: a value that is not a number
// (yargs reads `--patches abc` as NaN), an option that takes one value given more than once, and
// the ranges of the options several commands share, each with its own message.
import type { Argv } from 'yargs';
import { UserError } from '../util/errors.js';
import { MAX_SEED, MAX_TIMER_MS } from '../util/limits.js';

/** Whole-number options by name: the least and the most they take, and why, when it is not obvious. */
export const WHOLE_NUMBER_RANGES: Readonly<Record<string, { min: number; max?: number; why?: string }>> = {
  seed: { min: 0, max: MAX_SEED, why: 'seeds are 32-bit' },
  timeout: { min: 1, max: MAX_TIMER_MS, why: "in ms; Node's timers take at most 2^31 − 1" },
  patches: { min: 1, why: 'a P×P grid; the most is what the stage output allows' },
  split: { min: 1, why: 'blocks in the stage; the most is the model’s blocks less one' },
  warmup: { min: 0, max: 1000 },
  runs: { min: 1, max: 1000 },
};

/** The text given for an option, as the user typed it (`abc` for `--patches abc`), when it can be found. */
function givenText(tokens: readonly string[], name: string): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === `--${name}`) return tokens[i + 1];
    if (t.startsWith(`--${name}=`)) return t.slice(name.length + 3);
  }
  return undefined;
}

type Options = { array?: string[]; number?: string[]; key?: Record<string, unknown> };

/** The problems with the numbers and repetitions in `argv`, for the options the command declares; `tokens` is the command line. */
export function numberProblems(argv: Readonly<Record<string, unknown>>, options: Options, tokens: readonly string[]): string[] {
  const problems: string[] = [];
  const arrays = new Set(options.array ?? []);
  const numbers = new Set(options.number ?? []);
  for (const name of Object.keys(options.key ?? {})) {
    const value = argv[name];
    if (value === undefined) continue;
    if (Array.isArray(value) && !arrays.has(name)) {
      problems.push(`--${name} was given ${value.length} times (${value.join(', ')}); it takes one value`);
      continue;
    }
    if (!numbers.has(name)) continue;
    const values = (Array.isArray(value) ? value : [value]) as unknown[];
    if (values.some((v) => typeof v !== 'number' || Number.isNaN(v))) {
      const text = givenText(tokens, name);
      // Not found as --name: a positional argument, named as the help names it.
      problems.push(text === undefined ? `${name}: expected a number` : `--${name} ${text}: expected a number`);
      continue;
    }
    const range = WHOLE_NUMBER_RANGES[name];
    if (range === undefined) continue;
    for (const v of values as number[]) {
      if (Number.isInteger(v) && v >= range.min && v <= (range.max ?? Infinity)) continue;
      const span = range.max === undefined ? `of at least ${range.min}` : `from ${range.min} to ${range.max}`;
      problems.push(`--${name} ${givenText(tokens, name) ?? v}: expected a whole number ${span}${range.why === undefined ? '' : ` (${range.why})`}`);
    }
  }
  return problems;
}

/** Adds the check to a yargs instance: a usage error (exit 2) naming every bad option. */
export function checkNumbers<T>(y: Argv<T>, tokens: readonly string[]): Argv<T> {
  // yargs passes itself as the second argument (with the command's options), which its types leave out.
  const check = (argv: Record<string, unknown>, instance: Argv<T>) => {
    const problems = numberProblems(argv, (instance as unknown as { getOptions(): Options }).getOptions(), tokens);
    if (problems.length > 0) throw new UserError(problems.join('\n'), { exitCode: 2 });
  };
  return y.middleware(check as unknown as (argv: Record<string, unknown>) => void);
}

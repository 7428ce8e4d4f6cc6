// Every default the commands use, in one place: the command line shows them in its options, and
// the functions below it, and a suite file's omitted fields, take them from here.
import { join, relative } from 'node:path';
import { DEFAULT_KERNELS } from './compile/kernels.js';
import { DEFAULT_MODEL } from './model/zoo.js';
import type { RunnerKind } from './results/row.js';
import type { ScheduleName } from './schedule/plan.js';
import type { Format } from './tables/paper-table.js';
import { BOARDS_DIR, BUILD_DIR, RESULTS_DIR, ROOT } from './util/paths.js';

export const DEFAULTS = {
  /** The board when none is named; `rig bench` and `rig selftest` then emulate it. */
  board: 'f746',
  /** The lab inventory naming the physical boards, read when it exists. */
  lab: join(BOARDS_DIR, 'lab.json'),
  /** The SQLite results database. */
  db: join(RESULTS_DIR, 'rig.db'),
  /** How long a write waits for another program's lock on the database (RIG_DB_TIMEOUT overrides it). */
  dbTimeoutSeconds: 60,
  /** Generated sources, ELF and map files. */
  buildDir: BUILD_DIR,
  /** `rig plan` and `rig build`: the smallest built-in network. */
  model: DEFAULT_MODEL,
  /** `rig bench` with no arguments: a small network of the MCUNet zoo, under every schedule. */
  benchModel: 'mcunet-in0',
  /** `rig bench --queue`: how long cases wait while no worker of their board kind listens. */
  queueWaitMs: 60_000,
  /** `rig worker`: a job's lock; a worker that dies loses its job this long after. */
  workerLockMs: 30_000,
  /** `rig plan` and `rig build`: one schedule. */
  schedule: 'layer' as ScheduleName,
  /** The kernel variant compiled into images (a folder of firmware-templates/kernels/). */
  kernels: DEFAULT_KERNELS,
  /** Weights and input. */
  seed: 1,
  /** Untimed inferences before the timed ones. */
  warmup: 1,
  /** Timed inferences. */
  runs: 5,
  /** The longest one inference may take. */
  inferenceTimeoutMs: 60_000,
  /** Silicon cycles: the least change of the median that counts, in percent (rig compare, suites). */
  compareThresholdPercent: 2,
  /** The schedule search: the largest P×P grid tried. */
  maxPatches: 6,
  /** `rig nightly`: where <suite>/<nightly id>/ gets its report, JUnit and summary. */
  nightlyDir: join(RESULTS_DIR, 'nightly'),
  /** `rig report`: the HTML file. */
  reportPath: join(RESULTS_DIR, 'report.html'),
  /** `rig results`: the newest this many rows (or runs). */
  resultsLimit: 50,
  /** `rig tables`: the output format, and the runner whose stored rows fill the measured columns. */
  tablesFormat: 'md' as Format,
  tablesRunner: 'qemu' as RunnerKind,
  /** Wait while another rig process uses a physical board (rather than fail at once). */
  wait: true,
} as const;

/** A default path as the help text names it: from the package root (`results/rig.db`). */
export const shownPath = (path: string): string => relative(ROOT, path);

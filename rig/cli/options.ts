// Options more than one command declares, and what a run stores of the options it was given.
import type { Options } from 'yargs';
import { kernelVariants } from '../compile/kernels.js';
import { DEFAULTS, shownPath } from '../defaults.js';

/** Options by their command-line name, as yargs declares them. */
export type OptionSpecs = Readonly<Record<string, Options>>;

/** The options that choose the board, shared by rig bench and rig selftest. */
export const BOARD_OPTIONS = {
  board: { type: 'string', describe: "board id (boards/<id>.json), board file, or a lab board's name (--lab); alone it means the physical board" },
  lab: { type: 'string', describe: `lab inventory naming the physical boards (default ${shownPath(DEFAULTS.lab)}, if present)` },
  emulate: { type: 'boolean', describe: 'run on the emulated board (QEMU) instead of silicon' },
  variant: { type: 'string', describe: "silicon: the board variant (nucleo, disco; default: the board file's)" },
  probe: { type: 'string', describe: 'silicon: the ST-LINK serial number, when several are attached' },
  port: { type: 'string', describe: "silicon: the probe's virtual COM port, instead of finding it" },
  wait: { type: 'boolean', default: DEFAULTS.wait, describe: 'silicon: wait while another rig process uses the board (--no-wait: fail at once)' },
} as const satisfies OptionSpecs;

/** `--kernels`: checked against the folders by the function the command calls, which lists them when the name is not one. */
export const KERNELS_OPTION = {
  type: 'string',
  default: DEFAULTS.kernels,
  describe: `the kernel variant compiled into the image: ${kernelVariants().join(', ')} (the folders of firmware-templates/kernels/)`,
} as const satisfies Options;

export const INPUT_OPTION = {
  type: 'string',
  describe: "a file of input bytes instead of the seeded input: raw int8 in the model's NHWC order, or an int8 .npy array",
} as const satisfies Options;

export interface BoardArgs {
  board?: string | undefined;
  emulate?: boolean | undefined;
  variant?: string | undefined;
  probe?: string | undefined;
  port?: string | undefined;
  lab?: string | undefined;
  wait: boolean;
}

/**
 * The declared options' values, each once under its command-line name (`build-dir`, not also
 * `buildDir`), without yargs' `$0` and `_`; an option neither given nor defaulted is absent.
 */
export function declaredArgs(argv: Readonly<Record<string, unknown>>, specs: OptionSpecs): Record<string, unknown> {
  return Object.fromEntries(Object.keys(specs).flatMap((name) => (argv[name] === undefined ? [] : [[name, argv[name]] as const])));
}

// The ranges every number a user gives must fall in, in one place: the command line, suite files
// and model specs check against them before anything runs.

/** Seeds are 32-bit: the PRNG takes the seed modulo 2^32, so a larger one would name another seed's bytes. */
export const MAX_SEED = 2 ** 32 - 1;

/** Node's timers fire at once for a delay above 2^31 − 1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Model specs (docs/models.md#limits). */
export const SPEC_LIMITS = {
  /** Blocks in `blocks`. */
  blocks: 256,
  /** Height and width of the input. */
  side: 4096,
  /** Channels of any tensor: the input's, `out`, `mid`, and what `expand` gives. */
  channels: 8192,
  /** Kernel size and padding. */
  kernel: 15,
  /** A patch embedding's patch size. */
  patch: 64,
  /** An mbconv block's expansion ratio (and an encoder's MLP ratio). */
  expand: 64,
  /** Bytes of any one tensor (int8): what the host holds for the reference interpreter. */
  tensorBytes: 16 * 1024 * 1024,
  /** Bytes of all int8 weights together, which the host draws from the seed. */
  weightBytes: 64 * 1024 * 1024,
} as const;

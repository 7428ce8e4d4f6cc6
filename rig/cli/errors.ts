// How the command line names what went wrong below it: a planner refusal is about an option.
import { PlanRefusal, type PlanField } from '../schedule/refusal.js';
import { UserError } from '../util/errors.js';

/** The option each planner setting comes from. */
const OPTION: Readonly<Record<PlanField, string>> = { split: '--split', patches: '--patches', rows: '--rows', schedule: '--schedule' };

/** A planner refusal as a usage error naming its option (`--split 9: …`); anything else as it is. */
export function asCommandLineError(error: unknown): unknown {
  if (error instanceof PlanRefusal) return new UserError(`${OPTION[error.field]} ${error.value}: ${error.reason}`, { exitCode: 2, cause: error });
  return error;
}

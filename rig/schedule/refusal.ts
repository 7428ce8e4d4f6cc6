// A plan the planner refuses, as a value: which setting, what it was, and why. The pure code says
// nothing about where the setting came from; the command line names it `--split 9`, a suite file
// `entries[2].split`.
export type PlanField = 'split' | 'patches' | 'rows' | 'schedule';

export class PlanRefusal extends Error {
  readonly field: PlanField;
  readonly value: number | string;
  readonly reason: string;
  constructor(field: PlanField, value: number | string, reason: string) {
    super(`${field} ${value}: ${reason}`);
    this.name = 'PlanRefusal';
    this.field = field;
    this.value = value;
    this.reason = reason;
  }
}

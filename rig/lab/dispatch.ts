// `rig bench --queue redis://…`: every case of a run enqueued for the lab's workers of its board
// kind, each row stored in this process's store as it comes back, with where it ran. A case no
// worker takes (no such board online) is stored as a device-error row after a bounded wait, never
// waited on forever.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue, QueueEvents, type Job } from 'bullmq';
import { baseRow, NOT_COMPUTED } from '../bench/bench.js';
import { readJsonFile } from '../config/json.js';
import { BUILTIN_MODELS } from '../model/zoo.js';
import type { Board } from '../config/board.js';
import type { Plan } from '../schedule/plan.js';
import { scheduleLabel } from '../schedule/plan.js';
import type { ResultRow, RunnerKind } from '../results/row.js';
import type { Store } from '../store/db.js';
import { RunWriter } from '../store/pending.js';
import { errorMessage, UserError } from '../util/errors.js';
import { progress } from '../util/log.js';
import { jobId, parseQueueUrl, queueName, shownQueueUrl, type LabJob, type LabModel, type LabResult } from './queue.js';

export interface QueuedCase {
  readonly plan: Plan;
  readonly model: LabModel;
}

export interface DispatchRequest {
  readonly queue: string;
  readonly board: Board;
  readonly runner: RunnerKind;
  readonly cases: readonly QueuedCase[];
  readonly seed: number;
  readonly warmup: number;
  readonly runs: number;
  readonly timeoutMs: number;
  readonly kernels: string;
  /** How long cases may wait while no worker of the board kind listens before they are given up. */
  readonly waitMs: number;
  readonly args: unknown;
  readonly nightlyId?: number | null | undefined;
}

/** What a job carries of a model: a built-in name, or the spec file's JSON (a worker has neither the file nor its folder). */
export async function labModel(name: string): Promise<LabModel> {
  if (BUILTIN_MODELS.has(name)) return { name };
  if (name.endsWith('.json')) return { spec: await readJsonFile(name), file: name };
  throw new UserError(`--queue takes built-in models and .json specs; ${name} is neither (run a .tflite file on a board of this host)`, { exitCode: 2 });
}

const POLL_MS = 1000;

/** Enqueues every case, stores the rows as workers return them; the run ends complete, or interrupted by `signal`. */
export async function dispatchRun(store: Store, request: DispatchRequest, signal: AbortSignal): Promise<{ runId: number; rows: ResultRow[] }> {
  const connection = parseQueueUrl(request.queue);
  const name = queueName(request.board.id, request.runner);
  const where = `queue ${name} at ${shownQueueUrl(request.queue)}`;
  const queue = new Queue<LabJob, LabResult>(name, { connection });
  const events = new QueueEvents(name, { connection });
  const run = randomUUID();
  const info = {
    startedAt: new Date().toISOString(),
    gitRevision: null,
    host: hostname(),
    toolchain: { queue: shownQueueUrl(request.queue) },
    board: request.board.id,
    runner: request.runner,
    args: request.args,
    nightlyId: request.nightlyId ?? null,
  };
  const runId = store.startRun(info);
  const writer = new RunWriter(store, runId, info);
  const rows: ResultRow[] = [];
  const caseIndex = new Map<ResultRow, number>();
  const keep = (row: ResultRow, index: number) => {
    caseIndex.set(row, index);
    writer.addResult(row);
    rows.push(row);
    progress(
      `${row.model}/${scheduleLabel(row.schedule, row.scheduleOptions)} on ${row.board}${row.lab ? ` (${row.lab.worker})` : ''}: ${row.status}${row.detail === null ? '' : ` (${row.detail})`}`,
    );
  };
  const givenUp = (c: QueuedCase, detail: string): ResultRow => ({
    runId,
    ...baseRow(c.plan, request.board, request.runner, request.seed, NOT_COMPUTED),
    kernelVariant: request.kernels,
    status: 'device-error',
    detail,
  });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      events.waitUntilReady(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new UserError(`${where}: Redis did not answer within ${request.waitMs / 1000} s`)), request.waitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const jobs: Job<LabJob, LabResult>[] = await queue.addBulk(
      request.cases.map((c, index) => ({
        name: c.plan.model.name,
        data: {
          run,
          index,
          model: c.model,
          seed: request.seed,
          schedule: c.plan.schedule,
          options: c.plan.options,
          kernels: request.kernels,
          warmup: request.warmup,
          runs: request.runs,
          timeoutMs: request.timeoutMs,
        },
        opts: { jobId: jobId(run, index), removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } },
      })),
    );
    progress(`Run ${runId}: ${jobs.length} case${jobs.length === 1 ? '' : 's'} on ${where}`);
    // Each case ends once: as its worker returns it (a failed job, whose workers died too often
    // or threw, is a device-error row), or given up by the watchdog below.
    const pending = new Map<string, { job: Job<LabJob, LabResult>; c: QueuedCase; index: number; done: () => void }>();
    const finished = jobs.map(
      (job, i) =>
        new Promise<void>((resolve) => {
          const c = request.cases[i]!;
          const id = job.id!;
          pending.set(id, { job, c, index: i, done: resolve });
          job.waitUntilFinished(events).then(
            (result: LabResult) => end(id, { runId, ...result.row, lab: result.lab }),
            (error: unknown) => end(id, givenUp(c, `the lab's worker failed the case: ${errorMessage(error)}`)),
          );
        }),
    );
    const end = (id: string, row: ResultRow) => {
      const entry = pending.get(id);
      if (entry === undefined) return;
      pending.delete(id);
      keep(row, entry.index);
      entry.done();
    };
    // No worker listening for longer than the wait gives up the cases not yet taken.
    const watchdog = (async () => {
      let unattended = 0;
      while (pending.size > 0 && !signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        unattended = (await queue.getWorkersCount()) > 0 ? 0 : unattended + POLL_MS;
        if (unattended < request.waitMs) continue;
        for (const [id, { job, c }] of [...pending]) {
          if ((await job.getState()) !== 'waiting') continue;
          await job.remove().catch(() => undefined);
          end(
            id,
            givenUp(
              c,
              `no worker for ${request.board.id} (${request.runner}) took the case: none listened on ${where} for ${request.waitMs / 1000} s (start one: rig worker --queue URL --board ${request.board.id}${request.runner === 'qemu' ? ' --emulate' : ''})`,
            ),
          );
        }
        unattended = 0;
      }
    })();
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    await Promise.race([Promise.all([...finished, watchdog]), aborted]);
    writer.finishRun('complete');
    // Stored as they came; returned in the order the cases were asked for.
    return { runId, rows: [...rows].sort((a, b) => caseIndex.get(a)! - caseIndex.get(b)!) };
  } catch (error) {
    writer.finishRun(signal.aborted ? 'interrupted' : 'failed');
    // Cases nobody took yet are taken back; the ones in hand finish on their workers, unstored.
    await Promise.all(
      [...(await queue.getJobs(['waiting', 'delayed']).catch(() => []))].filter((j) => j.data.run === run).map((j) => j.remove().catch(() => undefined)),
    );
    throw error;
  } finally {
    const kept = writer.close();
    if (kept !== null) progress(`Could not write ${kept.rows} row(s) of run ${runId} to ${store.path}; they are kept in ${kept.file} (rig results import)`);
    await Promise.all([queue.close(), events.close()]).catch(() => undefined);
  }
}

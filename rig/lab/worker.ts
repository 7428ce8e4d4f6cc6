// `rig worker`: takes benchmark cases from the lab's queue for the one board it has, runs each as
// `rig bench` does (build, flash or emulate, telemetry, the bit-exact check) and returns the row.
// One job at a time (one physical board). SIGTERM and Ctrl-C drain it: the job in hand finishes
// and is returned, then the worker leaves. The Redis client reconnects by itself after a restart.
import { hostname } from 'node:os';
import { Worker, type Job } from 'bullmq';
import { benchCase, planFor } from '../bench/bench.js';
import { caseOptions, openBoard, type BoardRequest } from '../bench/run.js';
import { lockRunner } from '../bench/session.js';
import { checkKernels } from '../compile/kernels.js';
import { loadModel } from '../config/model.js';
import { lowerModel } from '../model/lower.js';
import { parseModelSpec } from '../model/spec.js';
import type { Model } from '../model/ir.js';
import { toolchainVersion } from '../compile/firmware.js';
import { progress } from '../util/log.js';
import { scheduleLabel } from '../schedule/plan.js';
import { parseQueueUrl, queueName, shownQueueUrl, type LabJob, type LabResult } from './queue.js';

export interface WorkerRequest {
  queue: string;
  board: BoardRequest;
  buildDir: string;
  /** How long a job's lock lasts without renewal: a worker that dies loses its job this long after. */
  lockMs: number;
  /** The worker's name in rows and progress (default host:pid). */
  name?: string | undefined;
}

async function jobModel(job: LabJob): Promise<Model> {
  if ('name' in job.model) return loadModel(job.model.name, job.seed);
  return lowerModel(parseModelSpec(job.model.spec, job.model.file), job.seed, job.model.file);
}

/** Runs until `signal` aborts (then drains the job in hand) or the queue cannot be reached. */
export async function runWorker(request: WorkerRequest, signal: AbortSignal): Promise<{ jobs: number }> {
  const connection = parseQueueUrl(request.queue);
  const { board, session } = await openBoard(request.board, 'worker');
  const runner = session.runner;
  const name = request.name ?? `${hostname()}:${process.pid}`;
  const queue = queueName(board.id, runner.kind);
  const variant = request.board.variant ?? board.defaultVariant;
  // A physical board is this worker's alone while it runs: the same lock a local rig bench takes.
  const lock = await lockRunner(session, false, signal);
  const [gcc, versions] = await Promise.all([toolchainVersion(signal), runner.versions(signal)]);
  const toolchain = { gcc, ...versions, node: process.version };
  let jobs = 0;
  const process_ = async (job: Job<LabJob, LabResult>): Promise<LabResult> => {
    const attempt = { host: hostname(), worker: name, startedAt: new Date().toISOString() };
    const attempts = [...(job.data.attempts ?? []), attempt];
    // Recorded before the case runs: if this worker dies, the next one's row names it too.
    await job.updateData({ ...job.data, attempts });
    checkKernels(job.data.kernels);
    const model = await jobModel(job.data);
    const plan = planFor(caseOptions(model, job.data.schedule, job.data.options));
    const label = `${model.name}/${scheduleLabel(plan.schedule, plan.options)}`;
    progress(`${name}: ${label} (job ${job.id}, attempt ${attempts.length})`);
    const row = await benchCase(
      {
        runner,
        seed: job.data.seed,
        warmup: job.data.warmup,
        runs: job.data.runs,
        inferenceTimeoutMs: job.data.timeoutMs,
        kernels: job.data.kernels,
        buildRoot: request.buildDir,
      },
      plan,
    );
    jobs++;
    progress(`${name}: ${label}: ${row.status}`);
    return {
      row,
      lab: { host: attempt.host, worker: name, attempt: attempts.length, attempts, probeSerial: session.probe?.probeSerial ?? null, variant },
      toolchain,
    };
  };
  const worker = new Worker<LabJob, LabResult>(queue, process_, {
    connection,
    concurrency: 1,
    lockDuration: request.lockMs,
    // Other workers look for jobs whose lock expired this often, and give each two more tries.
    stalledInterval: Math.max(1000, Math.floor(request.lockMs / 2)),
    maxStalledCount: 2,
    name,
    autorun: false,
  });
  worker.on('error', (error) => progress(`${name}: queue ${shownQueueUrl(request.queue)}: ${error.message}`));
  try {
    progress(`${name}: taking ${queue} jobs from ${shownQueueUrl(request.queue)} for ${board.id}${session.probe === null ? ' (emulated)' : ''}`);
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    void worker.run();
    await stopped;
    progress(`${name}: draining (the job in hand finishes), then leaving`);
    await worker.close();
    return { jobs };
  } finally {
    lock?.release();
  }
}

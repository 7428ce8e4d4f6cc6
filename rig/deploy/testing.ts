// Fakes for what cannot exist here, a probe and a board: an `openocd` on PATH that records its
// arguments and answers like the real one, and a board on a pseudo-terminal (python3's pty) that
// speaks the telemetry protocol for the image "flashed" last and misbehaves on request.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type FakeOpenocdMode = 'ok' | 'no-probe' | 'verify-fail' | 'hang';
/**
 * ok; silent: never says anything; hang-once: silent until the first reset, then ok; garble:
 * corrupts the first time line; vanish: closes the port in the middle of the run; reset: restarts
 * (sequence 0, hello) after the first time line; saturate: every inference too long to count;
 * clock-hse: its HSE never starts, so it repeats "error code=clock-hse" instead of hello.
 * A selftest image (selftest.h beside the ELF) answers pings and clock marks with the board's
 * core clock (f746 216 MHz, f412 100 MHz) counted on the host's monotonic clock; clock-slow: that
 * clock 10% slow; drop-pong: pings of 200 bytes or more are never answered.
 */
export type FakeBoardMode = 'ok' | 'silent' | 'hang-once' | 'garble' | 'vanish' | 'reset' | 'saturate' | 'clock-hse' | 'clock-slow' | 'drop-pong';

const FAKE_OPENOCD = `#!/usr/bin/env python3
import json, os, sys, time
args = sys.argv[1:]
with open(os.environ["FAKE_OPENOCD_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args == ["--version"]:
    sys.stderr.write("Open On-Chip Debugger 0.12.0 (fake)\\n")
    sys.exit(0)
mode = os.environ.get("FAKE_OPENOCD_MODE", "ok")
if mode == "hang":
    time.sleep(3600)
if mode == "no-probe":
    sys.stderr.write("Info : clock speed 2000 kHz\\nError: open failed\\nin procedure 'program'\\n** OpenOCD init failed **\\nshutdown command invoked\\n")
    sys.exit(1)
commands = [args[i + 1] for i in range(len(args) - 1) if args[i] == "-c"]
state = os.environ["FAKE_BOARD_STATE"]
for c in commands:
    if c.startswith("program "):
        if mode == "verify-fail":
            sys.stderr.write("** Programming Finished **\\n** Verify Started **\\nError: checksum mismatch - attempting binary compare\\n** Verify Failed **\\nshutdown command invoked\\n")
            sys.exit(1)
        elf = c[len("program {"):c.index("}")]
        with open(state, "w") as f:
            f.write(elf)
        sys.stderr.write("** Programming Started **\\n** Programming Finished **\\n** Verify Started **\\n** Verified OK **\\n** Resetting Target **\\nshutdown command invoked\\n")
    if c == "reset run":
        with open(state + ".reset", "w") as f:
            f.write("reset")
sys.exit(0)
`;

const FAKE_BOARD = `
import os, pty, re, select, signal, sys, time, tty, zlib
signal.alarm(300)
mode, state = sys.argv[1], sys.argv[2]
master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
seq = 0
def send(kind, **kv):
    global seq
    body = "@rig1 %d %s" % (seq, kind) + "".join(" %s=%s" % (k, v) for k, v in kv.items())
    line = "%s *%08x\\n" % (body, zlib.crc32(body.encode()) & 0xffffffff)
    seq += 1
    os.write(master, line.encode())
    return line
def image():
    try:
        elf = open(state).read().strip()
    except FileNotFoundError:
        return None
    folder = os.path.dirname(elf)
    selftest = os.path.exists(os.path.join(folder, "selftest.h"))
    h = open(os.path.join(folder, "selftest.h" if selftest else "model.h")).read()
    get = lambda name: re.search(r"#define %s (\\S+)" % name, h).group(1).strip('"').rstrip("u")
    if selftest:
        return {"selftest": True, "fw": get("RIG_BUILD_ID"), "board": get("RIG_BOARD_ID")}
    img = {k: get(v) for k, v in [("fw", "RIG_BUILD_ID"), ("model", "RIG_MODEL_NAME"), ("schedule", "RIG_SCHEDULE"),
           ("board", "RIG_BOARD_ID"), ("arena", "RIG_ARENA_BYTES"), ("crc", "RIG_REFERENCE_CRC32")]}
    # The input's CRC-32, as the firmware computes it: over the rig_input array of model.c.
    c = open(os.path.join(folder, "model.c")).read()
    values = re.search(r"rig_input\\[\\d+\\] = \\{([^}]*)\\}", c).group(1)
    img["in_crc"] = "%08x" % (zlib.crc32(bytes(int(v) & 0xff for v in re.findall(r"-?\\d+", values))) & 0xffffffff)
    return img
def was_reset():
    if os.path.exists(state + ".reset"):
        os.remove(state + ".reset")
        return True
    return False
buf = b""
def read_line(timeout):
    global buf
    end = time.time() + timeout
    while b"\\n" not in buf:
        left = end - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([master], [], [], left)
        if r:
            buf += os.read(master, 256)
    line, buf = buf.split(b"\\n", 1)
    return line.decode().strip()
def selftest(img):
    send("hello", proto=1, fw=img["fw"], model="selftest", schedule="selftest", board=img["board"], timer="dwt", arena=0)
    cmd = read_line(0.05)
    if cmd is None or cmd in ("", "bye"):
        return
    # The core clock counted from here; SysTick at HCLK / 8, as stm32.c runs it.
    hz = {"f746": 216e6, "f412": 100e6}[img["board"]] * (0.9 if mode == "clock-slow" else 1.0)
    start = time.monotonic()
    pings = marks = 0
    while cmd is not None:
        if cmd.startswith("ping "):
            pings += 1
            data = cmd[5:]
            if not (mode == "drop-pong" and len(data) >= 200):
                send("pong", n=len(data), data=data)
        elif cmd == "mark":
            cycles = int((time.monotonic() - start) * hz)
            send("mark", i=marks, cycles=cycles % 2**32, ticks=(cycles // 8) % 2**32, check="na" if marks == 0 else "pass")
            marks += 1
        elif cmd == "end":
            send("end", pings=pings, marks=marks)
            read_line(2)  # bye
            return
        elif cmd not in ("", "bye"):
            send("error", code="bad-command")
        cmd = read_line(30)
silent = mode in ("silent", "hang-once")
while True:
    if silent:
        time.sleep(0.05)
        if mode == "hang-once" and was_reset():
            silent = False
            seq = 0
        continue
    img = image()
    if img is None:
        time.sleep(0.05)
        continue
    if mode == "clock-hse":
        send("error", code="clock-hse")
        read_line(0.05)  # what the host sends is read and dropped
        continue
    if img.get("selftest"):
        selftest(img)
        continue
    send("hello", proto=1, fw=img["fw"], model=img["model"], schedule=img["schedule"], board=img["board"], timer="dwt", arena=img["arena"])
    cmd = read_line(0.05)
    if cmd is None or not cmd.startswith("run "):
        continue
    warmup, runs = map(int, cmd.split()[1:3])  # a trailing "output" is not answered: no out lines
    send("start", warmup=warmup, runs=runs, in_crc32=img["in_crc"])
    send("mem", arena_used=img["arena"], arena_size=img["arena"], stack_used=120, stack_size=8192)
    for i in range(runs):
        if mode == "vanish" and i == 1:
            os.close(master)
            os.close(slave)
            time.sleep(5)
            sys.exit(0)
        if mode == "reset" and i == 1:
            seq = 0
            break
        ticks = 4294967295 if mode == "saturate" else 1000000 + i
        body = "@rig1 %d time i=%d ticks=%d crc32=%s" % (seq, i, ticks, img["crc"])
        line = "%s *%08x\\n" % (body, zlib.crc32(body.encode()) & 0xffffffff)
        if mode == "garble" and i == 0:
            line = line.replace("ticks=1", "ticks=7")
        seq += 1
        os.write(master, line.encode())
    else:
        send("done", runs=runs)
        read_line(2)  # bye
`;

export interface Fakes {
  /** Prepend to PATH so that rig finds the fake openocd. */
  bin: string;
  /** openocd's arguments, one call per entry. */
  openocdCalls(): string[][];
  /** The fake board's serial port. */
  port: string;
  env(openocd: FakeOpenocdMode): Record<string, string>;
  stop(): Promise<void>;
}

export async function startFakes(dir: string, board: FakeBoardMode): Promise<Fakes> {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'openocd'), FAKE_OPENOCD);
  chmodSync(join(bin, 'openocd'), 0o755);
  const log = join(dir, 'openocd.log');
  const state = join(dir, 'board.state');
  writeFileSync(log, '');
  const proc: ChildProcess = spawn('python3', ['-c', FAKE_BOARD, board, state], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    proc.once('exit', (code) => reject(new Error(`the fake board exited (${code}) before opening its port`)));
  });
  return {
    bin,
    port,
    openocdCalls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as string[]),
    env: (openocd) => ({ PATH: `${bin}:${process.env['PATH'] ?? ''}`, FAKE_OPENOCD_LOG: log, FAKE_OPENOCD_MODE: openocd, FAKE_BOARD_STATE: state }),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill();
        await new Promise((resolve) => proc.once('exit', resolve));
      }
    },
  };
}

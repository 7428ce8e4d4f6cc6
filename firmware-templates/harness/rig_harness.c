/*
 * rig benchmark harness: waits for "run <W> <N> [output]", measures the model's arena and stack
 * high-water marks by painting, runs W warm-ups, N timed inferences and one profiled one, sends the
 * output tensor when asked, and reports each step as a protocol line (see ../PROTOCOL.md). The
 * model comes from the generated model.h / model.c.
 */
#include <stdint.h>
#include <string.h>

#include "model.h"
#include "rig_board.h"
#include "rig_crc32.h"
#include "rig_proto.h"

#ifndef RIG_MAX_WARMUP
#define RIG_MAX_WARMUP 100000u
#endif
#ifndef RIG_MAX_RUNS
#define RIG_MAX_RUNS 1000000u
#endif
#define RIG_COMMAND_MAX 40u

/* Output bytes per "out" line: 128 hex digits. */
#define RIG_OUT_CHUNK 64u

#define RIG_PATTERN_A 0xAAu
#define RIG_PATTERN_B 0x55u

/* Keeps the compiler from moving memory accesses across this point (the model is opaque anyway). */
#define RIG_BARRIER() __asm__ volatile("" ::: "memory")

static int8_t rig_arena[RIG_ARENA_BYTES] __attribute__((section(".arena"), aligned(16)));

extern uint8_t _sstack[], _estack[];

typedef struct {
    uint32_t arena_used;
    uint32_t stack_used;
    uint32_t stack_painted; /* bytes painted below the measuring frame */
} rig_mem_t;

static void send_hello(void)
{
    rig_proto_hello(RIG_BUILD_ID, RIG_MODEL_NAME, RIG_SCHEDULE, RIG_BOARD_ID, RIG_ARENA_BYTES);
}

/* Reads one decimal number of at most 9 digits; returns the position after it, or 0. */
static const char *parse_u32(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    unsigned digits = 0;

    while (*s >= '0' && *s <= '9') {
        if (++digits > 9u) {
            return 0;
        }
        v = v * 10u + (uint32_t)(*s++ - '0');
    }
    if (digits == 0u) {
        return 0;
    }
    *out = v;
    return s;
}

static const char *skip_spaces(const char *s)
{
    while (*s == ' ') {
        s++;
    }
    return s;
}

/* "run <W> <N> [output]", fields separated by one or more spaces. Returns 1 when valid. */
static int parse_run(const char *line, uint32_t *warmup, uint32_t *runs, int *output)
{
    const char *s = skip_spaces(line);

    if (s[0] != 'r' || s[1] != 'u' || s[2] != 'n' || s[3] != ' ') {
        return 0;
    }
    s = parse_u32(skip_spaces(s + 3), warmup);
    if (s == 0 || *s != ' ') {
        return 0;
    }
    s = parse_u32(skip_spaces(s), runs);
    if (s == 0) {
        return 0;
    }
    s = skip_spaces(s);
    *output = strcmp(s, "output") == 0;
    if (*s != '\0' && !*output) {
        return 0;
    }
    return *warmup <= RIG_MAX_WARMUP && *runs >= 1u && *runs <= RIG_MAX_RUNS;
}

/* Sends hello about every 50 ms until a valid command arrives; answers others with an error. */
static void wait_for_command(uint32_t *warmup, uint32_t *runs, int *output)
{
    char line[RIG_COMMAND_MAX + 1u];

    for (;;) {
        const int len = rig_proto_read_line(line, RIG_COMMAND_MAX, send_hello);
        /* An empty line is not a command, and a late "bye" (silicon keeps running after done)
           ends nothing: ignore both. */
        if (len >= 0 && (*skip_spaces(line) == '\0' || strcmp(skip_spaces(line), "bye") == 0)) {
            continue;
        }
        if (len >= 0 && parse_run(line, warmup, runs, output)) {
            return;
        }
        rig_proto_error("bad-command");
    }
}

/*
 * One measuring pass: what the stack scan sees is the inference's use alone (PROTOCOL.md: "the
 * deepest byte written during the inference"). Everything between painting the stack and scanning it happens in this frame with no call but the
 * inference. Painting starts at this frame's SP, with no margin: every live byte of this frame is
 * at or above SP (the AAPCS has no red zone), nothing is called while painting, and no interrupt is
 * enabled; stack_used is then exactly the bytes below the caller's SP that the inference wrote.
 */
static __attribute__((noinline)) void measure_pass(uint8_t pattern, rig_mem_t *mem)
{
    volatile uint8_t *arena = (volatile uint8_t *)rig_arena;
    const uint32_t word = pattern * 0x01010101u;
    uintptr_t sp, top, a;
    uint32_t i;

    for (i = 0; i < RIG_ARENA_BYTES; i++) {
        arena[i] = pattern;
    }
    RIG_BARRIER();

    __asm__ volatile("mov %0, sp" : "=r"(sp) : : "memory");
    top = sp & ~(uintptr_t)3u;
    for (a = (uintptr_t)_sstack; a < top; a += 4u) {
        *(volatile uint32_t *)a = word;
    }
    RIG_BARRIER();
    rig_model_invoke(rig_arena);
    RIG_BARRIER();

    for (a = (uintptr_t)_sstack; a < top && *(volatile uint8_t *)a == pattern; a++) {
    }
    mem->stack_used = (uint32_t)(top - a);
    mem->stack_painted = (uint32_t)(top - (uintptr_t)_sstack);

    for (i = RIG_ARENA_BYTES; i > 0u && arena[i - 1u] == pattern; i--) {
    }
    mem->arena_used = i;
}

/* Returns 0 when the stack stayed within its region. */
static int measure_memory(void)
{
    rig_mem_t a, b;
    uint32_t arena_used, stack_used;

    measure_pass(RIG_PATTERN_A, &a);
    measure_pass(RIG_PATTERN_B, &b);
    arena_used = a.arena_used > b.arena_used ? a.arena_used : b.arena_used;
    stack_used = a.stack_used > b.stack_used ? a.stack_used : b.stack_used;

    rig_proto_begin("mem");
    rig_proto_u32("arena_used", arena_used);
    rig_proto_u32("arena_size", RIG_ARENA_BYTES);
    rig_proto_u32("stack_used", stack_used);
    rig_proto_u32("stack_size", (uint32_t)(_estack - _sstack));
    rig_proto_end();

    /* Even the lowest stack byte was written: the stack probably ran past _sstack, into the RAM
       below it (unused RAM, or the arena when RAM is full). */
    return stack_used >= a.stack_painted ? -1 : 0;
}

/*
 * The profiling pass, after the timed runs: one more inference through rig_model_profile, which
 * reads the running timer after every step and adds the step's ticks to its slot (an operator of
 * the model, the input copy, or the tiling's region copies; model.h). Reading the timer costs a
 * few instructions a step, which is why the timed runs never profile.
 */
static void profile(void)
{
    static uint32_t slot_ticks[RIG_PROFILE_SLOTS];
    uint32_t ticks;

    memset(slot_ticks, 0, sizeof slot_ticks);
    rig_timer_start();
    RIG_BARRIER();
    rig_model_profile(rig_arena, slot_ticks);
    RIG_BARRIER();
    ticks = rig_timer_stop();
    RIG_BARRIER();

    for (uint32_t k = 0; k < RIG_PROFILE_SLOTS; k++) {
        rig_proto_begin("slot");
        rig_proto_u32("i", k);
        rig_proto_u32("ticks", slot_ticks[k]);
        rig_proto_end();
    }
    rig_proto_begin("profile");
    rig_proto_u32("slots", RIG_PROFILE_SLOTS);
    rig_proto_u32("ticks", ticks);
    rig_proto_crc("crc32", rig_crc32(rig_model_output(rig_arena), RIG_OUTPUT_BYTES));
    rig_proto_end();
}

/* The output tensor after the last inference, RIG_OUT_CHUNK bytes a line. */
static void send_output(void)
{
    const uint8_t *out = (const uint8_t *)rig_model_output(rig_arena);

    for (uint32_t at = 0; at < RIG_OUTPUT_BYTES; at += RIG_OUT_CHUNK) {
        rig_proto_begin("out");
        rig_proto_u32("at", at);
        rig_proto_bytes("hex", out + at, RIG_OUTPUT_BYTES - at < RIG_OUT_CHUNK ? RIG_OUTPUT_BYTES - at : RIG_OUT_CHUNK);
        rig_proto_end();
    }
}

static void benchmark(uint32_t warmup, uint32_t runs, int output)
{
    rig_proto_begin("start");
    rig_proto_u32("warmup", warmup);
    rig_proto_u32("runs", runs);
    rig_proto_crc("in_crc32", rig_crc32(rig_model_input(), RIG_INPUT_BYTES));
    rig_proto_end();

    if (measure_memory() != 0) {
        rig_proto_error("stack-overflow");
        rig_board_exit(1);
        return;
    }

    for (uint32_t i = 0; i < warmup; i++) {
        rig_model_invoke(rig_arena);
    }

    for (uint32_t i = 0; i < runs; i++) {
        uint32_t ticks;

        rig_timer_start();
        RIG_BARRIER();
        rig_model_invoke(rig_arena);
        RIG_BARRIER();
        ticks = rig_timer_stop();
        RIG_BARRIER();

        rig_proto_begin("time");
        rig_proto_u32("i", i);
        rig_proto_u32("ticks", ticks);
        rig_proto_crc("crc32", rig_crc32(rig_model_output(rig_arena), RIG_OUTPUT_BYTES));
        rig_proto_end();
    }

    profile();
    if (output) {
        send_output();
    }

    rig_proto_begin("done");
    rig_proto_u32("runs", runs);
    rig_proto_end();
    rig_board_exit(0);
}

int main(void)
{
    const char *fault = rig_board_init();
    if (fault != 0) {
        rig_proto_fault(fault); /* a board that did not start as planned measures nothing */
    }
    for (;;) {
        uint32_t warmup, runs;
        int output;

        wait_for_command(&warmup, &runs, &output);
        benchmark(warmup, runs, output);
        /* Only on silicon does rig_board_exit return: wait for the next command. */
    }
}

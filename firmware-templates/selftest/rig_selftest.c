/*
 * rig board selftest (rig selftest): a small image that checks a board before anything is
 * benchmarked on it, with the same startup, board support and protocol writer as the benchmark.
 * It echoes the host's pings, so that the host checks the UART both ways and measures the round
 * trip; at each of the host's clock marks it reports the cycle counter and SysTick, which the host
 * compares with its own clock, and compares the two counters with each other. The lines and
 * commands are in ../PROTOCOL.md, "Selftest".
 */
#include <stdint.h>
#include <string.h>

#include "rig_board.h"
#include "rig_proto.h"
#include "selftest.h"

/* The longest payload echoed, and a command line that carries it: "ping " + payload. */
#define RIG_PING_MAX 256u
#define RIG_PING_PREFIX 5u
#define RIG_COMMAND_MAX (RIG_PING_PREFIX + RIG_PING_MAX)

/*
 * How far the cycle count between two marks may be from SysTick's ticks times the cycles per
 * tick: the tick each reading falls within, on both ends, and the instructions between the two
 * reads of one sample.
 */
#define RIG_CHECK_SLACK_TICKS 2u
#define RIG_CHECK_SLACK_CYCLES 64u

typedef struct {
    uint32_t pings;
    uint32_t marks;
    /* The counters at the previous mark. */
    uint32_t cycles;
    uint32_t ticks;
} rig_selftest_t;

static void send_hello(void)
{
    rig_proto_hello(RIG_BUILD_ID, "selftest", "selftest", RIG_BOARD_ID, 0u);
}

/* The cycles between two marks against SysTick's ticks: "pass", "fail", or "na" (nothing to compare). */
static const char *check_counters(uint32_t cycles, uint32_t ticks)
{
    const uint32_t slack = RIG_CHECK_SLACK_TICKS * rig_cycles_per_tick + RIG_CHECK_SLACK_CYCLES;
    const uint64_t expected = (uint64_t)ticks * rig_cycles_per_tick;

    if (rig_cycles_per_tick == 0u || expected + slack >= 0xFFFFFFFFull) {
        return "na"; /* no cycle counter, or one that may have wrapped since the last mark */
    }
    const uint64_t diff = cycles > expected ? cycles - expected : expected - cycles;
    return diff <= slack ? "pass" : "fail";
}

static void mark(rig_selftest_t *st)
{
    uint32_t cycles, ticks;

    rig_timer_sample(&cycles, &ticks);
    rig_proto_begin("mark");
    rig_proto_u32("i", st->marks);
    rig_proto_u32("cycles", cycles);
    rig_proto_u32("ticks", ticks);
    rig_proto_word("check", st->marks == 0u ? "na" : check_counters(cycles - st->cycles, ticks - st->ticks));
    rig_proto_end();
    st->cycles = cycles;
    st->ticks = ticks;
    st->marks++;
}

/*
 * One host's session: hello until its first command (then it is there: no hello would delay an
 * answer), then commands until "end". The counters start with the session.
 */
static void session(void)
{
    static char line[RIG_COMMAND_MAX + 1u];
    rig_selftest_t st = {0u, 0u, 0u, 0u};
    int waiting = 1;

    rig_timer_start();
    for (;;) {
        const int len = rig_proto_read_line(line, RIG_COMMAND_MAX, waiting ? send_hello : 0);
        if (len == 0 || strcmp(line, "bye") == 0) {
            continue; /* an empty line, or the previous session's late bye: not a command */
        }
        waiting = 0;
        if (len > (int)RIG_PING_PREFIX && strncmp(line, "ping ", RIG_PING_PREFIX) == 0) {
            const unsigned n = (unsigned)len - RIG_PING_PREFIX;
            st.pings++;
            rig_proto_begin("pong");
            rig_proto_u32("n", n);
            rig_proto_data("data", line + RIG_PING_PREFIX, n);
            rig_proto_end();
        } else if (len > 0 && strcmp(line, "mark") == 0) {
            mark(&st);
        } else if (len > 0 && strcmp(line, "end") == 0) {
            rig_proto_begin("end");
            rig_proto_u32("pings", st.pings);
            rig_proto_u32("marks", st.marks);
            rig_proto_end();
            rig_board_exit(0); /* QEMU: exits once the host's bye arrives; silicon: returns */
            return;
        } else {
            rig_proto_error("bad-command");
        }
    }
}

int main(void)
{
    const char *fault = rig_board_init();
    if (fault != 0) {
        rig_proto_fault(fault); /* a board that did not start as planned checks nothing */
    }
    for (;;) {
        session();
    }
}

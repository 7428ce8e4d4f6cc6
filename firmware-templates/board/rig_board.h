/*
 * rig board contract: every board-support file (board/<name>.c) implements exactly this.
 * The harness (harness/rig_harness.c) uses nothing else from the board.
 */
#ifndef RIG_BOARD_H
#define RIG_BOARD_H

#include <stdint.h>

/*
 * Clocks, caches, UART. The measurement timer stays stopped until rig_timer_start.
 * Returns 0 when the board runs as planned, or the protocol error code of what failed (PROTOCOL.md:
 * "clock-hse", ...): the UART then still works at its baud rate, but no measurement would mean
 * what it says, so the caller reports the code instead of measuring.
 */
const char *rig_board_init(void);

/* Blocking write of n bytes to the telemetry UART. */
void rig_uart_write(const char *s, unsigned n);

/* One received byte (0..255), or -1 when no byte is waiting. Never blocks. */
int rig_uart_read_byte(void);

/* Starts a fresh measurement: the timer's phase and overflow count are reset here. */
void rig_timer_start(void);

/* Stops the timer and returns its ticks since rig_timer_start; the timer stays stopped. */
uint32_t rig_timer_stop(void);

/*
 * Reads the running timer without stopping it (the selftest): the CPU cycle counter (0 on a board
 * without one) and SysTick's ticks since rig_timer_start, each modulo 2^32.
 */
void rig_timer_sample(uint32_t *cycles, uint32_t *ticks);

/*
 * Reads the running timer without stopping it (the profiling pass): its ticks since
 * rig_timer_start in the unit rig_timer_stop returns, modulo 2^32, so that differences of two
 * reads add up to what rig_timer_stop would report over the same span.
 */
uint32_t rig_timer_read(void);

/* CPU cycles per SysTick tick when the board has a cycle counter; 0 when it has none (QEMU). */
extern const uint32_t rig_cycles_per_tick;

/* A short busy pause between two UART polls (about a microsecond under QEMU). */
void rig_board_pause(void);

/* Emulation: ends the program with this exit status. Silicon: returns. */
void rig_board_exit(int code);

/* Names the timer in the hello line: "systick" or "dwt". */
extern const char rig_timer_name[];

#endif /* RIG_BOARD_H */

/*
 * Board support for QEMU 7.2's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), run as
 *   qemu-system-arm -M mps2-an500 -cpu cortex-m7 \
 *       -chardev socket,id=uart,path=<socket>,server=on,wait=on -serial chardev:uart \
 *       -semihosting-config enable=on,target=native -icount shift=0 -kernel fw.elf
 * Telemetry on CMSDK APB UART0, time from SysTick (QEMU has no DWT), exit through semihosting.
 * No caches or clocks to set up: QEMU models neither, and instruction counts do not depend on them.
 */
#include <stdint.h>

#include "rig_board.h"
#include "rig_board_common.h"

/* CMSDK APB UART0. */
#define UART0_BASE 0x40004000u
#define UART_DATA (*(volatile uint32_t *)(UART0_BASE + 0x00u))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04u))
#define UART_CTRL (*(volatile uint32_t *)(UART0_BASE + 0x08u))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UART_STATE_TX_FULL (1u << 0)
#define UART_STATE_RX_FULL (1u << 1)
#define UART_CTRL_TX_EN (1u << 0)
#define UART_CTRL_RX_EN (1u << 1)
#define UART_BAUDDIV_MIN 16u /* the smallest divisor the CMSDK UART accepts */

#define SYST_CSR_CLKSOURCE (1u << 2) /* SysTick on the processor clock: 25 MHz on the mps2 */

/* Semihosting (ARM IHI 0056): operation numbers and the reason code of a normal exit. */
#define SEMIHOST_SYS_EXIT 0x18u
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u

const char rig_timer_name[] = "systick";

/* The CMSDK receiver holds one byte: keep it in the ring while transmitting. */
static void rx_poll(void)
{
    if ((UART_STATE & UART_STATE_RX_FULL) != 0u) {
        rig_rx_keep((uint8_t)UART_DATA);
    }
}

/* QEMU models no clock tree: nothing can fail here. */
const char *rig_board_init(void)
{
    rig_systick_off(SYST_CSR_CLKSOURCE); /* until rig_timer_start */

    UART_CTRL = 0u;
    UART_BAUDDIV = UART_BAUDDIV_MIN;
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
    /* QEMU asks the UART whether it takes a byte only when its main loop wakes, which may be up
     * to 1 s away, and it last asked before the receiver was on: the host's command would wait.
     * A read of the data register wakes it. */
    (void)UART_DATA;
    return 0;
}

void rig_uart_write(const char *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
            rx_poll();
        }
        UART_DATA = (uint8_t)s[i];
        rx_poll();
    }
}

int rig_uart_read_byte(void)
{
    int kept = rig_rx_take();
    if (kept >= 0) {
        return kept;
    }
    if ((UART_STATE & UART_STATE_RX_FULL) != 0u) {
        return (int)(UART_DATA & 0xffu);
    }
    return -1;
}

/* Overrides the weak alias in rig_startup.c's vector table. */
void SysTick_Handler(void);
void SysTick_Handler(void)
{
    rig_systick_wraps = rig_systick_wraps + 1u;
}

/* Same work, same ticks, whatever the phase of the virtual clock when the command arrived. */
void rig_timer_start(void)
{
    rig_systick_start(SYST_CSR_CLKSOURCE);
}

/* Exact up to 2^32 ticks (171 s at 25 MHz). */
uint32_t rig_timer_stop(void)
{
    return (uint32_t)rig_systick_stop(SYST_CSR_CLKSOURCE);
}

/* QEMU models no DWT (its registers read 0): no cycle counter to sample. */
const uint32_t rig_cycles_per_tick = 0u;

void rig_timer_sample(uint32_t *cycles, uint32_t *ticks)
{
    __asm__ volatile("cpsid i" ::: "memory");
    *cycles = 0u;
    *ticks = (uint32_t)rig_systick_peek();
    __asm__ volatile("cpsie i" ::: "memory");
}

uint32_t rig_timer_read(void)
{
    uint32_t ticks;

    __asm__ volatile("cpsid i" ::: "memory");
    ticks = (uint32_t)rig_systick_peek();
    __asm__ volatile("cpsie i" ::: "memory");
    return ticks;
}

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;

    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/*
 * QEMU closes the UART's link when it exits, and what the host has not read yet may be lost (a
 * pty discards it: seen losing the last lines in ~5% of runs on a loaded machine). So exit only
 * once the host has sent a byte (its "bye" after reading "done"), or after ~2 s of virtual time
 * (about as much wall time) when no host answers.
 */
#define RIG_EXIT_LINGER_POLLS 2000000u

static void exit_linger(void)
{
    for (uint32_t i = 0; i < RIG_EXIT_LINGER_POLLS; i++) {
        if (rig_uart_read_byte() >= 0) {
            return;
        }
        rig_board_pause();
    }
}

/*
 * 64 iterations of a 16-instruction loop: ~1 us of virtual time under -icount shift=0, and about
 * as much wall time (QEMU runs long blocks at ~1e9 instructions/s, while a loop that only polled
 * would spend its time in emulated register reads and run ~20x slower than virtual time).
 */
#define RIG_PAUSE_SPIN 64u

void rig_board_pause(void)
{
    rig_spin(RIG_PAUSE_SPIN);
}

void rig_board_exit(int code)
{
    /* Let the last byte leave the UART model, then give the host time to read it. */
    while ((UART_STATE & UART_STATE_TX_FULL) != 0u) {
    }
    exit_linger();

    if (code == 0) {
        /* The 32-bit SYS_EXIT takes the reason itself in r1; ApplicationExit means status 0. */
        (void)semihost(SEMIHOST_SYS_EXIT, (const void *)(uintptr_t)ADP_STOPPED_APPLICATION_EXIT);
    } else {
        /* SYS_EXIT_EXTENDED carries the status; any other SYS_EXIT reason exits with status 1. */
        const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
        (void)semihost(SEMIHOST_SYS_EXIT_EXTENDED, block);
        (void)semihost(SEMIHOST_SYS_EXIT,
                       (const void *)(uintptr_t)ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
    }
}

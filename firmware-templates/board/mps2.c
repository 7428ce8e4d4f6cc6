/*
 * Board support for QEMU 7.2's mps2-an500 (Cortex-M7) and mps2-an386 (Cortex-M4), run as
 *   qemu-system-arm -M mps2-an500 -cpu cortex-m7 -serial pty \
 *       -semihosting-config enable=on,target=native -icount shift=0 -kernel fw.elf
 * Telemetry on CMSDK APB UART0, time from SysTick (QEMU has no DWT), exit through semihosting.
 * No caches or clocks to set up: QEMU models neither, and instruction counts do not depend on them.
 */
#include <stdint.h>

#include "rig_board.h"

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

/* SysTick and the SCB's interrupt control register. */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2) /* processor clock: 25 MHz on the mps2 */
#define SYST_RELOAD 0x00FFFFFFu      /* a full 24-bit period: 2^24 ticks per wrap */
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)

/* Semihosting (ARM IHI 0056): operation numbers and the reason code of a normal exit. */
#define SEMIHOST_SYS_EXIT 0x18u
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u

const char rig_timer_name[] = "systick";

/* SysTick wraps since rig_timer_start; written only by SysTick_Handler and rig_timer_start. */
static volatile uint32_t rig_systick_wraps;

/*
 * Bytes received while rig_uart_write waits for the transmitter. The CMSDK receiver holds one
 * byte; a command arriving while a hello line goes out must not be lost.
 */
#define RIG_RX_RING_BYTES 64u
static volatile uint8_t rig_rx_ring[RIG_RX_RING_BYTES];
static volatile unsigned rig_rx_head, rig_rx_tail;

static void rx_poll(void)
{
    if ((UART_STATE & UART_STATE_RX_FULL) != 0u) {
        uint8_t c = (uint8_t)UART_DATA;
        unsigned next = (rig_rx_head + 1u) % RIG_RX_RING_BYTES;
        if (next != rig_rx_tail) { /* full: drop; the host's command then fails to parse */
            rig_rx_ring[rig_rx_head] = c;
            rig_rx_head = next;
        }
    }
}

void rig_board_init(void)
{
    SYST_CSR = SYST_CSR_CLKSOURCE; /* stopped, interrupt off, until rig_timer_start */
    SCB_ICSR = ICSR_PENDSTCLR;

    UART_CTRL = 0u;
    UART_BAUDDIV = UART_BAUDDIV_MIN;
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
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
    if (rig_rx_tail != rig_rx_head) {
        int c = rig_rx_ring[rig_rx_tail];
        rig_rx_tail = (rig_rx_tail + 1u) % RIG_RX_RING_BYTES;
        return c;
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

/*
 * Same work, same ticks, whatever the phase of the virtual clock when the command arrived: the
 * counter is cleared and restarted here, so its edges are placed relative to this code, and under
 * -icount every instruction from here on takes a fixed amount of virtual time.
 */
void rig_timer_start(void)
{
    SYST_CSR = SYST_CSR_CLKSOURCE;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0u; /* any write clears the count and COUNTFLAG */
    SCB_ICSR = ICSR_PENDSTCLR;
    rig_systick_wraps = 0u;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
    /* The counter reads 0 until its first reload, one tick after enabling: wait for it. */
    while (SYST_CVR == 0u) {
    }
    SCB_ICSR = ICSR_PENDSTCLR;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE | SYST_CSR_TICKINT;
    __asm__ volatile("isb" ::: "memory");
}

uint32_t rig_timer_stop(void)
{
    uint32_t count, wraps;

    /*
     * With interrupts masked and the counter frozen, a wrap is either counted by SysTick_Handler
     * already or still pending; count it once either way.
     */
    __asm__ volatile("cpsid i" ::: "memory");
    SYST_CSR = SYST_CSR_CLKSOURCE;
    count = SYST_CVR & SYST_RELOAD;
    wraps = rig_systick_wraps;
    if ((SCB_ICSR & ICSR_PENDSTSET) != 0u) {
        SCB_ICSR = ICSR_PENDSTCLR;
        wraps++;
    }
    __asm__ volatile("cpsie i" ::: "memory");

    /*
     * Ticks since the enable: the first tick reloads 0 -> 0xFFFFFF, each later one decrements, and
     * the tick to 0 pends the interrupt (counted in wraps). So a count c != 0 is 2^24 - c ticks into
     * the current wrap and a count of 0 is the end of one. Exact up to 2^32 ticks (171 s at 25 MHz).
     */
    return (wraps << 24) + ((0x01000000u - count) & SYST_RELOAD);
}

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;

    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/*
 * QEMU closes the pty when it exits, and Linux then discards what the host has not read yet: seen
 * losing the last lines in ~5% of runs on a loaded machine. So exit only once the host has sent
 * a byte (its "bye" after reading "done"), or after ~2 s of virtual time (about as much wall time)
 * when no host answers.
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
    uint32_t n = RIG_PAUSE_SPIN;

    __asm__ volatile("1:\n\t"
                     ".rept 14\n\tnop\n\t.endr\n\t"
                     "subs %0, %0, #1\n\t"
                     "bne 1b"
                     : "+r"(n)
                     :
                     : "cc");
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

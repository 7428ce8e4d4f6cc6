/*
 * Helpers shared by the board-support files (mps2.c, stm32.c): the receive ring that keeps bytes
 * arriving while the UART transmits, SysTick as a timer that counts its own wraps, and a busy
 * wait. An image
 * contains exactly one board file, so the state below exists once.
 */
#ifndef RIG_BOARD_COMMON_H
#define RIG_BOARD_COMMON_H

#include <stdint.h>

/*
 * Bytes received while rig_uart_write waits for the transmitter: a UART receiver holds one byte,
 * and a command arriving while a hello line goes out must not be lost.
 */
#define RIG_RX_RING_BYTES 64u
static volatile uint8_t rig_rx_ring[RIG_RX_RING_BYTES];
static volatile unsigned rig_rx_head, rig_rx_tail;

/* Keeps a received byte; when the ring is full it is dropped (the host's command then fails to parse). */
static inline void rig_rx_keep(uint8_t c)
{
    unsigned next = (rig_rx_head + 1u) % RIG_RX_RING_BYTES;
    if (next != rig_rx_tail) {
        rig_rx_ring[rig_rx_head] = c;
        rig_rx_head = next;
    }
}

/* The oldest kept byte (0..255), or -1. */
static inline int rig_rx_take(void)
{
    if (rig_rx_tail != rig_rx_head) {
        int c = rig_rx_ring[rig_rx_tail];
        rig_rx_tail = (rig_rx_tail + 1u) % RIG_RX_RING_BYTES;
        return c;
    }
    return -1;
}

/* SysTick and the SCB's interrupt control register (ARMv7-M). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE (1u << 0)
#define SYST_CSR_TICKINT (1u << 1)
#define SYST_RELOAD 0x00FFFFFFu /* a full 24-bit period: 2^24 ticks per wrap */
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)

/* SysTick wraps since rig_systick_start; written only by SysTick_Handler and rig_systick_start. */
static volatile uint32_t rig_systick_wraps;

/* Stops SysTick with its interrupt off; `clock` is the CSR clock-source bit of the board. */
static inline void rig_systick_off(uint32_t clock)
{
    SYST_CSR = clock;
    SCB_ICSR = ICSR_PENDSTCLR;
}

/*
 * Starts a fresh count: the counter is cleared and restarted here, so its edges are placed
 * relative to this code (under QEMU's -icount every instruction from here on takes a fixed
 * amount of virtual time), and the wrap count starts at 0.
 */
static inline void rig_systick_start(uint32_t clock)
{
    SYST_CSR = clock;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0u; /* any write clears the count and COUNTFLAG */
    SCB_ICSR = ICSR_PENDSTCLR;
    rig_systick_wraps = 0u;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    SYST_CSR = clock | SYST_CSR_ENABLE;
    /* The counter reads 0 until its first reload, one tick after enabling: wait for it. */
    while (SYST_CVR == 0u) {
    }
    SCB_ICSR = ICSR_PENDSTCLR;
    SYST_CSR = clock | SYST_CSR_ENABLE | SYST_CSR_TICKINT;
    __asm__ volatile("isb" ::: "memory");
}

/*
 * Stops SysTick and returns its ticks since rig_systick_start. With interrupts masked and the
 * counter frozen, a wrap is either counted by SysTick_Handler already or still pending; it is
 * counted once either way. The first tick reloads 0 -> 0xFFFFFF, each later one decrements, and
 * the tick to 0 pends the interrupt (counted in wraps); so a count c != 0 is 2^24 - c ticks into
 * the current wrap and a count of 0 is the end of one.
 */
static inline uint64_t rig_systick_stop(uint32_t clock)
{
    uint32_t count, wraps;

    __asm__ volatile("cpsid i" ::: "memory");
    SYST_CSR = clock;
    count = SYST_CVR & SYST_RELOAD;
    wraps = rig_systick_wraps;
    if ((SCB_ICSR & ICSR_PENDSTSET) != 0u) {
        SCB_ICSR = ICSR_PENDSTCLR;
        wraps++;
    }
    __asm__ volatile("cpsie i" ::: "memory");
    return ((uint64_t)wraps << 24) + ((0x01000000u - count) & SYST_RELOAD);
}

/*
 * SysTick's ticks since rig_systick_start, read while it keeps running; call with interrupts
 * masked. A wrap pending at the read is counted here as rig_systick_stop counts it, and the
 * counter is read again after it, so the value never goes back by a whole wrap.
 */
static inline uint64_t rig_systick_peek(void)
{
    uint32_t wraps = rig_systick_wraps;
    uint32_t count = SYST_CVR & SYST_RELOAD;

    if ((SCB_ICSR & ICSR_PENDSTSET) != 0u) {
        wraps++;
        count = SYST_CVR & SYST_RELOAD;
    }
    return ((uint64_t)wraps << 24) + ((0x01000000u - count) & SYST_RELOAD);
}

/* Busy-waits n iterations of a 16-instruction loop (14 nops, a decrement, a taken branch). */
static inline void rig_spin(uint32_t n)
{
    __asm__ volatile("1:\n\t"
                     ".rept 14\n\tnop\n\t.endr\n\t"
                     "subs %0, %0, #1\n\t"
                     "bne 1b"
                     : "+r"(n)
                     :
                     : "cc");
}

#endif /* RIG_BOARD_COMMON_H */

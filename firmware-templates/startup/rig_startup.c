/*
 * rig startup for Cortex-M4F / M7 (ARMv7E-M): vector table, reset handler, fault reporting.
 * Linked with link/rig.ld.in, which provides the symbols below. Built with -nostartfiles, so
 * nothing else runs before main: no C++ constructors, no newlib _init.
 */
#include <stdint.h>

#include "rig_board.h"
#include "rig_proto.h"

/* Enough for the STM32F7's 98 interrupt lines (the F4's 97, the mps2's 32) with room to spare. */
#define RIG_IRQ_SLOTS 112

#define SCB_VTOR (*(volatile uint32_t *)0xE000ED08u)
#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)

#define SHCSR_MEMFAULTENA (1u << 16)
#define SHCSR_BUSFAULTENA (1u << 17)
#define SHCSR_USGFAULTENA (1u << 18)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _estack[];

int main(void);

void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void) __attribute__((naked));
void HardFault_Handler(void) __attribute__((naked, noreturn));
void MemManage_Handler(void) __attribute__((naked, noreturn));
void BusFault_Handler(void) __attribute__((naked, noreturn));
void UsageFault_Handler(void) __attribute__((naked, noreturn));
void rig_fault(unsigned kind) __attribute__((noreturn, used));

/* A board file may define any of these (mps2.c defines SysTick_Handler). */
void NMI_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SVC_Handler(void) __attribute__((weak, alias("Default_Handler")));
void DebugMon_Handler(void) __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler(void) __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler(void) __attribute__((weak, alias("Default_Handler")));

typedef union {
    void (*handler)(void);
    void *stack_top;
} rig_vector_t;

__attribute__((section(".isr_vector"), used))
const rig_vector_t rig_vectors[16 + RIG_IRQ_SLOTS] = {
    [0] = {.stack_top = _estack},
    [1] = {.handler = Reset_Handler},
    [2] = {.handler = NMI_Handler},
    [3] = {.handler = HardFault_Handler},
    [4] = {.handler = MemManage_Handler},
    [5] = {.handler = BusFault_Handler},
    [6] = {.handler = UsageFault_Handler},
    [11] = {.handler = SVC_Handler},
    [12] = {.handler = DebugMon_Handler},
    [14] = {.handler = PendSV_Handler},
    [15] = {.handler = SysTick_Handler},
    [16 ... 16 + RIG_IRQ_SLOTS - 1] = {.handler = Default_Handler},
};

void Reset_Handler(void)
{
    /* FPU first: with -mfloat-abi=hard the compiler may use s/d registers in any code below. */
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    /* On silicon the table is reached through the boot alias at 0; point VTOR at the real copy. */
    SCB_VTOR = (uint32_t)(uintptr_t)rig_vectors;
    /* Report MemManage, BusFault and UsageFault as themselves instead of escalating to HardFault. */
    SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA;

    /* The empty asm keeps GCC from turning these loops into memcpy/memset calls. */
    for (uint32_t *src = _sidata, *dst = _sdata; dst < _edata;) {
        *dst++ = *src++;
        __asm__ volatile("" ::: "memory");
    }
    for (uint32_t *dst = _sbss; dst < _ebss;) {
        *dst++ = 0u;
        __asm__ volatile("" ::: "memory");
    }
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    (void)main();
    for (;;) {
        rig_board_exit(0);
    }
}

/*
 * The handlers reset SP to the top of the stack before calling C: a fault from a stack overflow
 * must still be able to report itself. The program does not resume, so the frames lost are dead.
 */
#define RIG_FAULT_ENTRY(kind)                          \
    __asm__ volatile("movw r0, #:lower16:_estack\n\t" \
                     "movt r0, #:upper16:_estack\n\t" \
                     "mov sp, r0\n\t"                 \
                     "movs r0, #" #kind "\n\t"        \
                     "b rig_fault\n\t")

void Default_Handler(void) { RIG_FAULT_ENTRY(0); }
void HardFault_Handler(void) { RIG_FAULT_ENTRY(1); }
void MemManage_Handler(void) { RIG_FAULT_ENTRY(2); }
void BusFault_Handler(void) { RIG_FAULT_ENTRY(3); }
void UsageFault_Handler(void) { RIG_FAULT_ENTRY(4); }

void rig_fault(unsigned kind)
{
    static const char *const codes[] = {
        "unexpected-exception", "hardfault", "memmanage", "busfault", "usagefault",
    };

    rig_proto_error(codes[kind < 5u ? kind : 0u]);
    for (;;) {
        rig_board_exit(1);
    }
}

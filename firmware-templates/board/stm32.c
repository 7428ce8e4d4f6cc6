/*
 * Board support for the silicon boards: STM32F746 (Cortex-M7, RM0385) and STM32F412 (Cortex-M4,
 * RM0402), chosen at compile time. The host passes exactly one family, the clock source and the
 * telemetry UART:
 *   -DRIG_STM32F7 or -DRIG_STM32F4
 *   -DRIG_HSE_HZ=<Hz> -DRIG_HSE_BYPASS=<0|1>      (1: a clock signal on OSC_IN, 0: a crystal)
 *   -DRIG_UART_USART1, -DRIG_UART_USART2 or -DRIG_UART_USART3, and -DRIG_BAUD=<bits/s>
 * Clocks at the family's maximum from HSE through the main PLL (F746: 216 MHz, F412: 100 MHz),
 * caches on, telemetry on the ST-LINK's virtual COM port, time from the core's DWT cycle counter.
 * Every wait for the clock hardware is bounded: a board whose HSE never starts keeps running on the
 * 16 MHz HSI, with the UART's baud rate set from that clock, and rig_board_init returns the
 * protocol error code for the harness to report (PROTOCOL.md).
 * rig_board_exit returns once the last byte has left: the harness then waits for the next command.
 * Registers are defined here by hand, each named as in the reference manual.
 */
#include <stdint.h>

#include "rig_board.h"
#include "rig_board_common.h"

/* ---- What the host asked for, checked before anything else. ---- */

#if defined(RIG_STM32F7) + defined(RIG_STM32F4) != 1
#error "stm32.c: define exactly one of RIG_STM32F7 and RIG_STM32F4"
#endif
#if defined(RIG_UART_USART1) + defined(RIG_UART_USART2) + defined(RIG_UART_USART3) != 1
#error "stm32.c: define exactly one of RIG_UART_USART1, RIG_UART_USART2 and RIG_UART_USART3"
#endif
#if !defined(RIG_HSE_HZ) || !defined(RIG_HSE_BYPASS) || !defined(RIG_BAUD)
#error "stm32.c: define RIG_HSE_HZ, RIG_HSE_BYPASS and RIG_BAUD"
#elif RIG_HSE_BYPASS != 0 && RIG_HSE_BYPASS != 1
#error "stm32.c: RIG_HSE_BYPASS must be 0 (crystal) or 1 (external clock on OSC_IN)"
/* The PLL divides HSE down to 1 MHz, so HSE must be a whole number of MHz; 4-26 MHz is the
   crystal oscillator's range on both families. */
#elif RIG_HSE_HZ % 1000000 != 0 || RIG_HSE_HZ < 4000000 || RIG_HSE_HZ > 26000000
#error "stm32.c: RIG_HSE_HZ must be a whole number of MHz from 4 to 26 MHz"
#elif RIG_BAUD <= 0
#error "stm32.c: RIG_BAUD must be positive"
#endif

/*
 * Clock plan. VCO input = HSE / PLLM = 1 MHz; SYSCLK = VCO / PLLP with PLLP = 2; PLLQ gives the
 * 48 MHz clock (unused here, but kept legal). HCLK = SYSCLK on both families.
 *   F746: VCO 432 MHz, SYSCLK 216 MHz (needs voltage scale 1 with over-drive), 7 flash wait states,
 *         APB1 /4 = 54 MHz (max 54), APB2 /2 = 108 MHz (max 108).
 *   F412: VCO 200 MHz, SYSCLK 100 MHz (voltage scale 1), 3 flash wait states at 2.7-3.6 V,
 *         APB1 /2 = 50 MHz (max 50), APB2 /1 = 100 MHz.
 */
#define RIG_PLLM (RIG_HSE_HZ / 1000000)
#if defined(RIG_STM32F7)
#define RIG_PLLN 432u
#define RIG_PLLQ 9u
#define RIG_SYSCLK_HZ 216000000u
#define RIG_FLASH_LATENCY 7u
#define RIG_PCLK1_HZ (RIG_SYSCLK_HZ / 4u)
#define RIG_PCLK2_HZ (RIG_SYSCLK_HZ / 2u)
#else
#define RIG_PLLN 200u
#define RIG_PLLQ 4u
#define RIG_SYSCLK_HZ 100000000u
#define RIG_FLASH_LATENCY 3u
#define RIG_PCLK1_HZ (RIG_SYSCLK_HZ / 2u)
#define RIG_PCLK2_HZ RIG_SYSCLK_HZ
#endif
#if RIG_PLLN * 1000000 / 2 != RIG_SYSCLK_HZ
#error "stm32.c: the PLL settings do not give SYSCLK"
#endif

/* ---- Registers. ---- */

/* RCC (reset and clock control), 0x40023800 on both families. */
#define RCC_BASE 0x40023800u
#define RCC_CR (*(volatile uint32_t *)(RCC_BASE + 0x00u))
#define RCC_PLLCFGR (*(volatile uint32_t *)(RCC_BASE + 0x04u))
#define RCC_CFGR (*(volatile uint32_t *)(RCC_BASE + 0x08u))
#define RCC_AHB1ENR (*(volatile uint32_t *)(RCC_BASE + 0x30u))
#define RCC_APB1ENR (*(volatile uint32_t *)(RCC_BASE + 0x40u))
#define RCC_APB2ENR (*(volatile uint32_t *)(RCC_BASE + 0x44u))
#define RCC_CR_HSION (1u << 0)
#define RCC_CR_HSIRDY (1u << 1)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
/* PLLCFGR fields written here; the others (reserved bits, the F412's PLLR) keep their values. */
#define RCC_PLLCFGR_FIELDS                                                                      \
    ((0x3Fu << 0) /* PLLM */ | (0x1FFu << 6) /* PLLN */ | (0x3u << 16) /* PLLP */ |          \
     (1u << 22) /* PLLSRC */ | (0xFu << 24) /* PLLQ */)
#define RCC_PLLCFGR_VALUE                                                                       \
    (((uint32_t)RIG_PLLM << 0) | (RIG_PLLN << 6) | (0u << 16) /* PLLP = /2 */ |                \
     (1u << 22) /* PLLSRC = HSE */ | (RIG_PLLQ << 24))
#define RCC_CFGR_SW_MASK (0x3u << 0)
#define RCC_CFGR_SW_PLL (0x2u << 0)
#define RCC_CFGR_SWS_MASK (0x3u << 2)
#define RCC_CFGR_SWS_PLL (0x2u << 2)
#define RCC_CFGR_PRE_MASK ((0xFu << 4) /* HPRE */ | (0x7u << 10) /* PPRE1 */ | (0x7u << 13) /* PPRE2 */)
#define RCC_CFGR_PPRE_DIV2 0x4u
#define RCC_CFGR_PPRE_DIV4 0x5u
#if defined(RIG_STM32F7)
#define RCC_CFGR_PRE ((RCC_CFGR_PPRE_DIV4 << 10) | (RCC_CFGR_PPRE_DIV2 << 13)) /* AHB /1 */
#else
#define RCC_CFGR_PRE (RCC_CFGR_PPRE_DIV2 << 10) /* AHB /1, APB2 /1 */
#endif
#define RCC_AHB1ENR_GPIOAEN (1u << 0)
#define RCC_AHB1ENR_GPIOBEN (1u << 1)
#define RCC_AHB1ENR_GPIODEN (1u << 3)
#define RCC_APB1ENR_USART2EN (1u << 17)
#define RCC_APB1ENR_USART3EN (1u << 18)
#define RCC_APB1ENR_PWREN (1u << 28)
#define RCC_APB2ENR_USART1EN (1u << 4)

/* PWR: PWR_CR1 / PWR_CSR1 on the F7, PWR_CR on the F412; VOS at the same place in both. */
#define PWR_BASE 0x40007000u
#define PWR_CR1 (*(volatile uint32_t *)(PWR_BASE + 0x00u))
#define PWR_CSR1 (*(volatile uint32_t *)(PWR_BASE + 0x04u))
#define PWR_CR1_VOS_MASK (0x3u << 14)
#define PWR_CR1_VOS_SCALE1 (0x3u << 14)
#define PWR_CR1_ODEN (1u << 16)
#define PWR_CR1_ODSWEN (1u << 17)
#define PWR_CSR1_ODRDY (1u << 16)
#define PWR_CSR1_ODSWRDY (1u << 17)

/* FLASH_ACR: wait states and the flash accelerators. */
#define FLASH_ACR (*(volatile uint32_t *)0x40023C00u)
#define FLASH_ACR_LATENCY_MASK 0xFu
#define FLASH_ACR_PRFTEN (1u << 8)
#if defined(RIG_STM32F7)
#define FLASH_ACR_ARTEN (1u << 9)
#define FLASH_ACR_VALUE (RIG_FLASH_LATENCY | FLASH_ACR_PRFTEN | FLASH_ACR_ARTEN)
#else
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)
#define FLASH_ACR_VALUE (RIG_FLASH_LATENCY | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN)
#endif

/* GPIO ports and the register offsets used (MODER, OTYPER, OSPEEDR, PUPDR, AFRL, AFRH). */
#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u
#define GPIOD_BASE 0x40020C00u
#define GPIO_REG(base, offset) (*(volatile uint32_t *)((base) + (offset)))
#define GPIO_MODER 0x00u
#define GPIO_OTYPER 0x04u
#define GPIO_OSPEEDR 0x08u
#define GPIO_PUPDR 0x0Cu
#define GPIO_AFRL 0x20u
#define GPIO_AFRH 0x24u
#define GPIO_MODE_AF 0x2u
#define GPIO_SPEED_MEDIUM 0x1u
#define GPIO_PULL_NONE 0x0u
#define GPIO_PULL_UP 0x1u
#define GPIO_AF7_USART 7u /* USART1-3 are AF7 on every pin used here, on both families */

/*
 * The telemetry UART and its pins:
 *   USART3 TX PD8 / RX PD9: NUCLEO-144 boards (NUCLEO-F746ZG, NUCLEO-F412ZG), the ST-LINK's
 *     virtual COM port;
 *   USART1 TX PA9 / RX PB7: 32F746GDISCOVERY's virtual COM port;
 *   USART2 TX PA2 / RX PA3: 32F412GDISCOVERY's virtual COM port.
 */
#if defined(RIG_UART_USART3)
#define USART_BASE 0x40004800u
#define USART_PCLK_HZ RIG_PCLK1_HZ
#define USART_ENR RCC_APB1ENR
#define USART_ENR_BIT RCC_APB1ENR_USART3EN
#define UART_GPIO_EN RCC_AHB1ENR_GPIODEN
#define UART_TX_PORT GPIOD_BASE
#define UART_TX_PIN 8u
#define UART_RX_PORT GPIOD_BASE
#define UART_RX_PIN 9u
#elif defined(RIG_UART_USART1)
#define USART_BASE 0x40011000u
#define USART_PCLK_HZ RIG_PCLK2_HZ
#define USART_ENR RCC_APB2ENR
#define USART_ENR_BIT RCC_APB2ENR_USART1EN
#define UART_GPIO_EN (RCC_AHB1ENR_GPIOAEN | RCC_AHB1ENR_GPIOBEN)
#define UART_TX_PORT GPIOA_BASE
#define UART_TX_PIN 9u
#define UART_RX_PORT GPIOB_BASE
#define UART_RX_PIN 7u
#else
#define USART_BASE 0x40004400u
#define USART_PCLK_HZ RIG_PCLK1_HZ
#define USART_ENR RCC_APB1ENR
#define USART_ENR_BIT RCC_APB1ENR_USART2EN
#define UART_GPIO_EN RCC_AHB1ENR_GPIOAEN
#define UART_TX_PORT GPIOA_BASE
#define UART_TX_PIN 2u
#define UART_RX_PORT GPIOA_BASE
#define UART_RX_PIN 3u
#endif

/* With 16x oversampling both families take BRR = PCLK / baud, rounded to the nearest. */
#define USART_BRR_FOR(pclk_hz) (((pclk_hz) + RIG_BAUD / 2u) / RIG_BAUD)
#if RIG_BAUD > 0 && (USART_BRR_FOR(USART_PCLK_HZ) < 16 || USART_BRR_FOR(USART_PCLK_HZ) > 0xFFFF)
#error "stm32.c: RIG_BAUD is out of the USART's range at this PCLK"
#endif
/* The clock both families fall back to, with every bus at /1 (see clock_fallback_hsi). */
#define RIG_HSI_HZ 16000000u
#if RIG_BAUD > 0 && (USART_BRR_FOR(RIG_HSI_HZ) < 16 || USART_BRR_FOR(RIG_HSI_HZ) > 0xFFFF)
#error "stm32.c: RIG_BAUD is out of the USART's range on the 16 MHz HSI"
#endif

/*
 * The F7's USART has separate status (ISR), flag-clear (ICR) and data registers (RDR, TDR); the
 * F4's has one status register (SR) and one data register (DR). The status bits used have the same
 * positions in ISR and SR.
 */
#if defined(RIG_STM32F7)
#define USART_CR1 (*(volatile uint32_t *)(USART_BASE + 0x00u))
#define USART_BRR (*(volatile uint32_t *)(USART_BASE + 0x0Cu))
#define USART_STATUS (*(volatile uint32_t *)(USART_BASE + 0x1Cu)) /* USART_ISR */
#define USART_ICR (*(volatile uint32_t *)(USART_BASE + 0x20u))
#define USART_RXDATA (*(volatile uint32_t *)(USART_BASE + 0x24u)) /* USART_RDR */
#define USART_TXDATA (*(volatile uint32_t *)(USART_BASE + 0x28u)) /* USART_TDR */
#define USART_CR1_UE (1u << 0)
#define USART_ICR_ORECF (1u << 3)
#else
#define USART_STATUS (*(volatile uint32_t *)(USART_BASE + 0x00u)) /* USART_SR */
#define USART_RXDATA (*(volatile uint32_t *)(USART_BASE + 0x04u)) /* USART_DR */
#define USART_TXDATA (*(volatile uint32_t *)(USART_BASE + 0x04u)) /* USART_DR */
#define USART_BRR (*(volatile uint32_t *)(USART_BASE + 0x08u))
#define USART_CR1 (*(volatile uint32_t *)(USART_BASE + 0x0Cu))
#define USART_CR1_UE (1u << 13)
#endif
#define USART_CR1_RE (1u << 2)
#define USART_CR1_TE (1u << 3)
#define USART_STATUS_ORE (1u << 3)
#define USART_STATUS_RXNE (1u << 5)
#define USART_STATUS_TC (1u << 6)
#define USART_STATUS_TXE (1u << 7)

/* SysTick's clock source (rig_board_common.h has the registers). */
#define SYST_CSR_HCLK_DIV8 (0u << 2) /* CLKSOURCE = 0: the STM32's external reference, HCLK / 8 */
#define SYST_CYCLES_PER_TICK 8u

/* Debug: DEMCR and the DWT cycle counter. */
#define DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define DEMCR_TRCENA (1u << 24)
#define DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
#define DWT_CTRL_CYCCNTENA (1u << 0)
#define DWT_LAR_UNLOCK 0xC5ACCE55u

#if defined(RIG_STM32F7)
/* Cortex-M7 L1 caches: SCB_CCR, the cache maintenance registers, the cache ID registers. */
#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CCSIDR (*(volatile uint32_t *)0xE000ED80u)
#define SCB_CSSELR (*(volatile uint32_t *)0xE000ED84u)
#define SCB_ICIALLU (*(volatile uint32_t *)0xE000EF50u)
#define SCB_DCISW (*(volatile uint32_t *)0xE000EF60u)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)
#endif

const char rig_timer_name[] = "dwt";

static inline void dsb_isb(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}

/* ---- Clocks. ---- */

/*
 * Bound on every wait for the clock hardware, in iterations of a register read and rig_spin(1)
 * (16 instructions: 16 cycles or more on the Cortex-M4, at least 8 on the dual-issue Cortex-M7):
 * at least 100 ms on the 16 MHz HSI these waits run on. A crystal starts within a few ms, the PLL
 * locks and the over-drive comes up in well under 1 ms, a clock switch takes a few cycles; what
 * has not happened by then will not.
 */
#define RIG_CLOCK_WAIT_LOOPS 200000u

/* Waits until (reg & mask) == want; returns 0 if that never happened within the bound. */
static int clock_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t n = 0; n < RIG_CLOCK_WAIT_LOOPS; n++) {
        if ((*reg & mask) == want) {
            return 1;
        }
        rig_spin(1u);
    }
    return (*reg & mask) == want;
}

/*
 * After a failed step: SYSCLK from the HSI with AHB, APB1 and APB2 at /1, 16 MHz each (within
 * every bus limit), so that the UART's baud rate follows from RIG_HSI_HZ. The PLL and HSE are
 * stopped. The flash wait states stay as they are: more than 16 MHz needs only costs speed.
 * Returns 0 when SYSCLK did not come back to the HSI.
 */
static int clock_fallback_hsi(void)
{
    RCC_CFGR &= ~RCC_CFGR_SW_MASK; /* SW = 00: HSI */
    if (!clock_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, 0u)) {
        return 0;
    }
    RCC_CFGR &= ~RCC_CFGR_PRE_MASK;
    RCC_CR &= ~(RCC_CR_PLLON | RCC_CR_HSEON);
    return 1;
}

/* The clock plan above; returns 0, or the error code of the step that failed (on the HSI then). */
static const char *clock_init(void)
{
    /*
     * Back to the reset clocking first, in case only the core was reset and the PLL still drives
     * SYSCLK: PLLCFGR, VOS and HSEBYP can be changed only while the PLL and HSE are off. After a
     * full reset every one of these steps finds its work already done.
     */
    RCC_CR |= RCC_CR_HSION;
    if (!clock_wait(&RCC_CR, RCC_CR_HSIRDY, RCC_CR_HSIRDY)) {
        return "clock-switch";
    }
    RCC_CFGR &= ~RCC_CFGR_SW_MASK; /* SW = 00: HSI */
    if (!clock_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, 0u)) {
        return "clock-switch";
    }
    RCC_CFGR &= ~RCC_CFGR_PRE_MASK; /* every bus at /1 on the HSI until the switch below */
    RCC_CR &= ~(RCC_CR_PLLON | RCC_CR_HSEON);
    if (!clock_wait(&RCC_CR, RCC_CR_PLLRDY | RCC_CR_HSERDY, 0u)) {
        return "clock-switch";
    }

    /*
     * Voltage scale 1, needed for the top frequency. The new scale takes effect once the PLL runs.
     * The read-back gives the PWR clock the two cycles it needs before PWR is accessed.
     */
    RCC_APB1ENR |= RCC_APB1ENR_PWREN;
    (void)RCC_APB1ENR;
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_VOS_MASK) | PWR_CR1_VOS_SCALE1;

    /*
     * HSE. NUCLEO-144 boards: the ST-LINK's 8 MHz MCO drives OSC_IN, so HSE is bypassed.
     * 32F746GDISCOVERY (25 MHz) and 32F412GDISCOVERY (8 MHz) have a crystal. A NUCLEO whose MCO
     * solder bridge is open, or a crystal that does not oscillate, never sets HSERDY.
     */
#if RIG_HSE_BYPASS
    RCC_CR |= RCC_CR_HSEBYP;
#else
    RCC_CR &= ~RCC_CR_HSEBYP;
#endif
    RCC_CR |= RCC_CR_HSEON;
    if (!clock_wait(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        return clock_fallback_hsi() ? "clock-hse" : "clock-switch";
    }

    /* PLL from HSE: 1 MHz into the VCO, SYSCLK = VCO / 2. */
    RCC_PLLCFGR = (RCC_PLLCFGR & ~RCC_PLLCFGR_FIELDS) | RCC_PLLCFGR_VALUE;
    RCC_CR |= RCC_CR_PLLON;
    if (!clock_wait(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        return clock_fallback_hsi() ? "clock-pll" : "clock-switch";
    }

#if defined(RIG_STM32F7)
    /* Above 180 MHz the F7 needs the regulator's over-drive: enable it, then switch to it. */
    PWR_CR1 |= PWR_CR1_ODEN;
    if (!clock_wait(&PWR_CSR1, PWR_CSR1_ODRDY, PWR_CSR1_ODRDY)) {
        return clock_fallback_hsi() ? "clock-overdrive" : "clock-switch";
    }
    PWR_CR1 |= PWR_CR1_ODSWEN;
    if (!clock_wait(&PWR_CSR1, PWR_CSR1_ODSWRDY, PWR_CSR1_ODSWRDY)) {
        return clock_fallback_hsi() ? "clock-overdrive" : "clock-switch";
    }
#endif

    /*
     * Flash wait states for the new clock before raising it; the read-back confirms the flash
     * interface took them. F7: the ART accelerator and prefetch serve the flash's ITCM path; this
     * image runs from the AXIM address 0x08000000, where the L1 caches do that work (enabled
     * below). F412: prefetch and the flash's own instruction and data caches.
     */
    FLASH_ACR = FLASH_ACR_VALUE;
    if (!clock_wait(&FLASH_ACR, FLASH_ACR_LATENCY_MASK, RIG_FLASH_LATENCY)) {
        (void)clock_fallback_hsi();
        return "clock-switch";
    }

    /* Bus prescalers before the switch, so that no bus ever runs above its limit. */
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_PRE_MASK) | RCC_CFGR_PRE;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    if (!clock_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL)) {
        (void)clock_fallback_hsi();
        return "clock-switch";
    }
    return 0;
}

#if defined(RIG_STM32F7)
/*
 * The Cortex-M7's L1 caches (4 KB each on the F746). Their contents are undefined after reset, so
 * each is invalidated before it is enabled. A cache already on (a core-only reset) is left alone:
 * invalidating a live D-cache would drop dirty lines.
 */
static void cache_init(void)
{
    if ((SCB_CCR & SCB_CCR_IC) == 0u) {
        dsb_isb();
        SCB_ICIALLU = 0u;
        dsb_isb();
        SCB_CCR |= SCB_CCR_IC;
        dsb_isb();
    }

    if ((SCB_CCR & SCB_CCR_DC) == 0u) {
        /* Geometry of the level 1 data cache, from CCSIDR once CSSELR selects it. */
        SCB_CSSELR = 0u;
        __asm__ volatile("dsb" ::: "memory");
        const uint32_t ccsidr = SCB_CCSIDR;
        const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
        const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
        /* DCISW takes the set above the line offset and the way in the top bits: on the F746
           (4 ways, 32-byte lines) that is set << 5 and way << 30. */
        const uint32_t set_shift = (ccsidr & 0x7u) + 4u;
        const uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;

        for (uint32_t set = 0; set < sets; set++) {
            for (uint32_t way = 0; way < ways; way++) {
                SCB_DCISW = (way << way_shift) | (set << set_shift);
            }
        }
        __asm__ volatile("dsb" ::: "memory");
        SCB_CCR |= SCB_CCR_DC;
        dsb_isb();
    }
}
#endif

/* ---- UART. ---- */

/* Alternate function `af`, push-pull, the given speed and pull for one pin. */
static void gpio_af(uint32_t port, unsigned pin, unsigned pull, unsigned af, unsigned speed)
{
    const unsigned afr = pin < 8u ? GPIO_AFRL : GPIO_AFRH;
    const unsigned af_shift = (pin % 8u) * 4u;
    const unsigned shift2 = pin * 2u;

    GPIO_REG(port, afr) = (GPIO_REG(port, afr) & ~(0xFu << af_shift)) | (af << af_shift);
    GPIO_REG(port, GPIO_OTYPER) &= ~(1u << pin);
    GPIO_REG(port, GPIO_OSPEEDR) =
        (GPIO_REG(port, GPIO_OSPEEDR) & ~(0x3u << shift2)) | (speed << shift2);
    GPIO_REG(port, GPIO_PUPDR) = (GPIO_REG(port, GPIO_PUPDR) & ~(0x3u << shift2)) | (pull << shift2);
    /* The mode last: the pin goes over to its peripheral only once its function is chosen. */
    GPIO_REG(port, GPIO_MODER) = (GPIO_REG(port, GPIO_MODER) & ~(0x3u << shift2)) | (GPIO_MODE_AF << shift2);
}

static void uart_init(uint32_t pclk_hz)
{
    RCC_AHB1ENR |= UART_GPIO_EN;
    USART_ENR |= USART_ENR_BIT;
    (void)USART_ENR; /* the clock enables take effect after two cycles: read back before use */

    gpio_af(UART_TX_PORT, UART_TX_PIN, GPIO_PULL_NONE, GPIO_AF7_USART, GPIO_SPEED_MEDIUM);
    /* RX pulled up: the line idles high while the host's end is closed. */
    gpio_af(UART_RX_PORT, UART_RX_PIN, GPIO_PULL_UP, GPIO_AF7_USART, GPIO_SPEED_MEDIUM);

    /* 8 data bits, no parity, 1 stop bit, 16x oversampling: the reset values but for BRR. */
    USART_CR1 = 0u; /* the F7 accepts BRR only while UE is 0 */
    USART_BRR = USART_BRR_FOR(pclk_hz);
    USART_CR1 = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE;
}

/*
 * Moves a received byte into the ring. An overrun flag is cleared too, so that a byte missed while
 * nobody polled never blocks reception: the F4 clears it by this read of SR then DR, the F7
 * through ICR. With the flag set, the data register still holds the last byte received in time.
 */
static void rx_poll(void)
{
    const uint32_t status = USART_STATUS;

    if ((status & (USART_STATUS_RXNE | USART_STATUS_ORE)) != 0u) {
        const uint8_t c = (uint8_t)USART_RXDATA;
#if defined(RIG_STM32F7)
        if ((status & USART_STATUS_ORE) != 0u) {
            USART_ICR = USART_ICR_ORECF;
        }
#endif
        if ((status & USART_STATUS_RXNE) != 0u) {
            rig_rx_keep(c);
        }
    }
}

#if defined(RIG_EXTERNAL_FLASH)
/* ---- External flash. ---- */

/*
 * The 32F746G-DISCO's 16 MB N25Q128A on QUADSPI bank 1 (CLK PB2, NCS PB6, IO0 PD11, IO1 PD12,
 * IO2 PE2, IO3 PD13), memory-mapped at 0x90000000 so that weights are read like internal flash.
 * openocd's stmqspi driver programs it (the board's openocd configuration declares the bank).
 * Reads use the flash's plain READ command (0x03) on one line with a 3-byte address, which it
 * accepts right after power-up at up to 54 MHz: the kernel clock (HCLK) divided by 4.
 */
#if !defined(RIG_STM32F7)
#error "stm32.c: RIG_EXTERNAL_FLASH is the STM32F7's QUADSPI"
#endif
#define GPIOE_BASE 0x40021000u
#define RCC_AHB3ENR (*(volatile uint32_t *)(RCC_BASE + 0x38u))
#define RCC_AHB1ENR_GPIOEEN (1u << 4)
#define RCC_AHB3ENR_QSPIEN (1u << 1)
#define GPIO_SPEED_VERY_HIGH 0x3u
#define QUADSPI_BASE 0xA0001000u
#define QUADSPI_CR (*(volatile uint32_t *)(QUADSPI_BASE + 0x00u))
#define QUADSPI_DCR (*(volatile uint32_t *)(QUADSPI_BASE + 0x04u))
#define QUADSPI_CCR (*(volatile uint32_t *)(QUADSPI_BASE + 0x14u))
#define QUADSPI_LPTR (*(volatile uint32_t *)(QUADSPI_BASE + 0x30u))
#define QUADSPI_CR_EN (1u << 0)
#define QUADSPI_CR_TCEN (1u << 3)
#define QUADSPI_CR_PRESCALER(n) ((uint32_t)(n) << 24) /* kernel clock / (n + 1) */
#define QUADSPI_DCR_CSHT(n) ((uint32_t)(n) << 8)
#define QUADSPI_DCR_FSIZE(n) ((uint32_t)(n) << 16) /* 2^(n + 1) bytes */
#define QUADSPI_CCR_MEMORY_MAPPED (3u << 26)       /* FMODE */
#define QUADSPI_CCR_DATA_1_LINE (1u << 24)         /* DMODE */
#define QUADSPI_CCR_ADDRESS_24_BIT (2u << 12)      /* ADSIZE */
#define QUADSPI_CCR_ADDRESS_1_LINE (1u << 10)      /* ADMODE */
#define QUADSPI_CCR_INSTRUCTION_1_LINE (1u << 8)   /* IMODE */
#define N25Q128A_READ 0x03u

static void qspi_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1ENR_GPIOBEN | RCC_AHB1ENR_GPIODEN | RCC_AHB1ENR_GPIOEEN;
    RCC_AHB3ENR |= RCC_AHB3ENR_QSPIEN;
    (void)RCC_AHB3ENR; /* the clock enables take effect after two cycles: read back before use */

    gpio_af(GPIOB_BASE, 2u, GPIO_PULL_NONE, 9u, GPIO_SPEED_VERY_HIGH);  /* CLK */
    gpio_af(GPIOB_BASE, 6u, GPIO_PULL_UP, 10u, GPIO_SPEED_VERY_HIGH);   /* BK1_NCS, idle high */
    gpio_af(GPIOD_BASE, 11u, GPIO_PULL_NONE, 9u, GPIO_SPEED_VERY_HIGH); /* BK1_IO0 */
    gpio_af(GPIOD_BASE, 12u, GPIO_PULL_NONE, 9u, GPIO_SPEED_VERY_HIGH); /* BK1_IO1 */
    gpio_af(GPIOE_BASE, 2u, GPIO_PULL_NONE, 9u, GPIO_SPEED_VERY_HIGH);  /* BK1_IO2 */
    gpio_af(GPIOD_BASE, 13u, GPIO_PULL_NONE, 9u, GPIO_SPEED_VERY_HIGH); /* BK1_IO3 */

    QUADSPI_CR = 0u;
    QUADSPI_LPTR = 0x1000u; /* release NCS after 4096 idle cycles of a memory-mapped read */
    QUADSPI_DCR = QUADSPI_DCR_FSIZE(23u) | QUADSPI_DCR_CSHT(1u);
    QUADSPI_CR = QUADSPI_CR_PRESCALER(3u) | QUADSPI_CR_TCEN;
    QUADSPI_CR |= QUADSPI_CR_EN;
    QUADSPI_CCR = QUADSPI_CCR_MEMORY_MAPPED | QUADSPI_CCR_DATA_1_LINE | QUADSPI_CCR_ADDRESS_24_BIT | QUADSPI_CCR_ADDRESS_1_LINE |
                  QUADSPI_CCR_INSTRUCTION_1_LINE | N25Q128A_READ;
    dsb_isb();
}
#endif

const char *rig_board_init(void)
{
    const char *fault = clock_init();
#if defined(RIG_STM32F7)
    cache_init();
#endif
#if defined(RIG_EXTERNAL_FLASH)
    qspi_init(); /* before anything reads a weight */
#endif

    rig_systick_off(SYST_CSR_HCLK_DIV8); /* until rig_timer_start */

    /* The cycle counter: trace enabled, the Cortex-M7's DWT unlocked for software, counter off. */
    DEMCR |= DEMCR_TRCENA;
#if defined(RIG_STM32F7)
    DWT_LAR = DWT_LAR_UNLOCK;
#endif
    DWT_CTRL &= ~DWT_CTRL_CYCCNTENA;
    DWT_CYCCNT = 0u;

    /* After a clock fault the USART's bus runs at the HSI's 16 MHz (clock_fallback_hsi). */
    uart_init(fault == 0 ? USART_PCLK_HZ : RIG_HSI_HZ);
    return fault;
}

void rig_uart_write(const char *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        while ((USART_STATUS & USART_STATUS_TXE) == 0u) {
            rx_poll();
        }
        USART_TXDATA = (uint8_t)s[i];
        rx_poll();
    }
}

int rig_uart_read_byte(void)
{
    rx_poll();
    return rig_rx_take();
}

/* ---- Timer. ---- */

/* Overrides the weak alias in rig_startup.c's vector table. */
void SysTick_Handler(void);
void SysTick_Handler(void)
{
    rig_systick_wraps = rig_systick_wraps + 1u;
}

/*
 * Ticks are CPU cycles from DWT_CYCCNT. Its 32 bits wrap after 2^32 cycles (19.9 s at 216 MHz,
 * 42.9 s at 100 MHz), so SysTick runs alongside at HCLK / 8, counting its own wraps by interrupt
 * (one every 2^27 cycles: 0.62 s at 216 MHz, 1.34 s at 100 MHz; the handler's few cycles are
 * counted too). It only has to tell how many times CYCCNT wrapped.
 * SysTick is started first and CYCCNT last, so that what runs between them is not counted.
 */
void rig_timer_start(void)
{
    DWT_CTRL &= ~DWT_CTRL_CYCCNTENA;
    DWT_CYCCNT = 0u;
    rig_systick_start(SYST_CSR_HCLK_DIV8);
    DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

uint32_t rig_timer_stop(void)
{
    DWT_CTRL &= ~DWT_CTRL_CYCCNTENA;
    const uint32_t cycles = DWT_CYCCNT;

    /*
     * SysTick's ticks in cycles: off by a few dozen cycles at most (the 8-cycle tick, the code
     * between the two counters), while CYCCNT is exact modulo 2^32. The true count is
     * CYCCNT + k * 2^32 for the k that brings it nearest the estimate; any k >= 1 means 2^32
     * cycles or more, which 32 bits cannot carry: saturate.
     */
    const uint64_t estimate = rig_systick_stop(SYST_CSR_HCLK_DIV8) * SYST_CYCLES_PER_TICK;
    if (estimate >= (uint64_t)cycles + 0x80000000u) {
        return 0xFFFFFFFFu;
    }
    return cycles;
}

const uint32_t rig_cycles_per_tick = SYST_CYCLES_PER_TICK;

/* The cycles rig_timer_stop reports, modulo 2^32: one profiled step never takes that many. */
uint32_t rig_timer_read(void)
{
    return DWT_CYCCNT;
}

/* Both counters read back to back with interrupts masked, so both deltas span the same interval. */
void rig_timer_sample(uint32_t *cycles, uint32_t *ticks)
{
    __asm__ volatile("cpsid i" ::: "memory");
    *cycles = DWT_CYCCNT;
    *ticks = (uint32_t)rig_systick_peek();
    __asm__ volatile("cpsie i" ::: "memory");
}

/*
 * About a microsecond between two UART polls. One iteration is 16 instructions: 16 cycles or a
 * few more on the Cortex-M4 (the taken branch), possibly fewer on the dual-issue Cortex-M7.
 */
#define RIG_PAUSE_SPIN (RIG_SYSCLK_HZ / 16000000u)

void rig_board_pause(void)
{
    rig_spin(RIG_PAUSE_SPIN);
}

/*
 * No debugger is attached while the board runs, so there is no semihosting to exit through, and
 * nothing to exit to: wait until the last byte has left the USART (TC), keep what arrives in the
 * meantime, and return. The harness then waits for the next command. The code is not reported.
 */
void rig_board_exit(int code)
{
    (void)code;
    while ((USART_STATUS & USART_STATUS_TC) == 0u) {
        rx_poll();
    }
}

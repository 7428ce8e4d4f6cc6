#include "rig_proto.h"

#include "rig_board.h"
#include "rig_crc32.h"

/* Longest value written for a word: keeps a long model name from overflowing the line. */
#define RIG_PROTO_WORD_MAX 64u
/* Room for "@rig1 <seq> hello" and seven key=value pairs with 64-character words, or a pong with
   256 bytes of data. */
#define RIG_PROTO_LINE_MAX 384u
/* " *" + 8 hex digits + "\n", always kept free so a line is never sent without its checksum. */
#define RIG_PROTO_TRAILER 11u

static char rig_line[RIG_PROTO_LINE_MAX];
static unsigned rig_line_len;
static uint32_t rig_seq;

static const char rig_hex_digits[] = "0123456789abcdef";

static void put_char(char c)
{
    if (rig_line_len < RIG_PROTO_LINE_MAX - RIG_PROTO_TRAILER) {
        rig_line[rig_line_len++] = c;
    }
}

static void put_str(const char *s)
{
    while (*s != '\0') {
        put_char(*s++);
    }
}

static void put_dec(uint32_t v)
{
    char digits[10];
    unsigned n = 0;

    do {
        digits[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n != 0u) {
        put_char(digits[--n]);
    }
}

static void put_hex8(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4) {
        put_char(rig_hex_digits[(v >> shift) & 0xfu]);
    }
}

static int is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
}

static void put_key(const char *key)
{
    put_char(' ');
    put_str(key);
    put_char('=');
}

void rig_proto_begin(const char *kind)
{
    rig_line_len = 0;
    put_str("@rig1 ");
    put_dec(rig_seq);
    put_char(' ');
    put_str(kind);
}

void rig_proto_u32(const char *key, uint32_t value)
{
    put_key(key);
    put_dec(value);
}

void rig_proto_hex32(const char *key, uint32_t value)
{
    put_key(key);
    put_str("0x");
    put_hex8(value);
}

void rig_proto_crc(const char *key, uint32_t value)
{
    put_key(key);
    put_hex8(value);
}

void rig_proto_word(const char *key, const char *value)
{
    unsigned n = 0;

    put_key(key);
    if (*value == '\0') {
        put_char('_'); /* an empty value would not parse as key=value */
    }
    while (value[n] != '\0' && n < RIG_PROTO_WORD_MAX) {
        put_char(is_word_char(value[n]) ? value[n] : '_');
        n++;
    }
}

void rig_proto_bytes(const char *key, const uint8_t *bytes, unsigned n)
{
    put_key(key);
    for (unsigned i = 0; i < n; i++) {
        put_char(rig_hex_digits[bytes[i] >> 4]);
        put_char(rig_hex_digits[bytes[i] & 0xfu]);
    }
}

void rig_proto_data(const char *key, const char *value, unsigned n)
{
    put_key(key);
    if (n == 0u) {
        put_char('_');
    }
    for (unsigned i = 0; i < n; i++) {
        put_char(is_word_char(value[i]) ? value[i] : '_');
    }
}

void rig_proto_end(void)
{
    /* The checksum covers every byte from '@' up to, not including, the space before '*'. */
    uint32_t crc = rig_crc32(rig_line, rig_line_len);
    unsigned n = rig_line_len;

    rig_line[n++] = ' ';
    rig_line[n++] = '*';
    for (int shift = 28; shift >= 0; shift -= 4) {
        rig_line[n++] = rig_hex_digits[(crc >> shift) & 0xfu];
    }
    rig_line[n++] = '\n';
    rig_uart_write(rig_line, n);
    rig_seq++;
}

void rig_proto_error(const char *code)
{
    rig_proto_begin("error");
    rig_proto_word("code", code);
    rig_proto_end();
}

void rig_proto_hello(const char *fw, const char *model, const char *schedule, const char *board, uint32_t arena)
{
    rig_proto_begin("hello");
    rig_proto_u32("proto", 1u);
    rig_proto_word("fw", fw);
    rig_proto_word("model", model);
    rig_proto_word("schedule", schedule);
    rig_proto_word("board", board);
    rig_proto_word("timer", rig_timer_name);
    rig_proto_u32("arena", arena);
    rig_proto_end();
}

void rig_proto_fault(const char *code)
{
    for (;;) {
        rig_proto_error(code);
        for (uint32_t i = 0; i < RIG_HELLO_POLLS; i++) {
            (void)rig_uart_read_byte();
            rig_board_pause();
        }
    }
}

int rig_proto_read_line(char *line, unsigned max, void (*announce)(void))
{
    unsigned len = 0;
    int overflow = 0;
    uint32_t countdown = 0;

    for (;;) {
        if (announce != 0) {
            if (countdown == 0u) {
                announce();
                countdown = RIG_HELLO_POLLS;
            }
            countdown--;
        }
        const int c = rig_uart_read_byte();
        if (c < 0) {
            rig_board_pause();
            continue;
        }
        if (c == '\r') {
            continue;
        }
        if (c == '\n') {
            line[len] = '\0';
            return overflow ? -1 : (int)len;
        }
        if (len < max) {
            line[len++] = (char)c;
        } else {
            overflow = 1;
        }
    }
}

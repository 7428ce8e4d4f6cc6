/*
 * Line writer for the rig telemetry protocol, version 1 (see ../PROTOCOL.md):
 *
 *   @rig1 <seq> <kind> [<key>=<value> ...] *<crc>\n
 *
 * A line is built in a static buffer (rig_proto_begin, then one call per key, then rig_proto_end)
 * and sent in one rig_uart_write. No printf: newlib's formatter would cost kilobytes of flash.
 */
#ifndef RIG_PROTO_H
#define RIG_PROTO_H

#include <stdint.h>

/*
 * While waiting for the host, the UART is polled once per rig_board_pause() (about a microsecond
 * under QEMU) and hello (or a start fault) sent every RIG_HELLO_POLLS polls: about every 50 ms
 * under QEMU, 0.25-0.5 s on silicon.
 */
#ifndef RIG_HELLO_POLLS
#define RIG_HELLO_POLLS 50000u
#endif

/* Starts a line of this kind; the kind is a protocol word such as "hello". */
void rig_proto_begin(const char *kind);

/* key=<decimal>. */
void rig_proto_u32(const char *key, uint32_t value);

/* key=0x<8 lowercase hex digits>. */
void rig_proto_hex32(const char *key, uint32_t value);

/* key=<8 lowercase hex digits>, no prefix: the form PROTOCOL.md gives crc32=. */
void rig_proto_crc(const char *key, uint32_t value);

/* key=<word>. Characters outside [A-Za-z0-9_.:/-] are sent as '_' so a line always parses. */
void rig_proto_word(const char *key, const char *value);

/* Appends " *<crc>\n", sends the line and advances seq. */
void rig_proto_end(void);

/*
 * key=<word> from n bytes, not cut at 64 characters like rig_proto_word (the selftest's pong
 * echoes up to 256); only the line's own room limits it.
 */
void rig_proto_data(const char *key, const char *value, unsigned n);

/* key=<2n lowercase hex digits>: n bytes, the first byte's two digits first. */
void rig_proto_bytes(const char *key, const uint8_t *bytes, unsigned n);

/*
 * Reads one command line from the host into `line` (at most `max` characters, NUL-terminated,
 * '\r' dropped), calling `announce` (when not null) every RIG_HELLO_POLLS polls while it waits.
 * Returns the line's length, or -1 when it was longer than `max` (the rest is read and dropped).
 */
int rig_proto_read_line(char *line, unsigned max, void (*announce)(void));

/* A whole "error code=<code>" line. */
void rig_proto_error(const char *code);

/* A whole hello line (PROTOCOL.md): the image announces itself and waits for a command. */
void rig_proto_hello(const char *fw, const char *model, const char *schedule, const char *board, uint32_t arena);

/*
 * A fault found at start (rig_board_init's code): reported as "error code=<code>" in place of
 * hello and as often, forever, so that the host reads it whenever it opens the port. What arrives
 * is read and dropped.
 */
void rig_proto_fault(const char *code) __attribute__((noreturn));

#endif /* RIG_PROTO_H */

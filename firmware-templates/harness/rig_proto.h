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

/* A whole "error code=<code>" line. */
void rig_proto_error(const char *code);

#endif /* RIG_PROTO_H */

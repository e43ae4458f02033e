/* load_raw: the framing umbra-load uses with bench/forwarder, the bare UDP
 * forwarder that stands for the kernel's cost alone (no TURN).
 *
 * Each datagram starts with a header naming where the forwarder must send
 * it: 'U' 'F', the family (4 or 6), 0, the port (network order), and 4 or 16
 * address bytes. The forwarder sends the whole datagram on unchanged; the
 * receiver skips the header. Pure inline helpers, shared by both sides. */
#ifndef UMBRA_LOAD_RAW_H
#define UMBRA_LOAD_RAW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "addr.h"

#define LOAD_RAW_HDR4 8
#define LOAD_RAW_HDR6 20
#define LOAD_RAW_HDR_MAX LOAD_RAW_HDR6

/* Writes the header for dest into out; returns its length, or -1. */
static inline int load_raw_header(uint8_t out[LOAD_RAW_HDR_MAX], const struct umbra_addr *dest)
{
    size_t iplen;
    const uint8_t *ip = addr_ip_bytes(dest, &iplen);
    uint16_t port = addr_port(dest);

    if (ip == NULL || (iplen != 4 && iplen != 16))
        return -1;
    out[0] = 'U';
    out[1] = 'F';
    out[2] = iplen == 4 ? 4 : 6;
    out[3] = 0;
    out[4] = (uint8_t)(port >> 8);
    out[5] = (uint8_t)port;
    memcpy(out + 6, ip, iplen);
    return (int)(6 + iplen);
}

/* Reads the destination of a datagram; returns the header length or -1. */
static inline int load_raw_parse(const uint8_t *buf, size_t len, struct umbra_addr *dest)
{
    size_t iplen;

    if (len < LOAD_RAW_HDR4 || buf[0] != 'U' || buf[1] != 'F' || buf[3] != 0)
        return -1;
    if (buf[2] == 4)
        iplen = 4;
    else if (buf[2] == 6)
        iplen = 16;
    else
        return -1;
    if (len < 6 + iplen)
        return -1;
    if (addr_from_bytes(dest, iplen == 4 ? AF_INET : AF_INET6, buf + 6,
                        (uint16_t)((buf[4] << 8) | buf[5])) != 0)
        return -1;
    return (int)(6 + iplen);
}

#endif

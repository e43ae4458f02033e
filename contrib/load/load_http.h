/* load_http: a small blocking HTTP/1.1 client for umbra-broker's JSON API
 * on loopback: one request per connection ("Connection: close"), bodies
 * with Content-Length or chunked. Plain HTTP only. The caller owns every
 * buffer; nothing is kept between calls. */
#ifndef UMBRA_LOAD_HTTP_H
#define UMBRA_LOAD_HTTP_H

#include <stddef.h>

#include "addr.h"

#define LOAD_HTTP_TIMEOUT_MS 10000

/* "http://IP:PORT" (an optional trailing '/'); no names. 0 or -1. */
int load_http_parse_url(const char *url, struct umbra_addr *out);

/* Sends METHOD path with an optional bearer token and JSON body; writes the
 * status and the NUL-terminated response body (at most cap - 1 bytes).
 * Returns 0, or -1 on a network or protocol error (err says which). */
int load_http_request(const struct umbra_addr *server, const char *method, const char *path,
                      const char *bearer, const char *json_body, int *status, char *body,
                      size_t cap, char *err, size_t errlen);

#endif

/* http_limit: max-body enforced in front of evhttp, so that every
 * oversize request body gets the broker's JSON 413. libevent 2.1 answers
 * its own body limit with an HTML page and offers no hook before the body
 * is read, so this input filter (a bufferevent_filter between the socket
 * or TLS bufferevent and evhttp) frames requests itself:
 *   - Content-Length up to max_body, and chunked bodies that decode to at
 *     most max_body, pass through unchanged;
 *   - a longer body is read and thrown away (memory stays bounded), then
 *     evhttp gets the request head with an empty body and the header
 *     HTTP_LIMIT_HEADER: N (bytes declared or seen), which http answers
 *     with 413 and Connection: close. Reading the body first keeps the
 *     client from a reset before it reads the answer; with
 *     "Expect: 100-continue" the body is never sent, so it answers at once.
 * A request must arrive whole (head and body) within deadline seconds of
 * its first byte, else the connection is shut down without an answer:
 * evhttp's own timeout only ends idle connections, so a body trickled a
 * byte at a time held one for ever.
 * A client's own HTTP_LIMIT_HEADER is removed. A head it cannot frame
 * (over HTTP_LIMIT_HEAD_MAX, bad Content-Length or chunk size) is passed on
 * unchanged for evhttp to refuse. The filter owns its state and frees it
 * with the bufferevent. It also runs the caller's per-connection hooks
 * (http_limit_hooks: admit or close at accept, release at free), since
 * libevent 2.1's evhttp has no hook of its own before a request. */
#ifndef UMBRA_BROKER_HTTP_LIMIT_H
#define UMBRA_BROKER_HTTP_LIMIT_H

#include <stddef.h>

struct bufferevent;

#define HTTP_LIMIT_HEADER "X-Umbra-Body-Too-Large"
#define HTTP_LIMIT_HEAD_MAX 16384

/* Per-connection hooks, both optional. open runs once the connection's
 * socket is known (just after accept, before anything is read): 0 keeps
 * the connection, -1 closes it unread (shutdown; the client gets no
 * reply). close runs when a kept connection is freed, its socket still
 * open (so no new connection can have the same fd yet). */
struct http_limit_hooks {
    int (*open)(void *arg, int fd);
    void (*close)(void *arg, int fd);
    void *arg;
};

/* Wraps under (freed with the result); NULL on failure (under freed).
 * deadline_s: the longest a request may take to arrive (0: no limit).
 * hooks may be NULL; it must outlive the connection. */
struct bufferevent *http_limit_wrap(struct bufferevent *under, size_t max_body, unsigned deadline_s,
                                    const struct http_limit_hooks *hooks);

#endif

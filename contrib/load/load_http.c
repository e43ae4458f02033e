/* load_http: see load_http.h. */
#include "load_http.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOAD_HTTP_MAX (256 * 1024)

int load_http_parse_url(const char *url, struct umbra_addr *out)
{
    char host[ADDR_TEXT_MAX + 2];
    size_t n;

    if (strncmp(url, "http://", 7) != 0)
        return -1;
    url += 7;
    n = strcspn(url, "/");
    if (n == 0 || n >= sizeof(host) || (url[n] == '/' && url[n + 1] != '\0'))
        return -1;
    memcpy(host, url, n);
    host[n] = '\0';
    return addr_parse(out, host, 80);
}

static int send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads until the peer closes; the whole response must fit. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    while (len + 1 < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n;
        if (poll(&p, 1, LOAD_HTTP_TIMEOUT_MS) <= 0)
            return -1;
        n = recv(fd, buf + len, cap - 1 - len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

/* Decodes a chunked body in place; returns its length or -1. */
static ssize_t dechunk(char *body, size_t len)
{
    size_t in = 0, out = 0;
    for (;;) {
        char *end;
        unsigned long n = strtoul(body + in, &end, 16);
        char *eol = strstr(body + in, "\r\n");
        if (eol == NULL || end == body + in)
            return -1;
        in = (size_t)(eol - body) + 2;
        if (n == 0)
            return (ssize_t)out;
        if (n > len - in)
            return -1;
        memmove(body + out, body + in, n);
        out += n;
        in += n + 2;
        if (in > len)
            return -1;
    }
}

int load_http_request(const struct umbra_addr *server, const char *method, const char *path,
                      const char *bearer, const char *json_body, int *status, char *body,
                      size_t cap, char *err, size_t errlen)
{
    char head[1024];
    char *resp = NULL, *hdr_end, *p;
    size_t blen = json_body ? strlen(json_body) : 0;
    ssize_t rlen, clen = -1;
    int fd, n, rc = -1;

    fd = socket(addr_family(server), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, &server->u.sa, (socklen_t)addr_len(server)) != 0) {
        snprintf(err, errlen, "broker: cannot connect: %s", strerror(errno));
        goto out;
    }
    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\nHost: broker\r\nConnection: close\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n%s%s%s\r\n",
                 method, path, blen, bearer ? "Authorization: Bearer " : "", bearer ? bearer : "",
                 bearer ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(head) || send_all(fd, head, (size_t)n) != 0 ||
        (blen > 0 && send_all(fd, json_body, blen) != 0)) {
        snprintf(err, errlen, "broker: cannot send the request");
        goto out;
    }
    resp = malloc(LOAD_HTTP_MAX);
    if (resp == NULL || (rlen = read_all(fd, resp, LOAD_HTTP_MAX)) < 0) {
        snprintf(err, errlen, "broker: no complete response");
        goto out;
    }
    if (sscanf(resp, "HTTP/1.%*d %d", status) != 1 ||
        (hdr_end = strstr(resp, "\r\n\r\n")) == NULL) {
        snprintf(err, errlen, "broker: malformed response");
        goto out;
    }
    *hdr_end = '\0';
    p = hdr_end + 4;
    rlen -= p - resp;
    if (strcasestr(resp, "\ntransfer-encoding: chunked") != NULL)
        clen = dechunk(p, (size_t)rlen);
    else
        clen = rlen;
    if (clen < 0 || (size_t)clen >= cap) {
        snprintf(err, errlen, "broker: response body malformed or too large");
        goto out;
    }
    memcpy(body, p, (size_t)clen);
    body[clen] = '\0';
    rc = 0;
out:
    free(resp);
    if (fd >= 0)
        close(fd);
    return rc;
}

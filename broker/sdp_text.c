/* sdp_text: spans, tokens, numbers and the output buffer. See sdp_text.h. */
#include "sdp_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sdp_text_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

bool sdp_text_span_is(struct sdp_text_span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

bool sdp_text_span_is_ci(struct sdp_text_span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s.p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

bool sdp_text_starts(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

int sdp_text_parse_ulong(struct sdp_text_span s, size_t maxdigits, unsigned long max,
                         unsigned long *out)
{
    unsigned long v = 0;
    if (s.n == 0 || s.n > maxdigits)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s.p[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

bool sdp_text_is_digits(struct sdp_text_span s, size_t maxdigits)
{
    if (s.n == 0 || s.n > maxdigits)
        return false;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

bool sdp_text_is_token(struct sdp_text_span s)
{
    if (s.n == 0)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c <= 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

bool sdp_text_bytes_ok(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

int sdp_text_tokens(const char *p, size_t n, struct sdp_text_span *tok, size_t max)
{
    size_t count = 0, i = 0;
    while (i < n) {
        size_t start;
        while (i < n && p[i] == ' ')
            i++;
        if (i >= n)
            break;
        start = i;
        while (i < n && p[i] != ' ')
            i++;
        if (count == max)
            return -1;
        tok[count].p = p + start;
        tok[count].n = i - start;
        count++;
    }
    return (int)count;
}

void sdp_text_put(struct sdp_text_buf *b, const char *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *np;
        while (cap < b->len + n + 1)
            cap *= 2;
        np = realloc(b->p, cap);
        if (np == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sdp_text_puts(struct sdp_text_buf *b, const char *s)
{
    sdp_text_put(b, s, strlen(s));
}

void sdp_text_put_span(struct sdp_text_buf *b, struct sdp_text_span s)
{
    sdp_text_put(b, s.p, s.n);
}

void sdp_text_put_ulong(struct sdp_text_buf *b, unsigned long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lu", v);
    sdp_text_put(b, num, (size_t)n);
}

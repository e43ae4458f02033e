/* http_json: the pure half of http (see http.h): a request body parsed
 * as one JSON object, and the schema check of its members. No I/O, no
 * libevent, so the request parsers built on it can be fuzzed alone. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing over U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1Fu;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0Fu;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07u;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

void http_text_clean(char *text)
{
    unsigned char *s = (unsigned char *)text;

    while (*s != '\0') {
        size_t n = utf8_len(s);
        if (n == 0)
            *s++ = '?';
        else
            s += n;
    }
}

int http_parse_body(const char *data, size_t len, json_t **body, char *err, size_t errlen)
{
    json_error_t jerr;

    *body = NULL;
    if (len == 0) {
        *body = json_object();
        if (*body == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (*body == NULL) {
        /* jansson quotes the bad token, which may end inside a character */
        snprintf(err, errlen, "malformed JSON at line %d column %d: %s", jerr.line, jerr.column,
                 jerr.text);
        http_text_clean(err);
        return -1;
    }
    if (!json_is_object(*body)) {
        snprintf(err, errlen, "the body must be a JSON object");
        json_decref(*body);
        *body = NULL;
        return -1;
    }
    return 0;
}

static bool type_ok(const json_t *v, char t)
{
    switch (t) {
    case 's':
        return json_is_string(v);
    case 'S':
        return json_is_string(v) || json_is_null(v);
    case 'b':
        return json_is_boolean(v);
    case 'o':
        return json_is_object(v);
    case 'a':
        return json_is_array(v);
    default:
        return true;
    }
}

static const char *type_name(char t)
{
    switch (t) {
    case 's':
        return "a string";
    case 'S':
        return "a string or null";
    case 'b':
        return "true or false";
    case 'o':
        return "an object";
    case 'a':
        return "an array";
    default:
        return "JSON";
    }
}

int http_check_fields(const json_t *obj, const struct http_field *fields, size_t n, char *err,
                      size_t errlen)
{
    const char *key;
    json_t *value;

    json_object_foreach((json_t *)obj, key, value)
    {
        size_t i;
        for (i = 0; i < n && strcmp(fields[i].name, key) != 0; i++)
            ;
        if (i == n) {
            snprintf(err, errlen, "unknown field \"%.64s\"", key);
            http_text_clean(err); /* the cut may split a character */
            return -1;
        }
        if (!type_ok(value, fields[i].spec[0])) {
            snprintf(err, errlen, "%s: must be %s", key, type_name(fields[i].spec[0]));
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (fields[i].spec[1] == '!' && json_object_get(obj, fields[i].name) == NULL) {
            snprintf(err, errlen, "%s: required", fields[i].name);
            return -1;
        }
    }
    return 0;
}

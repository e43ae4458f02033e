/* jpos: a light scan of a JSON text that records each value's line. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jpos.h"

#define JPOS_MAX_DEPTH 32
#define JPOS_MAX_PATH 512

struct jpos_entry {
    char *path;
    int line;
};

struct policy_jpos {
    struct jpos_entry *e;
    size_t n, cap;
};

struct jpos_frame {
    bool is_object;
    bool expect_key;
    size_t base_len; /* path length of the container itself */
    long index;      /* arrays: index of the current element */
};

struct jpos_scan {
    const char *p, *end;
    int line;
    char path[JPOS_MAX_PATH];
    size_t path_len;
    struct jpos_frame frames[JPOS_MAX_DEPTH];
    int depth;
    int overflow; /* containers opened beyond JPOS_MAX_DEPTH */
    struct policy_jpos *map;
};

static int jpos_add(struct policy_jpos *map, const char *path, int line)
{
    if (map->n == map->cap) {
        size_t cap = map->cap ? map->cap * 2 : 64;
        struct jpos_entry *e = realloc(map->e, cap * sizeof(*e));
        if (e == NULL)
            return -1;
        map->e = e;
        map->cap = cap;
    }
    map->e[map->n].path = strdup(path);
    if (map->e[map->n].path == NULL)
        return -1;
    map->e[map->n].line = line;
    map->n++;
    return 0;
}

static void jpos_set_path(struct jpos_scan *s, size_t base, const char *seg, size_t seg_len)
{
    if (base + 1 + seg_len >= JPOS_MAX_PATH)
        seg_len = 0; /* too deep to name; its ancestor's line is used */
    s->path[base] = '/';
    memcpy(s->path + base + 1, seg, seg_len);
    s->path_len = base + 1 + seg_len;
    s->path[s->path_len] = '\0';
}

/* A value starts here: inside an array it is a new element. */
static int jpos_value_start(struct jpos_scan *s)
{
    if (s->depth == 0 || s->overflow > 0)
        return 0;
    struct jpos_frame *f = &s->frames[s->depth - 1];
    if (f->is_object)
        return 0; /* recorded with its key */
    char idx[24];
    int n = snprintf(idx, sizeof(idx), "%ld", f->index);
    jpos_set_path(s, f->base_len, idx, (size_t)n);
    return jpos_add(s->map, s->path, s->line);
}

/* Skips a string starting at the opening quote; returns its body. */
static void jpos_skip_string(struct jpos_scan *s, const char **body, size_t *len)
{
    const char *start = ++s->p;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\' && s->p + 1 < s->end)
            s->p++;
        else if (*s->p == '\n')
            s->line++;
        s->p++;
    }
    *body = start;
    *len = (size_t)(s->p - start);
    if (s->p < s->end)
        s->p++;
}

static int jpos_open(struct jpos_scan *s, bool is_object)
{
    if (jpos_value_start(s) < 0)
        return -1;
    if (s->depth == JPOS_MAX_DEPTH) {
        s->overflow++; /* deeper values take their ancestor's line */
        return 0;
    }
    struct jpos_frame *f = &s->frames[s->depth++];
    f->is_object = is_object;
    f->expect_key = is_object;
    f->base_len = s->path_len;
    f->index = 0;
    return 0;
}

static int jpos_step(struct jpos_scan *s)
{
    char c = *s->p;
    struct jpos_frame *f = s->depth ? &s->frames[s->depth - 1] : NULL;
    if (c == '\n') {
        s->line++;
        s->p++;
    } else if (c == '{' || c == '[') {
        s->p++;
        return jpos_open(s, c == '{');
    } else if (c == '}' || c == ']') {
        s->p++;
        if (s->overflow > 0) {
            s->overflow--;
        } else if (s->depth > 0) {
            s->path_len = f->base_len;
            s->path[s->path_len] = '\0';
            s->depth--;
        }
    } else if (c == ',') {
        s->p++;
        if (s->overflow > 0)
            return 0;
        if (f != NULL && f->is_object)
            f->expect_key = true;
        else if (f != NULL)
            f->index++;
    } else if (c == '"') {
        const char *body;
        size_t len;
        int line = s->line;
        if (s->overflow == 0 && f != NULL && f->is_object && f->expect_key) {
            jpos_skip_string(s, &body, &len);
            f->expect_key = false;
            jpos_set_path(s, f->base_len, body, len);
            return jpos_add(s->map, s->path, line);
        }
        if (jpos_value_start(s) < 0)
            return -1;
        jpos_skip_string(s, &body, &len);
    } else if (c == ' ' || c == '\t' || c == '\r' || c == ':') {
        s->p++;
    } else {
        if (jpos_value_start(s) < 0)
            return -1;
        while (s->p < s->end && strchr(",]} \t\r\n", *s->p) == NULL)
            s->p++;
    }
    return 0;
}

struct policy_jpos *policy_jpos_scan(const char *text, size_t len)
{
    struct policy_jpos *map = calloc(1, sizeof(*map));
    struct jpos_scan s = {.p = text, .end = text + len, .line = 1, .map = map};
    if (map == NULL)
        return NULL;
    if (jpos_add(map, "", 1) < 0)
        goto fail;
    while (s.p < s.end)
        if (jpos_step(&s) < 0)
            goto fail;
    return map;
fail:
    policy_jpos_free(map);
    return NULL;
}

void policy_jpos_free(struct policy_jpos *map)
{
    if (map == NULL)
        return;
    for (size_t i = 0; i < map->n; i++)
        free(map->e[i].path);
    free(map->e);
    free(map);
}

int policy_jpos_line(const struct policy_jpos *map, const char *path)
{
    char buf[JPOS_MAX_PATH];
    snprintf(buf, sizeof(buf), "%s", path);
    for (;;) {
        for (size_t i = 0; i < map->n; i++)
            if (strcmp(map->e[i].path, buf) == 0)
                return map->e[i].line;
        char *slash = strrchr(buf, '/');
        if (slash == NULL)
            return 1;
        *slash = '\0';
    }
}

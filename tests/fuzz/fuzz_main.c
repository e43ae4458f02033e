/* A small driver for libFuzzer-style targets when libFuzzer is not used:
 * runs the target over every file of the corpus directories given, then
 * over -n generated inputs: corpus entries mutated (bit flips, byte
 * changes, cuts, insertions, repaired STUN length fields, and with -d the
 * tokens of a libFuzzer dictionary spliced in: inserted, written over, or
 * repeated) and some plain random ones. Each input is a heap block of
 * exactly its size so AddressSanitizer catches any read past it. The seed
 * (-s, default the time) is printed so a failure can be replayed.
 * Inputs are up to FUZZ_MAX_INPUT bytes: the largest STUN message and a
 * body of the broker's default max-body, with its head bytes, fit.
 *
 * usage: fuzz_x [-n count] [-s seed] [-d dict] DIR_OR_FILE... */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FUZZ_MAX_INPUT (70 * 1024)
#define FUZZ_MAX_FILES 1024
#define FUZZ_MAX_TOKENS 512
#define FUZZ_TOKEN_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_input {
    uint8_t *data;
    size_t len;
};

struct fuzz_corpus {
    struct fuzz_input in[FUZZ_MAX_FILES];
    size_t n;
    struct fuzz_input tokens[FUZZ_MAX_TOKENS]; /* the dictionary */
    size_t n_tokens;
};

/* xorshift64*: reproducible from the printed seed. */
static uint64_t fuzz_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static size_t fuzz_below(uint64_t *s, size_t n)
{
    return n == 0 ? 0 : (size_t)(fuzz_next(s) % n);
}

static void fuzz_run(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (copy == NULL) {
        perror("malloc");
        exit(2);
    }
    if (len > 0)
        memcpy(copy, data, len);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
}

static int fuzz_load_file(struct fuzz_corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    static uint8_t buf[FUZZ_MAX_INPUT];
    size_t n;
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    if (n == sizeof(buf)) {
        fprintf(stderr, "%s: over %d bytes\n", path, FUZZ_MAX_INPUT);
        return -1;
    }
    fuzz_run(buf, n);
    if (c->n < FUZZ_MAX_FILES) {
        c->in[c->n].data = malloc(n ? n : 1);
        if (c->in[c->n].data == NULL)
            return -1;
        memcpy(c->in[c->n].data, buf, n);
        c->in[c->n++].len = n;
    }
    return 0;
}

static int fuzz_load(struct fuzz_corpus *c, const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return fuzz_load_file(c, path);
    d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char full[4096];
        if (e->d_name[0] == '.')
            continue;
        snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
        rc = fuzz_load_file(c, full);
    }
    closedir(d);
    return rc;
}

static int fuzz_hex(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* One dictionary line: [name=]"value" with \\, \" and \xNN escapes;
 * comments and blank lines give 0 bytes. -1 when malformed. */
static int fuzz_dict_line(const char *line, uint8_t *out, size_t *len)
{
    const char *p = strchr(line, '"'), *end = strrchr(line, '"');
    *len = 0;
    if (line[strspn(line, " \t\r\n")] == '\0' || line[strspn(line, " \t")] == '#')
        return 0;
    if (p == NULL || end == p)
        return -1;
    for (p++; p < end; p++) {
        int hi, lo;
        if (*len == FUZZ_TOKEN_MAX)
            return -1;
        if (*p != '\\') {
            out[(*len)++] = (uint8_t)*p;
            continue;
        }
        if (p + 1 < end && (p[1] == '\\' || p[1] == '"')) {
            out[(*len)++] = (uint8_t) * ++p;
        } else if (p + 3 < end && p[1] == 'x' && (hi = fuzz_hex(p[2])) >= 0 &&
                   (lo = fuzz_hex(p[3])) >= 0) {
            out[(*len)++] = (uint8_t)(hi << 4 | lo);
            p += 3;
        } else {
            return -1;
        }
    }
    return 0;
}

static int fuzz_load_dict(struct fuzz_corpus *c, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4 * FUZZ_TOKEN_MAX + 64];
    uint8_t tok[FUZZ_TOKEN_MAX];
    size_t len;
    int rc = 0, no = 0;

    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
        no++;
        if (fuzz_dict_line(line, tok, &len) != 0 || c->n_tokens == FUZZ_MAX_TOKENS) {
            fprintf(stderr, "%s:%d: malformed, too long, or one token too many\n", path, no);
            rc = -1;
        } else if (len > 0) {
            c->tokens[c->n_tokens].data = malloc(len);
            if (c->tokens[c->n_tokens].data == NULL) {
                rc = -1;
                break;
            }
            memcpy(c->tokens[c->n_tokens].data, tok, len);
            c->tokens[c->n_tokens++].len = len;
        }
    }
    fclose(f);
    return rc;
}

/* Splices a dictionary token into buf at pos: inserted, written over, or
 * inserted several times in a row (entries of a list, past a count). */
static void fuzz_splice(const struct fuzz_corpus *c, uint64_t *s, uint8_t *buf, size_t *len,
                        size_t pos)
{
    const struct fuzz_input *t = &c->tokens[fuzz_below(s, c->n_tokens)];
    size_t times = 1, way = fuzz_below(s, 4);

    if (way == 0 && pos + t->len <= *len) {
        memcpy(buf + pos, t->data, t->len);
        return;
    }
    if (way == 1)
        times = 1 + fuzz_below(s, 40);
    if (*len + times * t->len > FUZZ_MAX_INPUT)
        return;
    memmove(buf + pos + times * t->len, buf + pos, *len - pos);
    for (size_t k = 0; k < times; k++)
        memcpy(buf + pos + k * t->len, t->data, t->len);
    *len += times * t->len;
}

static void fuzz_mutate_once(const struct fuzz_corpus *c, uint64_t *s, uint8_t *buf, size_t *len)
{
    static const uint8_t interesting[] = {0x00, 0x01, 0x03, 0x40, 0x7f, 0x80, 0xff};
    size_t pos = fuzz_below(s, *len);
    if (c->n_tokens > 0 && fuzz_below(s, 3) == 0) {
        fuzz_splice(c, s, buf, len, pos);
        return;
    }
    switch (fuzz_below(s, 8)) {
    case 0: /* flip a bit */
        if (*len > 0)
            buf[pos] ^= (uint8_t)(1u << fuzz_below(s, 8));
        break;
    case 1: /* an interesting byte */
        if (*len > 0)
            buf[pos] = interesting[fuzz_below(s, sizeof(interesting))];
        break;
    case 2: /* cut */
        *len = fuzz_below(s, *len + 1);
        break;
    case 3: /* insert random bytes */
        if (*len < FUZZ_MAX_INPUT - 8) {
            size_t k = 1 + fuzz_below(s, 8);
            memmove(buf + pos + k, buf + pos, *len - pos);
            for (size_t i = 0; i < k; i++)
                buf[pos + i] = (uint8_t)fuzz_next(s);
            *len += k;
        }
        break;
    case 4: /* delete bytes */
        if (*len > 0) {
            size_t k = 1 + fuzz_below(s, *len - pos);
            memmove(buf + pos, buf + pos + k, *len - pos - k);
            *len -= k;
        }
        break;
    case 5: /* repair the STUN length so the parser goes deeper */
        if (*len >= 20) {
            *len &= ~(size_t)3;
            buf[2] = (uint8_t)((*len - 20) >> 8);
            buf[3] = (uint8_t)(*len - 20);
        }
        break;
    case 6: /* a 16-bit field (type, length, channel) set at random */
        if (*len >= 2) {
            pos &= ~(size_t)1;
            if (pos + 1 >= *len)
                pos = 0;
            buf[pos] = (uint8_t)fuzz_next(s);
            buf[pos + 1] = (uint8_t)fuzz_next(s);
        }
        break;
    default: /* duplicate a chunk at the end */
        if (*len > 0 && *len * 2 < FUZZ_MAX_INPUT) {
            size_t k = 1 + fuzz_below(s, *len - pos);
            memcpy(buf + *len, buf + pos, k);
            *len += k;
        }
        break;
    }
}

static void fuzz_generate(const struct fuzz_corpus *c, uint64_t *s, uint8_t *buf, size_t *len)
{
    if (c->n == 0 || fuzz_below(s, 8) == 0) {
        *len = fuzz_below(s, 256);
        for (size_t i = 0; i < *len; i++)
            buf[i] = (uint8_t)fuzz_next(s);
        return;
    }
    const struct fuzz_input *base = &c->in[fuzz_below(s, c->n)];
    *len = base->len;
    memcpy(buf, base->data, base->len);
    for (size_t k = 1 + fuzz_below(s, 6); k > 0; k--)
        fuzz_mutate_once(c, s, buf, len);
}

int main(int argc, char **argv)
{
    static struct fuzz_corpus corpus;
    static uint8_t buf[FUZZ_MAX_INPUT * 2];
    unsigned long count = 0;
    uint64_t seed = (uint64_t)time(NULL);
    int i;

    for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
        if (i + 1 >= argc)
            goto usage;
        if (strcmp(argv[i], "-n") == 0)
            count = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-s") == 0)
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "-d") == 0 && fuzz_load_dict(&corpus, argv[i + 1]) != 0)
            return 2;
        else if (strcmp(argv[i], "-d") == 0)
            continue;
        else
            goto usage;
    }
    for (; i < argc; i++)
        if (fuzz_load(&corpus, argv[i]) != 0)
            return 2;
    printf("%s: %zu corpus inputs, %zu dictionary tokens, %lu generated, seed %" PRIu64 "\n",
           argv[0], corpus.n, corpus.n_tokens, count, seed);
    fflush(stdout);
    uint64_t s = seed ? seed : 1;
    for (unsigned long k = 0; k < count; k++) {
        size_t len = 0;
        fuzz_generate(&corpus, &s, buf, &len);
        fuzz_run(buf, len);
    }
    for (size_t k = 0; k < corpus.n; k++)
        free(corpus.in[k].data);
    for (size_t k = 0; k < corpus.n_tokens; k++)
        free(corpus.tokens[k].data);
    printf("%s: done\n", argv[0]);
    return 0;
usage:
    fprintf(stderr, "usage: %s [-n count] [-s seed] [-d dict] DIR_OR_FILE...\n", argv[0]);
    return 2;
}

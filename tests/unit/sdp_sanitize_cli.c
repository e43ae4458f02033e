/* Test helper: sanitizes one SDP file to stdout (sdp_sanitize), or, with
 * --candidates, each line of a file as a trickled candidate
 * (sdp_sanitize_candidate: kept candidates printed, others skipped). The
 * label key is random, the CNAME fixed. Exit 1 with the reason on error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sdp_sanitize.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(SDP_MAX_INPUT + 2);
    if (f == NULL || buf == NULL) {
        perror(path);
        exit(1);
    }
    *len = fread(buf, 1, SDP_MAX_INPUT + 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static int candidates(const char *text)
{
    char *copy = strdup(text), *save = NULL;
    for (char *l = strtok_r(copy, "\r\n", &save); l; l = strtok_r(NULL, "\r\n", &save)) {
        char out[SDP_CANDIDATE_MAX], err[256];
        int rc = sdp_sanitize_candidate(l, strlen(l), out, sizeof(out), err, sizeof(err));
        if (rc < 0) {
            fprintf(stderr, "%s: %s\n", l, err);
            free(copy);
            return 1;
        }
        if (rc == 1)
            printf("%s\n", out);
    }
    free(copy);
    return 0;
}

int main(int argc, char **argv)
{
    uint8_t key[SDP_LABEL_KEY_BYTES];
    struct sdp_options o = {.cname = "Kd8s0QmZtYw3LpXe", .label_key = key, .strip_identity = true};
    struct sdp_result r;
    char err[256];
    size_t len;
    char *in;
    int rc = 0;
    if (sodium_init() < 0 || argc < 2) {
        fprintf(stderr, "usage: sdp_sanitize_cli [--candidates] FILE\n");
        return 1;
    }
    in = read_all(argv[argc - 1], &len);
    if (argc == 3 && strcmp(argv[1], "--candidates") == 0) {
        rc = candidates(in);
    } else {
        randombytes_buf(key, sizeof(key));
        if (sdp_sanitize(in, len, &o, &r, err, sizeof(err)) != 0) {
            fprintf(stderr, "sdp_sanitize: %s\n", err);
            rc = 1;
        } else {
            fwrite(r.sdp, 1, r.len, stdout);
            sdp_result_free(&r);
        }
    }
    free(in);
    return rc;
}

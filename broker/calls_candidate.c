/* calls_candidate: one trickled candidate entry checked and turned into
 * the event the other party gets. Pure (jansson and the SDP sanitizer), so
 * the fuzz target of the broker's requests runs it. See calls_internal.h. */
#include <stdio.h>
#include <string.h>

#include "calls_internal.h"
#include "status.h"

static int candidate_fail(char *err, size_t errlen, int status, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return status;
}

int calls_candidate_event(const json_t *entry, json_t **ev, char *err, size_t errlen)
{
    const json_t *cand = entry, *mid = NULL, *idx = NULL;
    char out[SDP_CANDIDATE_MAX];
    const char *key;
    json_t *value;
    int kept;

    *ev = NULL;
    if (json_is_object(entry)) {
        json_object_foreach((json_t *)entry, key, value)
        {
            if (strcmp(key, "candidate") != 0 && strcmp(key, "sdpMid") != 0 &&
                strcmp(key, "sdpMLineIndex") != 0 && strcmp(key, "usernameFragment") != 0)
                return candidate_fail(err, errlen, BROKER_EINVALID, "candidates: unknown field");
        }
        cand = json_object_get(entry, "candidate");
        mid = json_object_get(entry, "sdpMid");
        idx = json_object_get(entry, "sdpMLineIndex");
        if ((mid != NULL && !json_is_string(mid) && !json_is_null(mid)) ||
            (idx != NULL && !json_is_integer(idx) && !json_is_null(idx)))
            return candidate_fail(err, errlen, BROKER_EINVALID,
                                  "candidates: sdpMid must be a string, sdpMLineIndex an integer");
    }
    if (!json_is_string(cand))
        return candidate_fail(err, errlen, BROKER_EINVALID,
                              "candidates: each entry is a string or {\"candidate\": string, ...}");
    if (json_string_length(cand) == 0) {
        /* end-of-candidates carries no address */
        *ev = json_pack("{s:s, s:s}", "type", "candidate", "candidate", "");
    } else {
        kept = sdp_sanitize_candidate(json_string_value(cand), json_string_length(cand), out,
                                      sizeof(out), err, errlen);
        if (kept < 0)
            return BROKER_EUNPROCESSABLE;
        if (kept == 0)
            return 0;
        *ev = json_pack("{s:s, s:s}", "type", "candidate", "candidate", out);
    }
    if (*ev == NULL)
        return candidate_fail(err, errlen, BROKER_EINTERNAL, "out of memory");
    if (mid != NULL && json_is_string(mid))
        json_object_set(*ev, "sdpMid", (json_t *)mid);
    if (idx != NULL && json_is_integer(idx))
        json_object_set(*ev, "sdpMLineIndex", (json_t *)idx);
    return 0;
}

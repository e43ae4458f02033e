/* revocation: see revocation.h. */
#include "revocation.h"

int revocation_start(struct redis_link *sub, struct log_ctx *log, revocation_cb on_revoke,
                     void *ctx)
{
    if (redis_link_subscribe(sub, REVOCATION_CHANNEL, on_revoke, ctx) != 0) {
        log_error(log, "revocation: cannot subscribe");
        return -1;
    }
    return 0;
}

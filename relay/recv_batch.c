/* recv_batch: see recv_batch.h. */
#include "recv_batch.h"

#include <stdlib.h>
#include <string.h>

int recv_batch_init(struct recv_batch *rb)
{
    rb->mm = calloc(RECV_BATCH_SIZE, sizeof(*rb->mm));
    rb->iov = calloc(RECV_BATCH_SIZE, sizeof(*rb->iov));
    rb->from = calloc(RECV_BATCH_SIZE, sizeof(*rb->from));
    rb->slots = malloc((size_t)RECV_BATCH_SIZE * RECV_BATCH_SLOT);
    if (rb->mm == NULL || rb->iov == NULL || rb->from == NULL || rb->slots == NULL) {
        recv_batch_free(rb);
        return -1;
    }
    return 0;
}

void recv_batch_free(struct recv_batch *rb)
{
    free(rb->mm);
    free(rb->iov);
    free(rb->from);
    free(rb->slots);
    rb->mm = NULL;
    rb->iov = NULL;
    rb->from = NULL;
    rb->slots = NULL;
}

int recv_batch_read(struct recv_batch *rb, int fd)
{
    int n;
    for (int i = 0; i < RECV_BATCH_SIZE; i++) {
        rb->iov[i].iov_base = rb->slots + (size_t)i * RECV_BATCH_SLOT + RECV_BATCH_HEADROOM;
        rb->iov[i].iov_len = RECV_BATCH_SLOT - RECV_BATCH_HEADROOM - 4;
        memset(&rb->mm[i].msg_hdr, 0, sizeof(rb->mm[i].msg_hdr));
        rb->mm[i].msg_hdr.msg_name = &rb->from[i];
        rb->mm[i].msg_hdr.msg_namelen = sizeof(rb->from[i]);
        rb->mm[i].msg_hdr.msg_iov = &rb->iov[i];
        rb->mm[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(fd, rb->mm, RECV_BATCH_SIZE, MSG_DONTWAIT, NULL);
    return n > 0 ? n : 0;
}

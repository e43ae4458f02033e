/* client_path: see client_path.h. */
#include "client_path.h"

#include <event2/bufferevent.h>
#include <stddef.h>

void client_path_attach(const struct client_path *p, void *owner)
{
    struct client_transport *t = p->transport;
    if (t->bev == NULL)
        return;
    t->owner = owner;
    bufferevent_set_timeouts(t->bev, NULL, NULL);
}

void client_path_detach(const struct client_path *p, const void *owner)
{
    struct client_transport *t = p->transport;
    struct timeval idle = {CLIENT_PATH_IDLE_SECONDS, 0};
    if (t->bev == NULL || t->owner != owner)
        return;
    t->owner = NULL;
    bufferevent_set_timeouts(t->bev, &idle, NULL);
}

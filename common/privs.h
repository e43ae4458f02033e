/* privs: what a daemon does at start-up about privileges and secrets.
 *
 * A daemon started as root opens what needs root (privileged ports, TLS
 * keys, secret files) and then switches for good to an unprivileged user
 * and group (proc-user, proc-group). privs_resolve() looks the names up
 * before anything is opened, so a wrong name stops the daemon before it
 * starts anything; privs_drop() switches and checks that root cannot be
 * regained. Secret files must not be readable by group or others:
 * privs_check_secret_file() refuses them with the chmod that fixes it.
 * privs_no_dump() keeps the process out of core dumps and ptrace by other
 * users; the kernel resets that on a switch of user, so privs_drop() sets
 * it again. Functions return 0, or -1 with a reason in err. */
#ifndef UMBRA_PRIVS_H
#define UMBRA_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PRIVS_NAME_MAX 64

struct privs_target {
    bool set; /* false: stay as started */
    uid_t uid;
    gid_t gid;
    char user[PRIVS_NAME_MAX];
    char group[PRIVS_NAME_MAX];
};

/* Looks up user (required when group is given) and group (default: the
 * user's primary group). Both NULL or "": t->set = false. Refuses root as
 * the target, unknown names, and a switch this process cannot make (not
 * started as root). */
int privs_resolve(const char *user, const char *group, struct privs_target *t, char *err,
                  size_t errlen);
/* setgroups to the group only, setgid, setuid; then checks that uid and gid
 * are the target's (real, effective, saved), that no other group remains,
 * and that setuid(0)/setgid(0) fail. Not dumpable again afterwards. Nothing
 * to do when !t->set. */
int privs_drop(const struct privs_target *t, char *err, size_t errlen);
/* 0 when path's mode gives group and others nothing (0600, 0400 ...). A
 * file that cannot be examined is left to the loader to report. key names
 * the configuration key in the message. */
int privs_check_secret_file(const char *key, const char *path, char *err, size_t errlen);
/* PR_SET_DUMPABLE 0: no core dump, /proc/PID/mem and ptrace for root only. */
int privs_no_dump(void);
/* Whether t's user can read path (checked with the target's ids, through
 * the mode bits and owner: the file's ACLs are not consulted). */
bool privs_can_read(const struct privs_target *t, const char *path);

#endif

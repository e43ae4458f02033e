/* privs: see privs.h. */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* getpwnam_r/getgrnam_r need a buffer for the strings of the entry. */
#define PRIVS_NSS_BUF 16384

static int lookup_user(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
    struct passwd pw, *res = NULL;
    char *buf = malloc(PRIVS_NSS_BUF);
    int rc;
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = getpwnam_r(name, &pw, buf, PRIVS_NSS_BUF, &res);
    if (rc == 0 && res != NULL) {
        *uid = pw.pw_uid;
        *gid = pw.pw_gid;
    }
    free(buf);
    if (res == NULL) {
        snprintf(err, errlen, "proc-user = %s: no such user%s%s", name, rc != 0 ? ": " : "",
                 rc != 0 ? strerror(rc) : "");
        return -1;
    }
    return 0;
}

static int lookup_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
    struct group gr, *res = NULL;
    char *buf = malloc(PRIVS_NSS_BUF);
    int rc;
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rc = getgrnam_r(name, &gr, buf, PRIVS_NSS_BUF, &res);
    if (rc == 0 && res != NULL)
        *gid = gr.gr_gid;
    free(buf);
    if (res == NULL) {
        snprintf(err, errlen, "proc-group = %s: no such group%s%s", name, rc != 0 ? ": " : "",
                 rc != 0 ? strerror(rc) : "");
        return -1;
    }
    return 0;
}

int privs_resolve(const char *user, const char *group, struct privs_target *t, char *err,
                  size_t errlen)
{
    bool has_user = user != NULL && user[0] != '\0';
    bool has_group = group != NULL && group[0] != '\0';

    memset(t, 0, sizeof(*t));
    if (!has_user && !has_group)
        return 0;
    if (!has_user) {
        snprintf(err, errlen, "proc-group needs proc-user");
        return -1;
    }
    if (strlen(user) >= sizeof(t->user) || (has_group && strlen(group) >= sizeof(t->group))) {
        snprintf(err, errlen, "proc-user or proc-group: name too long");
        return -1;
    }
    if (lookup_user(user, &t->uid, &t->gid, err, errlen) != 0)
        return -1;
    if (has_group && lookup_group(group, &t->gid, err, errlen) != 0)
        return -1;
    if (t->uid == 0 || t->gid == 0) {
        snprintf(err, errlen,
                 "proc-user = %s, proc-group = %s: the daemon must not stay root; "
                 "name an unprivileged user and group",
                 user, has_group ? group : "(its own)");
        return -1;
    }
    if (geteuid() != 0) {
        snprintf(err, errlen,
                 "proc-user = %s: switching user needs a start as root "
                 "(started as uid %u)",
                 user, (unsigned)geteuid());
        return -1;
    }
    strcpy(t->user, user);
    if (has_group)
        strcpy(t->group, group);
    t->set = true;
    return 0;
}

static bool ids_are(const struct privs_target *t)
{
    uid_t ru, eu, su;
    gid_t rg, eg, sg, groups[2];
    int n;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
        return false;
    if (ru != t->uid || eu != t->uid || su != t->uid || rg != t->gid || eg != t->gid ||
        sg != t->gid)
        return false;
    n = getgroups(2, groups);
    return n == 0 || (n == 1 && groups[0] == t->gid);
}

int privs_drop(const struct privs_target *t, char *err, size_t errlen)
{
    if (!t->set)
        return 0;
    if (setgroups(1, &t->gid) != 0 || setresgid(t->gid, t->gid, t->gid) != 0) {
        snprintf(err, errlen, "proc-group: cannot switch to gid %u: %s", (unsigned)t->gid,
                 strerror(errno));
        return -1;
    }
    if (setresuid(t->uid, t->uid, t->uid) != 0) {
        snprintf(err, errlen, "proc-user = %s: cannot switch to uid %u: %s", t->user,
                 (unsigned)t->uid, strerror(errno));
        return -1;
    }
    if (!ids_are(t)) {
        snprintf(err, errlen, "proc-user = %s: the ids after the switch are not the user's",
                 t->user);
        return -1;
    }
    /* These must fail now; if one works the switch was not for good. */
    if (setuid(0) == 0 || setgid(0) == 0 || seteuid(0) == 0) {
        snprintf(err, errlen, "proc-user = %s: root could be regained after the switch", t->user);
        return -1;
    }
    if (privs_no_dump() != 0) {
        snprintf(err, errlen, "cannot clear the dumpable flag: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int privs_check_secret_file(const char *key, const char *path, char *err, size_t errlen)
{
    struct stat st;
    mode_t loose;
    if (stat(path, &st) != 0)
        return 0;
    loose = st.st_mode & (S_IRWXG | S_IRWXO);
    if (loose == 0)
        return 0;
    snprintf(err, errlen, "%s %s: mode %04o lets group/others %s it; chmod 600 %s", key, path,
             (unsigned)(st.st_mode & 07777),
             (loose & (S_IRGRP | S_IROTH)) != 0 ? "read" : "write or run", path);
    return -1;
}

int privs_no_dump(void)
{
    return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : -1;
}

bool privs_can_read(const struct privs_target *t, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return false;
    if (st.st_uid == t->uid)
        return (st.st_mode & S_IRUSR) != 0;
    if (st.st_gid == t->gid)
        return (st.st_mode & S_IRGRP) != 0;
    return (st.st_mode & S_IROTH) != 0;
}

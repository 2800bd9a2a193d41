/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "machine-name.h"
#include "network-config.h"
#include "path-util.h"
#include "registry.h"
#include "string-util.h"
#include "strv.h"

static const char *const machine_state_table[_MACHINE_STATE_MAX] = {
        [MACHINE_STARTING] = "starting",
        [MACHINE_RUNNING] = "running",
        [MACHINE_STOPPING] = "stopping",
};
DEFINE_STRING_TABLE_LOOKUP(machine_state, MachineState);

void machine_record_done(MachineRecord *r) {
        free(r->name);
        free(r->class);
        free(r->service);
        free(r->mode);
        free(r->root);
        machine_cgroup_done(&r->cgroup);
        free(r->selinux_context);
        free(r->link);
        free(r->zone);
        strv_free(r->addresses);
        strv_free(r->ports);
        undo_log_done(&r->undo);
        *r = (MachineRecord) {};
}

static char *lock_path(const char *dir, const char *name) {
        return strdup_printf("%s/.#%s.lck", dir, name);
}

int registry_lock_name(const char *dir, const char *name, LockFile *ret) {
        _cleanup_free_ char *p = NULL;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        p = lock_path(dir, name);
        if (!p)
                return -ENOMEM;
        return lock_file_acquire(p, LOCK_EX | LOCK_NB, ret);
}

/* Values are written bare when safe, else double-quoted; control characters
 * are refused rather than escaped. */
static int append(FILE *f, const char *key, const char *value) {
        bool quote;

        if (!value)
                return 0;
        for (const char *p = value; *p; p++)
                if ((unsigned char) *p < ' ')
                        return -EINVAL;
        quote = isempty(value) || !string_is_safe(value) || strchr(value, ' ');

        fputs(key, f);
        fputc('=', f);
        if (!quote)
                fputs(value, f);
        else {
                fputc('"', f);
                for (const char *p = value; *p; p++) {
                        if (strchr("\"\\$`", *p))
                                fputc('\\', f);
                        fputc(*p, f);
                }
                fputc('"', f);
        }
        fputc('\n', f);
        return 0;
}

static int appendx(FILE *f, const char *key, uint64_t v) {
        fprintf(f, "%s=0x%llx\n", key, (unsigned long long) v);
        return 0;
}

static int appendf(FILE *f, const char *key, unsigned long long v) {
        fprintf(f, "%s=%llu\n", key, v);
        return 0;
}

int registry_format(const MachineRecord *m, char **ret) {
        _cleanup_free_ char *t = NULL;
        char uuid[ID128_UUID_STRING_MAX];
        size_t size = 0;
        FILE *f;
        int r = 0;

        f = open_memstream(&t, &size);
        if (!f)
                return -ENOMEM;
        r = r ?: append(f, "NAME", m->name);
        r = r ?: append(f, "UUID", id128_to_uuid_string(m->uuid, uuid));
        r = r ?: append(f, "CLASS", m->class);
        r = r ?: append(f, "SERVICE", m->service);
        r = r ?: append(f, "MODE", m->mode);
        r = r ?: append(f, "STATE", machine_state_to_string(m->state));
        r = r ?: appendf(f, "SUPERVISOR", (unsigned long long) m->supervisor);
        r = r ?: appendf(f, "SUPERVISOR_STARTTIME", m->supervisor_starttime);
        r = r ?: appendf(f, "LEADER", (unsigned long long) m->leader);
        r = r ?: append(f, "ROOT", m->root);
        r = r ?: append(f, "EPHEMERAL", yes_no(m->ephemeral));
        if (m->changes_fd >= 0)
                r = r ?: appendf(f, "CHANGES_FD", (unsigned long long) m->changes_fd);
        r = r ?: appendf(f, "UID_BASE", m->uid_base);
        r = r ?: appendf(f, "UID_COUNT", m->uid_count);
        r = r ?: append(f, "UNIFIED", m->cgroup.unified_mount);
        r = r ?: append(f, "CGROUP", m->cgroup.path);
        r = r ?: append(f, "UNIT", m->cgroup.unit);
        r = r ?: append(f, "SYSTEMD_UNIT", yes_no(m->cgroup.systemd_unit));
        STRV_FOREACH(c, m->cgroup.v1)
                r = r ?: append(f, "CGROUP_V1", *c);
        r = r ?: append(f, "REGISTERED", yes_no(m->registered));
        r = r ?: appendx(f, "CAPABILITIES", m->capabilities);
        r = r ?: appendx(f, "AMBIENT_CAPABILITIES", m->ambient_capabilities);
        r = r ?: append(f, "NO_NEW_PRIVILEGES", yes_no(m->no_new_privileges));
        r = r ?: append(f, "SECCOMP", yes_no(m->seccomp));
        r = r ?: append(f, "SELINUX_CONTEXT", m->selinux_context);
        r = r ?: append(f, "LINK", m->link);
        r = r ?: append(f, "ZONE", m->zone);
        STRV_FOREACH(a, m->addresses)
                r = r ?: append(f, "ADDRESS", *a);
        STRV_FOREACH(p, m->ports)
                r = r ?: append(f, "PORT", *p);
        r = r ?: appendf(f, "SINCE", m->since);
        STRV_FOREACH(e, m->undo.entries)
                r = r ?: append(f, "UNDO", *e);
        if (fclose(f) != 0 && r == 0)
                r = -ENOMEM;
        if (r < 0)
                return r;

        *ret = TAKE_PTR(t);
        return 0;
}

int registry_write(const char *dir, const MachineRecord *m) {
        _cleanup_free_ char *text = NULL, *p = NULL;
        int r;

        r = registry_format(m, &text);
        if (r < 0)
                return r;
        p = path_join(dir, m->name);
        if (!p)
                return -ENOMEM;
        r = write_string_file_at(AT_FDCWD, p, text, WRITE_FILE_ATOMIC | WRITE_FILE_NO_NEWLINE, 0644);
        if (r != -ENOENT)
                return r;
        r = mkdir_p(dir, 0755); /* the first machine since boot */
        if (r < 0)
                return r;
        return write_string_file_at(AT_FDCWD, p, text, WRITE_FILE_ATOMIC | WRITE_FILE_NO_NEWLINE, 0644);
}

static int parse_u64(const char *v, uint64_t *ret) {
        return safe_atou64(v, 10, ret) < 0 ? -EBADMSG : 0;
}

static int record_cb(const char *key, const char *value, void *userdata) {
        MachineRecord *m = userdata;
        uint64_t u;
        int r;

        if (streq(key, "NAME"))
                return free_and_strdup(&m->name, value);
        if (streq(key, "UUID"))
                return id128_from_string(value, &m->uuid) < 0 ? -EBADMSG : 0;
        if (streq(key, "CLASS"))
                return free_and_strdup(&m->class, value);
        if (streq(key, "SERVICE"))
                return free_and_strdup(&m->service, value);
        if (streq(key, "MODE"))
                return free_and_strdup(&m->mode, value);
        if (streq(key, "STATE")) {
                m->state = machine_state_from_string(value);
                return m->state < 0 ? -EBADMSG : 0;
        }
        if (streq(key, "ROOT"))
                return free_and_strdup(&m->root, value);
        if (streq(key, "EPHEMERAL")) {
                r = parse_boolean(value);
                if (r < 0)
                        return -EBADMSG;
                m->ephemeral = r;
                return 0;
        }
        if (streq(key, "CHANGES_FD"))
                return safe_atoi(value, &m->changes_fd) < 0 || m->changes_fd < 0 ? -EBADMSG : 0;
        if (streq(key, "UNIFIED"))
                return free_and_strdup(&m->cgroup.unified_mount, value);
        if (streq(key, "CGROUP"))
                return free_and_strdup(&m->cgroup.path, value);
        if (streq(key, "UNIT"))
                return free_and_strdup(&m->cgroup.unit, value);
        if (streq(key, "SYSTEMD_UNIT")) {
                r = parse_boolean(value);
                if (r < 0)
                        return -EBADMSG;
                m->cgroup.systemd_unit = r;
                return 0;
        }
        if (streq(key, "CGROUP_V1"))
                return path_is_absolute(value) && path_has_no_dotdot(value) ? strv_extend(&m->cgroup.v1, value)
                                                                            : -EBADMSG;
        if (streq(key, "REGISTERED")) {
                r = parse_boolean(value);
                if (r < 0)
                        return -EBADMSG;
                m->registered = r;
                return 0;
        }
        if (streq(key, "NO_NEW_PRIVILEGES") || streq(key, "SECCOMP")) {
                r = parse_boolean(value);
                if (r < 0)
                        return -EBADMSG;
                *(streq(key, "SECCOMP") ? &m->seccomp : &m->no_new_privileges) = r;
                return 0;
        }
        if (streq(key, "CAPABILITIES"))
                return safe_atou64(value, 16, &m->capabilities) < 0 ? -EBADMSG : 0;
        if (streq(key, "AMBIENT_CAPABILITIES"))
                return safe_atou64(value, 16, &m->ambient_capabilities) < 0 ? -EBADMSG : 0;
        if (streq(key, "SELINUX_CONTEXT"))
                return free_and_strdup(&m->selinux_context, value);
        if (streq(key, "LINK"))
                return ifname_is_valid(value) ? free_and_strdup(&m->link, value) : -EBADMSG;
        if (streq(key, "ZONE")) {
                NetworkConfig n = {};
                int k = network_config_set_zone(&n, value);

                free(n.zone);
                return k == -ENOMEM ? k : k < 0 ? -EBADMSG : free_and_strdup(&m->zone, value);
        }
        if (streq(key, "ADDRESS")) {
                InAddrPrefix a;
                return in_addr_prefix_from_string(value, true, &a) < 0 ? -EBADMSG : strv_extend(&m->addresses, value);
        }
        if (streq(key, "PORT")) {
                PortForward p;
                return port_forward_from_string(value, &p) < 0 ? -EBADMSG : strv_extend(&m->ports, value);
        }
        if (streq(key, "UNDO"))
                return undo_entry_is_valid(value) ? strv_extend(&m->undo.entries, value) : -EBADMSG;

        if (streq(key, "SUPERVISOR") || streq(key, "LEADER") || streq(key, "SUPERVISOR_STARTTIME") ||
            streq(key, "UID_BASE") || streq(key, "UID_COUNT") || streq(key, "SINCE")) {
                r = parse_u64(value, &u);
                if (r < 0)
                        return r;
                if (streq(key, "SUPERVISOR"))
                        m->supervisor = (pid_t) u;
                else if (streq(key, "LEADER"))
                        m->leader = (pid_t) u;
                else if (streq(key, "SUPERVISOR_STARTTIME"))
                        m->supervisor_starttime = u;
                else if (streq(key, "UID_BASE"))
                        m->uid_base = (uid_t) u;
                else if (streq(key, "UID_COUNT"))
                        m->uid_count = (uid_t) u;
                else
                        m->since = u;
                return 0;
        }
        return 0; /* unknown keys: from a newer berth */
}

int registry_parse(const char *text, MachineRecord *ret) {
        MachineRecord m = { .state = MACHINE_STARTING, .capabilities = RECORD_CAPABILITIES_UNKNOWN, .changes_fd = -1 };
        int r;

        r = parse_env_text(text, record_cb, &m, NULL);
        if (r >= 0 && (!m.name || !machine_name_is_valid(m.name)))
                r = -EBADMSG;
        if (r < 0) {
                machine_record_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

int registry_read(const char *dir, const char *name, MachineRecord *ret) {
        _cleanup_free_ char *p = NULL, *text = NULL;
        MachineRecord m;
        int r;

        if (!machine_name_is_valid(name))
                return -EINVAL;
        p = path_join(dir, name);
        if (!p)
                return -ENOMEM;
        r = read_full_file(p, &text, NULL);
        if (r < 0)
                return r;
        r = registry_parse(text, &m);
        if (r < 0)
                return r;
        if (!streq(m.name, name)) {
                machine_record_done(&m);
                return -EBADMSG;
        }
        *ret = m;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int list_dir(const char *dir, bool locks, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        DIR *d = opendir(dir);

        if (!d) {
                if (errno != ENOENT)
                        return -errno;
        } else {
                for (struct dirent *de; (de = readdir(d));) {
                        _cleanup_free_ char *name = NULL;
                        const char *n = de->d_name;

                        if (locks) {
                                const char *s = startswith(n, ".#"), *e = endswith(n, ".lck");
                                if (!s || !e || e <= s)
                                        continue;
                                name = strndup(s, (size_t) (e - s));
                        } else if (n[0] != '.')
                                name = strdup(n);
                        else
                                continue;
                        if (!name || strv_consume(&l, TAKE_PTR(name)) < 0) {
                                closedir(d);
                                return -ENOMEM;
                        }
                }
                closedir(d);
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        qsort(l, strv_length(l), sizeof(char *), cmp_str);
        *ret = TAKE_PTR(l);
        return 0;
}

int registry_list_names(const char *dir, char ***ret) {
        return list_dir(dir, false, ret);
}

int registry_remove(const char *dir, const char *name) {
        _cleanup_free_ char *p = path_join(dir, name);

        if (!p)
                return -ENOMEM;
        return unlink(p) < 0 && errno != ENOENT ? -errno : 0;
}

int registry_gc_one(const char *dir, const char *name, SystemBus *bus) {
        LockFile lock = LOCK_FILE_NULL;
        MachineRecord m;
        int r;

        r = registry_lock_name(dir, name, &lock);
        if (r == -EBUSY)
                return 0;
        if (r < 0)
                return r;

        /* The supervisor is gone: its machine must be too. */
        r = registry_read(dir, name, &m);
        if (r >= 0) {
                r = undo_log_run(&m.undo, bus);
                machine_record_done(&m);
        } else if (r == -ENOENT)
                r = 0;

        (void) registry_remove(dir, name);
        lock_file_release(&lock);
        return r < 0 ? r : 1;
}

int registry_gc(const char *dir, SystemBus *bus) {
        _cleanup_strv_free_ char **names = NULL, **locks = NULL;
        int r, n = 0, ret = 0;

        /* Records half written by a supervisor killed then. */
        (void) remove_stale_temporaries(dir);

        r = registry_list_names(dir, &names);
        if (r < 0)
                return r;
        r = list_dir(dir, true, &locks);
        if (r < 0)
                return r;
        STRV_FOREACH(l, locks)
                if (!strv_contains(names, *l) && machine_name_is_valid(*l) && strv_extend(&names, *l) < 0)
                        return -ENOMEM;

        STRV_FOREACH(name, names) {
                if (!machine_name_is_valid(*name))
                        continue;
                r = registry_gc_one(dir, *name, bus);
                if (r < 0 && ret == 0)
                        ret = r;
                if (r > 0)
                        n++;
        }
        return ret < 0 ? ret : n;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dlopen-util.h"
#include "fd-util.h"
#include "seccomp-util.h"
#include "string-util.h"
#include "strv.h"
#include "syscall-groups.h"

/* libseccomp, loaded when a filter is built (not when one is installed). */
DLOPEN_NOTE(seccomp, "System call filters of machines, built once and cached", "recommended", "libseccomp.so.2");
static void *libseccomp_dl;
static DLSYM_PROTOTYPE(seccomp_init);
static DLSYM_PROTOTYPE(seccomp_release);
static DLSYM_PROTOTYPE(seccomp_arch_native);
static DLSYM_PROTOTYPE(seccomp_arch_add);
static DLSYM_PROTOTYPE(seccomp_attr_set);
static DLSYM_PROTOTYPE(seccomp_rule_add);
static DLSYM_PROTOTYPE(seccomp_rule_add_exact);
static DLSYM_PROTOTYPE(seccomp_syscall_resolve_name);
static DLSYM_PROTOTYPE(seccomp_syscall_resolve_num_arch);
static DLSYM_PROTOTYPE(seccomp_export_bpf);

static int dlopen_libseccomp(void) {
        return dlopen_many_sym(&libseccomp_dl, "libseccomp.so.2", DLSYM_ARG(seccomp_init), DLSYM_ARG(seccomp_release),
                               DLSYM_ARG(seccomp_arch_native), DLSYM_ARG(seccomp_arch_add), DLSYM_ARG(seccomp_attr_set),
                               DLSYM_ARG(seccomp_rule_add), DLSYM_ARG(seccomp_rule_add_exact),
                               DLSYM_ARG(seccomp_syscall_resolve_name), DLSYM_ARG(seccomp_syscall_resolve_num_arch),
                               DLSYM_ARG(seccomp_export_bpf), NULL);
}

#define NO_CAP (-1)

/* systemd-nspawn's allow list (252): groups where they fit, then single
 * calls; some only with the capability that makes them useful. Left out on
 * purpose: @cpu-emulation, @keyring (the keyring is not namespaced),
 * @obsolete, @pkey, @swap, and bpf, fanotify_*, kexec_*, lookup_dcookie,
 * nfsservctl, open_by_handle_at, perf_event_open, quotactl. */
static const struct {
        int cap;
        const char *name;
} machine_allow[] = {
        { NO_CAP, "@aio" },
        { NO_CAP, "@basic-io" },
        { NO_CAP, "@chown" },
        { NO_CAP, "@default" },
        { NO_CAP, "@file-system" },
        { NO_CAP, "@io-event" },
        { NO_CAP, "@ipc" },
        { NO_CAP, "@mount" },
        { NO_CAP, "@network-io" },
        { NO_CAP, "@process" },
        { NO_CAP, "@resources" },
        { NO_CAP, "@setuid" },
        { NO_CAP, "@signal" },
        { NO_CAP, "@sync" },
        { NO_CAP, "@timer" },
        { CAP_SYS_TIME, "@clock" },
        { CAP_SYS_MODULE, "@module" },
        { CAP_SYS_RAWIO, "@raw-io" },
        { CAP_IPC_LOCK, "@memlock" },
        { NO_CAP, "arm_fadvise64_64" },
        { NO_CAP, "brk" },
        { NO_CAP, "capget" },
        { NO_CAP, "capset" },
        { NO_CAP, "copy_file_range" },
        { NO_CAP, "fadvise64" },
        { NO_CAP, "fadvise64_64" },
        { NO_CAP, "flock" },
        { NO_CAP, "get_mempolicy" },
        { NO_CAP, "getcpu" },
        { NO_CAP, "getpriority" },
        { NO_CAP, "getrandom" },
        { NO_CAP, "ioctl" },
        { NO_CAP, "ioprio_get" },
        { NO_CAP, "kcmp" },
        { NO_CAP, "madvise" },
        { NO_CAP, "mincore" },
        { NO_CAP, "mprotect" },
        { NO_CAP, "mremap" },
        { NO_CAP, "name_to_handle_at" },
        { NO_CAP, "oldolduname" },
        { NO_CAP, "olduname" },
        { NO_CAP, "personality" },
        { NO_CAP, "readahead" },
        { NO_CAP, "readdir" },
        { NO_CAP, "remap_file_pages" },
        { NO_CAP, "sched_get_priority_max" },
        { NO_CAP, "sched_get_priority_min" },
        { NO_CAP, "sched_getaffinity" },
        { NO_CAP, "sched_getattr" },
        { NO_CAP, "sched_getparam" },
        { NO_CAP, "sched_getscheduler" },
        { NO_CAP, "sched_rr_get_interval" },
        { NO_CAP, "sched_rr_get_interval_time64" },
        { NO_CAP, "sched_yield" },
        { NO_CAP, "seccomp" },
        { NO_CAP, "sendfile" },
        { NO_CAP, "sendfile64" },
        { NO_CAP, "setdomainname" },
        { NO_CAP, "setfsgid" },
        { NO_CAP, "setfsgid32" },
        { NO_CAP, "setfsuid" },
        { NO_CAP, "setfsuid32" },
        { NO_CAP, "sethostname" },
        { NO_CAP, "setpgid" },
        { NO_CAP, "setsid" },
        { NO_CAP, "splice" },
        { NO_CAP, "sysinfo" },
        { NO_CAP, "tee" },
        { NO_CAP, "umask" },
        { NO_CAP, "uname" },
        { NO_CAP, "userfaultfd" },
        { NO_CAP, "vmsplice" },
        { CAP_SYS_PACCT, "acct" },
        { CAP_SYS_PTRACE, "process_vm_readv" },
        { CAP_SYS_PTRACE, "process_vm_writev" },
        { CAP_SYS_PTRACE, "ptrace" },
        { CAP_SYS_BOOT, "reboot" },
        { CAP_SYSLOG, "syslog" },
        { CAP_SYS_TTY_CONFIG, "vhangup" },
};

/* The ABIs the host runs besides its native one. */
static void host_arches(uint32_t native, uint32_t ret[static 3], size_t *ret_n) {
        size_t n = 0;

        ret[n++] = native;
        if (native == SCMP_ARCH_X86_64) {
                ret[n++] = SCMP_ARCH_X86;
                ret[n++] = SCMP_ARCH_X32;
        } else if (native == SCMP_ARCH_AARCH64)
                ret[n++] = SCMP_ARCH_ARM;
        *ret_n = n;
}

typedef struct Ctx {
        scmp_filter_ctx ctx;
} Ctx;

static void ctx_done(Ctx *c) {
        if (c->ctx)
                sym_seccomp_release(c->ctx);
        c->ctx = NULL;
}

static int ctx_new(uint32_t default_action, const uint32_t *arches, size_t n_arches, Ctx *ret) {
        Ctx c = { .ctx = sym_seccomp_init(default_action) };
        int r;

        if (!c.ctx)
                return -ENOMEM;
        for (size_t i = 1; i < n_arches; i++) {
                r = sym_seccomp_arch_add(c.ctx, arches[i]);
                if (r < 0 && r != -EEXIST) {
                        ctx_done(&c);
                        return r;
                }
        }
        /* A large filter: a binary tree of system call numbers. Loading it
         * never sets no-new-privileges by itself. */
        (void) sym_seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        (void) sym_seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_NNP, 0);
        *ret = c;
        return 0;
}

/* Every system call name some ABI of the host knows. */
static int known_syscalls(const uint32_t *arches, size_t n_arches, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;

        for (size_t a = 0; a < n_arches; a++)
                for (int nr = 0; nr < 1024; nr++) {
                        char *name = sym_seccomp_syscall_resolve_num_arch(arches[a], nr);
                        int r = 0;

                        if (!name)
                                continue;
                        if (!strv_contains(l, name))
                                r = strv_extend(&l, name);
                        free(name);
                        if (r < 0)
                                return r;
                }
        *ret = TAKE_PTR(l);
        return 0;
}

/* What the machine may call: the default list (as far as caps allow),
 * plus allow, expanded, minus deny, expanded. */
static int allowed_syscalls(uint64_t caps, char **allow, char **deny, char **known, char ***ret) {
        _cleanup_strv_free_ char **yes = NULL, **no = NULL, **result = NULL;
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(machine_allow) && r >= 0; i++)
                if (machine_allow[i].cap == NO_CAP || (caps & (UINT64_C(1) << machine_allow[i].cap)))
                        r = syscall_expand(machine_allow[i].name, &yes);
        STRV_FOREACH(a, allow)
                r = r ?: syscall_expand(*a, &yes);
        STRV_FOREACH(d, deny)
                r = r ?: syscall_expand(*d, &no);
        if (r < 0)
                return r;

        if (strv_contains(yes, SYSCALL_GROUP_KNOWN))
                STRV_FOREACH(k, known)
                        r = r ?: (strv_contains(yes, *k) ? 0 : strv_extend(&yes, *k));
        STRV_FOREACH(y, yes)
                if (!streq(*y, SYSCALL_GROUP_KNOWN) && !strv_contains(no, *y) &&
                    !(strv_contains(no, SYSCALL_GROUP_KNOWN) && strv_contains(known, *y)))
                        r = r ?: strv_extend(&result, *y);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(result);
        return 0;
}

static int policy_filter(uint64_t caps, char **allow, char **deny, const uint32_t *arches, size_t n_arches, Ctx *ret) {
        _cleanup_strv_free_ char **known = NULL, **allowed = NULL;
        _cleanup_(ctx_done) Ctx c = {};
        int r;

        r = known_syscalls(arches, n_arches, &known);
        if (r >= 0)
                r = allowed_syscalls(caps, allow, deny, known, &allowed);
        if (r >= 0)
                r = ctx_new(SCMP_ACT_ERRNO(ENOSYS), arches, n_arches, &c);
        if (r < 0)
                return r;

        /* A name no ABI of the host has (another architecture's) is left
         * out; so is one an ABI lacks, on that ABI. */
        STRV_FOREACH(y, allowed) {
                int nr = sym_seccomp_syscall_resolve_name(*y);
                if (nr != __NR_SCMP_ERROR)
                        (void) sym_seccomp_rule_add(c.ctx, SCMP_ACT_ALLOW, nr, 0);
        }
        STRV_FOREACH(k, known) {
                int nr;

                if (strv_contains(allowed, *k))
                        continue;
                nr = sym_seccomp_syscall_resolve_name(*k);
                if (nr != __NR_SCMP_ERROR)
                        (void) sym_seccomp_rule_add(c.ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        }
        *ret = c;
        c.ctx = NULL;
        return 0;
}

/* socket(AF_NETLINK, *, NETLINK_AUDIT) → EAFNOSUPPORT, which audit tools
 * take for "no audit in this kernel". Where an ABI can't filter on
 * arguments (i386's socketcall()), the native one alone. */
static int audit_filter(const uint32_t *arches, size_t n_arches, Ctx *ret) {
        int r = -EINVAL;

        for (size_t n = n_arches;; n = 1) {
                _cleanup_(ctx_done) Ctx c = {};

                r = ctx_new(SCMP_ACT_ALLOW, arches, n, &c);
                if (r < 0)
                        return r;
                r = sym_seccomp_rule_add_exact(c.ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT),
                                               sym_seccomp_syscall_resolve_name("socket"), 2,
                                               SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_EQ, NETLINK_AUDIT));
                if (r >= 0) {
                        *ret = c;
                        c.ctx = NULL;
                        return 0;
                }
                if (n == 1)
                        return r;
        }
}

/* The blob: a header, then each program as its length and instructions. */
#define BLOB_MAGIC "BERTHSC1"
#define BLOB_PROGRAMS_MAX 8

typedef struct BlobHeader {
        char magic[8];
        uint32_t n_programs;
        uint32_t reserved;
} BlobHeader;

/* Appends the BPF of c to the blob in f (an memfd). */
static int export_program(const Ctx *c, int blob_fd) {
        _cleanup_close_ int fd = memfd_create("seccomp", MFD_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        uint32_t n;
        off_t size;
        int r;

        if (fd < 0)
                return -errno;
        r = sym_seccomp_export_bpf(c->ctx, fd);
        if (r < 0)
                return r;
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % sizeof(struct sock_filter) != 0 ||
            size > BPF_MAXINSNS * (off_t) sizeof(struct sock_filter))
                return -EBADMSG;
        buf = malloc((size_t) size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t) size, 0) != size)
                return -EIO;
        n = (uint32_t) ((size_t) size / sizeof(struct sock_filter));
        r = loop_write(blob_fd, &n, sizeof n);
        return r < 0 ? r : loop_write(blob_fd, buf, (size_t) size);
}

static int read_all(int fd, char **ret, size_t *ret_size) {
        off_t size = lseek(fd, 0, SEEK_END);
        char *buf;

        if (size < 0)
                return -errno;
        buf = malloc((size_t) size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, (size_t) size, 0) != size) {
                free(buf);
                return -EIO;
        }
        *ret = buf;
        *ret_size = (size_t) size;
        return 0;
}

int seccomp_build_machine_filter(uint64_t caps, char **allow, char **deny, char **ret_blob, size_t *ret_size) {
        _cleanup_(ctx_done) Ctx policy = {}, audit = {};
        _cleanup_close_ int fd = -EBADF;
        BlobHeader h = { .magic = BLOB_MAGIC, .n_programs = 2 };
        uint32_t arches[3];
        size_t n_arches;
        int r;

        r = dlopen_libseccomp();
        if (r < 0)
                return r;
        host_arches(sym_seccomp_arch_native(), arches, &n_arches);

        r = policy_filter(caps, allow, deny, arches, n_arches, &policy);
        if (r >= 0)
                r = audit_filter(arches, n_arches, &audit);
        if (r < 0)
                return r;

        fd = memfd_create("seccomp-blob", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = loop_write(fd, &h, sizeof h);
        if (r >= 0)
                r = export_program(&policy, fd);
        if (r >= 0)
                r = export_program(&audit, fd);
        if (r < 0)
                return r;
        return read_all(fd, ret_blob, ret_size);
}

/* Walks the blob: calls fn for each program. */
static int blob_foreach(const char *blob, size_t size, int (*fn)(const struct sock_fprog *p)) {
        BlobHeader h;
        size_t o = sizeof h;

        if (size < sizeof h)
                return -EBADMSG;
        memcpy(&h, blob, sizeof h);
        if (memcmp(h.magic, BLOB_MAGIC, sizeof h.magic) != 0 || h.n_programs == 0 || h.n_programs > BLOB_PROGRAMS_MAX)
                return -EBADMSG;
        for (uint32_t i = 0; i < h.n_programs; i++) {
                uint32_t n;
                int r;

                if (size - o < sizeof n)
                        return -EBADMSG;
                memcpy(&n, blob + o, sizeof n);
                o += sizeof n;
                if (n == 0 || n > BPF_MAXINSNS || (size - o) / sizeof(struct sock_filter) < n)
                        return -EBADMSG;
                if (fn) {
                        /* Aligned for the kernel: copied out of the blob. */
                        _cleanup_free_ struct sock_filter *insns = malloc(n * sizeof(struct sock_filter));
                        if (!insns)
                                return -ENOMEM;
                        memcpy(insns, blob + o, n * sizeof(struct sock_filter));
                        struct sock_fprog p = { .len = (unsigned short) n, .filter = insns };
                        r = fn(&p);
                        if (r < 0)
                                return r;
                }
                o += n * sizeof(struct sock_filter);
        }
        return o == size ? 0 : -EBADMSG;
}

bool seccomp_blob_is_valid(const char *blob, size_t size) {
        return blob && blob_foreach(blob, size, NULL) >= 0;
}

static int install_one(const struct sock_fprog *p) {
        return RET_NERRNO(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p));
}

int seccomp_install_blob(const char *blob, size_t size) {
        int r = blob_foreach(blob, size, NULL);

        return r < 0 ? r : blob_foreach(blob, size, install_one);
}

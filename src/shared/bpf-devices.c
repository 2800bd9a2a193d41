/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-devices.h"
#include "fd-util.h"

const DeviceRule bpf_devices_machine_default[] = {
        { 'c', 1, 3, DEVICE_ACCESS_ALL },                  /* null */
        { 'c', 1, 5, DEVICE_ACCESS_ALL },                  /* zero */
        { 'c', 1, 7, DEVICE_ACCESS_ALL },                  /* full */
        { 'c', 1, 8, DEVICE_ACCESS_ALL },                  /* random */
        { 'c', 1, 9, DEVICE_ACCESS_ALL },                  /* urandom */
        { 'c', 5, 0, DEVICE_ACCESS_ALL },                  /* tty */
        { 'c', 5, 1, DEVICE_ACCESS_ALL },                  /* console */
        { 'c', 5, 2, DEVICE_ACCESS_ALL },                  /* ptmx */
        { 'c', 136, DEVICE_MINOR_ANY, DEVICE_ACCESS_ALL }, /* the ptys */
        { 'c', 10, 200, DEVICE_ACCESS_ALL },               /* net/tun */
};
const size_t bpf_devices_machine_default_count = ELEMENTSOF(bpf_devices_machine_default);

/* The few instructions we need, as struct bpf_insn. */
#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV_REG(dst, src) INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND_IMM(dst, imm) INSN(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH_IMM(dst, imm) INSN(BPF_ALU64 | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) INSN(BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define RULE_INSNS 8
#define PROLOGUE_INSNS 6

/* r2 = device type, r3 = access asked for, r4 = major, r5 = minor; a rule
 * allows (r0 = 1) when type and major (and minor) match and nothing outside
 * its access is asked for; past the last rule, r0 = 0: denied. */
static size_t build(const DeviceRule *rules, size_t n, struct bpf_insn *p) {
        size_t k = 0;

        p[k++] = LDX_W(BPF_REG_2, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type));
        p[k++] = MOV_REG(BPF_REG_3, BPF_REG_2);
        p[k++] = AND_IMM(BPF_REG_2, 0xffff);
        p[k++] = RSH_IMM(BPF_REG_3, 16);
        p[k++] = LDX_W(BPF_REG_4, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major));
        p[k++] = LDX_W(BPF_REG_5, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor));

        for (size_t i = 0; i < n; i++) {
                int type = rules[i].type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
                bool any = rules[i].minor == DEVICE_MINOR_ANY;

                /* Each jump skips to the next rule: the rest of this one. */
                p[k++] = JNE_IMM(BPF_REG_2, type, RULE_INSNS - 1);
                p[k++] = JNE_IMM(BPF_REG_4, (int) rules[i].major, RULE_INSNS - 2);
                p[k++] = any ? MOV_REG(BPF_REG_5, BPF_REG_5) : JNE_IMM(BPF_REG_5, (int) rules[i].minor, RULE_INSNS - 3);
                p[k++] = MOV_REG(BPF_REG_6, BPF_REG_3);
                p[k++] = AND_IMM(BPF_REG_6, ~(int) rules[i].access & DEVICE_ACCESS_ALL);
                p[k++] = JNE_IMM(BPF_REG_6, 0, 2);
                p[k++] = MOV_IMM(BPF_REG_0, 1);
                p[k++] = EXIT();
        }
        p[k++] = MOV_IMM(BPF_REG_0, 0);
        p[k++] = EXIT();
        return k;
}

int bpf_devices_attach(const char *cgroup_path, const DeviceRule *rules, size_t n_rules) {
        _cleanup_free_ struct bpf_insn *insns =
                calloc(PROLOGUE_INSNS + n_rules * RULE_INSNS + 2, sizeof(struct bpf_insn));
        _cleanup_close_ int prog = -EBADF, cg = -EBADF;
        union bpf_attr load = {}, attach = {};
        size_t n;

        if (!insns)
                return -ENOMEM;
        n = build(rules, n_rules, insns);

        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (uint64_t) (uintptr_t) insns;
        load.insn_cnt = (uint32_t) n;
        load.license = (uint64_t) (uintptr_t) "LGPL-2.1-or-later";
        prog = (int) syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
        if (prog < 0)
                return -errno;

        cg = open(cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg < 0)
                return -errno;
        attach.target_fd = (uint32_t) cg;
        attach.attach_bpf_fd = (uint32_t) prog;
        attach.attach_type = BPF_CGROUP_DEVICE;
        attach.attach_flags = BPF_F_ALLOW_MULTI;
        return RET_NERRNO(syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach));
}

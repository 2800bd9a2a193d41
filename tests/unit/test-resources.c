/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "resources.h"
#include "tests.h"

static uint64_t parsed(const char *assignment, ResourceKind expect_kind) {
        ResourceKind k;
        uint64_t v;

        ASSERT_OK(resource_parse(assignment, &k, &v));
        ASSERT_EQ(k, expect_kind);
        return v;
}

TEST(kind_table_round_trip) {
        for (ResourceKind k = 0; k < _RESOURCE_KIND_MAX; k++)
                ASSERT_EQ(resource_kind_from_string(resource_kind_to_string(k)), k);
        ASSERT_EQ(resource_kind_from_string("MemoryLimit"), _RESOURCE_KIND_INVALID);
}

TEST(memory) {
        ASSERT_TRUE(parsed("MemoryMax=64M", RESOURCE_MEMORY_MAX) == UINT64_C(64) << 20);
        ASSERT_TRUE(parsed("MemoryMax=8192", RESOURCE_MEMORY_MAX) == 8192);
        ASSERT_TRUE(parsed("MemoryHigh=2G", RESOURCE_MEMORY_HIGH) == UINT64_C(2) << 30);
        ASSERT_TRUE(parsed("MemoryMax=1T", RESOURCE_MEMORY_MAX) == UINT64_C(1) << 40);
        ASSERT_TRUE(parsed("MemoryMax=infinity", RESOURCE_MEMORY_MAX) == RESOURCE_INFINITY);
        ASSERT_TRUE(parsed("MemoryMax=50%", RESOURCE_MEMORY_MAX) > 0);
}

TEST(cpu_tasks_io) {
        ASSERT_TRUE(parsed("CPUWeight=1", RESOURCE_CPU_WEIGHT) == 1);
        ASSERT_TRUE(parsed("CPUWeight=10000", RESOURCE_CPU_WEIGHT) == 10000);
        ASSERT_TRUE(parsed("IOWeight=500", RESOURCE_IO_WEIGHT) == 500);
        ASSERT_TRUE(parsed("CPUQuota=150%", RESOURCE_CPU_QUOTA) == 1500000);
        ASSERT_TRUE(parsed("CPUQuota=", RESOURCE_CPU_QUOTA) == RESOURCE_INFINITY);
        ASSERT_TRUE(parsed("TasksMax=100", RESOURCE_TASKS_MAX) == 100);
        ASSERT_TRUE(parsed("TasksMax=infinity", RESOURCE_TASKS_MAX) == RESOURCE_INFINITY);
}

TEST(bad) {
        ResourceKind k;
        uint64_t v;

        ASSERT_ERROR(resource_parse("MemoryMax", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("Memorymax=1", &k, &v), EOPNOTSUPP);
        ASSERT_ERROR(resource_parse("DeviceAllow=/dev/null", &k, &v), EOPNOTSUPP);
        ASSERT_ERROR(resource_parse("=1", &k, &v), EOPNOTSUPP);
        ASSERT_ERROR(resource_parse("MemoryMax=", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("MemoryMax=64MB", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("MemoryMax=1.5G", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("MemoryMax=-1", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("MemoryMax=0", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("MemoryMax=101%", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("MemoryMax=99999999999T", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("CPUWeight=0", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("CPUWeight=10001", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("CPUWeight=lots", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("CPUQuota=0%", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("CPUQuota=50", &k, &v), EINVAL);
        ASSERT_ERROR(resource_parse("TasksMax=0", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("TasksMax=10%", &k, &v), EINVAL);
}

TEST(set_replaces) {
        Resources r = {};

        ASSERT_OK(resources_add(&r, "TasksMax=10"));
        ASSERT_OK(resources_add(&r, "TasksMax=20"));
        ASSERT_TRUE(resources_has(&r, RESOURCE_TASKS_MAX));
        ASSERT_FALSE(resources_has(&r, RESOURCE_MEMORY_MAX));
        ASSERT_TRUE(r.value[RESOURCE_TASKS_MAX] == 20);
        ASSERT_ERROR(resources_add(&r, "TasksMax=x"), EINVAL);
        ASSERT_TRUE(r.value[RESOURCE_TASKS_MAX] == 20);
}

static void check_string(const char *assignment, const char *expect) {
        ResourceKind k;
        uint64_t v;
        char *s = NULL;

        ASSERT_OK(resource_parse(assignment, &k, &v));
        ASSERT_OK(resource_value_to_string(k, v, &s));
        ASSERT_STREQ(s, expect);
        free(s);
}

TEST(to_string) {
        check_string("MemoryMax=64M", "64M");
        check_string("MemoryMax=65536K", "64M");
        check_string("MemoryMax=5000", "5000");
        check_string("MemoryMax=12288", "12K");
        check_string("MemoryMax=infinity", "infinity");
        check_string("CPUQuota=150%", "150%");
        check_string("CPUQuota=", "");
        check_string("TasksMax=42", "42");
}

static void check_writes(const char *assignment, bool v1, const char *c0, const char *f0, const char *v0,
                         const char *f1, const char *v1_value) {
        ResourceWrite w[2];
        ResourceKind k;
        uint64_t v;
        int n;

        ASSERT_OK(resource_parse(assignment, &k, &v));
        n = resource_writes(k, v, v1, w);
        ASSERT_EQ(n, f1 ? 2 : 1);
        ASSERT_STREQ_PTR(w[0].controller, c0);
        ASSERT_STREQ(w[0].file, f0);
        ASSERT_STREQ(w[0].value, v0);
        if (f1) {
                ASSERT_STREQ(w[1].file, f1);
                ASSERT_STREQ(w[1].value, v1_value);
        }
}

TEST(writes_unified) {
        check_writes("MemoryMax=64M", false, NULL, "memory.max", "67108864", NULL, NULL);
        check_writes("MemoryMax=infinity", false, NULL, "memory.max", "max", NULL, NULL);
        check_writes("MemoryHigh=1G", false, NULL, "memory.high", "1073741824", NULL, NULL);
        check_writes("CPUWeight=200", false, NULL, "cpu.weight", "200", NULL, NULL);
        check_writes("CPUQuota=50%", false, NULL, "cpu.max", "50000 100000", NULL, NULL);
        check_writes("CPUQuota=", false, NULL, "cpu.max", "max 100000", NULL, NULL);
        check_writes("TasksMax=64", false, NULL, "pids.max", "64", NULL, NULL);
        check_writes("IOWeight=300", false, NULL, "io.weight", "default 300", NULL, NULL);
}

TEST(writes_v1) {
        check_writes("MemoryMax=64M", true, "memory", "memory.limit_in_bytes", "67108864", NULL, NULL);
        check_writes("MemoryMax=infinity", true, "memory", "memory.limit_in_bytes", "-1", NULL, NULL);
        check_writes("MemoryHigh=64M", true, "memory", "memory.soft_limit_in_bytes", "67108864", NULL, NULL);
        check_writes("CPUWeight=100", true, "cpu", "cpu.shares", "1024", NULL, NULL);
        check_writes("CPUWeight=1", true, "cpu", "cpu.shares", "10", NULL, NULL);
        check_writes("CPUQuota=250%", true, "cpu", "cpu.cfs_period_us", "100000", "cpu.cfs_quota_us", "250000");
        check_writes("CPUQuota=1%", true, "cpu", "cpu.cfs_period_us", "100000", "cpu.cfs_quota_us", "1000");
        check_writes("CPUQuota=", true, "cpu", "cpu.cfs_period_us", "100000", "cpu.cfs_quota_us", "-1");
        check_writes("TasksMax=infinity", true, "pids", "pids.max", "max", NULL, NULL);
        check_writes("IOWeight=100", true, "blkio", "blkio.weight", "500", NULL, NULL);
        check_writes("IOWeight=10000", true, "blkio", "blkio.weight", "1000", NULL, NULL);
}

TEST(dbus_names) {
        ASSERT_STREQ(resource_dbus_property(RESOURCE_CPU_QUOTA), "CPUQuotaPerSecUSec");
        ASSERT_STREQ(resource_dbus_property(RESOURCE_TASKS_MAX), "TasksMax");
}

TEST(swap_and_period) {
        ASSERT_TRUE(parsed("MemorySwapMax=0", RESOURCE_MEMORY_SWAP_MAX) == 0);
        ASSERT_TRUE(parsed("MemorySwapMax=1G", RESOURCE_MEMORY_SWAP_MAX) == UINT64_C(1) << 30);
        ASSERT_TRUE(parsed("MemorySwapMax=infinity", RESOURCE_MEMORY_SWAP_MAX) == RESOURCE_INFINITY);
        ASSERT_TRUE(parsed("CPUQuotaPeriodSec=10ms", RESOURCE_CPU_QUOTA_PERIOD) == 10000);
        ASSERT_TRUE(parsed("CPUQuotaPeriodSec=1", RESOURCE_CPU_QUOTA_PERIOD) == 1000000);
        ASSERT_TRUE(parsed("CPUQuotaPeriodSec=", RESOURCE_CPU_QUOTA_PERIOD) == RESOURCE_CPU_PERIOD_USEC);
        check_string("CPUQuotaPeriodSec=10ms", "10ms");
        check_string("CPUQuotaPeriodSec=1500us", "1500us");
        check_string("MemorySwapMax=0", "0");

        ResourceKind k;
        uint64_t v;
        ASSERT_ERROR(resource_parse("CPUQuotaPeriodSec=500us", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("CPUQuotaPeriodSec=2s", &k, &v), ERANGE);
        ASSERT_ERROR(resource_parse("MemorySwapMax=lots", &k, &v), EINVAL);
        check_writes("MemorySwapMax=1G", false, NULL, "memory.swap.max", "1073741824", NULL, NULL);
        check_writes("MemorySwapMax=infinity", false, NULL, "memory.swap.max", "max", NULL, NULL);
        ASSERT_STREQ(resource_dbus_property(RESOURCE_CPU_QUOTA_PERIOD), "CPUQuotaPeriodUSec");

        ResourceWrite w[2];
        ASSERT_EQ(resource_cpu_writes(500000, 10000, false, w), 1);
        ASSERT_STREQ(w[0].value, "5000 10000");
        ASSERT_EQ(resource_cpu_writes(RESOURCE_INFINITY, 10000, true, w), 2);
        ASSERT_STREQ(w[0].value, "10000");
        ASSERT_STREQ(w[1].value, "-1");
}

static void check_set(const char *text, const char *expect) {
        ResourceSet s;
        char *out = NULL;

        ASSERT_OK(resource_set_parse(text, &s));
        ASSERT_OK(resource_set_to_string(&s, &out));
        ASSERT_STREQ(out, expect);
        free(out);
}

TEST(sets) {
        ResourceSet s;
        Resources r = {};

        check_set("0", "0");
        check_set("0-3,6", "0-3,6");
        check_set("3 1 2 7", "1-3,7");
        check_set("", "");
        check_set("0,0-1", "0-1");
        check_set("63-65", "63-65");
        ASSERT_ERROR(resource_set_parse("1-0", &s), EINVAL);
        ASSERT_ERROR(resource_set_parse("a", &s), EINVAL);
        ASSERT_ERROR(resource_set_parse("1-", &s), EINVAL);
        ASSERT_ERROR(resource_set_parse("5000", &s), ERANGE);

        /* CPU 0 and node 0 are there on every host. */
        ASSERT_OK(resources_add(&r, "AllowedCPUs=0"));
        ASSERT_OK(resources_add(&r, "AllowedMemoryNodes=0"));
        ASSERT_TRUE(resources_has(&r, RESOURCE_ALLOWED_CPUS) && resources_has(&r, RESOURCE_ALLOWED_MEMORY_NODES));
        ASSERT_TRUE(r.cpus.bits[0] == 1 && r.mems.bits[0] == 1);
        ASSERT_ERROR(resources_add(&r, "AllowedCPUs=1023"), ERANGE);
        ASSERT_STREQ(resource_controller(RESOURCE_ALLOWED_CPUS, true), "cpuset");
}

TEST(device_limits) {
        Resources r = {}, c = {};
        ResourceWrite w;
        char *s = NULL;

        /* /dev/null is a character device: on no block device. */
        ASSERT_ERROR(resources_add(&r, "IOReadBandwidthMax=/dev/null 1M"), ENODEV);
        ASSERT_ERROR(resources_add(&r, "IOReadBandwidthMax=/proc 1M"), ENODEV);
        ASSERT_ERROR(resources_add(&r, "IOReadBandwidthMax=/no/such/path 1M"), ENODEV);
        ASSERT_ERROR(resources_add(&r, "IOReadBandwidthMax=relative 1M"), EINVAL);
        ASSERT_ERROR(resources_add(&r, "IOReadBandwidthMax=1M"), EINVAL);
        ASSERT_EQ(r.n_io, 0u);

        r.io[0] = (ResourceDeviceLimit) { .kind = RESOURCE_IO_WRITE_BANDWIDTH_MAX,
                                          .device = makedev(8, 0),
                                          .value = 10000000 };
        r.n_io = 1;
        r.set |= 1U << RESOURCE_IO_WRITE_BANDWIDTH_MAX;
        resource_device_write(&r.io[0], false, &w);
        ASSERT_STREQ(w.file, "io.max");
        ASSERT_STREQ(w.value, "8:0 wbps=10000000");
        resource_device_write(&r.io[0], true, &w);
        ASSERT_STREQ(w.file, "blkio.throttle.write_bps_device");
        ASSERT_STREQ(w.value, "8:0 10000000");
        r.io[0].value = RESOURCE_INFINITY;
        resource_device_write(&r.io[0], true, &w);
        ASSERT_STREQ(w.value, "8:0 0");
        resource_device_write(&r.io[0], false, &w);
        ASSERT_STREQ(w.value, "8:0 wbps=max");
        ASSERT_OK(resource_device_limit_to_string(&r.io[0], &s));
        ASSERT_STREQ(s, "8:0 infinity");
        free(s);

        resources_copy_kind(&c, &r, RESOURCE_IO_WRITE_BANDWIDTH_MAX);
        ASSERT_EQ(c.n_io, 1u);
        ASSERT_TRUE(resources_has(&c, RESOURCE_IO_WRITE_BANDWIDTH_MAX));
}

/* A path on a block device's file system, where the test runs on one. */
TEST(device_limits_of_a_path) {
        Resources r = {};
        struct stat st;
        char cwd[PATH_MAX], a[PATH_MAX + 64];

        if (!getcwd(cwd, sizeof cwd) || stat(cwd, &st) < 0 || major(st.st_dev) == 0) {
                printf("# the working directory is on no block device, not testing paths\n");
                return;
        }
        snprintf(a, sizeof a, "IOWriteBandwidthMax=%s 10M", cwd);
        ASSERT_OK(resources_add(&r, a));
        snprintf(a, sizeof a, "IOWriteBandwidthMax=%s 20M", cwd);
        ASSERT_OK(resources_add(&r, a)); /* replaces */
        snprintf(a, sizeof a, "IOReadIOPSMax=%s infinity", cwd);
        ASSERT_OK(resources_add(&r, a));
        ASSERT_EQ(r.n_io, 2u);
        ASSERT_TRUE(r.io[0].value == 20000000 && r.io[0].kind == RESOURCE_IO_WRITE_BANDWIDTH_MAX);
        ASSERT_TRUE(r.io[1].value == RESOURCE_INFINITY);
        snprintf(a, sizeof a, "IOWriteBandwidthMax=%s 0", cwd);
        ASSERT_ERROR(resources_add(&r, a), ERANGE);
        snprintf(a, sizeof a, "IOWriteBandwidthMax=%s 10X", cwd);
        ASSERT_ERROR(resources_add(&r, a), EINVAL);
        snprintf(a, sizeof a, "IOWriteIOPSMax=%s 10K", cwd);
        ASSERT_ERROR(resources_add(&r, a), EINVAL);
}

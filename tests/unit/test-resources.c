/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>
#include <string.h>

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

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_ __attribute__((sentinel))
#define _pure_ __attribute__((pure))
#define _const_ __attribute__((const))
#define _likely_(x) (__builtin_expect(!!(x), 1))
#define _unlikely_(x) (__builtin_expect(!!(x), 0))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define STRLEN(x) (sizeof("" x "") - 1)

#undef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#undef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Hands ownership of a pointer or fd to someone else: the variable is reset so
 * that its cleanup handler does nothing. */
#define TAKE_PTR(p)                         \
        ({                                  \
                typeof(p) _take_ptr_ = (p); \
                (p) = NULL;                 \
                _take_ptr_;                 \
        })
#define TAKE_FD(fd)                   \
        ({                            \
                int _take_fd_ = (fd); \
                (fd) = -EBADF;        \
                _take_fd_;            \
        })

/* Defines funcp(), usable with _cleanup_(funcp), for a destructor taking the
 * object itself. NULL objects are skipped. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        func(*p);               \
        }

/* free() that returns NULL, for p = mfree(p). */
static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Converts a libc-style "-1 and errno" result into a negative errno. */
#define RET_NERRNO(expr)                                        \
        ({                                                      \
                long _ret_nerrno_ = (long) (expr);              \
                _ret_nerrno_ < 0 ? -errno : (int) _ret_nerrno_; \
        })

/* Marks an error code that did not come from a failed call, so that log
 * functions don't print a misleading strerror() for it. */
#define SYNTHETIC_ERRNO_FLAG (1 << 30)
#define SYNTHETIC_ERRNO(e) ((e) | SYNTHETIC_ERRNO_FLAG)
#define ERRNO_VALUE(e) (abs(e) & ~SYNTHETIC_ERRNO_FLAG)

/* A failure caused by how the program was invoked: main() maps it to exit 2. */
#define EUSAGE 4095

#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)
/* Whether x equals any of the values given. */
#define IN_SET(x, first, ...)                                           \
        ({                                                              \
                const typeof(x) _in_set_x_ = (x);                       \
                const typeof(x) _in_set_[] = { first, __VA_ARGS__ };    \
                bool _in_set_found_ = false;                            \
                for (size_t _i_ = 0; _i_ < ELEMENTSOF(_in_set_); _i_++) \
                        if (_in_set_[_i_] == _in_set_x_) {              \
                                _in_set_found_ = true;                  \
                                break;                                  \
                        }                                               \
                _in_set_found_;                                         \
        })
/* A literal NULL-terminated list: STRV_MAKE("a", "b"). */
#define STRV_MAKE(...) ((char **) ((const char *[]) { __VA_ARGS__, NULL }))

#define zero(x) memset(&(x), 0, sizeof(x))

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

#define DECIMAL_STR_MAX(type) (2 + (sizeof(type) <= 1 ? 3 : sizeof(type) <= 2 ? 5 : sizeof(type) <= 4 ? 10 : 20))

#define assert_not_reached() abort()

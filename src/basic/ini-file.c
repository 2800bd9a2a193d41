/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "ini-file.h"
#include "string-util.h"
#include "strv.h"

struct IniParser {
        const char *filename;
        const IniHandler *handler;
        void *userdata;
        char **warnings;
        size_t n_warnings;
        char *error;
        char *section;      /* NULL before the first header */
        bool section_known; /* unknown sections are skipped, after one warning */
        unsigned line;      /* where the line being parsed starts */
};

/* Messages quote the file's own bytes: control characters become '?', so
 * that a file from anywhere can't drive the terminal they are shown on. */
_printf_(2, 0) static char *message_vformat(const IniParser *p, const char *format, va_list ap) {
        _cleanup_free_ char *m = NULL;
        char *s;

        if (vasprintf(&m, format, ap) < 0)
                return NULL;
        s = strdup_printf("%s:%u: %s", p->filename, p->line, m);
        for (char *c = s; c && *c; c++)
                if ((unsigned char) *c < ' ' || *c == 0x7f)
                        *c = '?';
        return s;
}

int ini_warn(IniParser *p, const char *format, ...) {
        va_list ap;
        char *m;

        if (p->n_warnings > INI_WARNINGS_MAX)
                return 0;
        if (p->n_warnings++ == INI_WARNINGS_MAX)
                return strv_consume(&p->warnings,
                                    strdup_printf("%s:%u: More warnings, not shown", p->filename, p->line));
        va_start(ap, format);
        m = message_vformat(p, format, ap);
        va_end(ap);
        return strv_consume(&p->warnings, m);
}

int ini_fail(IniParser *p, const char *format, ...) {
        va_list ap;

        free(p->error);
        va_start(ap, format);
        p->error = message_vformat(p, format, ap);
        va_end(ap);
        return p->error ? -EBADMSG : -ENOMEM;
}

unsigned ini_line(const IniParser *p) {
        return p->line;
}

void ini_set_line(IniParser *p, unsigned line) {
        p->line = line;
}

static int parse_section_header(IniParser *p, const char *l) {
        size_t n = strlen(l);
        int r;

        if (n < 2 || l[n - 1] != ']')
                return ini_fail(p, "Invalid section header '%.200s'", l);
        free(p->section);
        p->section = strndup(l + 1, n - 2);
        if (!p->section)
                return -ENOMEM;

        /* X- sections are for other programs, as in systemd. */
        p->section_known = false;
        if (startswith(p->section, "X-"))
                return 0;
        r = p->handler->section(p, p->section, p->userdata);
        if (r < 0)
                return r;
        p->section_known = r > 0;
        if (p->section_known)
                return 0;
        return ini_warn(p, "Section [%.200s] not supported, ignoring", p->section);
}

static int parse_assignment(IniParser *p, char *l) {
        char *eq = strchr(l, '='), *key, *value;

        if (!eq)
                return ini_fail(p, "Missing '=' in '%.200s'", l);
        /* As systemd does: a warning, not an error. */
        if (!p->section)
                return ini_warn(p, "Assignment '%.200s' outside of a section, ignoring", l);
        *eq = '\0';
        key = strstrip_trailing(l);
        value = eq + 1 + strspn(eq + 1, INI_WHITESPACE);
        if (isempty(key))
                return ini_fail(p, "Missing key name before '='");
        if (!p->section_known || startswith(key, "X-"))
                return 0;
        return p->handler->assignment(p, p->section, key, value, p->userdata);
}

/* One logical line, stripped, not a comment. */
static int parse_line(IniParser *p, char *l) {
        if (l[0] == '[')
                return parse_section_header(p, l);
        return parse_assignment(p, l);
}

/* A line ending in an odd number of backslashes goes on on the next one. */
static bool line_continues(const char *l) {
        size_t n = strlen(l), k = 0;

        while (k < n && l[n - 1 - k] == '\\')
                k++;
        return k % 2 == 1;
}

/* A logical line: physical ones joined, in a buffer that grows by doubling
 * (a file of a million continued lines must not take quadratic time). */
typedef struct LineBuffer {
        char *data;
        size_t size, allocated;
} LineBuffer;

static int line_buffer_append(LineBuffer *b, const char *s) {
        size_t n = strlen(s);

        if (b->size + n + 1 > b->allocated) {
                size_t a = MAX(b->allocated * 2, b->size + n + 1);
                char *t = realloc(b->data, a);

                if (!t)
                        return -ENOMEM;
                b->data = t;
                b->allocated = a;
        }
        memcpy(b->data + b->size, s, n + 1);
        b->size += n;
        return 0;
}

static int parse_lines(IniParser *p, const char *text) {
        _cleanup_free_ char *raw = NULL;
        LineBuffer logical = {};
        bool continued = false;
        unsigned line = 0;
        int r = 0;

        /* A UTF-8 byte order mark is skipped, as systemd does. */
        text = startswith(text, "\xef\xbb\xbf") ?: text;

        for (const char *t = text; *t && r >= 0;) {
                const char *eol = strchrnul(t, '\n');
                char *l;
                bool more;

                free(raw);
                raw = strndup(t, (size_t) (eol - t));
                if (!raw) {
                        r = -ENOMEM;
                        break;
                }
                t = *eol ? eol + 1 : eol;
                line++;
                l = strstrip_trailing(raw + strspn(raw, INI_WHITESPACE));
                /* Comments are whole lines, also between continued ones. */
                if (l[0] == '#' || l[0] == ';' || (l[0] == '\0' && !continued))
                        continue;

                more = line_continues(l);
                if (more)
                        l[strlen(l) - 1] = ' ';
                if (!continued) {
                        logical.size = 0;
                        p->line = line;
                }
                r = line_buffer_append(&logical, l);
                continued = more;
                if (r >= 0 && !more)
                        r = parse_line(p, strstrip_trailing(logical.data));
        }
        if (r >= 0 && continued)
                r = parse_line(p, strstrip_trailing(logical.data));
        free(logical.data);
        return r;
}

int ini_parse_text(const char *text, const char *filename, const IniHandler *h, void *userdata, char ***ret_warnings,
                   char **ret_error) {
        IniParser p = { .filename = filename, .handler = h, .userdata = userdata };
        int r;

        r = parse_lines(&p, text);
        if (r >= 0 && h->finish)
                r = h->finish(&p, userdata);
        free(p.section);
        if (r < 0) {
                strv_free(p.warnings);
                *ret_error = p.error;
                return r;
        }
        free(p.error);
        *ret_warnings = p.warnings;
        *ret_error = NULL;
        return 0;
}

int ini_read_file(const char *path, size_t max_size, char **ret_text, char **ret_error) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        const char *nul;
        int r;

        r = read_full_file_at(AT_FDCWD, path, max_size, &text, &size);
        if (r < 0) {
                *ret_error = r == -ENOMEM ? NULL : strdup_printf("%s: Failed to read: %s", path, strerror(-r));
                return r;
        }
        nul = memchr(text, '\0', size);
        if (nul) {
                unsigned line = 1;

                for (const char *c = text; c < nul; c++)
                        line += *c == '\n';
                *ret_error = strdup_printf("%s:%u: Unexpected NUL byte", path, line);
                return *ret_error ? -EBADMSG : -ENOMEM;
        }
        *ret_text = TAKE_PTR(text);
        return 0;
}

/* The next word, 1 with it, 0 at the end, -EINVAL for an unbalanced quote. */
static int next_word(const char **p, char **ret) {
        const char *s = *p + strspn(*p, INI_WHITESPACE);
        char *w, *o, quote = 0;

        if (*s == '\0') {
                *ret = NULL;
                return 0;
        }
        w = o = malloc(strlen(s) + 1);
        if (!w)
                return -ENOMEM;
        for (; *s; s++) {
                if (quote) {
                        if (*s == quote)
                                quote = 0;
                        else
                                *o++ = *s;
                } else if (*s == '\'' || *s == '"')
                        quote = *s;
                else if (strchr(INI_WHITESPACE, *s))
                        break;
                else
                        *o++ = *s;
        }
        if (quote) {
                free(w);
                return -EINVAL;
        }
        *o = '\0';
        *p = s;
        *ret = w;
        return 1;
}

int ini_split_words(const char *v, size_t have, size_t max, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        for (;;) {
                char *w;
                int r = next_word(&v, &w);

                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (have + ++n > max) {
                        free(w);
                        return -E2BIG;
                }
                r = strv_consume(&l, w);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

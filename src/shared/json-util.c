/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "json-util.h"
#include "strv.h"

DLOPEN_NOTE(json, "JSON output (--json) and OCI images", "recommended", "libjson-c.so.5");

static void *jsonc_dl;
DLSYM_PROTOTYPE(json_object_new_array);
DLSYM_PROTOTYPE(json_object_new_object);
DLSYM_PROTOTYPE(json_object_object_add);
DLSYM_PROTOTYPE(json_object_object_del);
DLSYM_PROTOTYPE(json_object_array_add);
DLSYM_PROTOTYPE(json_object_to_json_string_ext);
DLSYM_PROTOTYPE(json_object_get);
DLSYM_PROTOTYPE(json_object_put);
DLSYM_PROTOTYPE(json_object_new_string);
DLSYM_PROTOTYPE(json_object_new_uint64);
DLSYM_PROTOTYPE(json_object_new_int64);
DLSYM_PROTOTYPE(json_object_new_boolean);
DLSYM_PROTOTYPE(json_object_get_type);
DLSYM_PROTOTYPE(json_object_get_string);
DLSYM_PROTOTYPE(json_object_get_string_len);
DLSYM_PROTOTYPE(json_object_get_int64);
DLSYM_PROTOTYPE(json_object_get_boolean);
DLSYM_PROTOTYPE(json_object_object_get_ex);
DLSYM_PROTOTYPE(json_object_array_length);
DLSYM_PROTOTYPE(json_object_array_get_idx);
DLSYM_PROTOTYPE(json_object_iter_begin);
DLSYM_PROTOTYPE(json_object_iter_end);
DLSYM_PROTOTYPE(json_object_iter_equal);
DLSYM_PROTOTYPE(json_object_iter_next);
DLSYM_PROTOTYPE(json_object_iter_peek_name);
DLSYM_PROTOTYPE(json_object_iter_peek_value);
static DLSYM_PROTOTYPE(json_tokener_new_ex);
static DLSYM_PROTOTYPE(json_tokener_free);
static DLSYM_PROTOTYPE(json_tokener_set_flags);
static DLSYM_PROTOTYPE(json_tokener_parse_ex);
static DLSYM_PROTOTYPE(json_tokener_get_error);
static DLSYM_PROTOTYPE(json_tokener_get_parse_end);

int dlopen_jsonc(void) {
        return dlopen_many_sym(
                &jsonc_dl, "libjson-c.so.5", DLSYM_ARG(json_object_new_array), DLSYM_ARG(json_object_new_object),
                DLSYM_ARG(json_object_object_add), DLSYM_ARG(json_object_object_del), DLSYM_ARG(json_object_array_add),
                DLSYM_ARG(json_object_to_json_string_ext), DLSYM_ARG(json_object_get), DLSYM_ARG(json_object_put),
                DLSYM_ARG(json_object_new_string), DLSYM_ARG(json_object_new_uint64), DLSYM_ARG(json_object_new_int64),
                DLSYM_ARG(json_object_new_boolean), DLSYM_ARG(json_object_get_type), DLSYM_ARG(json_object_get_string),
                DLSYM_ARG(json_object_get_string_len), DLSYM_ARG(json_object_get_int64),
                DLSYM_ARG(json_object_get_boolean), DLSYM_ARG(json_object_object_get_ex),
                DLSYM_ARG(json_object_array_length), DLSYM_ARG(json_object_array_get_idx),
                DLSYM_ARG(json_object_iter_begin), DLSYM_ARG(json_object_iter_end), DLSYM_ARG(json_object_iter_equal),
                DLSYM_ARG(json_object_iter_next), DLSYM_ARG(json_object_iter_peek_name),
                DLSYM_ARG(json_object_iter_peek_value), DLSYM_ARG(json_tokener_new_ex), DLSYM_ARG(json_tokener_free),
                DLSYM_ARG(json_tokener_set_flags), DLSYM_ARG(json_tokener_parse_ex), DLSYM_ARG(json_tokener_get_error),
                DLSYM_ARG(json_tokener_get_parse_end), NULL);
}

static bool only_whitespace(const char *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!strchr(" \t\r\n", p[i]))
                        return false;
        return true;
}

int json_parse(const char *text, size_t size, json_object **ret) {
        json_tokener *tok;
        json_object *o;
        size_t end;
        int r;

        r = dlopen_jsonc();
        if (r < 0)
                return r;
        /* json-c takes an int length; NULs would cut strings short. */
        if (size > INT32_MAX || memchr(text, 0, size))
                return -EBADMSG;
        tok = sym_json_tokener_new_ex(JSON_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        /* Trailing bytes are allowed by json-c, then checked here: only
         * whitespace may follow the document. */
        sym_json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
                                                JSON_TOKENER_VALIDATE_UTF8);
        o = sym_json_tokener_parse_ex(tok, text, (int) size);
        if (o && sym_json_tokener_get_error(tok) == json_tokener_success) {
                end = sym_json_tokener_get_parse_end(tok);
                if (end > size || !only_whitespace(text + end, size - end)) {
                        sym_json_object_put(o);
                        o = NULL;
                }
        } else {
                sym_json_object_put(o);
                o = NULL;
        }
        sym_json_tokener_free(tok);
        if (!o)
                return -EBADMSG;
        *ret = o;
        return 0;
}

json_object *json_get(json_object *o, const char *key, json_type type) {
        json_object *v;

        if (!o || sym_json_object_get_type(o) != json_type_object)
                return NULL;
        if (!sym_json_object_object_get_ex(o, key, &v) || !v || sym_json_object_get_type(v) != type)
                return NULL;
        return v;
}

const char *json_string(json_object *v) {
        const char *s;

        if (!v || sym_json_object_get_type(v) != json_type_string)
                return NULL;
        s = sym_json_object_get_string(v);
        if (!s || strlen(s) != (size_t) sym_json_object_get_string_len(v))
                return NULL;
        return s;
}

const char *json_get_string(json_object *o, const char *key) {
        return json_string(json_get(o, key, json_type_string));
}

int json_get_strv(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;
        size_t n;

        if (!o || sym_json_object_get_type(o) != json_type_object)
                return -EBADMSG;
        if (!sym_json_object_object_get_ex(o, key, &v) || !v) {
                *ret = NULL;
                return 0;
        }
        if (sym_json_object_get_type(v) != json_type_array)
                return -EBADMSG;
        n = sym_json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string(sym_json_object_array_get_idx(v, i));

                if (!s)
                        return -EBADMSG;
                l[i] = strdup(s);
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

int json_add(json_object *o, const char *key, json_object *v) {
        if (!v || sym_json_object_object_add(o, key, v) < 0) {
                sym_json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_string(json_object *o, const char *key, const char *s) {
        return json_add(o, key, sym_json_object_new_string(s));
}

int json_append(json_object *array, json_object *v) {
        if (!v || sym_json_object_array_add(array, v) < 0) {
                sym_json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_to_text(json_object *o, char **ret) {
        const char *s = sym_json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        char *c;

        if (!s)
                return -ENOMEM;
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

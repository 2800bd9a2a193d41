/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "dlopen-util.h"
#include "macro.h"

/* json-c's one wrapper: the library is loaded when JSON is first needed
 * (dlopen_jsonc(), -EOPNOTSUPP without it), and its functions are called
 * through the sym_ pointers below once that succeeded. json_parse() loads
 * it itself; the other helpers take objects, so it is loaded by then. */

int dlopen_jsonc(void);

extern DLSYM_PROTOTYPE(json_object_new_array);
extern DLSYM_PROTOTYPE(json_object_new_object);
extern DLSYM_PROTOTYPE(json_object_object_add);
extern DLSYM_PROTOTYPE(json_object_object_del);
extern DLSYM_PROTOTYPE(json_object_array_add);
extern DLSYM_PROTOTYPE(json_object_to_json_string_ext);
extern DLSYM_PROTOTYPE(json_object_get);
extern DLSYM_PROTOTYPE(json_object_put);
extern DLSYM_PROTOTYPE(json_object_new_string);
extern DLSYM_PROTOTYPE(json_object_new_uint64);
extern DLSYM_PROTOTYPE(json_object_new_int64);
extern DLSYM_PROTOTYPE(json_object_new_boolean);
extern DLSYM_PROTOTYPE(json_object_get_type);
extern DLSYM_PROTOTYPE(json_object_get_string);
extern DLSYM_PROTOTYPE(json_object_get_string_len);
extern DLSYM_PROTOTYPE(json_object_get_int64);
extern DLSYM_PROTOTYPE(json_object_get_boolean);
extern DLSYM_PROTOTYPE(json_object_object_get_ex);
extern DLSYM_PROTOTYPE(json_object_array_length);
extern DLSYM_PROTOTYPE(json_object_array_get_idx);
extern DLSYM_PROTOTYPE(json_object_iter_begin);
extern DLSYM_PROTOTYPE(json_object_iter_end);
extern DLSYM_PROTOTYPE(json_object_iter_equal);
extern DLSYM_PROTOTYPE(json_object_iter_next);
extern DLSYM_PROTOTYPE(json_object_iter_peek_name);
extern DLSYM_PROTOTYPE(json_object_iter_peek_value);

/* json_object_put() that takes a NULL, for _cleanup_(json_object_putp). */
static inline void json_object_putp(json_object **o) {
        if (*o)
                sym_json_object_put(*o);
}

/* How deep documents that json_parse() reads may nest. */
#define JSON_DEPTH_MAX 64

/* Parses size bytes of text as one JSON document, strictly (RFC 8259: no
 * trailing bytes, no comments, strings valid UTF-8 and no NUL in the text),
 * nesting at most JSON_DEPTH_MAX deep. -EBADMSG if it is not that. */
int json_parse(const char *text, size_t size, json_object **ret);

/* o's member key when o is an object and the member has that type; NULL
 * otherwise (absent, JSON null, another type). */
json_object *json_get(json_object *o, const char *key, json_type type);
/* A string member, NULL if absent or not a string, or if it holds a NUL
 * ("\u0000": it would not survive as a C string). */
const char *json_get_string(json_object *o, const char *key);
/* A string value as json_get_string() takes it. */
const char *json_string(json_object *v);
/* A list of strings: *ret is NULL when the member is absent or null,
 * -EBADMSG when it is something else or an item is no string. */
int json_get_strv(json_object *o, const char *key, char ***ret);

/* Adds a member, taking v (freed on failure). -ENOMEM. */
int json_add(json_object *o, const char *key, json_object *v);
int json_add_string(json_object *o, const char *key, const char *s);
/* Appends to an array, taking v (freed on failure). */
int json_append(json_object *array, json_object *v);

/* The document as compact text ("/" unescaped), newly allocated. */
int json_to_text(json_object *o, char **ret);

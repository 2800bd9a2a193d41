/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* One output module for every verb that prints data: a table of typed
 * cells, rendered for people (aligned columns, "Header=value" properties, or
 * blocks of "Header: value" fields) or as one JSON document (through json-c)
 * for scripts. */

typedef enum CellType {
        CELL_NULL,
        CELL_STRING,
        CELL_UINT,
        CELL_INT,
        CELL_BOOL,
        CELL_STRV, /* a list of strings: a JSON array */
        _CELL_TYPE_MAX,
} CellType;

typedef struct Cell {
        CellType type;
        union {
                char *string;
                uint64_t uint;
                int64_t integer;
                bool boolean;
                char **strv;
        };
} Cell;

/* A column may exist for one audience only: a value people read in one
 * line ("1234 (systemd)") and scripts get as typed fields, for example. */
typedef enum ColumnFlags {
        COLUMN_TEXT_ONLY = 1 << 0, /* left out of JSON */
        COLUMN_JSON_ONLY = 1 << 1, /* left out of what people read */
} ColumnFlags;

typedef struct Column {
        const char *header;   /* "MACHINE" */
        const char *json_key; /* "machine" */
        ColumnFlags flags;
} Column;

typedef struct Table Table;

Table *table_new(const Column *columns, size_t n_columns);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

/* Appends one cell to the current row (rows fill left to right). */
int table_add_string(Table *t, const char *s);
int table_add_uint(Table *t, uint64_t v);
int table_add_int(Table *t, int64_t v);
int table_add_bool(Table *t, bool b);
int table_add_null(Table *t);
/* A copy of the list; NULL is an empty list. */
int table_add_strv(Table *t, char *const *l);

size_t table_rows(const Table *t) _pure_;

/* As a JSON array of objects, one per row. */
int table_print_json(const Table *t, FILE *f);
/* One row as a JSON object; only: the JSON keys to include (NULL: all).
 * -ERANGE if there is no such row. */
int table_print_json_object(const Table *t, size_t row, char *const *only, FILE *f);
/* As columns with a header line; noun names the rows for the legend
 * ("3 machines listed."), or NULL for no legend. */
int table_print(const Table *t, FILE *f, const char *noun_singular, const char *noun_plural);
/* As "Header=value" lines (systemctl show's form), a blank line between
 * rows: NULL cells give an empty value, lists their items separated by
 * spaces. only: the headers to print (NULL: all; names that are no column
 * print nothing). value_only: the values without "Header=". */
int table_print_properties(const Table *t, FILE *f, char *const *only, bool value_only);
/* As blocks of right-aligned "Header: value" lines (machinectl status's
 * form), a blank line between rows. A column with an empty header is a
 * title, printed alone; a list has one item a line; NULL cells and empty
 * lists show as "-". */
int table_print_fields(const Table *t, FILE *f);

/* Reading JSON that other programs print (through json-util). */

/* How many items the arrays that are values of a member named key hold,
 * anywhere in the document. -EBADMSG if text is no JSON. */
int json_text_count(const char *text, const char *key);
/* The first object that is the value of a member named key, anywhere in
 * the document, whose members match (pairs of name and string value): its
 * string members named in fields, in that order, into *ret. 1 if found, 0
 * if not. */
int json_text_find(const char *text, const char *key, char *const *match, char *const *fields, char ***ret);

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "macro.h"

/* One output module for every verb that prints data: a table of typed
 * cells, rendered either as aligned columns for people or as one JSON
 * document (through json-c) for scripts. */

typedef enum CellType {
        CELL_NULL,
        CELL_STRING,
        CELL_UINT,
        CELL_INT,
        CELL_BOOL,
        _CELL_TYPE_MAX,
} CellType;

typedef struct Cell {
        CellType type;
        union {
                char *string;
                uint64_t uint;
                int64_t integer;
                bool boolean;
        };
} Cell;

typedef struct Column {
        const char *header;   /* "MACHINE" */
        const char *json_key; /* "machine" */
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

size_t table_rows(const Table *t) _pure_;

/* As a JSON array of objects, one per row. */
int table_print_json(const Table *t, FILE *f);
/* As columns with a header line; noun names the rows for the legend
 * ("3 machines listed."), or NULL for no legend. */
int table_print(const Table *t, FILE *f, const char *noun_singular, const char *noun_plural);

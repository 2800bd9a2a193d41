/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>

#include "dlopen-util.h"
#include "output.h"
#include "string-util.h"

/* json-c, loaded when JSON is asked for. */
static void *jsonc_dl;
static DLSYM_PROTOTYPE(json_object_new_array);
static DLSYM_PROTOTYPE(json_object_new_object);
static DLSYM_PROTOTYPE(json_object_object_add);
static DLSYM_PROTOTYPE(json_object_array_add);
static DLSYM_PROTOTYPE(json_object_to_json_string_ext);
static DLSYM_PROTOTYPE(json_object_put);
static DLSYM_PROTOTYPE(json_object_new_string);
static DLSYM_PROTOTYPE(json_object_new_uint64);
static DLSYM_PROTOTYPE(json_object_new_int64);
static DLSYM_PROTOTYPE(json_object_new_boolean);

static int dlopen_jsonc(void) {
        return dlopen_many_sym(&jsonc_dl, "libjson-c.so.5", DLSYM_ARG(json_object_new_array),
                               DLSYM_ARG(json_object_new_object), DLSYM_ARG(json_object_object_add),
                               DLSYM_ARG(json_object_array_add), DLSYM_ARG(json_object_to_json_string_ext),
                               DLSYM_ARG(json_object_put), DLSYM_ARG(json_object_new_string),
                               DLSYM_ARG(json_object_new_uint64), DLSYM_ARG(json_object_new_int64),
                               DLSYM_ARG(json_object_new_boolean), NULL);
}

struct Table {
        const Column *columns;
        size_t n_columns;
        Cell *cells;
        size_t n_cells;
};

Table *table_new(const Column *columns, size_t n_columns) {
        Table *t = calloc(1, sizeof(Table));

        if (!t)
                return NULL;
        t->columns = columns;
        t->n_columns = n_columns;
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                if (t->cells[i].type == CELL_STRING)
                        free(t->cells[i].string);
        free(t->cells);
        free(t);
        return NULL;
}

static int add_cell(Table *t, Cell c) {
        Cell *n = reallocarray(t->cells, t->n_cells + 1, sizeof(Cell));

        if (!n) {
                if (c.type == CELL_STRING)
                        free(c.string);
                return -ENOMEM;
        }
        t->cells = n;
        t->cells[t->n_cells++] = c;
        return 0;
}

int table_add_string(Table *t, const char *s) {
        char *c;

        if (!s)
                return table_add_null(t);
        c = strdup(s);
        if (!c)
                return -ENOMEM;
        return add_cell(t, (Cell) { .type = CELL_STRING, .string = c });
}

int table_add_uint(Table *t, uint64_t v) {
        return add_cell(t, (Cell) { .type = CELL_UINT, .uint = v });
}

int table_add_int(Table *t, int64_t v) {
        return add_cell(t, (Cell) { .type = CELL_INT, .integer = v });
}

int table_add_bool(Table *t, bool b) {
        return add_cell(t, (Cell) { .type = CELL_BOOL, .boolean = b });
}

int table_add_null(Table *t) {
        return add_cell(t, (Cell) { .type = CELL_NULL });
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns;
}

static json_object *cell_to_json(const Cell *c) {
        switch (c->type) {
        case CELL_STRING:
                return sym_json_object_new_string(c->string);
        case CELL_UINT:
                return sym_json_object_new_uint64(c->uint);
        case CELL_INT:
                return sym_json_object_new_int64(c->integer);
        case CELL_BOOL:
                return sym_json_object_new_boolean(c->boolean);
        case CELL_NULL:
        default:
                return NULL;
        }
}

int table_print_json(const Table *t, FILE *f) {
        json_object *array;
        int r;

        r = dlopen_jsonc();
        if (r < 0)
                return r;
        array = sym_json_object_new_array();
        if (!array)
                return -ENOMEM;
        for (size_t row = 0; row < table_rows(t); row++) {
                json_object *o = sym_json_object_new_object();

                if (!o) {
                        r = -ENOMEM;
                        break;
                }
                for (size_t col = 0; col < t->n_columns; col++)
                        sym_json_object_object_add(o, t->columns[col].json_key,
                                                   cell_to_json(&t->cells[row * t->n_columns + col]));
                sym_json_object_array_add(array, o);
        }
        if (r >= 0) {
                fputs(sym_json_object_to_json_string_ext(array,
                                                         JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                      f);
                fputc('\n', f);
        }
        sym_json_object_put(array);
        return r;
}

static char *cell_to_text(const Cell *c) {
        switch (c->type) {
        case CELL_STRING:
                return strdup(c->string);
        case CELL_UINT:
                return strdup_printf("%" PRIu64, c->uint);
        case CELL_INT:
                return strdup_printf("%" PRIi64, c->integer);
        case CELL_BOOL:
                return strdup(yes_no(c->boolean));
        case CELL_NULL:
        default:
                return strdup("-");
        }
}

/* Width on a terminal: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s) {
        size_t w = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xC0) != 0x80)
                        w++;
        return w;
}

static void print_cell(FILE *f, const char *s, size_t width, bool last) {
        if (last) {
                fprintf(f, "%s\n", s);
                return;
        }
        fputs(s, f);
        for (size_t w = text_width(s); w <= width; w++)
                fputc(' ', f);
}

int table_print(const Table *t, FILE *f, const char *noun_singular, const char *noun_plural) {
        size_t rows = table_rows(t), widths[t->n_columns];
        _cleanup_free_ char **text = calloc(t->n_cells + 1, sizeof(char *));
        int r = 0;

        if (!text)
                return -ENOMEM;
        for (size_t col = 0; col < t->n_columns; col++)
                widths[col] = text_width(t->columns[col].header);
        for (size_t i = 0; i < t->n_cells; i++) {
                text[i] = cell_to_text(&t->cells[i]);
                if (!text[i]) {
                        r = -ENOMEM;
                        goto finish;
                }
                widths[i % t->n_columns] = MAX(widths[i % t->n_columns], text_width(text[i]));
        }

        if (rows > 0) {
                for (size_t col = 0; col < t->n_columns; col++)
                        print_cell(f, t->columns[col].header, widths[col], col + 1 == t->n_columns);
                for (size_t i = 0; i < t->n_cells; i++)
                        print_cell(f, text[i], widths[i % t->n_columns], i % t->n_columns + 1 == t->n_columns);
        }
        if (noun_singular) {
                if (rows > 0)
                        fputc('\n', f);
                fprintf(f, "%zu %s listed.\n", rows, rows == 1 ? noun_singular : noun_plural);
        }

finish:
        for (size_t i = 0; i < t->n_cells; i++)
                free(text[i]);
        return r;
}

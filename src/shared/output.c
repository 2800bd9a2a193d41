/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "json-util.h"
#include "output.h"
#include "string-util.h"
#include "strv.h"

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

static void cell_done(Cell *c) {
        if (c->type == CELL_STRING)
                free(c->string);
        else if (c->type == CELL_STRV)
                strv_free(c->strv);
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_cells; i++)
                cell_done(&t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

static int add_cell(Table *t, Cell c) {
        Cell *n = reallocarray(t->cells, t->n_cells + 1, sizeof(Cell));

        if (!n) {
                cell_done(&c);
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

int table_add_strv(Table *t, char *const *l) {
        char **c = l ? strv_copy(l) : calloc(1, sizeof(char *));

        if (!c)
                return -ENOMEM;
        return add_cell(t, (Cell) { .type = CELL_STRV, .strv = c });
}

size_t table_rows(const Table *t) {
        return t->n_cells / t->n_columns;
}

static json_object *cell_to_json(const Cell *c) {
        json_object *a;

        switch (c->type) {
        case CELL_STRING:
                return sym_json_object_new_string(c->string);
        case CELL_UINT:
                return sym_json_object_new_uint64(c->uint);
        case CELL_INT:
                return sym_json_object_new_int64(c->integer);
        case CELL_BOOL:
                return sym_json_object_new_boolean(c->boolean);
        case CELL_STRV:
                a = sym_json_object_new_array();
                if (!a)
                        return NULL;
                STRV_FOREACH(s, c->strv) {
                        json_object *e = sym_json_object_new_string(*s);

                        if (!e || sym_json_object_array_add(a, e) < 0) {
                                sym_json_object_put(e);
                                sym_json_object_put(a);
                                return NULL;
                        }
                }
                return a;
        case CELL_NULL:
        default:
                return NULL;
        }
}

/* json-c's "null" is a NULL object: for cells that are not NULL, a NULL
 * from cell_to_json() means it ran out of memory. */
static int row_to_json(const Table *t, size_t row, char *const *only, json_object **ret) {
        json_object *o = sym_json_object_new_object();

        if (!o)
                return -ENOMEM;
        for (size_t col = 0; col < t->n_columns; col++) {
                const Cell *c = &t->cells[row * t->n_columns + col];
                json_object *v;

                if (t->columns[col].flags & COLUMN_TEXT_ONLY)
                        continue;
                if (only && !strv_contains(only, t->columns[col].json_key))
                        continue;
                v = cell_to_json(c);
                if ((!v && c->type != CELL_NULL) || sym_json_object_object_add(o, t->columns[col].json_key, v) < 0) {
                        sym_json_object_put(v);
                        sym_json_object_put(o);
                        return -ENOMEM;
                }
        }
        *ret = o;
        return 0;
}

/* Prints the document and frees it. */
static int print_json(json_object *o, FILE *f) {
        const char *s = sym_json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

        if (s) {
                fputs(s, f);
                fputc('\n', f);
        }
        sym_json_object_put(o);
        return s ? 0 : -ENOMEM;
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
                json_object *o;

                r = row_to_json(t, row, NULL, &o);
                if (r >= 0 && sym_json_object_array_add(array, o) < 0) {
                        sym_json_object_put(o);
                        r = -ENOMEM;
                }
                if (r < 0) {
                        sym_json_object_put(array);
                        return r;
                }
        }
        return print_json(array, f);
}

int table_print_json_object(const Table *t, size_t row, char *const *only, FILE *f) {
        json_object *o;
        int r;

        if (row >= table_rows(t))
                return -ERANGE;
        r = dlopen_jsonc();
        if (r < 0)
                return r;
        r = row_to_json(t, row, only, &o);
        if (r < 0)
                return r;
        return print_json(o, f);
}

/* null_text: what a NULL cell or an empty list shows as; a list's items
 * are joined by spaces. */
static char *cell_to_text(const Cell *c, const char *null_text) {
        _cleanup_free_ char *joined = NULL;

        switch (c->type) {
        case CELL_STRING:
                return escape_control(c->string);
        case CELL_UINT:
                return strdup_printf("%" PRIu64, c->uint);
        case CELL_INT:
                return strdup_printf("%" PRIi64, c->integer);
        case CELL_BOOL:
                return strdup(yes_no(c->boolean));
        case CELL_STRV:
                if (!c->strv[0])
                        return strdup(null_text);
                joined = strv_join(c->strv, " ");
                return joined ? escape_control(joined) : NULL;
        case CELL_NULL:
        default:
                return strdup(null_text);
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

static bool column_is_text(const Table *t, size_t col) {
        return !(t->columns[col].flags & COLUMN_JSON_ONLY);
}

static void texts_free(const Table *t, char **text) {
        for (size_t i = 0; i < t->n_cells; i++)
                free(text[i]);
        free(text);
}

/* The texts of all cells, NULL for the columns people don't see. */
static int table_texts(const Table *t, const char *null_text, char ***ret) {
        char **text = calloc(t->n_cells + 1, sizeof(char *));

        if (!text)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_cells; i++) {
                if (!column_is_text(t, i % t->n_columns))
                        continue;
                text[i] = cell_to_text(&t->cells[i], null_text);
                if (!text[i]) {
                        texts_free(t, text);
                        return -ENOMEM;
                }
        }
        *ret = text;
        return 0;
}

int table_print(const Table *t, FILE *f, const char *noun_singular, const char *noun_plural) {
        size_t rows = table_rows(t), widths[t->n_columns], last = 0;
        char **text;
        int r;

        r = table_texts(t, "-", &text);
        if (r < 0)
                return r;
        for (size_t col = 0; col < t->n_columns; col++) {
                widths[col] = text_width(t->columns[col].header);
                if (column_is_text(t, col))
                        last = col;
        }
        for (size_t i = 0; i < t->n_cells; i++)
                if (text[i])
                        widths[i % t->n_columns] = MAX(widths[i % t->n_columns], text_width(text[i]));

        if (rows > 0) {
                for (size_t col = 0; col < t->n_columns; col++)
                        if (column_is_text(t, col))
                                print_cell(f, t->columns[col].header, widths[col], col == last);
                for (size_t i = 0; i < t->n_cells; i++)
                        if (text[i])
                                print_cell(f, text[i], widths[i % t->n_columns], i % t->n_columns == last);
        }
        if (noun_singular) {
                if (rows > 0)
                        fputc('\n', f);
                fprintf(f, "%zu %s listed.\n", rows, rows == 1 ? noun_singular : noun_plural);
        }
        texts_free(t, text);
        return 0;
}

int table_print_properties(const Table *t, FILE *f, char *const *only, bool value_only) {
        char **text;
        int r;

        r = table_texts(t, "", &text);
        if (r < 0)
                return r;
        for (size_t row = 0; row < table_rows(t); row++) {
                if (row > 0)
                        fputc('\n', f);
                for (size_t col = 0; col < t->n_columns; col++) {
                        const char *v = text[row * t->n_columns + col];

                        if (!v || (only && !strv_contains(only, t->columns[col].header)))
                                continue;
                        if (value_only)
                                fprintf(f, "%s\n", v);
                        else
                                fprintf(f, "%s=%s\n", t->columns[col].header, v);
                }
        }
        texts_free(t, text);
        return 0;
}

static void print_field(FILE *f, const char *header, size_t width, const char *value) {
        if (!*header && !*value) {
                fputc('\n', f); /* no trailing blanks */
                return;
        }
        for (size_t w = text_width(header); w < width; w++)
                fputc(' ', f);
        fprintf(f, "%s%s%s%s\n", header, *header ? ":" : " ", *value ? " " : "", value);
}

int table_print_fields(const Table *t, FILE *f) {
        size_t width = 0;

        for (size_t col = 0; col < t->n_columns; col++)
                if (column_is_text(t, col))
                        width = MAX(width, text_width(t->columns[col].header));

        for (size_t row = 0; row < table_rows(t); row++) {
                if (row > 0)
                        fputc('\n', f);
                for (size_t col = 0; col < t->n_columns; col++) {
                        const Cell *c = &t->cells[row * t->n_columns + col];
                        const char *header = t->columns[col].header;
                        _cleanup_free_ char *v = NULL;

                        if (!column_is_text(t, col))
                                continue;
                        if (c->type == CELL_STRV && c->strv[0]) {
                                /* One item a line, the first beside the header. */
                                STRV_FOREACH(i, c->strv) {
                                        _cleanup_free_ char *e = escape_control(*i);
                                        if (!e)
                                                return -ENOMEM;
                                        print_field(f, i == c->strv ? header : "", width, e);
                                }
                                continue;
                        }
                        v = cell_to_text(c, "-");
                        if (!v)
                                return -ENOMEM;
                        if (isempty(header))
                                fprintf(f, "%s\n", v);
                        else
                                print_field(f, header, width, v);
                }
        }
        return 0;
}

/* --- Reading ------------------------------------------------------------- */

typedef struct JsonSearch {
        const char *key;
        char *const *match, *const *fields;
        size_t count;
        struct json_object *found;
} JsonSearch;

static bool object_matches(struct json_object *o, char *const *match) {
        for (char *const *m = match; m && m[0] && m[1]; m += 2) {
                struct json_object *v;
                const char *s;

                if (!sym_json_object_object_get_ex(o, m[0], &v) || sym_json_object_get_type(v) != json_type_string)
                        return false;
                s = sym_json_object_get_string(v);
                if (!s || !streq(s, m[1]))
                        return false;
        }
        return true;
}

static void search(struct json_object *o, JsonSearch *s, unsigned depth) {
        if (!o || depth > 64 || s->found)
                return;
        if (sym_json_object_get_type(o) == json_type_array) {
                size_t n = sym_json_object_array_length(o);
                for (size_t i = 0; i < n; i++)
                        search(sym_json_object_array_get_idx(o, i), s, depth + 1);
                return;
        }
        if (sym_json_object_get_type(o) != json_type_object)
                return;
        for (struct json_object_iterator i = sym_json_object_iter_begin(o), end = sym_json_object_iter_end(o);
             !sym_json_object_iter_equal(&i, &end); sym_json_object_iter_next(&i)) {
                struct json_object *v = sym_json_object_iter_peek_value(&i);

                if (streq(sym_json_object_iter_peek_name(&i), s->key)) {
                        if (sym_json_object_get_type(v) == json_type_array)
                                s->count += sym_json_object_array_length(v);
                        if (s->match && sym_json_object_get_type(v) == json_type_object &&
                            object_matches(v, s->match)) {
                                s->found = v;
                                return;
                        }
                }
                search(v, s, depth + 1);
        }
}

static int parse_and_search(const char *text, JsonSearch *s, struct json_object **ret) {
        struct json_object *root;
        int r;

        if (!text)
                return -EBADMSG;
        r = json_parse(text, strlen(text), &root);
        if (r < 0)
                return r;
        search(root, s, 0);
        *ret = root;
        return 0;
}

int json_text_count(const char *text, const char *key) {
        JsonSearch s = { .key = key };
        struct json_object *root;
        int r;

        r = parse_and_search(text, &s, &root);
        if (r < 0)
                return r;
        sym_json_object_put(root);
        return (int) MIN(s.count, (size_t) INT_MAX);
}

int json_text_find(const char *text, const char *key, char *const *match, char *const *fields, char ***ret) {
        static char *const any[] = { NULL };
        JsonSearch s = { .key = key, .match = match ?: any };
        _cleanup_strv_free_ char **l = NULL;
        struct json_object *root;
        int r;

        r = parse_and_search(text, &s, &root);
        if (r < 0)
                return r;
        if (!s.found) {
                sym_json_object_put(root);
                return 0;
        }
        for (char *const *f = fields; f && *f; f++) {
                struct json_object *v;
                const char *value = "";

                if (sym_json_object_object_get_ex(s.found, *f, &v) && sym_json_object_get_type(v) == json_type_string)
                        value = sym_json_object_get_string(v);
                if (strv_extend(&l, value) < 0) {
                        sym_json_object_put(root);
                        return -ENOMEM;
                }
        }
        sym_json_object_put(root);
        *ret = TAKE_PTR(l);
        return 1;
}

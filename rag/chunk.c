/* Markdown / MDX chunker (see chunk.h).
 *
 * A single pass over lines with a small state machine: front matter, fenced or Liquid
 * "highlight" code, HTML tables and pipe tables are collected whole; headings flush the
 * current section; prose accumulates as blocks and is cut into chunks of about
 * RAG_CHUNK_TARGET bytes at block boundaries, so a code block is never split. */
#include "rag/chunk.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rag/buf.h"

#define MAX_DEPTH 6

/* Chunker state for one document. */
typedef struct md_state {
  rag_chunks *out;          /* where chunks go */
  char *heads[MAX_DEPTH];   /* current heading text per level (1..6 -> 0..5), NULL = none */
  rag_buf section;          /* prose of the current section not yet emitted */
  int section_line;         /* line where the pending prose started (0 = none yet) */
  rag_buf block;            /* collected table or code block */
  int block_line;           /* line where the collected block started */
  rag_buf tmp;              /* scratch for cleaning */
} md_state;

const char *rag_chunk_kind_name(rag_chunk_kind k) {
  static const char *names[] = {"text", "code", "property", "row", "log"};
  return k <= RAG_CHUNK_LOG ? names[k] : "?";
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int rag_chunks_push(rag_chunks *c, rag_chunk_kind kind, const char *heading, const char *section,
                    const char *text, const char *name, const char *since, int line) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? c->cap * 2 : 64;
    rag_chunk *v = realloc(c->v, cap * sizeof *v);
    if (!v) return SIC_ENOMEM;
    c->v = v;
    c->cap = cap;
  }
  rag_chunk *k = &c->v[c->n];
  k->kind = kind;
  k->heading = strdup(heading);
  k->section = strdup(section);
  k->text = strdup(text);
  k->name = dup_or_null(name);
  k->since = dup_or_null(since);
  k->line = line;
  c->n++;
  if (!k->heading || !k->section || !k->text || (name && !k->name) || (since && !k->since))
    return SIC_ENOMEM;
  return 0;
}

void rag_chunks_free(rag_chunks *c) {
  for (size_t i = 0; i < c->n; i++) {
    free(c->v[i].heading);
    free(c->v[i].section);
    free(c->v[i].text);
    free(c->v[i].name);
    free(c->v[i].since);
  }
  free(c->v);
  free(c->title);
  memset(c, 0, sizeof *c);
}

/* ---- inline cleaning ---------------------------------------------------------------- */

static const struct { const char *name; const char *text; } entities[] = {
  {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&nbsp;", " "},
  {"&#39;", "'"}, {"&rarr;", "->"}, {"&le;", "<="}, {"&ge;", ">="},
};

/* Length of an HTML tag starting at s[0] == '<', or 0 when it is not one (e.g. "a < b",
 * "<conf>" inside prose is kept as text only if it has no closing '>' on the line). */
static size_t tag_length(const char *s, size_t n) {
  if (n < 2 || !(isalpha((unsigned char)s[1]) || s[1] == '/' || s[1] == '!')) return 0;
  const char *gt = memchr(s, '>', n);
  return gt ? (size_t)(gt - s) + 1 : 0;
}

int rag_clean_inline(const char *s, size_t n, rag_buf *out) {
  rag_buf_reset(out);
  if (rag_buf_append(out, "", 0)) return SIC_ENOMEM;
  for (size_t i = 0; i < n;) {
    size_t t;
    if (s[i] == '<' && (t = tag_length(s + i, n - i))) { /* drop tags, keep their text */
      if (rag_buf_append(out, " ", 1)) return SIC_ENOMEM;
      i += t;
      continue;
    }
    if (s[i] == '{' && i + 1 < n && (s[i + 1] == '{' || s[i + 1] == '%' || s[i + 1] == ':')) {
      /* Liquid {{ var }} keeps the variable name; {% tag %} and kramdown {:...} vanish. */
      const char *close = s[i + 1] == '{' ? "}}" : s[i + 1] == '%' ? "%}" : "}";
      const char *end = memmem(s + i + 2, n - i - 2, close, strlen(close));
      if (end) {
        if (s[i + 1] == '{') {
          const char *v = s + i + 2;
          if (rag_buf_append(out, v, (size_t)(end - v))) return SIC_ENOMEM;
        }
        i = (size_t)(end - s) + strlen(close);
        continue;
      }
    }
    if (s[i] == ']' && i + 1 < n && s[i + 1] == '(') { /* [text](url): keep text only */
      const char *close = memchr(s + i, ')', n - i);
      if (close) {
        i = (size_t)(close - s) + 1;
        continue;
      }
    }
    if (s[i] == '&') {
      size_t k;
      for (k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        size_t len = strlen(entities[k].name);
        if (n - i >= len && !memcmp(s + i, entities[k].name, len)) {
          if (rag_buf_puts(out, entities[k].text)) return SIC_ENOMEM;
          i += len;
          break;
        }
      }
      if (k < sizeof entities / sizeof entities[0]) continue;
    }
    if (s[i] == '[') { /* drop the bracket of a link "[text](url)", keep "local[2]" */
      const char *close = memchr(s + i, ']', n - i);
      if (close && close + 1 < s + n && close[1] == '(') {
        i++;
        continue;
      }
    }
    /* Emphasis markers and code spans go; a lone " * " (multiplication) stays. */
    if (s[i] == '`' || (s[i] == '*' && !(i > 0 && s[i - 1] == ' ' && i + 1 < n && s[i + 1] == ' '))) {
      i++;
      continue;
    }
    if (rag_buf_append(out, s + i, 1)) return SIC_ENOMEM;
    i++;
  }
  rag_squeeze_space(out->data);
  out->len = strlen(out->data);
  return 0;
}

/* ---- headings and sections ---------------------------------------------------------- */

static int breadcrumb(md_state *st, rag_buf *b, const char **section) {
  rag_buf_reset(b);
  if (rag_buf_puts(b, st->out->title ? st->out->title : "")) return SIC_ENOMEM;
  *section = st->out->title ? st->out->title : "";
  for (int i = 0; i < MAX_DEPTH; i++) {
    if (!st->heads[i]) continue;
    /* A document's own H1 usually repeats its title: do not say it twice. */
    if (st->out->title && !strcmp(st->heads[i], st->out->title)) continue;
    if (rag_buf_puts(b, " > ") || rag_buf_puts(b, st->heads[i])) return SIC_ENOMEM;
    *section = st->heads[i];
  }
  return 0;
}

static int emit(md_state *st, rag_chunk_kind kind, const char *text, const char *name,
                const char *since, int line) {
  rag_buf crumb = {0};
  const char *section;
  int rc = breadcrumb(st, &crumb, &section);
  if (!rc) rc = rag_chunks_push(st->out, kind, crumb.data, section, text, name, since, line);
  rag_buf_free(&crumb);
  return rc;
}

static int flush_section(md_state *st) {
  int rc = 0;
  char *p = st->section.data;
  if (p && st->section.len) {
    while (*p == '\n' || *p == ' ') p++;
    if (*p) rc = emit(st, RAG_CHUNK_TEXT, p, NULL, NULL, st->section_line);
  }
  rag_buf_reset(&st->section);
  st->section_line = 0;
  return rc;
}

/* Add a finished block (paragraph line group, list, code) to the section, cutting the
 * section first when the block would push it past the target size. */
static int add_block(md_state *st, const char *text, size_t n, int line, int is_code) {
  if (st->section.len && st->section.len + n > RAG_CHUNK_TARGET) {
    int rc = flush_section(st);
    if (rc) return rc;
  }
  if (is_code && n > RAG_CHUNK_TARGET) { /* too big to share: a chunk of its own, whole */
    rag_buf t = {0};
    int rc = rag_buf_append(&t, text, n);
    if (!rc) rc = emit(st, RAG_CHUNK_CODE, t.data, NULL, NULL, line);
    rag_buf_free(&t);
    return rc;
  }
  if (!st->section_line) st->section_line = line;
  if (st->section.len && rag_buf_puts(&st->section, "\n")) return SIC_ENOMEM;
  return rag_buf_append(&st->section, text, n);
}

static int set_heading(md_state *st, int level, const char *text, size_t n) {
  int rc = flush_section(st);
  if (rc) return rc;
  if ((rc = rag_clean_inline(text, n, &st->tmp))) return rc;
  /* "#### [YARN](running-on-yarn.html#configuration)" -> "YARN"; trailing "#"s dropped. */
  while (st->tmp.len && (st->tmp.data[st->tmp.len - 1] == '#' || st->tmp.data[st->tmp.len - 1] == ' '))
    st->tmp.data[--st->tmp.len] = 0;
  for (int i = level - 1; i < MAX_DEPTH; i++) {
    free(st->heads[i]);
    st->heads[i] = NULL;
  }
  st->heads[level - 1] = strdup(st->tmp.data);
  if (!st->heads[level - 1]) return SIC_ENOMEM;
  if (level == 1 && !st->out->title) st->out->title = strdup(st->tmp.data);
  return 0;
}

/* ---- tables ------------------------------------------------------------------------- */

/* Cells of one table row, cleaned. */
typedef struct row_cells {
  char *cell[16];  /* cleaned cell texts (owned) */
  int n;           /* cells used */
  int header;      /* 1 when the row is made of <th> cells */
} row_cells;

static void cells_free(row_cells *r) {
  for (int i = 0; i < r->n; i++) free(r->cell[i]);
  r->n = 0;
}

static int is_property_header(const row_cells *h) {
  if (h->n < 2) return 0;
  const char *c = h->cell[0];
  return strcasestr(c, "property") || strcasestr(c, "option") || strcasestr(c, "conf");
}

/* One chunk per table row: "Header: value" pairs so a row reads on its own. */
static int emit_row(md_state *st, const row_cells *head, const row_cells *row, int line) {
  if (row->n == 0) return 0;
  rag_buf t = {0};
  const char *since = NULL;
  int property = head && is_property_header(head);
  int rc = 0;
  for (int i = 0; i < row->n && !rc; i++) {
    const char *label = head && i < head->n ? head->cell[i] : NULL;
    if (label && strcasestr(label, "since")) since = row->cell[i];
    if (i) rc = rag_buf_puts(&t, "\n");
    if (!rc && label && *label) rc = rag_buf_printf(&t, "%s: ", label);
    if (!rc) rc = rag_buf_puts(&t, row->cell[i]);
  }
  if (!rc && t.len)
    rc = emit(st, property ? RAG_CHUNK_PROPERTY : RAG_CHUNK_ROW, t.data,
              property ? row->cell[0] : NULL, since, line);
  rag_buf_free(&t);
  return rc;
}

static int push_cell(md_state *st, row_cells *r, const char *s, size_t n) {
  if (r->n >= 16) return 0;
  int rc = rag_clean_inline(s, n, &st->tmp);
  if (rc) return rc;
  r->cell[r->n] = strdup(st->tmp.data);
  if (!r->cell[r->n]) return SIC_ENOMEM;
  r->n++;
  return 0;
}

/* Parse the cells of one <tr>...</tr> span. */
static int html_row(md_state *st, const char *s, const char *end, row_cells *r) {
  r->n = 0;
  r->header = 0;
  for (const char *p = s; p < end;) {
    const char *open = memmem(p, (size_t)(end - p), "<t", 2);
    if (!open || open + 3 > end) break;
    if (open[2] != 'd' && open[2] != 'h') {
      p = open + 2;
      continue;
    }
    const char *gt = memchr(open, '>', (size_t)(end - open));
    if (!gt) break;
    const char *close = memmem(gt, (size_t)(end - gt), open[2] == 'h' ? "</th" : "</td", 4);
    if (!close) close = end;
    if (open[2] == 'h') r->header = 1;
    int rc = push_cell(st, r, gt + 1, (size_t)(close - gt - 1));
    if (rc) return rc;
    p = close + 4;
  }
  return 0;
}

static int html_table(md_state *st, const char *s, size_t n, int line) {
  row_cells head = {0}, row = {0};
  int have_head = 0, rc = 0;
  const char *end = s + n;
  for (const char *p = s; p < end && !rc;) {
    const char *tr = memmem(p, (size_t)(end - p), "<tr", 3);
    if (!tr) break;
    const char *close = memmem(tr, (size_t)(end - tr), "</tr>", 5);
    if (!close) close = end;
    /* Row line number: count newlines between the table start and this row. */
    int row_line = line;
    for (const char *q = s; q < tr; q++) row_line += *q == '\n';
    rc = html_row(st, tr, close, &row);
    if (!rc && row.header && !have_head) {
      head = row;
      memset(&row, 0, sizeof row);
      have_head = 1;
    } else if (!rc) {
      rc = emit_row(st, have_head ? &head : NULL, &row, row_line);
      cells_free(&row);
    }
    p = close + 5;
  }
  cells_free(&row);
  cells_free(&head);
  return rc;
}

/* Split "| a | b |" into cells (backslash-escaped pipes and pipes in `code` stay). */
static int pipe_row(md_state *st, const char *s, size_t n, row_cells *r) {
  r->n = 0;
  r->header = 0;
  size_t i, start;
  int in_code = 0;
  for (i = 0; i < n && s[i] == ' '; i++) {}
  if (i < n && s[i] == '|') i++;
  start = i;
  for (; i <= n; i++) {
    int end = i == n;
    if (!end && s[i] == '`') in_code = !in_code;
    if (!end && s[i] == '\\') { i++; continue; }
    if (end || (s[i] == '|' && !in_code)) {
      size_t len = i - start;
      const char *c = s + start;
      int only_space = 1;
      for (size_t k = 0; k < len; k++) only_space &= isspace((unsigned char)c[k]) != 0;
      if (!(end && only_space)) {
        int rc = push_cell(st, r, c, len);
        if (rc) return rc;
      }
      start = i + 1;
    }
  }
  return 0;
}

static int is_separator_row(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strchr("|-: \t", s[i])) return 0;
  return 1;
}

static int pipe_table(md_state *st, const char *s, size_t n, int line) {
  row_cells head = {0}, row = {0};
  int rc = 0, have_head = 0, row_line = line;
  for (const char *p = s; p < s + n && !rc; row_line++) {
    const char *nl = memchr(p, '\n', (size_t)(s + n - p));
    size_t len = nl ? (size_t)(nl - p) : (size_t)(s + n - p);
    const char *next = nl ? nl + 1 : s + n;
    if (is_separator_row(p, len)) {
      p = next;
      continue;
    }
    rc = pipe_row(st, p, len, &row);
    /* The first row is the header when a separator row follows it. */
    if (!rc && !have_head && is_separator_row(next, strcspn(next, "\n"))) {
      head = row;
      memset(&row, 0, sizeof row);
      have_head = 1;
    } else if (!rc) {
      rc = emit_row(st, have_head ? &head : NULL, &row, row_line);
      cells_free(&row);
    }
    p = next;
  }
  cells_free(&row);
  cells_free(&head);
  return rc;
}

/* ---- line classification ------------------------------------------------------------ */

static const char *skip_space(const char *s, const char *end) {
  while (s < end && (*s == ' ' || *s == '\t')) s++;
  return s;
}

static int starts(const char *s, const char *end, const char *word) {
  size_t n = strlen(word);
  return (size_t)(end - s) >= n && !memcmp(s, word, n);
}

/* JSX component tags of the Delta (Starlight) docs and import lines carry no prose. */
static int is_mdx_markup(const char *s, const char *end) {
  static const char *tags[] = {"<Tabs", "</Tabs", "<TabItem", "</TabItem", "<Aside", "</Aside",
                               "<Card", "</Card", "<CardGrid", "</CardGrid", "<LinkCard",
                               "<Steps", "</Steps", "<Badge", "<FileTree", "</FileTree"};
  if (starts(s, end, "import ") && memmem(s, (size_t)(end - s), " from ", 6)) return 1;
  if (starts(s, end, "export ")) return 1;
  for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
    if (starts(s, end, tags[i])) return 1;
  return 0;
}

/* An HTML heading line "<h2 id=x>Text</h2>": its level, and the text span in *t / *te. */
static int html_heading(const char *s, const char *end, const char **t, const char **te) {
  if (end - s < 4 || s[0] != '<' || (s[1] != 'h' && s[1] != 'H') || s[2] < '1' || s[2] > '6' ||
      (s[3] != '>' && s[3] != ' '))
    return 0;
  const char *gt = memchr(s, '>', (size_t)(end - s));
  if (!gt) return 0;
  char close[5] = {'<', '/', s[1], s[2], 0};
  const char *c = memmem(gt, (size_t)(end - gt), close, 4);
  if (!c) return 0;
  *t = gt + 1;
  *te = c;
  return s[2] - '0';
}

static int heading_level(const char *s, const char *end) {
  int lvl = 0;
  while (s + lvl < end && s[lvl] == '#') lvl++;
  return lvl >= 1 && lvl <= 6 && s + lvl < end && s[lvl] == ' ' ? lvl : 0;
}

static int is_front_matter_key(const char *s, const char *end, const char *key, const char **val) {
  size_t n = strlen(key);
  if ((size_t)(end - s) <= n || memcmp(s, key, n) || s[n] != ':') return 0;
  *val = skip_space(s + n + 1, end);
  return 1;
}

/* Front matter: take displayTitle over title; quotes removed. Returns the line after it. */
static const char *front_matter(md_state *st, const char *p, const char *end, int *line) {
  const char *title = NULL, *title_end = NULL, *display = NULL, *display_end = NULL;
  const char *q = p;
  while (q < end) {
    const char *nl = memchr(q, '\n', (size_t)(end - q));
    const char *le = nl ? nl : end;
    (*line)++;
    if (q != p && le - q >= 3 && !memcmp(q, "---", 3)) {
      q = nl ? nl + 1 : end;
      break;
    }
    const char *v;
    if (is_front_matter_key(q, le, "title", &v)) title = v, title_end = le;
    if (is_front_matter_key(q, le, "displayTitle", &v)) display = v, display_end = le;
    q = nl ? nl + 1 : end;
  }
  const char *t = display ? display : title, *te = display ? display_end : title_end;
  if (t) {
    while (te > t && (te[-1] == '"' || te[-1] == '\'' || te[-1] == ' ' || te[-1] == '\r')) te--;
    while (t < te && (*t == '"' || *t == '\'')) t++;
    if (!rag_clean_inline(t, (size_t)(te - t), &st->tmp)) st->out->title = strdup(st->tmp.data);
  }
  return q;
}

/* ---- the line loop ------------------------------------------------------------------ */

typedef enum md_mode { MD_PROSE, MD_FENCE, MD_LIQUID_CODE, MD_HTML_TABLE, MD_PIPE_TABLE } md_mode;

static int end_block(md_state *st, md_mode mode) {
  int rc = 0;
  if (mode == MD_HTML_TABLE) rc = html_table(st, st->block.data, st->block.len, st->block_line);
  else if (mode == MD_PIPE_TABLE) rc = pipe_table(st, st->block.data, st->block.len, st->block_line);
  else if (st->block.len) rc = add_block(st, st->block.data, st->block.len, st->block_line, 1);
  rag_buf_reset(&st->block);
  return rc;
}

static int prose_line(md_state *st, const char *s, const char *e, int line) {
  int rc = rag_clean_inline(s, (size_t)(e - s), &st->tmp);
  if (rc || !st->tmp.len) return rc;
  if (!strcmp(st->tmp.data, "This will become a table of contents (this text will be scraped).")) return 0;
  return add_block(st, st->tmp.data, st->tmp.len, line, 0);
}

static int run_lines(md_state *st, const char *p, const char *end, int line) {
  md_mode mode = MD_PROSE;
  char fence[8] = "";
  int rc = 0;
  for (; p < end && !rc; line++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
    if (le > p && le[-1] == '\r') le--;
    const char *s = skip_space(p, le);
    if (mode == MD_FENCE || mode == MD_LIQUID_CODE) {
      int closes = mode == MD_FENCE ? starts(s, le, fence)
                                    : starts(s, le, "{% endhighlight") || starts(s, le, "{%endhighlight");
      if (closes) {
        rc = end_block(st, mode);
        mode = MD_PROSE;
      } else {
        rc = rag_buf_append(&st->block, p, (size_t)(le - p));
        if (!rc) rc = rag_buf_puts(&st->block, "\n");
      }
    } else if (mode == MD_HTML_TABLE) {
      rc = rag_buf_append(&st->block, p, (size_t)(next - p));
      if (!rc && memmem(p, (size_t)(le - p), "</table>", 8)) {
        rc = end_block(st, mode);
        mode = MD_PROSE;
      }
    } else if (mode == MD_PIPE_TABLE && *s == '|') {
      rc = rag_buf_append(&st->block, s, (size_t)(next - s));
    } else {
      if (mode == MD_PIPE_TABLE) {
        rc = end_block(st, mode);
        mode = MD_PROSE;
        if (rc) break;
      }
      int lvl = heading_level(s, le);
      const char *ht = NULL, *hte = NULL;
      if (starts(s, le, "```") || starts(s, le, "~~~")) {
        size_t k = 0;
        while (k < 7 && s + k < le && s[k] == s[0]) fence[k] = s[k], k++;
        fence[k] = 0;
        mode = MD_FENCE;
        st->block_line = line;
      } else if (starts(s, le, "{% highlight") || starts(s, le, "{%highlight")) {
        mode = MD_LIQUID_CODE;
        st->block_line = line;
      } else if (starts(s, le, "<table")) {
        mode = MD_HTML_TABLE;
        st->block_line = line;
        rc = rag_buf_append(&st->block, p, (size_t)(next - p));
        if (!rc && memmem(p, (size_t)(le - p), "</table>", 8)) {
          rc = end_block(st, mode);
          mode = MD_PROSE;
        }
      } else if (*s == '|') {
        mode = MD_PIPE_TABLE;
        st->block_line = line;
        rc = rag_buf_append(&st->block, s, (size_t)(next - s));
      } else if (lvl && s == p) {
        rc = set_heading(st, lvl, s + lvl + 1, (size_t)(le - s - lvl - 1));
      } else if ((lvl = html_heading(s, le, &ht, &hte))) {
        rc = set_heading(st, lvl, ht, (size_t)(hte - ht));
      } else if (starts(s, le, "{%") || starts(s, le, "{:") || is_mdx_markup(s, le)) {
        /* Liquid control tags, kramdown attribute lists, MDX imports and components. */
      } else {
        rc = prose_line(st, s, le, line);
      }
    }
    p = next;
  }
  if (!rc && mode != MD_PROSE) rc = end_block(st, mode); /* unterminated block: keep it */
  return rc;
}

int rag_chunk_markdown(const char *doc_name, const char *text, size_t len, rag_chunks *out,
                       sic_err *err) {
  md_state st = {.out = out};
  const char *p = text, *end = text + len;
  int line = 1, rc;
  if (len >= 3 && !memcmp(p, "---", 3)) p = front_matter(&st, p, end, &line);
  rc = run_lines(&st, p, end, line);
  if (!rc) rc = flush_section(&st);
  if (!rc && !out->title) {
    out->title = strdup(doc_name);
    if (!out->title) rc = SIC_ENOMEM;
  }
  for (int i = 0; i < MAX_DEPTH; i++) free(st.heads[i]);
  rag_buf_free(&st.section);
  rag_buf_free(&st.block);
  rag_buf_free(&st.tmp);
  if (rc) return sic_err_set(err, rc, "%s: out of memory while chunking", doc_name);
  return 0;
}

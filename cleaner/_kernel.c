/*
 * The compiled kernel: the hot loops of split, fingerprint, deduplicate and alignment. Each
 * function computes exactly what a Python reference computes (used when this extension is
 * not built; see cleaner/compiled.py), and tests compare the two on real and random text.
 *
 * fingerprint: words -> shingles -> MinHash signatures, in one pass over bytes. Input: the UTF-8
 * bytes of many paragraphs' keys, joined by one byte (a space), the end offset of each
 * paragraph, the shingle size k and datasketch's affine32 permutation parameters a, b.
 * All arithmetic is unsigned and wraps, as numpy's does: 64-bit for word and shingle
 * hashes, 32-bit for the permutations (keep the products 32-bit: widening them to 64 bits
 * before the min would change every signature).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WORD_BASE 0x100000001B3ULL
#define FNV_OFFSET 0xCBF29CE484222325ULL
#define FNV_PRIME 0x100000001B3ULL

/* ASCII letters, digits and '_' and every byte of a non-ASCII character are word bytes */
static inline int is_word(unsigned char c) {
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
           (c >= 'a' && c <= 'z') || c == '_';
}

/* MurmurHash3's finalizers, 64 and 32 bits */
static inline uint64_t fmix64(uint64_t k) {
    k = (k ^ (k >> 33)) * 0xFF51AFD7ED558CCDULL;
    k = (k ^ (k >> 33)) * 0xC4CEB9FE1A85EC53ULL;
    return k ^ (k >> 33);
}

static inline uint32_t fmix32(uint32_t h) {
    h = (h ^ (h >> 16)) * 0x85EBCA6BU;
    h = (h ^ (h >> 13)) * 0xC2B2AE35U;
    return h ^ (h >> 16);
}

/* min over permutations; cloned for AVX2 where the CPU has it, plain SSE2 otherwise */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static void sign(uint32_t *restrict row, const uint32_t *restrict a,
                 const uint32_t *restrict b, Py_ssize_t m, uint32_t h) {
    for (Py_ssize_t i = 0; i < m; i++) {
        uint32_t v = a[i] * h + b[i];
        row[i] = v < row[i] ? v : row[i];
    }
}

static PyObject *fingerprint(PyObject *self, PyObject *args) {
    Py_buffer data, ends, a, b;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "y*y*ny*y*", &data, &ends, &k, &a, &b)) return NULL;
    PyObject *result = NULL, *sigs = NULL, *shingles = NULL, *shingle_ends = NULL;
    uint64_t *words = NULL;
    const unsigned char *bytes = data.buf;
    const int64_t *end_at = ends.buf;
    Py_ssize_t n = ends.len / 8, m = a.len / 4;
    if (k < 1 || a.len != b.len || ends.len % 8 || a.len % 4) {
        PyErr_SetString(PyExc_ValueError, "bad fingerprint arguments");
        goto done;
    }
    /* at most one word, and so one shingle, per two bytes (a byte and a space), plus one */
    Py_ssize_t cap = data.len / 2 + 1;
    words = malloc(sizeof(uint64_t) * (size_t)cap);
    sigs = PyBytes_FromStringAndSize(NULL, n * m * 4);
    shingles = PyBytes_FromStringAndSize(NULL, cap * 8);
    shingle_ends = PyBytes_FromStringAndSize(NULL, n * 8);
    if (!words || !sigs || !shingles || !shingle_ends) {
        PyErr_NoMemory();
        goto done;
    }
    uint32_t *sig = (uint32_t *)PyBytes_AS_STRING(sigs);
    uint64_t *out = (uint64_t *)PyBytes_AS_STRING(shingles);
    int64_t *out_ends = (int64_t *)PyBytes_AS_STRING(shingle_ends);
    const uint32_t *pa = a.buf, *pb = b.buf;
    Py_ssize_t pos = 0, total = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t p = 0; p < n; p++) {
        Py_ssize_t stop = (Py_ssize_t)end_at[p], nw = 0;
        uint32_t *row = sig + p * m;
        memset(row, 0xFF, (size_t)m * 4);
        while (pos < stop) {
            while (pos < stop && !is_word(bytes[pos])) pos++;
            if (pos >= stop) break;
            uint64_t h = 0, power = 1;
            while (pos < stop && is_word(bytes[pos])) {
                h += ((uint64_t)bytes[pos] + 1) * power;
                power *= WORD_BASE;
                pos++;
            }
            words[nw++] = fmix64(h);
        }
        pos = stop;
        if (nw > 0) {
            Py_ssize_t width = nw >= k ? k : nw, count = nw - width + 1;
            for (Py_ssize_t s = 0; s < count; s++) {
                uint64_t x = FNV_OFFSET;
                for (Py_ssize_t j = 0; j < width; j++) x = (x ^ words[s + j]) * FNV_PRIME;
                out[total++] = x;
                sign(row, pa, pb, m, fmix32((uint32_t)(x ^ (x >> 32))));
            }
        }
        out_ends[p] = total;
    }
    Py_END_ALLOW_THREADS
    if (_PyBytes_Resize(&shingles, total * 8) < 0) goto done;
    result = Py_BuildValue("(OOO)", sigs, shingles, shingle_ends);
done:
    free(words);
    Py_XDECREF(sigs);
    Py_XDECREF(shingles);
    Py_XDECREF(shingle_ends);
    PyBuffer_Release(&data);
    PyBuffer_Release(&ends);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

/*
 * Tidying a key: quote and dash variants folded to ASCII, characters that separate words
 * (emoji, symbols, non-ASCII punctuation, '_') and whitespace turned into single spaces,
 * and the ends trimmed. The tables come from cleaner/fingerprint.py (set_tables), whose
 * Python reference of the same computation is tested against this one.
 */
enum { KEEP = 0, SEPARATE = 1 };               /* any other class: the ASCII to write */
static unsigned char char_class[0x10000];
static uint32_t *astral = NULL;               /* separating ranges above the BMP, lo/hi */
static Py_ssize_t n_astral = 0;
static int configured = 0;

static PyObject *set_tables(PyObject *self, PyObject *args) {
    Py_buffer ranges;
    PyObject *fold_from, *fold_to;
    if (!PyArg_ParseTuple(args, "y*UU", &ranges, &fold_from, &fold_to)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = ranges.len / 8, folds = PyUnicode_GET_LENGTH(fold_from);
    const uint32_t *r = ranges.buf;
    uint32_t *more = NULL;
    if (ranges.len % 8 || folds != PyUnicode_GET_LENGTH(fold_to)) {
        PyErr_SetString(PyExc_ValueError, "bad tables");
        goto done;
    }
    more = malloc(sizeof(uint32_t) * 2 * (size_t)(n + 1));
    if (!more) {
        PyErr_NoMemory();
        goto done;
    }
    memset(char_class, KEEP, sizeof char_class);
    for (Py_UCS4 c = 0; c < 0x10000; c++)
        if (Py_UNICODE_ISSPACE(c)) char_class[c] = SEPARATE;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t lo = r[2 * i], hi = r[2 * i + 1];
        for (uint32_t c = lo; c <= hi && c < 0x10000; c++) char_class[c] = SEPARATE;
        if (hi >= 0x10000) {
            more[2 * m] = lo < 0x10000 ? 0x10000 : lo;
            more[2 * m + 1] = hi;
            m++;
        }
    }
    for (Py_ssize_t i = 0; i < folds; i++) {
        Py_UCS4 from = PyUnicode_READ_CHAR(fold_from, i), to = PyUnicode_READ_CHAR(fold_to, i);
        if (from >= 0x10000 || to < 0x21 || to >= 0x80) {
            PyErr_SetString(PyExc_ValueError, "folds map BMP characters to printable ASCII");
            goto done;
        }
        char_class[from] = (unsigned char)to;
    }
    free(astral);
    astral = more;
    more = NULL;
    n_astral = m;
    configured = 1;
    result = Py_NewRef(Py_None);
done:
    free(more);
    PyBuffer_Release(&ranges);
    return result;
}

static inline unsigned char class_of(Py_UCS4 c) {
    if (c < 0x10000) return char_class[c];
    for (Py_ssize_t i = 0; i < n_astral; i++)
        if (c >= astral[2 * i] && c <= astral[2 * i + 1]) return SEPARATE;
    return KEEP;
}

static PyObject *tidy(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "tidy() takes a str");
        return NULL;
    }
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "tidy() before set_tables()");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), out = 0;
    int kind = PyUnicode_KIND(text), pending = 0, changed = 0;
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(n ? n : 1));
    if (!buf) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        unsigned char cls = class_of(c);
        if (cls == SEPARATE) {
            /* a lone space between two kept characters is the only separator left alone */
            changed |= c != ' ' || pending || out == 0;
            pending = 1;
            continue;
        }
        if (pending && out > 0) buf[out++] = ' ';
        pending = 0;
        if (cls != KEEP) {
            c = cls;
            changed = 1;
        }
        buf[out++] = c;
    }
    changed |= pending;
    PyObject *result = changed ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, out)
                               : Py_NewRef(text);
    PyMem_Free(buf);
    return result;
}

/*
 * Whether a text's lines are plainly spaced: no whitespace but ' ' and '\n', no two spaces
 * in a row, no space at either end of a line. cleaner/split.py holds the Python reference.
 */
static PyObject *plainly_spaced(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "plainly_spaced() takes a str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 previous = '\n'; /* the text starts a line */
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c == ' ') {
            if (previous == ' ' || previous == '\n') Py_RETURN_FALSE;
        } else if (c == '\n') {
            if (previous == ' ') Py_RETURN_FALSE;
        } else if (Py_UNICODE_ISSPACE(c)) {
            Py_RETURN_FALSE;
        }
        previous = c;
    }
    if (previous == ' ') Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

/* entries on which two signatures agree */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx2", "default")))
#endif
static Py_ssize_t agreeing(const uint32_t *restrict x, const uint32_t *restrict y, Py_ssize_t m) {
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < m; i++) count += x[i] == y[i];
    return count;
}

/*
 * Candidate pairs for near-repeat verification: every pair (i, j), i < j, of the same group
 * (a run of equal values in groups, i.e. one document) whose signatures agree on all rows of
 * at least one band and on at least `need` entries in all. Comparing every pair of a
 * document costs less than banding: a document has tens of eligible paragraphs, and the
 * agreement count, which most pairs fail, is one vectorised pass over two rows.
 */
static PyObject *near_pairs(PyObject *self, PyObject *args) {
    Py_buffer sig, grp;
    Py_ssize_t m, bands, rows, need;
    if (!PyArg_ParseTuple(args, "y*y*nnnn", &sig, &grp, &m, &bands, &rows, &need)) return NULL;
    PyObject *result = NULL;
    int64_t *pairs = NULL;
    Py_ssize_t n = grp.len / 8, size = 0, cap = 0;
    if (m < 1 || bands < 0 || rows < 1 || bands * rows > m || grp.len % 8 ||
        sig.len != n * m * 4) {
        PyErr_SetString(PyExc_ValueError, "bad near_pairs arguments");
        goto done;
    }
    const uint32_t *s = sig.buf;
    const int64_t *g = grp.buf;
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t start = 0, end; start < n && !failed; start = end) {
        for (end = start + 1; end < n && g[end] == g[start];) end++;
        for (Py_ssize_t i = start; i < end && !failed; i++) {
            const uint32_t *x = s + i * m;
            for (Py_ssize_t j = i + 1; j < end; j++) {
                const uint32_t *y = s + j * m;
                Py_ssize_t count = agreeing(x, y, m);
                if (count < need || count < rows) continue;
                int banded = count == m;
                for (Py_ssize_t b = 0; b < bands && !banded; b++)
                    banded = memcmp(x + b * rows, y + b * rows, (size_t)rows * 4) == 0;
                if (!banded) continue;
                if (size == cap) {
                    Py_ssize_t grown = cap ? 2 * cap : 256;
                    int64_t *more = realloc(pairs, sizeof(int64_t) * 2 * (size_t)grown);
                    if (!more) {
                        failed = 1;
                        break;
                    }
                    pairs = more;
                    cap = grown;
                }
                pairs[2 * size] = i;
                pairs[2 * size + 1] = j;
                size++;
            }
        }
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyBytes_FromStringAndSize((const char *)pairs, size * 16);
done:
    free(pairs);
    PyBuffer_Release(&sig);
    PyBuffer_Release(&grp);
    return result;
}

/*
 * matching_blocks: difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
 * over two sequences of small integers (the words of two texts, numbered), the same blocks
 * in the same order: the same longest match of each range, ties to the lowest i then the
 * lowest j, the same queue of ranges, sorted, adjacent blocks joined, (len a, len b, 0)
 * last. Input: the int32 ids of a and b (each below `ids`).
 */
typedef struct {
    Py_ssize_t i, j, k;
} Block;

static int block_order(const void *x, const void *y) {
    const Block *p = x, *q = y;
    if (p->i != q->i) return p->i < q->i ? -1 : 1;
    if (p->j != q->j) return p->j < q->j ? -1 : 1;
    return p->k < q->k ? -1 : p->k > q->k;
}

static PyObject *matching_blocks(PyObject *self, PyObject *args) {
    Py_buffer abuf, bbuf;
    Py_ssize_t ids;
    if (!PyArg_ParseTuple(args, "y*y*n", &abuf, &bbuf, &ids)) return NULL;
    const int32_t *a = abuf.buf, *b = bbuf.buf;
    Py_ssize_t la = abuf.len / 4, lb = bbuf.len / 4;
    PyObject *result = NULL;
    /* where each id stands in b, ascending: starts[id] .. starts[id + 1] of `at` */
    Py_ssize_t *starts = calloc((size_t)ids + 2, sizeof(Py_ssize_t));
    Py_ssize_t *at = malloc(sizeof(Py_ssize_t) * (size_t)(lb + 1));
    /* run lengths ending at each j of the previous row and of this one (index j + 1) */
    Py_ssize_t *prev = calloc((size_t)lb + 2, sizeof(Py_ssize_t));
    Py_ssize_t *cur = calloc((size_t)lb + 2, sizeof(Py_ssize_t));
    Py_ssize_t *touched = malloc(sizeof(Py_ssize_t) * (size_t)(lb + 1));
    Py_ssize_t *was = malloc(sizeof(Py_ssize_t) * (size_t)(lb + 1));
    /* at most one block and two ranges for each element matched */
    Py_ssize_t room = la + lb + 2;
    Block *blocks = malloc(sizeof(Block) * (size_t)room);
    Py_ssize_t (*queue)[4] = malloc(sizeof(*queue) * (size_t)room);
    if (!starts || !at || !prev || !cur || !touched || !was || !blocks || !queue) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < lb; j++) {
        if (b[j] < 0 || b[j] >= ids) {
            PyErr_SetString(PyExc_ValueError, "an id out of range");
            goto done;
        }
        starts[b[j] + 2]++;
    }
    for (Py_ssize_t i = 0; i < la; i++) {
        if (a[i] < 0 || a[i] >= ids) {
            PyErr_SetString(PyExc_ValueError, "an id out of range");
            goto done;
        }
    }
    for (Py_ssize_t v = 2; v < ids + 2; v++) starts[v] += starts[v - 1];
    for (Py_ssize_t j = 0; j < lb; j++) at[starts[b[j] + 1]++] = j;
    /* now starts[id] .. starts[id + 1] */
    Py_ssize_t found = 0, queued = 0;
    queue[queued][0] = 0, queue[queued][1] = la, queue[queued][2] = 0, queue[queued][3] = lb;
    queued++;
    while (queued) {
        queued--;
        Py_ssize_t alo = queue[queued][0], ahi = queue[queued][1];
        Py_ssize_t blo = queue[queued][2], bhi = queue[queued][3];
        Py_ssize_t besti = alo, bestj = blo, bestsize = 0, nwas = 0;
        for (Py_ssize_t i = alo; i < ahi; i++) {
            Py_ssize_t ntouched = 0;
            for (Py_ssize_t n = starts[a[i]]; n < starts[a[i] + 1]; n++) {
                Py_ssize_t j = at[n];
                if (j < blo) continue;
                if (j >= bhi) break;
                Py_ssize_t k = prev[j] + 1; /* the run ending at (i - 1, j - 1), plus one */
                cur[j + 1] = k;
                touched[ntouched++] = j + 1;
                if (k > bestsize) besti = i - k + 1, bestj = j - k + 1, bestsize = k;
            }
            for (Py_ssize_t n = 0; n < nwas; n++) prev[was[n]] = 0;
            for (Py_ssize_t n = 0; n < ntouched; n++) prev[touched[n]] = cur[touched[n]];
            for (Py_ssize_t n = 0; n < ntouched; n++) cur[touched[n]] = 0;
            memcpy(was, touched, sizeof(Py_ssize_t) * (size_t)ntouched);
            nwas = ntouched;
        }
        for (Py_ssize_t n = 0; n < nwas; n++) prev[was[n]] = 0;
        /* difflib then widens the match over equal neighbours (none junk here) */
        while (besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1])
            besti--, bestj--, bestsize++;
        while (besti + bestsize < ahi && bestj + bestsize < bhi &&
               a[besti + bestsize] == b[bestj + bestsize])
            bestsize++;
        if (!bestsize) continue;
        blocks[found].i = besti, blocks[found].j = bestj, blocks[found].k = bestsize;
        found++;
        if (alo < besti && blo < bestj) {
            queue[queued][0] = alo, queue[queued][1] = besti;
            queue[queued][2] = blo, queue[queued][3] = bestj;
            queued++;
        }
        if (besti + bestsize < ahi && bestj + bestsize < bhi) {
            queue[queued][0] = besti + bestsize, queue[queued][1] = ahi;
            queue[queued][2] = bestj + bestsize, queue[queued][3] = bhi;
            queued++;
        }
    }
    qsort(blocks, (size_t)found, sizeof(Block), block_order);
    result = PyList_New(0);
    if (!result) goto done;
    Py_ssize_t i1 = 0, j1 = 0, k1 = 0;
    for (Py_ssize_t n = 0; n <= found; n++) {
        int last = n == found;
        if (!last && i1 + k1 == blocks[n].i && j1 + k1 == blocks[n].j) {
            k1 += blocks[n].k;
            continue;
        }
        if (k1) {
            PyObject *item = Py_BuildValue("(nnn)", i1, j1, k1);
            if (!item || PyList_Append(result, item) < 0) {
                Py_XDECREF(item);
                Py_CLEAR(result);
                goto done;
            }
            Py_DECREF(item);
        }
        if (!last) i1 = blocks[n].i, j1 = blocks[n].j, k1 = blocks[n].k;
    }
    PyObject *end = Py_BuildValue("(nnn)", la, lb, (Py_ssize_t)0);
    if (!end || PyList_Append(result, end) < 0) {
        Py_XDECREF(end);
        Py_CLEAR(result);
        goto done;
    }
    Py_DECREF(end);
done:
    free(starts);
    free(at);
    free(prev);
    free(cur);
    free(touched);
    free(was);
    free(blocks);
    free(queue);
    PyBuffer_Release(&abuf);
    PyBuffer_Release(&bbuf);
    return result;
}

static PyMethodDef methods[] = {
    {"matching_blocks", matching_blocks, METH_VARARGS,
     "matching_blocks(a, b, ids) -> difflib's matching blocks of two int32 id sequences"},
    {"fingerprint", fingerprint, METH_VARARGS,
     "fingerprint(data, ends, k, a, b) -> (signatures, shingles, shingle_ends)"},
    {"near_pairs", near_pairs, METH_VARARGS,
     "near_pairs(signatures, groups, m, bands, rows, need) -> int64 (i, j) pairs"},
    {"set_tables", set_tables, METH_VARARGS,
     "set_tables(separating_ranges, fold_from, fold_to): the tables tidy() reads"},
    {"tidy", tidy, METH_O, "tidy(text) -> text with folds, separators and spaces tidied"},
    {"plainly_spaced", plainly_spaced, METH_O,
     "plainly_spaced(text) -> whether only single spaces and line breaks separate words"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", NULL, -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }

/* How alike two words of names are (tokensim.token_similarity), in C, and the scan of the
 * vocabulary entries a query word reaches (Index.expand) with it.
 *
 * Optional, like _speedups: proscribe.matching.fast falls back to tokensim.token_similarity, the
 * reference, which gives the same similarity bit for bit. The rules that change often (spelling
 * keys, the abjad key, the name families, vowel shapes, particles) stay in Python: they arrive
 * precomputed per word (tokensim.word_info); this file has the decision of token_similarity and
 * the string measures it uses (Jaro-Winkler, optimal string alignment and Levenshtein as
 * rapidfuzz computes them, the one-edit test of the index). Words longer than MAX_LEN letters are
 * handed to the Python function. tests/test_speedups.py compares the two on real words.
 *
 * Built with -ffp-contract=off: the same float operations in the same order as the Python code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define MAX_LEN 64
#define MAX_CUTOFFS 64

typedef struct {
    double initial_sim;
    Py_ssize_t min_typo;
    double short_typo_cut;
    double typo_cut;
    Py_ssize_t prefix_min;
    Py_ssize_t prefix_len;
    double cut_long;
    double abjad_cut;
    double abjad_floor;
    double variant_floor;
    double shape_min;
    double nisba_sim;
    Py_ssize_t n_cutoffs;
    double cutoffs[MAX_CUTOFFS];
} Params;

/* a word's facts (tokensim.word_info): keys, abjad key, name family, vocalised, vowel shape, particle */
typedef struct {
    PyObject *keys; /* tuple of str */
    PyObject *abjad_key;
    long family;
    int vocalised;
    PyObject *shape;
    int particle;
} Info;

static int parse_params(PyObject *p, Params *out) {
    PyObject *cut;
    if (!PyArg_ParseTuple(p, "dnddnnddddddO!;params", &out->initial_sim, &out->min_typo, &out->short_typo_cut,
                          &out->typo_cut, &out->prefix_min, &out->prefix_len, &out->cut_long, &out->abjad_cut,
                          &out->abjad_floor, &out->variant_floor, &out->shape_min, &out->nisba_sim, &PyTuple_Type,
                          &cut))
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(cut);
    if (n > MAX_CUTOFFS) n = MAX_CUTOFFS;
    out->n_cutoffs = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        out->cutoffs[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(cut, i));
        if (out->cutoffs[i] == -1.0 && PyErr_Occurred()) return -1;
    }
    return 0;
}

static int parse_info(PyObject *t, Info *out) {
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 6) {
        PyErr_SetString(PyExc_TypeError, "word info must be a tuple of six");
        return -1;
    }
    out->keys = PyTuple_GET_ITEM(t, 0);
    out->abjad_key = PyTuple_GET_ITEM(t, 1);
    out->family = PyLong_AsLong(PyTuple_GET_ITEM(t, 2));
    if (out->family == -1 && PyErr_Occurred()) return -1;
    out->vocalised = PyObject_IsTrue(PyTuple_GET_ITEM(t, 3));
    out->shape = PyTuple_GET_ITEM(t, 4);
    out->particle = PyObject_IsTrue(PyTuple_GET_ITEM(t, 5));
    if (out->vocalised < 0 || out->particle < 0) return -1;
    if (!PyTuple_Check(out->keys) || !PyUnicode_Check(out->abjad_key) || !PyUnicode_Check(out->shape)) {
        PyErr_SetString(PyExc_TypeError, "word info: keys must be a tuple, the abjad key and shape str");
        return -1;
    }
    return 0;
}

/* copy a str into a code point buffer; -1 if longer than MAX_LEN */
static Py_ssize_t to_ucs4(PyObject *s, Py_UCS4 *buf) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n > MAX_LEN) return -1;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t i = 0; i < n; i++) buf[i] = PyUnicode_READ(kind, data, i);
    return n;
}

static int str_eq(PyObject *a, PyObject *b) {
    if (a == b) return 1;
    return PyUnicode_GET_LENGTH(a) == PyUnicode_GET_LENGTH(b) && PyUnicode_Compare(a, b) == 0;
}

/* rapidfuzz's Jaro similarity (the greedy matching within the window, then transpositions) */
static double jaro(const Py_UCS4 *s1, Py_ssize_t n1, const Py_UCS4 *s2, Py_ssize_t n2) {
    if (!n1 && !n2) return 1.0;
    if (!n1 || !n2) return 0.0;
    if (n1 == 1 && n2 == 1) return s1[0] == s2[0] ? 1.0 : 0.0;
    Py_ssize_t bound = (n2 > n1 ? n2 : n1) / 2 - 1;
    if (bound < 0) bound = 0;
    unsigned char f1[MAX_LEN], f2[MAX_LEN];
    memset(f1, 0, (size_t)n1);
    memset(f2, 0, (size_t)n2);
    Py_ssize_t common = 0;
    for (Py_ssize_t i = 0; i < n1; i++) {
        Py_ssize_t lo = i - bound > 0 ? i - bound : 0;
        Py_ssize_t hi = i + bound < n2 - 1 ? i + bound : n2 - 1;
        for (Py_ssize_t j = lo; j <= hi; j++) {
            if (!f2[j] && s2[j] == s1[i]) {
                f1[i] = f2[j] = 1;
                common++;
                break;
            }
        }
    }
    if (!common) return 0.0;
    Py_ssize_t k = 0, trans = 0;
    for (Py_ssize_t i = 0; i < n1; i++) {
        if (!f1[i]) continue;
        Py_ssize_t j = k;
        while (j < n2 && !f2[j]) j++;
        k = j + 1;
        if (s1[i] != s2[j]) trans++;
    }
    trans /= 2;
    double sim = 0.0;
    sim += (double)common / (double)n1;
    sim += (double)common / (double)n2;
    sim += ((double)common - (double)trans) / (double)common;
    return sim / 3.0;
}

static double jaro_winkler(const Py_UCS4 *s1, Py_ssize_t n1, const Py_UCS4 *s2, Py_ssize_t n2) {
    Py_ssize_t max_prefix = n1 < n2 ? n1 : n2;
    if (max_prefix > 4) max_prefix = 4;
    Py_ssize_t prefix = 0;
    while (prefix < max_prefix && s1[prefix] == s2[prefix]) prefix++;
    double sim = jaro(s1, n1, s2, n2);
    if (sim > 0.7) {
        sim += (double)prefix * 0.1 * (1.0 - sim);
        if (sim > 1.0) sim = 1.0;
    }
    return sim;
}

/* edit distance; with transpose, the optimal string alignment distance (adjacent swaps count one) */
static Py_ssize_t edit_distance(const Py_UCS4 *a, Py_ssize_t n, const Py_UCS4 *b, Py_ssize_t m, int transpose) {
    Py_ssize_t rows[3][MAX_LEN + 1];
    Py_ssize_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (Py_ssize_t j = 0; j <= m; j++) prev[j] = j;
    for (Py_ssize_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (Py_ssize_t j = 1; j <= m; j++) {
            Py_ssize_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            Py_ssize_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d) d = prev[j - 1] + cost;
            if (transpose && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
        }
        Py_ssize_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

/* rapidfuzz's normalized similarity: 1 - distance / the longer length */
static double norm_sim(const Py_UCS4 *a, Py_ssize_t n, const Py_UCS4 *b, Py_ssize_t m, int transpose) {
    Py_ssize_t maximum = n > m ? n : m;
    Py_ssize_t dist = edit_distance(a, n, b, m, transpose);
    double nd = maximum ? (double)dist / (double)maximum : 0.0;
    return 1.0 - nd;
}

/* is `shorter` `longer` with one letter deleted? */
static int is_deletion(const Py_UCS4 *longer, Py_ssize_t n, const Py_UCS4 *shorter) {
    Py_ssize_t p = 0;
    while (p < n - 1 && longer[p] == shorter[p]) p++;
    /* the first difference is at p: deleting longer[p] must leave the rest equal */
    for (Py_ssize_t i = p; i < n - 1; i++)
        if (longer[i + 1] != shorter[i]) return 0;
    return 1;
}

/* do two words of one length share a one-letter deletion? */
static int share_deletion(const Py_UCS4 *q, const Py_UCS4 *c, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = 0; j < n; j++) {
            /* q without i against c without j */
            Py_ssize_t a = 0, b = 0;
            int same = 1;
            while (a < n && b < n) {
                if (a == i) {
                    a++;
                    continue;
                }
                if (b == j) {
                    b++;
                    continue;
                }
                if (q[a] != c[b]) {
                    same = 0;
                    break;
                }
                a++;
                b++;
            }
            if (same) return 1;
        }
    }
    return 0;
}

/* tokensim.one_edit_apart */
static int one_edit_apart(const Py_UCS4 *q, Py_ssize_t nq, const Py_UCS4 *c, Py_ssize_t nc, Py_ssize_t min_typo) {
    Py_ssize_t diff = nq > nc ? nq - nc : nc - nq;
    Py_ssize_t mn = nq < nc ? nq : nc;
    if (diff > 1 || mn < min_typo - 1) return 0;
    int dq = nq >= min_typo, dc = nc >= min_typo; /* deletes() is empty for shorter words */
    if (dq && nc == nq - 1 && is_deletion(q, nq, c)) return 1;
    if (dc && nq == nc - 1 && is_deletion(c, nc, q)) return 1;
    if (dq && dc && nq == nc && share_deletion(q, c, nq)) return 1;
    return 0;
}

/* the length of the longest spelling key both words have, -1 when they share none */
static Py_ssize_t shared_key_len(PyObject *kq, PyObject *kc) {
    Py_ssize_t best = -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(kq); i++) {
        PyObject *a = PyTuple_GET_ITEM(kq, i);
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(kc); j++) {
            PyObject *b = PyTuple_GET_ITEM(kc, j);
            if (PyUnicode_Check(a) && PyUnicode_Check(b) && str_eq(a, b)) {
                Py_ssize_t len = PyUnicode_GET_LENGTH(a);
                if (len > best) best = len;
            }
        }
    }
    return best;
}

static int is_vowel(Py_UCS4 ch) {
    return ch == 'a' || ch == 'e' || ch == 'i' || ch == 'o' || ch == 'u' || ch == 'y';
}

/* tokensim._nisba: longer than three letters, ending in the -i (or -y) of a nisba after a consonant */
static int nisba(const Py_UCS4 *w, Py_ssize_t n) {
    return n > 3 && (w[n - 1] == 'i' || w[n - 1] == 'y') && !is_vowel(w[n - 2]);
}

/* tokensim.nisba_against_name: Mohammadi is not Mohammed */
static int nisba_against_name(const Py_UCS4 *q, Py_ssize_t nq, const Py_UCS4 *c, Py_ssize_t nc) {
    return (nisba(q, nq) && !is_vowel(c[nc - 1])) || (nisba(c, nc) && !is_vowel(q[nq - 1]));
}

static double alike(const Py_UCS4 *q, Py_ssize_t nq, const Py_UCS4 *c, Py_ssize_t nc, int abjad, const Info *qi,
                    const Info *ci, const Params *p);

/* tokensim.token_similarity's similarity; -2.0 when a word is too long (the caller asks Python) */
static double similarity(PyObject *qs, PyObject *cs, int abjad, const Info *qi, const Info *ci, const Params *p) {
    Py_UCS4 q[MAX_LEN], c[MAX_LEN];
    Py_ssize_t nq = to_ucs4(qs, q), nc = to_ucs4(cs, c);
    if (nq < 0 || nc < 0) return -2.0;
    if (nq == nc && memcmp(q, c, (size_t)nq * sizeof(Py_UCS4)) == 0) return 1.0;
    if (nq == 1 || nc == 1) return q[0] == c[0] ? p->initial_sim : 0.0;
    /* article_against_name */
    {
        Py_ssize_t ns = nq <= nc ? nq : nc, no = nq <= nc ? nc : nq;
        int particle = nq <= nc ? qi->particle : ci->particle;
        if (ns == 2 && no > 2 && particle) return 0.0;
    }
    /* distinct_names */
    if (qi->family && ci->family && qi->family != ci->family) return 0.0;
    double sim = alike(q, nq, c, nc, abjad, qi, ci, p);
    /* no more alike than an initial is to a word: a birth date can still confirm the person */
    if (sim > 0.0 && nisba_against_name(q, nq, c, nc)) return p->nisba_sim;
    return sim;
}

/* tokensim._alike: variant, typo or nothing, for two different words of two letters or more; -2.0
 * when a vowel shape is too long */
static double alike(const Py_UCS4 *q, Py_ssize_t nq, const Py_UCS4 *c, Py_ssize_t nc, int abjad, const Info *qi,
                    const Info *ci, const Params *p) {
    Py_ssize_t shared = shared_key_len(qi->keys, ci->keys);
    int abjad_same = abjad && str_eq(qi->abjad_key, ci->abjad_key);
    Py_ssize_t shortest = nq < nc ? nq : nc;
    int reach = shared > 0 || abjad_same;
    if (!reach && shortest >= p->prefix_min) {
        Py_ssize_t lq = nq < p->prefix_len ? nq : p->prefix_len, lc = nc < p->prefix_len ? nc : p->prefix_len;
        reach = lq == lc && memcmp(q, c, (size_t)lq * sizeof(Py_UCS4)) == 0;
    }
    if (!reach) reach = one_edit_apart(q, nq, c, nc, p->min_typo);
    if (!reach) return 0.0;
    double jw = jaro_winkler(q, nq, c, nc);
    if (shared > 0) {
        double cut = shared < p->n_cutoffs ? p->cutoffs[shared] : p->cut_long;
        if (jw >= cut) {
            int shape = 1;
            if (qi->vocalised && ci->vocalised) {
                Py_UCS4 a[MAX_LEN], b[MAX_LEN];
                Py_ssize_t na = to_ucs4(qi->shape, a), nb = to_ucs4(ci->shape, b);
                if (na < 0 || nb < 0) return -2.0;
                shape = norm_sim(a, na, b, nb, 0) >= p->shape_min;
            }
            if (shape) return jw > p->variant_floor ? jw : p->variant_floor;
        }
    }
    if (abjad && abjad_same && PyUnicode_GET_LENGTH(qi->abjad_key) >= 2 && jw >= p->abjad_cut)
        return jw > p->abjad_floor ? jw : p->abjad_floor;
    if (shortest < p->min_typo) return 0.0;
    double sim = (jw + norm_sim(q, nq, c, nc, 1)) / 2;
    if (sim >= (shortest == p->min_typo ? p->short_typo_cut : p->typo_cut)) return sim;
    return 0.0;
}

static double fallback(PyObject *fn, PyObject *q, PyObject *c, int abjad) {
    PyObject *r = PyObject_CallFunctionObjArgs(fn, q, c, abjad ? Py_True : Py_False, NULL);
    if (!r) return -1.0;
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "similarity must return (similarity, how)");
        return -1.0;
    }
    double v = PyFloat_AsDouble(PyTuple_GET_ITEM(r, 0));
    Py_DECREF(r);
    return v;
}

/* token_sim(q, c, abjad, q_info, c_info, params, fallback) -> float */
static PyObject *token_sim(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *q, *c, *qinfo, *cinfo, *params, *fb;
    int abjad;
    if (!PyArg_ParseTuple(args, "UUpOOOO", &q, &c, &abjad, &qinfo, &cinfo, &params, &fb)) return NULL;
    Params p;
    Info qi, ci;
    if (parse_params(params, &p) < 0 || parse_info(qinfo, &qi) < 0 || parse_info(cinfo, &ci) < 0) return NULL;
    double v = similarity(q, c, abjad, &qi, &ci, &p);
    if (v == -2.0) {
        v = fallback(fb, q, c, abjad);
        if (v == -1.0 && PyErr_Occurred()) return NULL;
    }
    return PyFloat_FromDouble(v);
}

/* expand_words(token, groups, vocab, n_words, joined, abjad, q_info, infos, info_of, params, fallback)
 *   -> dict[int, float]
 *
 * fast.expand_scan_py with token_similarity: the ids of groups (ints, lists of ids, None) added to
 * a set in order (so the set, and the order it is visited in, is Python's), then each compared;
 * those alike (> 0) kept with their similarity. infos: a list, one slot per vocabulary entry, of
 * word infos, filled here from info_of(word) when None. */
static PyObject *expand_words(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *token, *groups, *vocab, *qinfo, *infos, *info_of, *params, *fb;
    Py_ssize_t n_words;
    int joined, abjad;
    if (!PyArg_ParseTuple(args, "UO!O!nppOO!OOO", &token, &PyList_Type, &groups, &PyList_Type, &vocab, &n_words,
                          &joined, &abjad, &qinfo, &PyList_Type, &infos, &info_of, &params, &fb))
        return NULL;
    if (PyList_GET_SIZE(infos) != PyList_GET_SIZE(vocab)) {
        PyErr_SetString(PyExc_ValueError, "expand_words: one info per vocabulary entry");
        return NULL;
    }
    Params p;
    Info qi;
    if (parse_params(params, &p) < 0 || parse_info(qinfo, &qi) < 0) return NULL;
    PyObject *cands = PySet_New(NULL);
    if (!cands) return NULL;
    PyObject *out = NULL, *it = NULL, *vid = NULL;
    for (Py_ssize_t g = 0; g < PyList_GET_SIZE(groups); g++) {
        PyObject *grp = PyList_GET_ITEM(groups, g);
        if (grp == Py_None) continue;
        if (PyLong_Check(grp)) {
            if (PySet_Add(cands, grp) < 0) goto fail;
        } else if (PyList_Check(grp)) {
            for (Py_ssize_t i = 0; i < PyList_GET_SIZE(grp); i++)
                if (PySet_Add(cands, PyList_GET_ITEM(grp, i)) < 0) goto fail;
        } else {
            PyErr_SetString(PyExc_TypeError, "expand_words: a group is an id, a list of ids or None");
            goto fail;
        }
    }
    out = PyDict_New();
    if (!out) goto fail;
    it = PyObject_GetIter(cands);
    if (!it) goto fail;
    while ((vid = PyIter_Next(it))) {
        Py_ssize_t v = PyLong_AsSsize_t(vid);
        if (v == -1 && PyErr_Occurred()) goto fail;
        if (joined && v >= n_words) {
            Py_CLEAR(vid);
            continue;
        }
        if (v < 0 || v >= PyList_GET_SIZE(vocab)) {
            PyErr_SetString(PyExc_IndexError, "expand_words: vocabulary id out of range");
            goto fail;
        }
        PyObject *word = PyList_GET_ITEM(vocab, v);
        PyObject *winfo = PyList_GET_ITEM(infos, v);
        if (winfo == Py_None) {
            winfo = PyObject_CallOneArg(info_of, word);
            if (!winfo) goto fail;
            PyList_SetItem(infos, v, winfo); /* steals the reference; the list keeps it alive */
        }
        Info ci;
        if (parse_info(winfo, &ci) < 0) goto fail;
        double sim = similarity(token, word, abjad, &qi, &ci, &p);
        if (sim == -2.0) {
            sim = fallback(fb, token, word, abjad);
            if (sim == -1.0 && PyErr_Occurred()) goto fail;
        }
        if (sim > 0) {
            PyObject *f = PyFloat_FromDouble(sim);
            if (!f) goto fail;
            int r = PyDict_SetItem(out, vid, f);
            Py_DECREF(f);
            if (r < 0) goto fail;
        }
        Py_CLEAR(vid);
    }
    if (PyErr_Occurred()) goto fail;
    Py_DECREF(it);
    Py_DECREF(cands);
    return out;
fail:
    Py_XDECREF(vid);
    Py_XDECREF(it);
    Py_XDECREF(out);
    Py_DECREF(cands);
    return NULL;
}

static PyMethodDef methods[] = {
    {"token_sim", token_sim, METH_VARARGS, "How alike two folded words are (tokensim.token_similarity)."},
    {"expand_words", expand_words, METH_VARARGS, "The vocabulary entries a query word reaches and is alike to."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_tokensim", "Word similarity of the matcher, compiled.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__tokensim(void) { return PyModule_Create(&module); }

/* The matcher's two hottest loops in C: merging postings into per-name credit (Index.hits) and
 * summing credit into per-name evidence with the first score bound (search.compare_reading).
 *
 * Optional: proscribe.matching.fast falls back to the pure-Python versions, which give the same
 * results bit for bit (the same float operations in the same order; built with
 * -ffp-contract=off so that no multiply-add is fused). tests/test_speedups.py compares the two.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>
#include <string.h>

/* scratch: a value and a mark per listed name, and the order in which names were first seen */
static double *s_val = NULL;
static unsigned char *s_mark = NULL;
static Py_ssize_t *s_order = NULL;
static Py_ssize_t s_cap = 0;

static int ensure(Py_ssize_t n) {
    if (n <= s_cap) return 0;
    double *v = (double *)calloc((size_t)n, sizeof(double));
    unsigned char *m = (unsigned char *)calloc((size_t)n, 1);
    Py_ssize_t *o = (Py_ssize_t *)malloc((size_t)n * sizeof(Py_ssize_t));
    if (!v || !m || !o) {
        free(v);
        free(m);
        free(o);
        PyErr_NoMemory();
        return -1;
    }
    free(s_val);
    free(s_mark);
    free(s_order);
    s_val = v;
    s_mark = m;
    s_order = o;
    s_cap = n;
    return 0;
}

static void reset(Py_ssize_t count) {
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t nid = s_order[i];
        s_val[nid] = 0.0;
        s_mark[nid] = 0;
    }
}

/* merge_hits(items, postings, vocab_weight, weight, n_names) -> dict[int, float]
 *
 * items: list of (vid, similarity) in expansion order; postings: list of array('i');
 * vocab_weight: list of float. For each item, c = sim * min(weight, vocab_weight[vid]) and every
 * name in postings[vid] keeps the largest c; names in the order first credited. */
static PyObject *merge_hits(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *items, *postings, *vweights;
    double weight;
    Py_ssize_t n_names;
    if (!PyArg_ParseTuple(args, "O!O!O!dn", &PyList_Type, &items, &PyList_Type, &postings, &PyList_Type,
                          &vweights, &weight, &n_names))
        return NULL;
    if (ensure(n_names) < 0) return NULL;
    Py_ssize_t count = 0;
    Py_ssize_t n_items = PyList_GET_SIZE(items);
    for (Py_ssize_t i = 0; i < n_items; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            reset(count);
            PyErr_SetString(PyExc_TypeError, "merge_hits: items must be (vid, similarity) pairs");
            return NULL;
        }
        Py_ssize_t vid = PyLong_AsSsize_t(PyTuple_GET_ITEM(item, 0));
        double sim = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 1));
        if (PyErr_Occurred()) {
            reset(count);
            return NULL;
        }
        if (vid < 0 || vid >= PyList_GET_SIZE(postings) || vid >= PyList_GET_SIZE(vweights)) {
            reset(count);
            PyErr_SetString(PyExc_IndexError, "merge_hits: vocabulary id out of range");
            return NULL;
        }
        double vw = PyFloat_AsDouble(PyList_GET_ITEM(vweights, vid));
        if (PyErr_Occurred()) {
            reset(count);
            return NULL;
        }
        /* Python: min(weight, vw) is weight unless vw < weight */
        double c = sim * (vw < weight ? vw : weight);
        Py_buffer view;
        if (PyObject_GetBuffer(PyList_GET_ITEM(postings, vid), &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
            reset(count);
            return NULL;
        }
        if (view.itemsize != sizeof(int) || view.format == NULL || strcmp(view.format, "i") != 0) {
            PyBuffer_Release(&view);
            reset(count);
            PyErr_SetString(PyExc_TypeError, "merge_hits: postings must be array('i')");
            return NULL;
        }
        const int *nids = (const int *)view.buf;
        Py_ssize_t n = view.len / (Py_ssize_t)sizeof(int);
        for (Py_ssize_t j = 0; j < n; j++) {
            Py_ssize_t nid = nids[j];
            if (nid < 0 || nid >= n_names) {
                PyBuffer_Release(&view);
                reset(count);
                PyErr_SetString(PyExc_IndexError, "merge_hits: name id out of range");
                return NULL;
            }
            if (s_val[nid] < c) {
                if (!s_mark[nid]) {
                    s_mark[nid] = 1;
                    s_order[count++] = nid;
                }
                s_val[nid] = c;
            }
        }
        PyBuffer_Release(&view);
    }
    PyObject *out = PyDict_New();
    if (!out) {
        reset(count);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t nid = s_order[i];
        PyObject *k = PyLong_FromSsize_t(nid);
        PyObject *v = PyFloat_FromDouble(s_val[nid]);
        if (!k || !v || PyDict_SetItem(out, k, v) < 0) {
            Py_XDECREF(k);
            Py_XDECREF(v);
            Py_DECREF(out);
            reset(count);
            return NULL;
        }
        Py_DECREF(k);
        Py_DECREF(v);
    }
    reset(count);
    return out;
}

/* evidence(gather, rest, n_names, filter, name_kind, kind, core_total, kind_extra, base, c_ev,
 *          c_lc, c_qc, max_ev, initial_bonus, q_total, best_facts, floor, full_cover)
 *          -> (nids, evidence)
 *
 * gather, rest: lists of dict[int, float] (the slots' hits). Every name in a gather dict gets the
 * sum of its credit over the gather dicts, in their order, then over the rest dicts that hold it.
 * With filter, names of another kind (name_kind[nid] != kind, kind >= 0) and names whose score
 * bound (ScoreBound with unreached = 0) is under floor are left out; full_cover is
 * ScoreBound.initials (the query has an initial: the listed cover may reach 1 whatever the core).
 * Names in the order first seen. */
static PyObject *evidence(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *gather, *rest, *name_kind_obj, *core_obj, *extra_obj;
    Py_ssize_t n_names;
    int filter, kind, full_cover;
    double base, c_ev, c_lc, c_qc, max_ev, ib, q_total, best_facts, floor_;
    if (!PyArg_ParseTuple(args, "O!O!npOiOOdddddddddp", &PyList_Type, &gather, &PyList_Type, &rest, &n_names,
                          &filter, &name_kind_obj, &kind, &core_obj, &extra_obj, &base, &c_ev, &c_lc, &c_qc,
                          &max_ev, &ib, &q_total, &best_facts, &floor_, &full_cover))
        return NULL;
    if (ensure(n_names) < 0) return NULL;
    Py_buffer kview, cview, eview;
    if (PyObject_GetBuffer(name_kind_obj, &kview, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(core_obj, &cview, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&kview);
        return NULL;
    }
    if (PyObject_GetBuffer(extra_obj, &eview, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&kview);
        PyBuffer_Release(&cview);
        return NULL;
    }
    PyObject *result = NULL, *nids = NULL, *evs = NULL;
    Py_ssize_t count = 0;
    if (kview.len < n_names || cview.itemsize != sizeof(double) || eview.itemsize != sizeof(double) ||
        cview.len / (Py_ssize_t)sizeof(double) < n_names || eview.len / (Py_ssize_t)sizeof(double) < n_names) {
        PyErr_SetString(PyExc_ValueError, "evidence: per-name arrays shorter than the names");
        goto done;
    }
    const unsigned char *nkind = (const unsigned char *)kview.buf;
    const double *core = (const double *)cview.buf;
    const double *kextra = (const double *)eview.buf;
    for (Py_ssize_t g = 0; g < PyList_GET_SIZE(gather); g++) {
        PyObject *d = PyList_GET_ITEM(gather, g);
        if (!PyDict_Check(d)) {
            PyErr_SetString(PyExc_TypeError, "evidence: hits must be dicts");
            goto done;
        }
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(d, &pos, &k, &v)) {
            Py_ssize_t nid = PyLong_AsSsize_t(k);
            double c = PyFloat_AsDouble(v);
            if (PyErr_Occurred()) goto done;
            if (nid < 0 || nid >= n_names) {
                PyErr_SetString(PyExc_IndexError, "evidence: name id out of range");
                goto done;
            }
            if (!s_mark[nid]) {
                s_mark[nid] = 1;
                s_order[count++] = nid;
            }
            s_val[nid] += c;
        }
    }
    for (Py_ssize_t r = 0; r < PyList_GET_SIZE(rest); r++) {
        PyObject *d = PyList_GET_ITEM(rest, r);
        if (!PyDict_Check(d)) {
            PyErr_SetString(PyExc_TypeError, "evidence: hits must be dicts");
            goto done;
        }
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(d, &pos, &k, &v)) {
            Py_ssize_t nid = PyLong_AsSsize_t(k);
            double c = PyFloat_AsDouble(v);
            if (PyErr_Occurred()) goto done;
            if (nid < 0 || nid >= n_names) {
                PyErr_SetString(PyExc_IndexError, "evidence: name id out of range");
                goto done;
            }
            /* Python: `if extra: evidence[nid] += extra`, for names already gathered */
            if (s_mark[nid] && c != 0.0) s_val[nid] += c;
        }
    }
    nids = PyList_New(0);
    evs = PyList_New(0);
    if (!nids || !evs) goto done;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t nid = s_order[i];
        double ev = s_val[nid];
        if (filter) {
            if (kind >= 0 && nkind[nid] != kind) continue;
            /* ScoreBound.__call__(ev, core_total, 0, best_facts + kind_extra), term by term */
            double facts = best_facts + kextra[nid];
            double e = ev + ib;
            double ct = core[nid];
            if (ct == 0.0) ct = 1.0;
            double m1 = max_ev < e ? max_ev : e;
            double r2 = e / ct;
            double m2 = full_cover ? 1.0 : (r2 < 1.0 ? r2 : 1.0);
            double r3 = e / q_total;
            double m3 = r3 < 1.0 ? r3 : 1.0;
            double b = base + c_ev * m1 / 10.0;
            b = b + c_lc * m2;
            b = b + c_qc * m3;
            /* the unreached term is zero here: COEF["extra"] * 0 adds nothing */
            b = b + facts;
            if (b < floor_) continue;
        }
        PyObject *k = PyLong_FromSsize_t(nid);
        if (!k) goto done;
        if (PyList_Append(nids, k) < 0) {
            Py_DECREF(k);
            goto done;
        }
        Py_DECREF(k);
        PyObject *v = PyFloat_FromDouble(ev);
        if (!v) goto done;
        if (PyList_Append(evs, v) < 0) {
            Py_DECREF(v);
            goto done;
        }
        Py_DECREF(v);
    }
    result = PyTuple_Pack(2, nids, evs);
done:
    reset(count);
    Py_XDECREF(nids);
    Py_XDECREF(evs);
    PyBuffer_Release(&kview);
    PyBuffer_Release(&cview);
    PyBuffer_Release(&eview);
    return result;
}

/* ---------------------------------------------------------------------------------------------
 * align(rpack, npack, is_person, loose, token_similarity, weight)
 *     -> (pairs, features, similarity, query_left, listed_left)
 *
 * score.align in C, step for step (the pure-Python function is the reference and
 * tests/test_speedups.py compares the two): the query reading's slots are paired with the listed
 * name's words and neighbouring pairs, best first, and the name features computed from what paired
 * and what is left over. Every sum is taken in the order Python takes it.
 *
 * rpack (fast.reading_pack): (slot_texts, slot_p0, slot_p1 (-1: one word), slot_weights,
 *   slot_expansions, weights, name_mask (bytes: role is "name"), token_ids (equal tokens, equal
 *   ids), tokens, initial_similarity, joined_min_similarity, unmatched_cover_weight, max_evidence,
 *   extra_weight)
 * npack (fast.name_pack): (tokens, weights, vids, pair_vids, family_mask (bytes), name_mask (bytes),
 *   has_family, kind_feature (str or None))
 * token_similarity and weight are called back only for a chosen pair's "how" and an initial's
 * weight. pairs are (query text, listed text, similarity, how) tuples.
 * --------------------------------------------------------------------------------------------- */

static PyObject *zero;
static PyObject *k_evidence, *k_listed_cover, *k_query_cover, *k_miss_family, *k_miss_given, *k_miss_other,
    *k_extra, *k_swap_extra, *k_swap_uncovered, *k_fuzz, *s_same, *s_initial, *s_variant;

typedef struct {
    double sim;
    int rank;
    int qi;
    int li;
    int how; /* 0: ask token_similarity, 1: same, 2: initial */
    int idx;
} Cand;

static void *take(char **cur, size_t size) {
    void *p = *cur;
    *cur += size;
    return p;
}

static int cand_cmp(const void *a, const void *b) {
    const Cand *x = (const Cand *)a, *y = (const Cand *)b;
    /* Python: sort by (-sim, rank), stable */
    if (x->sim > y->sim) return -1;
    if (x->sim < y->sim) return 1;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->idx < y->idx ? -1 : (x->idx > y->idx ? 1 : 0);
}

static int set_float(PyObject *d, PyObject *k, double v) {
    PyObject *o = PyFloat_FromDouble(v);
    if (!o) return -1;
    int r = PyDict_SetItem(d, k, o);
    Py_DECREF(o);
    return r;
}

static int set_long(PyObject *d, PyObject *k, long v) {
    PyObject *o = PyLong_FromLong(v);
    if (!o) return -1;
    int r = PyDict_SetItem(d, k, o);
    Py_DECREF(o);
    return r;
}

/* tsim NULL: the "how" of pairs not found through an initial is left None (align_best fills it in
 * for the best name only) */
static PyObject *align_impl(PyObject *rpack, PyObject *npack, int is_person, int loose, PyObject *tsim,
                            PyObject *wfun) {
    if (!PyTuple_Check(rpack) || !PyTuple_Check(npack)) {
        PyErr_SetString(PyExc_TypeError, "align: packs must be tuples");
        return NULL;
    }
    PyObject *s_texts, *s_p0, *s_p1, *s_w, *s_exp, *q_weights, *q_tokens, *q_name_obj, *q_ids;
    double init_sim, joined_min, unmatched_cover, max_ev, extra_w;
    int abjad;
    if (!PyArg_ParseTuple(rpack, "O!O!O!O!O!O!SO!O!dddddp", &PyTuple_Type, &s_texts, &PyTuple_Type, &s_p0,
                          &PyTuple_Type, &s_p1, &PyTuple_Type, &s_w, &PyTuple_Type, &s_exp, &PyTuple_Type,
                          &q_weights, &q_name_obj, &PyTuple_Type, &q_ids, &PyTuple_Type, &q_tokens, &init_sim,
                          &joined_min, &unmatched_cover, &max_ev, &extra_w, &abjad))
        return NULL;
    PyObject *l_toks, *l_weights, *l_vids, *l_pvids, *l_family_obj, *l_name_obj, *kind_feature;
    int has_family;
    if (!PyArg_ParseTuple(npack, "O!O!O!O!SSpO", &PyTuple_Type, &l_toks, &PyTuple_Type, &l_weights, &PyTuple_Type,
                          &l_vids, &PyTuple_Type, &l_pvids, &l_family_obj, &l_name_obj, &has_family, &kind_feature))
        return NULL;
    Py_ssize_t ns = PyTuple_GET_SIZE(s_texts), nq = PyTuple_GET_SIZE(q_weights), nl = PyTuple_GET_SIZE(l_toks);
    Py_ssize_t npairs = PyTuple_GET_SIZE(l_pvids), nls = nl + npairs;
    if (PyTuple_GET_SIZE(s_p0) != ns || PyTuple_GET_SIZE(s_p1) != ns || PyTuple_GET_SIZE(s_w) != ns ||
        PyTuple_GET_SIZE(s_exp) != ns || PyTuple_GET_SIZE(q_tokens) != nq || PyTuple_GET_SIZE(q_ids) != nq ||
        PyBytes_GET_SIZE(q_name_obj) != nq || PyTuple_GET_SIZE(l_weights) != nl || PyTuple_GET_SIZE(l_vids) != nl ||
        PyBytes_GET_SIZE(l_family_obj) != nl || PyBytes_GET_SIZE(l_name_obj) != nl || (nl > 0 && npairs != nl - 1)) {
        PyErr_SetString(PyExc_ValueError, "align: inconsistent reading or name pack");
        return NULL;
    }
    const unsigned char *q_name = (const unsigned char *)PyBytes_AS_STRING(q_name_obj);
    const unsigned char *family = (const unsigned char *)PyBytes_AS_STRING(l_family_obj);
    const unsigned char *l_name = (const unsigned char *)PyBytes_AS_STRING(l_name_obj);

    /* one block of scratch for this call (align calls back into Python: no static buffers) */
    size_t n_cands = (size_t)(ns * nls) + 1;
    /* every array below is of 8-byte items (Cand is a multiple of 8 bytes) */
    size_t bytes = n_cands * sizeof(Cand) + 8 * ((size_t)(nq + 1) * 5 + (size_t)(nl + 1) * 9 + (size_t)(ns + 1) * 4 +
                                                 (size_t)(nls + 1) * 4);
    char *block = (char *)calloc(1, bytes);
    if (!block) return PyErr_NoMemory();
    char *cur = block;
#define TAKE(T, n) ((T *)take(&cur, (size_t)(n) * sizeof(T)))
    Cand *cands = TAKE(Cand, n_cands);
    double *qw = TAKE(double, nq + 1);
    double *capped = TAKE(double, nq + 1);
    long *qid = TAKE(long, nq + 1);
    long *q_used = TAKE(long, nq + 1);   /* 1 when used */
    long *q_order = TAKE(long, nq + 1);  /* positions in the order used */
    double *lw = TAKE(double, nl + 1);
    long *lvid = TAKE(long, nl + 1);
    long *l_used = TAKE(long, nl + 1);
    double *at = TAKE(double, nl + 1);
    long *at_order = TAKE(long, nl + 1);
    double *initialled = TAKE(double, nl + 1);
    long *has_init = TAKE(long, nl + 1);
    long *listed_left = TAKE(long, nl + 1);
    long *core = TAKE(long, nl + 1);
    long *sp0 = TAKE(long, ns + 1);
    long *sp1 = TAKE(long, ns + 1);
    long *s1 = TAKE(long, ns + 1); /* 1 when the slot's text is one letter */
    double *sw = TAKE(double, ns + 1);
    long *ls_a = TAKE(long, nls + 1);
    long *ls_b = TAKE(long, nls + 1); /* -1: one word */
    double *ls_w = TAKE(double, nls + 1);
    long *ls_vid = TAKE(long, nls + 1);
#undef TAKE
    PyObject *pairs = NULL, *features = NULL, *qleft = NULL, *lleft = NULL, *result = NULL;
    Py_ssize_t nc = 0, n_q_order = 0, n_at = 0;

    for (Py_ssize_t i = 0; i < nq; i++) {
        qw[i] = PyFloat_AsDouble(PyTuple_GET_ITEM(q_weights, i));
        qid[i] = PyLong_AsLong(PyTuple_GET_ITEM(q_ids, i));
    }
    for (Py_ssize_t j = 0; j < nl; j++) {
        lw[j] = PyFloat_AsDouble(PyTuple_GET_ITEM(l_weights, j));
        lvid[j] = PyLong_AsLong(PyTuple_GET_ITEM(l_vids, j));
    }
    for (Py_ssize_t k = 0; k < ns; k++) {
        sp0[k] = PyLong_AsLong(PyTuple_GET_ITEM(s_p0, k));
        sp1[k] = PyLong_AsLong(PyTuple_GET_ITEM(s_p1, k));
        sw[k] = PyFloat_AsDouble(PyTuple_GET_ITEM(s_w, k));
        PyObject *t = PyTuple_GET_ITEM(s_texts, k);
        if (!PyUnicode_Check(t)) {
            PyErr_SetString(PyExc_TypeError, "align: slot texts must be str");
            goto done;
        }
        s1[k] = PyUnicode_GET_LENGTH(t) == 1;
        if (sp0[k] < 0 || sp0[k] >= nq || sp1[k] >= nq) {
            PyErr_SetString(PyExc_IndexError, "align: slot position out of range");
            goto done;
        }
    }
    if (PyErr_Occurred()) goto done;
    /* listed slots: each word, then each neighbouring pair written together */
    for (Py_ssize_t j = 0; j < nl; j++) {
        ls_a[j] = j;
        ls_b[j] = -1;
        ls_w[j] = lw[j];
        ls_vid[j] = lvid[j];
    }
    for (Py_ssize_t j = 0; j < npairs; j++) {
        ls_a[nl + j] = j;
        ls_b[nl + j] = j + 1;
        ls_w[nl + j] = lw[j] + lw[j + 1];
        ls_vid[nl + j] = PyLong_AsLong(PyTuple_GET_ITEM(l_pvids, j));
    }
    if (PyErr_Occurred()) goto done;
    /* ends = {0, n - 1} | family */
#define IS_END(p) ((p) == 0 || (p) == nl - 1 || family[(p)])
    for (Py_ssize_t qi = 0; qi < ns; qi++) {
        PyObject *exp = PyTuple_GET_ITEM(s_exp, qi);
        PyObject *qtext = PyTuple_GET_ITEM(s_texts, qi);
        int q_single = sp1[qi] < 0;
        int q_initial = q_single && s1[qi];
        if (!PyDict_Check(exp)) {
            PyErr_SetString(PyExc_TypeError, "align: expansions must be dicts");
            goto done;
        }
        for (Py_ssize_t li = 0; li < nls; li++) {
            int l_single = ls_b[li] < 0;
            if (!q_single && !l_single) continue;
            double sim;
            int how = 0;
            if (q_initial) {
                if (!l_single) continue;
                PyObject *lt = PyTuple_GET_ITEM(l_toks, ls_a[li]);
                Py_UCS4 qc = PyUnicode_READ_CHAR(qtext, 0);
                sim = (PyUnicode_GET_LENGTH(lt) > 0 && PyUnicode_READ_CHAR(lt, 0) == qc) ? init_sim : 0.0;
                if (PyUnicode_GET_LENGTH(lt) == 1) sim = PyUnicode_READ_CHAR(lt, 0) == qc ? 1.0 : 0.0;
                how = sim == 1.0 ? 1 : 2;
            } else {
                PyObject *key = li < nl ? PyTuple_GET_ITEM(l_vids, li) : PyTuple_GET_ITEM(l_pvids, li - nl);
                PyObject *v = PyDict_GetItemWithError(exp, key);
                if (!v) {
                    if (PyErr_Occurred()) goto done;
                    continue;
                }
                sim = PyFloat_AsDouble(v);
                if (sim == -1.0 && PyErr_Occurred()) goto done;
                if (sim <= 0.0) continue;
            }
            if (sim <= 0.0) continue;
            if ((!q_single || !l_single) && sim < joined_min && !loose) continue;
            int end = IS_END(ls_a[li]) || (ls_b[li] >= 0 && IS_END(ls_b[li]));
            Cand *c = &cands[nc];
            c->sim = sim;
            c->rank = (q_single && l_single ? 0 : 2) + (end ? 0 : 1);
            c->qi = (int)qi;
            c->li = (int)li;
            c->how = how;
            c->idx = (int)nc;
            nc++;
        }
    }
#undef IS_END
    qsort(cands, (size_t)nc, sizeof(Cand), cand_cmp);
    pairs = PyList_New(0);
    features = PyDict_New();
    qleft = PyList_New(0);
    lleft = PyList_New(0);
    if (!pairs || !features || !qleft || !lleft) goto done;
    double evidence = 0.0, fuzz = 0.0;
    int inexact_words = 0;
    for (Py_ssize_t c = 0; c < nc; c++) {
        Cand *cd = &cands[c];
        int qi = cd->qi, li = cd->li;
        long qa = sp0[qi], qb = sp1[qi], la = ls_a[li], lb = ls_b[li];
        if (q_used[qa] || (qb >= 0 && q_used[qb]) || l_used[la] || (lb >= 0 && l_used[lb])) continue;
        double sim = cd->sim;
        q_used[qa] = 1;
        q_order[n_q_order++] = qa;
        if (qb >= 0) {
            q_used[qb] = 1;
            q_order[n_q_order++] = qb;
        }
        l_used[la] = 1;
        if (lb >= 0) l_used[lb] = 1;
        PyObject *qtext = PyTuple_GET_ITEM(s_texts, qi);
        PyObject *ltext;
        if (lb < 0) {
            ltext = PyTuple_GET_ITEM(l_toks, la);
            Py_INCREF(ltext);
        } else {
            ltext = PyUnicode_Concat(PyTuple_GET_ITEM(l_toks, la), PyTuple_GET_ITEM(l_toks, lb));
            if (!ltext) goto done;
        }
        PyObject *how;
        if (cd->how == 1) {
            how = s_same;
            Py_INCREF(how);
        } else if (cd->how == 2) {
            how = s_initial;
            Py_INCREF(how);
        } else if (tsim == NULL) {
            how = Py_None;
            Py_INCREF(how);
        } else {
            /* how = token_similarity(slot.text, ltext, abjad)[1] or "variant" */
            PyObject *r = PyObject_CallFunctionObjArgs(tsim, qtext, ltext, abjad ? Py_True : Py_False, NULL);
            if (!r) {
                Py_DECREF(ltext);
                goto done;
            }
            if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) < 2) {
                Py_DECREF(r);
                Py_DECREF(ltext);
                PyErr_SetString(PyExc_TypeError, "align: token_similarity must return (similarity, how)");
                goto done;
            }
            how = PyTuple_GET_ITEM(r, 1);
            int truth = PyObject_IsTrue(how);
            if (truth < 0) {
                Py_DECREF(r);
                Py_DECREF(ltext);
                goto done;
            }
            if (!truth) how = s_variant;
            Py_INCREF(how);
            Py_DECREF(r);
        }
        double lwt = ls_w[li];
        double sim_e = sim;
        int q_one = (int)s1[qi];
        int l_one = PyUnicode_GET_LENGTH(ltext) == 1;
        if (q_one || l_one) {
            PyObject *letter = q_one ? qtext : ltext;
            PyObject *r = PyObject_CallOneArg(wfun, letter);
            double lt_w = r ? PyFloat_AsDouble(r) : -1.0;
            Py_XDECREF(r);
            if (!r || (lt_w == -1.0 && PyErr_Occurred())) {
                Py_DECREF(ltext);
                Py_DECREF(how);
                goto done;
            }
            /* Python: lw = min(lw, weight(letter)) */
            if (lt_w < lwt) lwt = lt_w;
            if (q_one && lb < 0) {
                initialled[la] = lwt;
                has_init[la] = 1;
                if (is_person && la == 0 && !family[0]) sim_e = 1.0;
            }
        }
        /* e = sim_e * min(slot.weight, lw) */
        double e = sim_e * (lwt < sw[qi] ? lwt : sw[qi]);
        evidence += e;
        /* what each paired query word weighs in the query's cover (score.align: capped) */
        for (int h = 0; h < 2; h++) {
            long p = h == 0 ? qa : qb;
            if (p < 0) continue;
            double wq = qw[p];
            if (abjad) {
                double d = sw[qi] == 0.0 ? 1.0 : sw[qi];
                double share = lwt * wq / d;
                double a = share < wq ? share : wq;
                double b = unmatched_cover < wq ? unmatched_cover : wq;
                capped[p] = b > a ? b : a;
            } else {
                capped[p] = wq;
            }
        }
        {
            double tot = lb < 0 ? lw[la] : lw[la] + lw[lb];
            if (tot == 0.0) tot = 1.0;
            at[la] = e * (lw[la] / tot);
            at_order[n_at++] = la;
            if (lb >= 0) {
                at[lb] = e * (lw[lb] / tot);
                at_order[n_at++] = lb;
            }
        }
        fuzz += 1.0 - sim;
        /* a pair of two words (neither an initial) only alike */
        if (sim < 1.0 && !q_one && !l_one) inexact_words = 1;
        PyObject *simo = PyFloat_FromDouble(sim);
        PyObject *pair = simo ? PyTuple_Pack(4, qtext, ltext, simo, how) : NULL;
        Py_XDECREF(simo);
        Py_DECREF(ltext);
        Py_DECREF(how);
        if (!pair) goto done;
        if (PyList_Append(pairs, pair) < 0) {
            Py_DECREF(pair);
            goto done;
        }
        Py_DECREF(pair);
    }
    /* an initial stands in the cover for a listed word only beside words written exactly: beside a
     * word only alike, the listed word counts in full (score.align: initialled = {}) */
    if (inexact_words)
        for (Py_ssize_t j = 0; j < nl; j++) has_init[j] = 0;
    /* listed words left over; a repeated word that paired elsewhere is not left over */
    double l_total = 0.0;
    for (Py_ssize_t j = 0; j < nl; j++) {
        if (l_used[j]) {
            l_total += lw[j];
            continue;
        }
        int matched = 0;
        for (Py_ssize_t i = 0; i < nl; i++)
            if (l_used[i] && lvid[i] == lvid[j]) {
                matched = 1;
                break;
            }
        if (!matched) {
            listed_left[j] = 1;
            l_total += lw[j];
        }
    }
    if (l_total == 0.0) l_total = 1.0;
    /* the core: core_positions, less a person's family words not paired once one is */
    for (Py_ssize_t j = 0; j < nl; j++) core[j] = (!is_person || nl <= 1) ? 1 : (j == 0 || j == nl - 1 || family[j]);
    if (is_person) {
        int fam_used = 0;
        for (Py_ssize_t j = 0; j < nl; j++)
            if (family[j] && l_used[j]) fam_used = 1;
        if (fam_used)
            for (Py_ssize_t j = 0; j < nl; j++)
                if (family[j] && !l_used[j]) core[j] = 0;
    }
    double core_total = 0.0;
    for (Py_ssize_t j = 0; j < nl; j++)
        if ((l_used[j] || listed_left[j]) && core[j]) core_total += has_init[j] ? initialled[j] : lw[j];
    if (core_total == 0.0) core_total = 1.0;
    double q_total = 0.0;
    for (Py_ssize_t p = 0; p < nq; p++)
        q_total += q_used[p] ? capped[p] : (unmatched_cover < qw[p] ? unmatched_cover : qw[p]);
    if (q_total == 0.0) q_total = 1.0;
    double ev_c = (max_ev < evidence ? max_ev : evidence) / 10.0;
    double at_core = 0.0;
    for (Py_ssize_t a = 0; a < n_at; a++)
        if (core[at_order[a]]) at_core += at[at_order[a]];
    double lc = at_core / core_total;
    double listed_cover = lc < 1.0 ? lc : 1.0;
    double qc = evidence / q_total;
    double query_cover = qc < 1.0 ? qc : 1.0;
    /* listed words left over that are names */
    long n_left_names = 0, miss_family = 0, miss_given = 0;
    for (Py_ssize_t j = 0; j < nl; j++)
        if (listed_left[j] && l_name[j]) n_left_names++;
#define LEFT_NAME(j) (listed_left[(j)] && l_name[(j)])
    if (is_person && nl > 1) {
        if (has_family) {
            int any_used = 0, any_left = 0;
            for (Py_ssize_t j = 0; j < nl; j++)
                if (family[j]) {
                    if (l_used[j]) any_used = 1;
                    if (LEFT_NAME(j)) any_left = 1;
                }
            if (!any_used && any_left) miss_family = 1;
        } else if (LEFT_NAME(nl - 1)) {
            miss_family = 1;
        }
        if (!family[0] && LEFT_NAME(0)) miss_given = 1;
    }
    long others = n_left_names - miss_family - miss_given;
    if (is_person && miss_family && has_family) {
        long fam_left = 0;
        for (Py_ssize_t j = 0; j < nl; j++)
            if (family[j] && LEFT_NAME(j)) fam_left++;
        others -= fam_left - 1;
    }
    /* extra query words: name words that paired with nothing and are not a repeat of a paired word */
    double extra = 0.0;
    int any_extra = 0;
    for (Py_ssize_t i = 0; i < nq; i++) {
        if (q_used[i] || !q_name[i]) continue;
        int repeat = 0;
        for (Py_ssize_t p = 0; p < nq; p++)
            if (q_used[p] && qid[p] == qid[i]) {
                repeat = 1;
                break;
            }
        if (repeat) continue;
        double x = qw[i] / extra_w;
        extra += x < 1.0 ? x : 1.0;
        any_extra = 1;
        if (PyList_Append(qleft, PyTuple_GET_ITEM(q_tokens, i)) < 0) goto done;
    }
    long name_words = 0;
    for (Py_ssize_t j = 0; j < nl; j++) name_words += l_name[j] ? 1 : 0;
    for (Py_ssize_t j = 0; j < nl; j++)
        if (LEFT_NAME(j) && PyList_Append(lleft, PyTuple_GET_ITEM(l_toks, j)) < 0) goto done;
#undef LEFT_NAME
    if (set_float(features, k_evidence, ev_c) < 0 || set_float(features, k_listed_cover, listed_cover) < 0 ||
        set_float(features, k_query_cover, query_cover) < 0 || set_long(features, k_miss_family, miss_family) < 0 ||
        set_long(features, k_miss_given, miss_given) < 0 ||
        set_long(features, k_miss_other, others > 0 ? others : 0) < 0)
        goto done;
    /* sum() of no extra words is the int 0 */
    if ((any_extra ? set_float(features, k_extra, extra) : set_long(features, k_extra, 0)) < 0) goto done;
    if (n_left_names || !is_person || name_words < 2) {
        if ((any_extra ? set_float(features, k_swap_extra, extra) : set_long(features, k_swap_extra, 0)) < 0) goto done;
        if (set_float(features, k_swap_uncovered, 1.0 - query_cover) < 0) goto done;
    } else {
        double paired = 0.0;
        for (Py_ssize_t a = 0; a < n_q_order; a++) paired += capped[q_order[a]];
        if (paired == 0.0) paired = 1.0;
        double r = evidence / paired;
        double m = 1.0 - (r < 1.0 ? r : 1.0);
        if (set_float(features, k_swap_uncovered, m > 0.0 ? m : 0.0) < 0) goto done;
    }
    if (set_float(features, k_fuzz, fuzz) < 0) goto done;
    if (kind_feature != Py_None && set_float(features, kind_feature, 1.0) < 0) goto done;
    double similarity = evidence / (q_total > l_total ? q_total : l_total);
    result = Py_BuildValue("(OOdOO)", pairs, features, similarity < 1.0 ? similarity : 1.0, qleft, lleft);
done:
    Py_XDECREF(pairs);
    Py_XDECREF(features);
    Py_XDECREF(qleft);
    Py_XDECREF(lleft);
    free(block);
    return result;
}

static PyObject *align(PyObject *self, PyObject *args) {
    PyObject *rpack, *npack, *tsim, *wfun;
    int is_person, loose;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!ppOO", &PyTuple_Type, &rpack, &PyTuple_Type, &npack, &is_person, &loose, &tsim,
                          &wfun))
        return NULL;
    return align_impl(rpack, npack, is_person, loose, tsim, wfun);
}

/* score.name_logit: COEF["intercept"] + sum(COEF[k] * v for k, v in features.items()), in that order */
static int name_logit(PyObject *features, PyObject *coef, double intercept, double *out) {
    double acc = 0.0;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(features, &pos, &k, &v)) {
        PyObject *c = PyDict_GetItemWithError(coef, k);
        if (!c) {
            if (!PyErr_Occurred()) PyErr_SetObject(PyExc_KeyError, k);
            return -1;
        }
        double cv = PyFloat_AsDouble(c);
        double vv = PyFloat_AsDouble(v);
        if (PyErr_Occurred()) return -1;
        acc += cv * vv;
    }
    *out = intercept + acc;
    return 0;
}

/* align_best(rpack, npacks, looses, is_person, weight, coef) -> (i, logit, alignment) | None
 *
 * score.compare's loop over an entity's candidate names: each name aligned, the one of highest
 * name_logit kept (the first of equals). The best alignment's pairs are (query text, listed text,
 * similarity, how or None): fast.best_alignment asks token_similarity for the missing "how"s. */
static PyObject *align_best(PyObject *self, PyObject *args) {
    PyObject *rpack, *npacks, *looses, *wfun, *coef;
    int is_person;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!SpOO!", &PyTuple_Type, &rpack, &PyList_Type, &npacks, &looses, &is_person, &wfun,
                          &PyDict_Type, &coef))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(npacks);
    if (PyBytes_GET_SIZE(looses) != n) {
        PyErr_SetString(PyExc_ValueError, "align_best: one loose flag per name");
        return NULL;
    }
    PyObject *ic = PyDict_GetItemString(coef, "intercept");
    if (!ic) {
        PyErr_SetString(PyExc_KeyError, "intercept");
        return NULL;
    }
    double intercept = PyFloat_AsDouble(ic);
    if (intercept == -1.0 && PyErr_Occurred()) return NULL;
    const char *loose = PyBytes_AS_STRING(looses);
    PyObject *best = NULL;
    Py_ssize_t best_i = -1;
    double best_logit = -Py_HUGE_VAL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *al = align_impl(rpack, PyList_GET_ITEM(npacks, i), is_person, loose[i], NULL, wfun);
        if (!al) {
            Py_XDECREF(best);
            return NULL;
        }
        double lg;
        if (name_logit(PyTuple_GET_ITEM(al, 1), coef, intercept, &lg) < 0) {
            Py_DECREF(al);
            Py_XDECREF(best);
            return NULL;
        }
        if (lg > best_logit) {
            Py_XDECREF(best);
            best = al;
            best_i = i;
            best_logit = lg;
        } else {
            Py_DECREF(al);
        }
    }
    if (!best) Py_RETURN_NONE;
    PyObject *out = Py_BuildValue("(ndN)", best_i, best_logit, best);
    return out;
}

/* expand_scan(token, groups, vocab, n_words, joined, abjad, similarity) -> dict[int, float]
 *
 * fast.expand_scan_py: the ids of groups (ints, sequences of ints, None) added to a set in order
 * (so the set, and the order it is visited in, is Python's), then each compared. */
static PyObject *expand_scan(PyObject *self, PyObject *args) {
    PyObject *token, *groups, *vocab, *sim_fn;
    Py_ssize_t n_words;
    int joined, abjad;
    (void)self;
    if (!PyArg_ParseTuple(args, "UO!O!nppO", &token, &PyList_Type, &groups, &PyList_Type, &vocab, &n_words, &joined,
                          &abjad, &sim_fn))
        return NULL;
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
            /* any other iterable, as set.update takes it */
            PyObject *git = PyObject_GetIter(grp);
            if (!git) goto fail;
            PyObject *x;
            while ((x = PyIter_Next(git))) {
                int r = PySet_Add(cands, x);
                Py_DECREF(x);
                if (r < 0) {
                    Py_DECREF(git);
                    goto fail;
                }
            }
            Py_DECREF(git);
            if (PyErr_Occurred()) goto fail;
        }
    }
    out = PyDict_New();
    if (!out) goto fail;
    it = PyObject_GetIter(cands);
    if (!it) goto fail;
    PyObject *abj = abjad ? Py_True : Py_False;
    while ((vid = PyIter_Next(it))) {
        Py_ssize_t v = PyLong_AsSsize_t(vid);
        if (v == -1 && PyErr_Occurred()) goto fail;
        if (joined && v >= n_words) {
            Py_CLEAR(vid);
            continue;
        }
        if (v < 0 || v >= PyList_GET_SIZE(vocab)) {
            PyErr_SetString(PyExc_IndexError, "expand_scan: vocabulary id out of range");
            goto fail;
        }
        PyObject *r = PyObject_CallFunctionObjArgs(sim_fn, token, PyList_GET_ITEM(vocab, v), abj, NULL);
        if (!r) goto fail;
        if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
            Py_DECREF(r);
            PyErr_SetString(PyExc_TypeError, "expand_scan: similarity must return (similarity, how)");
            goto fail;
        }
        PyObject *sim = PyTuple_GET_ITEM(r, 0);
        /* Python: `if sim > 0` */
        int pos = PyObject_RichCompareBool(sim, zero, Py_GT);
        if (pos < 0 || (pos && PyDict_SetItem(out, vid, sim) < 0)) {
            Py_DECREF(r);
            goto fail;
        }
        Py_DECREF(r);
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
    {"merge_hits", merge_hits, METH_VARARGS, "Per-name credit of a query word's vocabulary matches."},
    {"evidence", evidence, METH_VARARGS, "Per-name evidence of a reading's slots, with the first bound."},
    {"align", align, METH_VARARGS, "A query reading against one listed name: pairs and name features."},
    {"expand_scan", expand_scan, METH_VARARGS, "The vocabulary entries a query word reaches and is alike to."},
    {"align_best", align_best, METH_VARARGS, "The best of an entity's names for a query reading."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", "Compiled hot path of the matcher.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__speedups(void) {
#define INTERN(var, text) \
    if (!(var = PyUnicode_InternFromString(text))) return NULL;
    INTERN(k_evidence, "evidence");
    INTERN(k_listed_cover, "listed_cover");
    INTERN(k_query_cover, "query_cover");
    INTERN(k_miss_family, "miss_family");
    INTERN(k_miss_given, "miss_given");
    INTERN(k_miss_other, "miss_other");
    INTERN(k_extra, "extra");
    INTERN(k_swap_extra, "swap_extra");
    INTERN(k_swap_uncovered, "swap_uncovered");
    INTERN(k_fuzz, "fuzz");
    INTERN(s_same, "same");
    INTERN(s_initial, "initial");
    INTERN(s_variant, "variant");
#undef INTERN
    if (!(zero = PyLong_FromLong(0))) return NULL;
    return PyModule_Create(&module);
}

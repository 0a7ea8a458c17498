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

static PyMethodDef methods[] = {
    {"merge_hits", merge_hits, METH_VARARGS, "Per-name credit of a query word's vocabulary matches."},
    {"evidence", evidence, METH_VARARGS, "Per-name evidence of a reading's slots, with the first bound."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speedups", "Compiled hot path of the matcher.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&module); }

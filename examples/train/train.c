/* train.c - "Training on real data: every loss and every optimizer, side by side".
 *
 * Trains linear models and a 64-64-10 MLP (hand-written loops, here in the
 * example) with every lossopt loss and optimizer on three scikit-learn data
 * sets (diabetes, breast cancer, 8x8 digits), plus a mixed-precision
 * experiment (the digits MLP with bf16 weights rounded to nearest, bf16
 * weights with stochastic rounding, f32 master weights with a bf16 copy, and
 * f32, through the tensor-list lossopt_sgd_step), knowledge distillation
 * into a smaller digits MLP (distill.c) and metric learning of digit
 * embeddings with the triplet margin loss (metric.c), prints summary tables,
 * writes every training curve to CSV and SVG charts, and checks that the
 * final weights are bit-identical on every ISA this machine supports.
 *
 *   lossopt_train [--data DIR] [--out DIR] [--seed N] [--isa NAME]
 *                 [--epochs N] [--check all|some|none]
 */
#define _POSIX_C_SOURCE 200809L
#include "train.h"

#include <errno.h>
#include <inttypes.h>
#include <lossopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* ------------------------------------------------------------------------- */
/* data sets                                                                 */
/* ------------------------------------------------------------------------- */

typedef struct {
    dataset train, test;
    float y_mean, y_std; /* regression target scaling (train split)              */
} split_t;

static void die_data(const char *msg)
{
    fprintf(stderr, "lossopt_train: data error: %s\n"
                    "  (scripts/train.sh fetches the scikit-learn tables into build/train-data;\n"
                    "   or pass --data DIR with the uncompressed CSV files)\n", msg);
    exit(2);
}

void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) {
        fprintf(stderr, "lossopt_train: out of memory\n");
        exit(3);
    }
    return p;
}

/* Fixed 80/20 split from the seed, then standardise x (and y when asked) with
 * the training rows' mean and standard deviation (double accumulation). */
static void make_split(const float *x, const float *y, const int64_t *lab, int n, int d,
                       uint64_t seed, int standardise_y, split_t *s)
{
    rng_t r = {seed};
    int *perm = xcalloc((size_t)n, sizeof *perm);
    for (int i = 0; i < n; i++) perm[i] = i;
    rng_shuffle(&r, perm, n);
    int ntr = (int)((4LL * n) / 5);
    dataset *parts[2] = {&s->train, &s->test};
    for (int p = 0; p < 2; p++) {
        dataset *ds = parts[p];
        int off = p ? ntr : 0, cnt = p ? n - ntr : ntr;
        ds->n = cnt;
        ds->d = d;
        ds->x = xcalloc((size_t)cnt * d, sizeof(float));
        ds->y = y ? xcalloc((size_t)cnt, sizeof(float)) : NULL;
        ds->lab = lab ? xcalloc((size_t)cnt, sizeof(int64_t)) : NULL;
        for (int i = 0; i < cnt; i++) {
            int src = perm[off + i];
            memcpy(ds->x + (size_t)i * d, x + (size_t)src * d, (size_t)d * sizeof(float));
            if (y) ds->y[i] = y[src];
            if (lab) ds->lab[i] = lab[src];
        }
    }
    for (int j = 0; j < d; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < ntr; i++) m += s->train.x[(size_t)i * d + j];
        m /= ntr;
        for (int i = 0; i < ntr; i++) {
            double t = s->train.x[(size_t)i * d + j] - m;
            v += t * t;
        }
        double sd = sqrt(v / ntr);
        if (sd < 1e-12) sd = 1; /* constant pixel: centre only */
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < parts[p]->n; i++) {
                float *e = &parts[p]->x[(size_t)i * d + j];
                *e = (float)((*e - m) / sd);
            }
    }
    s->y_mean = 0;
    s->y_std = 1;
    if (y && standardise_y) {
        double m = 0, v = 0;
        for (int i = 0; i < ntr; i++) m += s->train.y[i];
        m /= ntr;
        for (int i = 0; i < ntr; i++) v += (s->train.y[i] - m) * (s->train.y[i] - m);
        double sd = sqrt(v / ntr);
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < parts[p]->n; i++)
                parts[p]->y[i] = (float)((parts[p]->y[i] - m) / sd);
        s->y_mean = (float)m;
        s->y_std = (float)sd;
    }
    free(perm);
}

static void load_diabetes(const char *dir, uint64_t seed, split_t *s)
{
    char path[4096], err[4400];
    table_t X, Y;
    snprintf(path, sizeof path, "%s/diabetes_data_raw.csv", dir);
    if (table_load(path, 0, 442, 10, &X, err, sizeof err)) die_data(err);
    snprintf(path, sizeof path, "%s/diabetes_target.csv", dir);
    if (table_load(path, 0, 442, 1, &Y, err, sizeof err)) die_data(err);
    make_split(X.v, Y.v, NULL, 442, 10, seed ^ 0xD1AB, 1, s);
    table_free(&X);
    table_free(&Y);
}

static void load_breast_cancer(const char *dir, uint64_t seed, split_t *s)
{
    char path[4096], err[4400];
    table_t T;
    snprintf(path, sizeof path, "%s/breast_cancer.csv", dir);
    /* first line: "569,30,malignant,benign"; then 30 features and the class
     * (0 = malignant, 1 = benign) */
    if (table_load(path, 1, 569, 31, &T, err, sizeof err)) die_data(err);
    float *x = xcalloc(569 * 30, sizeof(float)), *y = xcalloc(569, sizeof(float));
    for (int i = 0; i < 569; i++) {
        memcpy(x + i * 30, T.v + i * 31, 30 * sizeof(float));
        y[i] = T.v[i * 31 + 30];
        if (y[i] != 0 && y[i] != 1) {
            snprintf(err, sizeof err, "%s: row %d: class %g is not 0 or 1", path, i + 1, y[i]);
            die_data(err);
        }
    }
    make_split(x, y, NULL, 569, 30, seed ^ 0xBCBC, 0, s);
    free(x);
    free(y);
    table_free(&T);
}

static void load_digits(const char *dir, uint64_t seed, split_t *s)
{
    char path[4096], err[4400];
    table_t T;
    snprintf(path, sizeof path, "%s/digits.csv", dir);
    if (table_load(path, 0, 1797, 65, &T, err, sizeof err)) die_data(err);
    float *x = xcalloc(1797 * 64, sizeof(float));
    int64_t *lab = xcalloc(1797, sizeof(int64_t));
    for (int i = 0; i < 1797; i++) {
        memcpy(x + i * 64, T.v + i * 65, 64 * sizeof(float));
        float c = T.v[i * 65 + 64];
        if (!(c >= 0 && c <= 9 && c == floorf(c))) {
            snprintf(err, sizeof err, "%s: row %d: label %g is not a digit 0-9", path, i + 1, c);
            die_data(err);
        }
        lab[i] = (int64_t)c;
    }
    make_split(x, NULL, lab, 1797, 64, seed ^ 0xD161, 0, s);
    free(x);
    free(lab);
    table_free(&T);
}

/* ------------------------------------------------------------------------- */
/* losses and optimizers                                                     */
/* ------------------------------------------------------------------------- */

enum lossk { L_MSE, L_L1, L_HUBER, L_SMOOTH_L1, L_BCE_LOGITS, L_BCE, L_HINGE, L_SQ_HINGE,
             L_CE, L_CE_LS, L_MULTI_MARGIN, L_COUNT };
static const char *const LOSS_NAME[L_COUNT] = {
    "mse", "l1", "huber", "smooth_l1", "bce_logits", "bce", "hinge", "squared_hinge",
    "cross_entropy", "cross_entropy_ls0.1", "multi_margin"};
#define HUBER_DELTA 1.35f   /* the classic 95%-efficiency constant, in target std units */
#define SMOOTH_L1_BETA 1.0f /* PyTorch's default                                       */

enum optk { O_GD, O_SGD, O_MOMENTUM, O_NESTEROV, O_RMSPROP, O_ADAM, O_ADAMW,
            O_ADAGRAD, O_ADAMAX, O_NADAM, O_RADAM, O_LION, O_LAMB, O_COUNT };
static const char *const OPT_NAME[O_COUNT] = {"gd-fullbatch", "sgd",   "momentum", "nesterov",
                                              "rmsprop",      "adam",  "adamw",    "adagrad",
                                              "adamax",       "nadam", "radam",    "lion",
                                              "lamb"};
/* learning-rate grid per optimizer (digits) */
static const float LR_GRID[O_COUNT][3] = {
    {0.3f, 1.0f, 3.0f},       /* full-batch GD: one step per epoch  */
    {0.03f, 0.1f, 0.3f},      /* mini-batch SGD                     */
    {0.01f, 0.03f, 0.1f},     /* momentum 0.9                       */
    {0.01f, 0.03f, 0.1f},     /* Nesterov 0.9                       */
    {1e-3f, 3e-3f, 1e-2f},    /* RMSprop                            */
    {1e-3f, 3e-3f, 1e-2f},    /* Adam                               */
    {1e-3f, 3e-3f, 1e-2f},    /* AdamW, weight decay 1e-2           */
    {0.01f, 0.03f, 0.1f},     /* Adagrad                            */
    {2e-3f, 6e-3f, 2e-2f},    /* Adamax                             */
    {1e-3f, 3e-3f, 1e-2f},    /* NAdam                              */
    {1e-3f, 3e-3f, 1e-2f},    /* RAdam                              */
    {1e-4f, 3e-4f, 1e-3f},    /* Lion (sign steps: ~10x smaller lr)  */
    {1e-3f, 3e-3f, 1e-2f},    /* LAMB, weight decay 1e-2 (apex)     */
};
#define NLR 3
#define BATCH 32
/* The mixed-precision experiment: plain SGD at a rate small enough that
 * most per-step weight updates are below half a bf16 ulp of their weight. */
#define MIX_LR 0.005f
#define MIX_EPOCHS 40

static lossopt_status loss_eval(enum lossk L, const float *out, size_t nb, size_t k,
                                const float *y, const int64_t *lab, float *tmp, float *loss,
                                float *dout)
{
    lossopt_ce_options ce = {LOSSOPT_MEAN, NULL, 0.0f};
    lossopt_status st;
    switch (L) {
    case L_MSE: return lossopt_mse_f32(out, y, nb, LOSSOPT_MEAN, loss, dout);
    case L_L1: return lossopt_l1_f32(out, y, nb, LOSSOPT_MEAN, loss, dout);
    case L_HUBER: return lossopt_huber_f32(out, y, nb, HUBER_DELTA, LOSSOPT_MEAN, loss, dout);
    case L_SMOOTH_L1:
        return lossopt_smooth_l1_f32(out, y, nb, SMOOTH_L1_BETA, LOSSOPT_MEAN, loss, dout);
    case L_BCE_LOGITS:
        return lossopt_bce_logits_f32(out, y, nb, NULL, 1.0f, LOSSOPT_MEAN, loss, dout);
    case L_BCE: /* sigmoid here, BCE on probabilities in lossopt, chain rule here */
        for (size_t i = 0; i < nb; i++) tmp[i] = 1.0f / (1.0f + expf(-out[i]));
        st = lossopt_bce_f32(tmp, y, nb, NULL, LOSSOPT_MEAN, loss, dout);
        if (st == LOSSOPT_OK)
            for (size_t i = 0; i < nb; i++) dout[i] = dout[i] * (tmp[i] * (1.0f - tmp[i]));
        return st;
    case L_HINGE: return lossopt_hinge_f32(out, y, nb, LOSSOPT_MEAN, loss, dout);
    case L_SQ_HINGE: return lossopt_squared_hinge_f32(out, y, nb, LOSSOPT_MEAN, loss, dout);
    case L_CE: return lossopt_cross_entropy_f32(out, lab, nb, k, &ce, loss, dout);
    case L_CE_LS:
        ce.label_smoothing = 0.1f;
        return lossopt_cross_entropy_f32(out, lab, nb, k, &ce, loss, dout);
    case L_MULTI_MARGIN:
        return lossopt_multi_margin_f32(out, lab, nb, k, 1, 1.0f, NULL, LOSSOPT_MEAN, loss, dout);
    default: return LOSSOPT_ERR_ARG;
    }
}

/* ------------------------------------------------------------------------- */
/* model: linear (h == 0) or d-h-k MLP with ReLU; flat parameter buffer       */
/*   linear: W[d][k], b[k];  MLP: W1[d][h], b1[h], W2[h][k], b2[k]            */
/* ------------------------------------------------------------------------- */

typedef struct {
    const char *experiment, *model;
    int d, h, k;
    enum lossk loss;
    enum optk opt;
    float lr;
    int batch, epochs;
    uint64_t seed;
    const dataset *train, *test;
    float y_std;       /* regression: reports test MSE in original units */
    int check;         /* part of the cross-ISA bit-identity check       */
    int prec;          /* enum preck: P_PLAIN = the _f32 calls, else the
                          tensor-list step with that weight storage       */
} run_t;

typedef struct {
    float *w;
    size_t nw;
    float *curve;      /* mean training loss per epoch                    */
    double metric;     /* test MSE (regression) or test accuracy          */
    double no_effect;  /* mixed precision: share of the last epoch's weight
                          updates (nonzero gradient) that left the stored
                          param unchanged                                  */
} result_t;

/* Weight storage of a run (the mixed-precision experiment). P_PLAIN runs
 * call the _f32 steps on one flat buffer; the others call the tensor-list
 * step (lossopt_sgd_step / lossopt_adam_step / lossopt_rmsprop_step) with a
 * lossopt_precision, one lossopt_tensor per layer (W1, b1, W2, b2), f32
 * gradients and f32 optimizer state. The forward/backward pass always reads
 * the weights a model of that precision holds: bf16 weights widened exactly
 * to float (bf16 -> the high half of an f32), then float arithmetic. */
enum preck {
    P_PLAIN,      /* the main table: _f32 calls                                  */
    P_BF16_RNE,   /* (a) bf16 weights, stores rounded to nearest, no master copy */
    P_BF16_SR,    /* (b) bf16 weights, stochastic-rounding stores                */
    P_MASTER,     /* (c) f32 master weights, bf16 copy read by the model         */
    P_F32,        /* (d) f32 weights (the reference)                             */
    P_COUNT
};
static const char *const MIX_LABEL[P_COUNT] = {
    "", "(a) bf16, nearest", "(b) bf16, stochastic", "(c) f32 master + bf16 copy", "(d) f32"};
static const char *const MIX_MODEL[P_COUNT] = {
    "mlp-64-64-10", "mlp-64-64-10/bf16-nearest", "mlp-64-64-10/bf16-stochastic",
    "mlp-64-64-10/f32-master+bf16-copy", "mlp-64-64-10/f32"};

static uint16_t bf16_nearest(float x) /* round to nearest even; finite x */
{
    uint32_t b;
    memcpy(&b, &x, 4);
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

static float bf16_widen(uint16_t h) /* exact */
{
    uint32_t b = (uint32_t)h << 16;
    float x;
    memcpy(&x, &b, 4);
    return x;
}

size_t nparams(int d, int h, int k)
{
    return h ? (size_t)d * h + h + (size_t)h * k + k : (size_t)d * k + k;
}

/* out (k floats) and hid (h floats, post-ReLU) of one input row */
void forward(const float *w, int d, int h, int k, const float *x, float *hid, float *out)
{
    if (h == 0) {
        const float *W = w, *b = w + (size_t)d * k;
        for (int c = 0; c < k; c++) out[c] = b[c];
        for (int i = 0; i < d; i++) {
            float xi = x[i];
            const float *Wi = W + (size_t)i * k;
            for (int c = 0; c < k; c++) out[c] += xi * Wi[c];
        }
        return;
    }
    const float *W1 = w, *b1 = W1 + (size_t)d * h, *W2 = b1 + h, *b2 = W2 + (size_t)h * k;
    for (int j = 0; j < h; j++) hid[j] = b1[j];
    for (int i = 0; i < d; i++) {
        float xi = x[i];
        const float *Wi = W1 + (size_t)i * h;
        for (int j = 0; j < h; j++) hid[j] += xi * Wi[j];
    }
    for (int j = 0; j < h; j++) hid[j] = hid[j] > 0 ? hid[j] : 0;
    for (int c = 0; c < k; c++) out[c] = b2[c];
    for (int j = 0; j < h; j++) {
        float a = hid[j];
        const float *Wj = W2 + (size_t)j * k;
        for (int c = 0; c < k; c++) out[c] += a * Wj[c];
    }
}

/* accumulate d(loss)/d(w) of one row into g, given dout (k floats) */
void backward(const float *w, float *g, int d, int h, int k, const float *x,
              const float *hid, const float *dout, float *dh)
{
    if (h == 0) {
        float *gW = g, *gb = g + (size_t)d * k;
        for (int i = 0; i < d; i++) {
            float xi = x[i];
            float *gi = gW + (size_t)i * k;
            for (int c = 0; c < k; c++) gi[c] += xi * dout[c];
        }
        for (int c = 0; c < k; c++) gb[c] += dout[c];
        return;
    }
    const float *W2 = w + (size_t)d * h + h;
    float *gW1 = g, *gb1 = gW1 + (size_t)d * h, *gW2 = gb1 + h, *gb2 = gW2 + (size_t)h * k;
    for (int j = 0; j < h; j++) {
        float a = hid[j];
        const float *Wj = W2 + (size_t)j * k;
        float *gj = gW2 + (size_t)j * k;
        float s = 0;
        for (int c = 0; c < k; c++) {
            gj[c] += a * dout[c];
            s += Wj[c] * dout[c];
        }
        dh[j] = a > 0 ? s : 0;
    }
    for (int c = 0; c < k; c++) gb2[c] += dout[c];
    for (int i = 0; i < d; i++) {
        float xi = x[i];
        float *gi = gW1 + (size_t)i * h;
        for (int j = 0; j < h; j++) gi[j] += xi * dh[j];
    }
    for (int j = 0; j < h; j++) gb1[j] += dh[j];
}

static void check_status(lossopt_status st, const char *what, const run_t *r)
{
    if (st == LOSSOPT_OK) return;
    fprintf(stderr, "lossopt_train: %s failed in %s/%s/%s/%s lr %g: %s\n", what, r->experiment,
            r->model, LOSS_NAME[r->loss], OPT_NAME[r->opt], r->lr, lossopt_status_string(st));
    exit(4);
}

static void train(const run_t *r, result_t *res)
{
    const dataset *tr = r->train;
    int d = r->d, h = r->h, k = r->k, n = tr->n;
    size_t nw = nparams(d, h, k);
    float *w = xcalloc(nw, sizeof(float)), *g = xcalloc(nw, sizeof(float));
    float *s1 = xcalloc(nw, sizeof(float)), *s2 = xcalloc(nw, sizeof(float));
    int bmax = r->batch < n ? r->batch : n;
    float *hid = xcalloc((size_t)bmax * (h ? h : 1), sizeof(float));
    float *out = xcalloc((size_t)bmax * k, sizeof(float));
    float *dout = xcalloc((size_t)bmax * k, sizeof(float));
    float *yb = xcalloc((size_t)bmax, sizeof(float)), *tmp = xcalloc((size_t)bmax, sizeof(float));
    int64_t *lb = xcalloc((size_t)bmax, sizeof(int64_t));
    float *dh = xcalloc((size_t)(h ? h : 1), sizeof(float));
    int *idx = xcalloc((size_t)n, sizeof(int));
    res->curve = xcalloc((size_t)r->epochs, sizeof(float));

    /* same initial weights and the same batch order for every optimizer */
    rng_t init = {r->seed ^ 0x1417}, order = {r->seed ^ 0x0BDE};
    if (h) { /* He-uniform for W1 (ReLU), Glorot-uniform for W2; biases 0 */
        float a1 = sqrtf(6.0f / d), a2 = sqrtf(6.0f / (h + k));
        float *W2 = w + (size_t)d * h + h;
        for (size_t i = 0; i < (size_t)d * h; i++) w[i] = (2 * rng_uniform(&init) - 1) * a1;
        for (size_t i = 0; i < (size_t)h * k; i++) W2[i] = (2 * rng_uniform(&init) - 1) * a2;
    } /* linear models start at 0 */
    for (int i = 0; i < n; i++) idx[i] = i;

    /* Mixed precision: the buffers the tensor-list step updates. The bf16
     * runs start from the f32 initial weights rounded to nearest; w is then
     * the widened copy the forward/backward pass reads (refreshed after each
     * step, so it always holds exactly the stored bf16 values). */
    uint16_t *wb = NULL;   /* bf16 param (a, b) or the bf16 model copy (c) */
    float *master = NULL;  /* f32 master weights (c)                       */
    float *before = r->prec != P_PLAIN ? xcalloc(nw, sizeof *before) : NULL;
    double n_upd = 0, n_same = 0;
    lossopt_tensor ts[4];
    size_t nt = 0;
    lossopt_precision prec = {0}; /* zero: every buffer f32, round to nearest */
    if (r->prec != P_PLAIN) {
        if (r->prec != P_F32) {
            wb = xcalloc(nw, sizeof *wb);
            for (size_t i = 0; i < nw; i++) wb[i] = bf16_nearest(w[i]);
        }
        if (r->prec == P_MASTER) {
            master = xcalloc(nw, sizeof *master);
            memcpy(master, w, nw * sizeof *w);
        }
        if (wb)
            for (size_t i = 0; i < nw; i++) w[i] = bf16_widen(wb[i]);
        int bf16_param = r->prec == P_BF16_RNE || r->prec == P_BF16_SR;
        prec.param = bf16_param ? LOSSOPT_BF16 : LOSSOPT_F32;
        prec.grad = LOSSOPT_F32;   /* the backward pass accumulates in float */
        prec.state = LOSSOPT_F32;  /* momentum / Adam moments, when used     */
        prec.param_copy = r->prec == P_MASTER ? LOSSOPT_BF16 : LOSSOPT_F32;
        prec.rounding = r->prec == P_BF16_SR ? LOSSOPT_ROUND_STOCHASTIC : LOSSOPT_ROUND_NEAREST;
        prec.seed = r->seed;
        /* one tensor per layer: W1, b1, W2, b2 (linear: W, b) */
        size_t len[4] = {(size_t)d * h, (size_t)h, (size_t)h * k, (size_t)k}, off = 0;
        if (!h) { len[0] = (size_t)d * k; len[1] = (size_t)k; }
        for (int l = 0; l < (h ? 4 : 2); l++) {
            ts[nt++] = (lossopt_tensor){
                .param = bf16_param ? (void *)(wb + off) : (void *)((master ? master : w) + off),
                .grad = g + off,
                .state = {s1 + off, s2 + off, NULL},
                .param_copy = r->prec == P_MASTER ? (void *)(wb + off) : NULL,
                .n = len[l]};
            off += len[l];
        }
    }

    lossopt_sgd_config sgd = lossopt_sgd_defaults();
    lossopt_rmsprop_config rms = lossopt_rmsprop_defaults();
    lossopt_adam_config adam = lossopt_adam_defaults();
    sgd.lr = rms.lr = adam.lr = r->lr;
    if (r->opt == O_MOMENTUM || r->opt == O_NESTEROV) sgd.momentum = 0.9f;
    if (r->opt == O_NESTEROV) sgd.nesterov = true;
    if (r->opt == O_ADAMW) {
        adam.decoupled_weight_decay = true;
        adam.weight_decay = 1e-2f;
    }
    /* the 0.2 optimizers: defaults, this run's lr; NAdam's mu products (one
     * double per tensor of the list call, one for the flat _f32 buffer) */
    lossopt_adagrad_config adagrad = lossopt_adagrad_defaults();
    lossopt_adamax_config adamax = lossopt_adamax_defaults();
    lossopt_nadam_config nadam = lossopt_nadam_defaults();
    lossopt_radam_config radam = lossopt_radam_defaults();
    lossopt_lion_config lion = lossopt_lion_defaults();
    lossopt_lamb_config lamb = lossopt_lamb_defaults();
    adagrad.lr = adamax.lr = nadam.lr = radam.lr = lion.lr = lamb.lr = r->lr;
    double mu_products[4] = {1.0, 1.0, 1.0, 1.0};
    int64_t step = 0;
    for (int e = 0; e < r->epochs; e++) {
        if (bmax < n) rng_shuffle(&order, idx, n);
        double sum = 0;
        for (int b0 = 0; b0 < n; b0 += bmax) {
            int nb = n - b0 < bmax ? n - b0 : bmax;
            for (int i = 0; i < nb; i++) {
                int row = idx[b0 + i];
                forward(w, d, h, k, tr->x + (size_t)row * d, hid + (size_t)i * h,
                        out + (size_t)i * k);
                if (tr->y) yb[i] = tr->y[row];
                if (tr->lab) lb[i] = tr->lab[row];
            }
            float loss;
            check_status(loss_eval(r->loss, out, (size_t)nb, (size_t)k, yb, lb, tmp, &loss, dout),
                         LOSS_NAME[r->loss], r);
            sum += (double)loss * nb;
            memset(g, 0, nw * sizeof(float));
            for (int i = 0; i < nb; i++) {
                int row = idx[b0 + i];
                backward(w, g, d, h, k, tr->x + (size_t)row * d, hid + (size_t)i * h,
                         dout + (size_t)i * k, dh);
            }
            step++;
            lossopt_status st;
            if (r->prec == P_PLAIN) {
                switch (r->opt) {
                case O_RMSPROP: st = lossopt_rmsprop_step_f32(w, g, s1, NULL, NULL, nw, &rms); break;
                case O_ADAM:
                case O_ADAMW: st = lossopt_adam_step_f32(w, g, s1, s2, NULL, nw, &adam, step); break;
                case O_ADAGRAD: st = lossopt_adagrad_step_f32(w, g, s1, nw, &adagrad, step); break;
                case O_ADAMAX: st = lossopt_adamax_step_f32(w, g, s1, s2, nw, &adamax, step); break;
                case O_NADAM:
                    st = lossopt_nadam_step_f32(w, g, s1, s2, &mu_products[0], nw, &nadam, step);
                    break;
                case O_RADAM: st = lossopt_radam_step_f32(w, g, s1, s2, nw, &radam, step); break;
                case O_LION: st = lossopt_lion_step_f32(w, g, s1, nw, &lion, step); break;
                case O_LAMB: st = lossopt_lamb_step_f32(w, g, s1, s2, nw, &lamb, step); break;
                default:
                    st = lossopt_sgd_step_f32(w, g, sgd.momentum > 0 ? s1 : NULL, nw, &sgd, step);
                }
            } else {
                /* the stored param before the step, to count updates that
                 * changed nothing (last epoch only) */
                const void *pw = prec.param == LOSSOPT_BF16 ? (const void *)wb
                                 : master               ? (const void *)master
                                                        : (const void *)w;
                size_t pb = prec.param == LOSSOPT_BF16 ? 2 : 4;
                if (e == r->epochs - 1) memcpy(before, pw, nw * pb);
                lossopt_step_options so = {.precision = &prec};
                switch (r->opt) {
                case O_RMSPROP: st = lossopt_rmsprop_step(&rms, ts, nt, step, &so, NULL); break;
                case O_ADAM:
                case O_ADAMW: st = lossopt_adam_step(&adam, ts, nt, step, &so, NULL); break;
                case O_ADAGRAD: st = lossopt_adagrad_step(&adagrad, ts, nt, step, &so, NULL); break;
                case O_ADAMAX: st = lossopt_adamax_step(&adamax, ts, nt, step, &so, NULL); break;
                case O_NADAM: st = lossopt_nadam_step(&nadam, mu_products, ts, nt, step, &so, NULL); break;
                case O_RADAM: st = lossopt_radam_step(&radam, ts, nt, step, &so, NULL); break;
                case O_LION: st = lossopt_lion_step(&lion, ts, nt, step, &so, NULL); break;
                case O_LAMB: st = lossopt_lamb_step(&lamb, ts, nt, step, &so, NULL); break;
                default: st = lossopt_sgd_step(&sgd, ts, nt, step, &so, NULL);
                }
                if (e == r->epochs - 1)
                    for (size_t i = 0; i < nw; i++)
                        if (g[i] != 0) {
                            n_upd++;
                            n_same += !memcmp((const char *)pw + i * pb,
                                              (const char *)before + i * pb, pb);
                        }
                if (wb) /* what the bf16 model reads next: the stored bf16, widened */
                    for (size_t i = 0; i < nw; i++) w[i] = bf16_widen(wb[i]);
            }
            check_status(st, OPT_NAME[r->opt], r);
        }
        res->curve[e] = (float)(sum / n);
    }

    /* test metric */
    const dataset *te = r->test;
    double acc = 0;
    for (int i = 0; i < te->n; i++) {
        forward(w, d, h, k, te->x + (size_t)i * d, hid, out);
        if (r->loss <= L_SMOOTH_L1) {
            double err = ((double)out[0] - te->y[i]) * r->y_std;
            acc += err * err;
        } else if (k == 1) {
            acc += (out[0] > 0) == (te->y[i] > 0.5f);
        } else {
            int best = 0;
            for (int c = 1; c < k; c++)
                if (out[c] > out[best]) best = c;
            acc += best == te->lab[i];
        }
    }
    res->metric = acc / te->n;
    res->no_effect = n_upd > 0 ? n_same / n_upd : 0;
    free(before);
    /* the optimizer's param (for the cross-ISA check): f32 master in (c),
     * the stored bf16 weights (widened, exact) in (a) and (b) */
    if (master) {
        free(w);
        w = master;
    }
    res->w = w;
    res->nw = nw;
    free(wb);
    free(g); free(s1); free(s2); free(hid); free(out); free(dout);
    free(yb); free(tmp); free(lb); free(dh); free(idx);
}

static void result_free(result_t *r)
{
    free(r->w);
    free(r->curve);
    r->w = r->curve = NULL;
}

/* ------------------------------------------------------------------------- */
/* helpers                                                                   */
/* ------------------------------------------------------------------------- */

double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int mkdirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
            *p = c;
            if (c == '\0') break;
        }
    }
    return 0;
}

static int parse_isa(const char *s, lossopt_isa *isa)
{
    for (int i = LOSSOPT_ISA_SCALAR; i <= LOSSOPT_ISA_NEON; i++)
        if (strcmp(s, lossopt_isa_name((lossopt_isa)i)) == 0) {
            *isa = (lossopt_isa)i;
            return 0;
        }
    return -1;
}

static void supported_list(char *buf, size_t len)
{
    unsigned m = lossopt_supported_isas();
    buf[0] = '\0';
    for (int i = LOSSOPT_ISA_SCALAR; i <= LOSSOPT_ISA_NEON; i++)
        if (m & (1u << i)) {
            strncat(buf, buf[0] ? " " : "", len - strlen(buf) - 1);
            strncat(buf, lossopt_isa_name((lossopt_isa)i), len - strlen(buf) - 1);
        }
}

static double final_loss(const result_t *r, const run_t *c) { return r->curve[c->epochs - 1]; }

static void fmt_lr(char *b, size_t n, float lr)
{
    snprintf(b, n, "%g", lr);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: lossopt_train [--data DIR] [--out DIR] [--seed N] [--isa NAME]\n"
               "                     [--epochs N] [--check all|some|none]\n"
               "  --data DIR   uncompressed scikit-learn CSVs (default build/train-data)\n"
               "  --out DIR    CSV and SVG output (default out/train)\n"
               "  --seed N     split, initialisation, batch order, outliers and the\n"
               "               stochastic-rounding stream (default 1)\n"
               "  --isa NAME   force scalar|avx2|avx512|neon for the main run\n"
               "  --epochs N   epochs of the digits optimizer table (default 20; the\n"
               "               mixed-precision runs always train %d)\n"
               "  --check      which runs are repeated on every supported ISA and compared\n"
               "               bit for bit (default some: all regression and binary runs,\n"
               "               the digits MLP at each optimizer's selected rate, the\n"
               "               four mixed-precision runs, the two distilled students and\n"
               "               the three metric-learning embeddings)\n", MIX_EPOCHS);
}

/* ------------------------------------------------------------------------- */
/* main                                                                      */
/* ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *data = "build/train-data", *outdir = "out/train", *isa_name = NULL;
    const char *check = "some";
    uint64_t seed = 1;
    int epochs = 20;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!v) { usage(stderr); return 2; }
        if (!strcmp(a, "--data")) data = v;
        else if (!strcmp(a, "--out")) outdir = v;
        else if (!strcmp(a, "--seed")) seed = strtoull(v, NULL, 0);
        else if (!strcmp(a, "--isa")) isa_name = v;
        else if (!strcmp(a, "--epochs")) epochs = atoi(v);
        else if (!strcmp(a, "--check")) check = v;
        else { usage(stderr); return 2; }
        i++;
    }
    if (epochs < 1 || (strcmp(check, "all") && strcmp(check, "some") && strcmp(check, "none"))) {
        usage(stderr);
        return 2;
    }
    char sup[64];
    supported_list(sup, sizeof sup);
    if (isa_name) {
        lossopt_isa isa;
        if (parse_isa(isa_name, &isa) || lossopt_set_isa(isa) != LOSSOPT_OK) {
            fprintf(stderr, "lossopt_train: --isa %s: not an ISA this machine supports (%s)\n",
                    isa_name, sup);
            return 2;
        }
    }
    lossopt_isa main_isa = lossopt_active_isa();
    double t0 = wall_seconds();

    split_t dia, bc, dig;
    load_diabetes(data, seed, &dia);
    load_breast_cancer(data, seed, &bc);
    load_digits(data, seed, &dig);

    /* diabetes with 5% of the training targets corrupted: +10..+20 target
     * standard deviations (one-sided, so they drag a squared loss upwards) */
    dataset dia_out = dia.train;
    dia_out.y = xcalloc((size_t)dia_out.n, sizeof(float));
    memcpy(dia_out.y, dia.train.y, (size_t)dia_out.n * sizeof(float));
    int n_out = (dia_out.n * 5 + 50) / 100;
    {
        rng_t r = {seed ^ 0x0071};
        int *p = xcalloc((size_t)dia_out.n, sizeof(int));
        for (int i = 0; i < dia_out.n; i++) p[i] = i;
        rng_shuffle(&r, p, dia_out.n);
        for (int i = 0; i < n_out; i++) dia_out.y[p[i]] += 10.0f + 10.0f * rng_uniform(&r);
        free(p);
    }

    /* ---- the plan: every run ------------------------------------------------ */
    enum { NREG = 8, NBIN = 4, NDIG = 2 * 3 * O_COUNT * NLR, NMIX = 4 };
    run_t runs[NREG + NBIN + NDIG + NMIX];
    int nr = 0;
    for (int o = 0; o < 2; o++)
        for (int l = L_MSE; l <= L_SMOOTH_L1; l++)
            runs[nr++] = (run_t){"diabetes", o ? "linear/outliers" : "linear/clean", 10, 0, 1,
                                 (enum lossk)l, O_ADAM, 0.05f, 1 << 30, 300, seed,
                                 o ? &dia_out : &dia.train, &dia.test, dia.y_std, 1, P_PLAIN};
    for (int l = L_BCE_LOGITS; l <= L_SQ_HINGE; l++)
        runs[nr++] = (run_t){"breast_cancer", l <= L_BCE ? "logistic" : "linear-svm", 30, 0, 1,
                             (enum lossk)l, O_ADAM, 0.01f, BATCH, 40, seed, &bc.train, &bc.test,
                             1, 1, P_PLAIN};
    int dig0 = nr;
    for (int m = 0; m < 2; m++)
        for (int l = L_CE; l <= L_MULTI_MARGIN; l++)
            for (int o = 0; o < O_COUNT; o++)
                for (int g = 0; g < NLR; g++)
                    runs[nr++] = (run_t){"digits", m ? "mlp-64-64-10" : "softmax", 64, m ? 64 : 0,
                                         10, (enum lossk)l, (enum optk)o, LR_GRID[o][g],
                                         o == O_GD ? 1 << 30 : BATCH, epochs, seed, &dig.train,
                                         &dig.test, 1, !strcmp(check, "all"), P_PLAIN};
    /* mixed precision: the digits MLP, cross-entropy, plain SGD at a small
     * rate, the same data, init and batch order; (a)-(d) of enum preck */
    int mix0 = nr;
    for (int p = P_BF16_RNE; p <= P_F32; p++)
        runs[nr++] = (run_t){"digits-mixed", MIX_MODEL[p], 64, 64, 10, L_CE, O_SGD, MIX_LR,
                             BATCH, MIX_EPOCHS, seed, &dig.train, &dig.test, 1,
                             strcmp(check, "none") != 0, p};
    result_t *res = xcalloc((size_t)nr, sizeof *res);
    for (int i = 0; i < nr; i++) train(&runs[i], &res[i]);
    double t_main = wall_seconds() - t0;

    /* ---- lr selection: lowest final training loss (the test split is never
     *      used to choose) --------------------------------------------------- */
    int sel[2][3][O_COUNT];
    for (int m = 0; m < 2; m++)
        for (int l = 0; l < 3; l++)
            for (int o = 0; o < O_COUNT; o++) {
                int base = dig0 + ((m * 3 + l) * O_COUNT + o) * NLR, best = base;
                for (int g = 1; g < NLR; g++) {
                    double fb = final_loss(&res[best], &runs[best]);
                    double fg = final_loss(&res[base + g], &runs[base + g]);
                    if (!isfinite(fb) || (isfinite(fg) && fg < fb)) best = base + g;
                }
                sel[m][l][o] = best;
                if (!strcmp(check, "some") && m == 1 && (l == 0 || o == O_ADAM))
                    runs[best].check = 1;
            }

    /* ---- CSV ------------------------------------------------------------------ */
    if (mkdirs(outdir)) {
        fprintf(stderr, "lossopt_train: cannot create %s: %s\n", outdir, strerror(errno));
        return 2;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/curves.csv", outdir);
    FILE *f = fopen(path, "w");
    snprintf(path, sizeof path, "%s/results.csv", outdir);
    FILE *fr = fopen(path, "w");
    if (!f || !fr) {
        fprintf(stderr, "lossopt_train: cannot write %s: %s\n", path, strerror(errno));
        return 2;
    }
    fprintf(f, "experiment,model,loss,optimizer,lr,epoch,train_loss\n");
    fprintf(fr, "experiment,model,loss,optimizer,lr,batch,epochs,metric,value,final_train_loss,"
                "selected\n");
    for (int i = 0; i < nr; i++) {
        const run_t *r = &runs[i];
        int selected = 1;
        if (i >= dig0 && i < mix0) {
            int q = (i - dig0) / NLR, m = q / (3 * O_COUNT), l = (q / O_COUNT) % 3, o = q % O_COUNT;
            selected = sel[m][l][o] == i;
        }
        for (int e = 0; e < r->epochs; e++)
            fprintf(f, "%s,%s,%s,%s,%g,%d,%.9g\n", r->experiment, r->model, LOSS_NAME[r->loss],
                    OPT_NAME[r->opt], r->lr, e + 1, res[i].curve[e]);
        fprintf(fr, "%s,%s,%s,%s,%g,%d,%d,%s,%.9g,%.9g,%d\n", r->experiment, r->model,
                LOSS_NAME[r->loss], OPT_NAME[r->opt], r->lr,
                r->batch < r->train->n ? r->batch : r->train->n, r->epochs,
                i < NREG ? "test_mse" : "test_accuracy", res[i].metric, final_loss(&res[i], r),
                selected);
    }
    fclose(f);
    fclose(fr);

    /* ---- SVG -------------------------------------------------------------------- */
    for (int m = 0; m < 2; m++)
        for (int l = 0; l < 3; l++) {
            svg_series s[O_COUNT];
            char names[O_COUNT][64], title[160];
            for (int o = 0; o < O_COUNT; o++) {
                int i = sel[m][l][o];
                snprintf(names[o], sizeof names[o], "%s lr %g", OPT_NAME[o], runs[i].lr);
                s[o] = (svg_series){names[o], res[i].curve, runs[i].epochs};
            }
            snprintf(title, sizeof title, "digits, %s, %s: training loss per optimizer",
                     m ? "MLP 64-64-10" : "softmax regression", LOSS_NAME[L_CE + l]);
            snprintf(path, sizeof path, "%s/digits_%s_%s.svg", outdir, m ? "mlp" : "softmax",
                     LOSS_NAME[L_CE + l]);
            if (svg_line_chart(path, title, "epoch", "mean training loss", s, O_COUNT, 1))
                fprintf(stderr, "lossopt_train: cannot write %s\n", path);
        }
    {
        svg_series s[NMIX];
        char names[NMIX][80], sub[200];
        for (int i = 0; i < NMIX; i++) {
            const run_t *r = &runs[mix0 + i];
            snprintf(names[i], sizeof names[i], "%s: %.1f%%", MIX_LABEL[r->prec],
                     100 * res[mix0 + i].metric);
            s[i] = (svg_series){names[i], res[mix0 + i].curve, r->epochs};
        }
        snprintf(sub, sizeof sub, "plain SGD lr %g, batch %d, f32 grads, same init and batches; "
                 "legend: final test accuracy", runs[mix0].lr, BATCH);
        /* (d), the reference, as a wide translucent band drawn first; (b) dashed
         * over (c), so runs that coincide stay visible */
        const svg_style style[NMIX] = {{"#1f77b4", 2, 0, NULL},
                                       {"#ff7f0e", 2, 0, "7 5"},
                                       {"#2ca02c", 2, 0, NULL},
                                       {"#d62728", 8, 0.3f, NULL}};
        const svg_line_opts o = {sub, 250, 1, style, 1};
        snprintf(path, sizeof path, "%s/digits_mlp_mixed_precision.svg", outdir);
        if (svg_line_chart_ex(path, "digits MLP 64-64-10: training loss, bf16 vs f32 weights",
                              "epoch", "mean training loss (cross-entropy)", s, NMIX, 1, &o))
            fprintf(stderr, "lossopt_train: cannot write %s\n", path);
    }
    {
        svg_bar_group g[4];
        for (int l = 0; l < 4; l++)
            g[l] = (svg_bar_group){LOSS_NAME[l], {(float)res[l].metric, (float)res[4 + l].metric}};
        const char *sn[2] = {"clean targets", "5% outlier targets"};
        snprintf(path, sizeof path, "%s/diabetes_outliers.svg", outdir);
        if (svg_bar_chart(path, "diabetes, linear model: test MSE, clean vs 5% outliers",
                          "test MSE (target units^2)", sn, g, 4))
            fprintf(stderr, "lossopt_train: cannot write %s\n", path);
        svg_series s[4];
        for (int l = 0; l < 4; l++)
            s[l] = (svg_series){LOSS_NAME[runs[NREG + l].loss],
                                res[NREG + l].curve, runs[NREG + l].epochs};
        snprintf(path, sizeof path, "%s/breast_cancer.svg", outdir);
        if (svg_line_chart(path, "breast cancer, linear: training loss (Adam, lr 0.01)", "epoch",
                           "mean training loss", s, 4, 1))
            fprintf(stderr, "lossopt_train: cannot write %s\n", path);
    }

    /* ---- summary table ---------------------------------------------------------- */
    printf("lossopt %s, ISA %s (supported: %s), seed %" PRIu64 "\n\n", lossopt_version_string(),
           lossopt_isa_name(main_isa), sup, seed);
    printf("Regression: diabetes (442 x 10; train %d, test %d), linear model, full-batch Adam "
           "lr 0.05, 300 epochs.\n%d of %d training targets corrupted by +10..20 std. "
           "Test MSE (target units^2):\n\n",
           dia.train.n, dia.test.n, n_out, dia.train.n);
    printf("| loss | clean | 5%% outliers | change |\n|---|---:|---:|---:|\n");
    for (int l = 0; l < 4; l++)
        printf("| %s | %.0f | %.0f | %+.0f%% |\n", LOSS_NAME[l], res[l].metric, res[4 + l].metric,
               100.0 * (res[4 + l].metric / res[l].metric - 1));
    printf("\nBinary: breast cancer (569 x 30; train %d, test %d), linear, Adam lr 0.01, "
           "batch %d, 40 epochs:\n\n", bc.train.n, bc.test.n, BATCH);
    printf("| model | loss | test accuracy | final train loss |\n|---|---|---:|---:|\n");
    for (int i = NREG; i < NREG + NBIN; i++)
        printf("| %s | %s | %.1f%% | %.4f |\n", runs[i].model, LOSS_NAME[runs[i].loss],
               100 * res[i].metric, final_loss(&res[i], &runs[i]));
    printf("\nMulticlass: digits (1797 x 64; train %d, test %d), %d epochs, batch %d "
           "(gd: full batch).\nTest accuracy %% at the lr (from the grid) with the lowest final "
           "training loss:\n\n", dig.train.n, dig.test.n, epochs, BATCH);
    printf("| optimizer | lr grid |");
    for (int m = 0; m < 2; m++)
        for (int l = 0; l < 3; l++)
            printf(" %s %s |", m ? "MLP" : "softmax",
                   l == 0 ? "CE" : l == 1 ? "CE+LS" : "multi-margin");
    printf("\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (int o = 0; o < O_COUNT; o++) {
        char grid[64] = "", lr[16];
        for (int g = 0; g < NLR; g++) {
            fmt_lr(lr, sizeof lr, LR_GRID[o][g]);
            strcat(grid, g ? ", " : "");
            strcat(grid, lr);
        }
        printf("| %s | %s |", OPT_NAME[o], grid);
        for (int m = 0; m < 2; m++)
            for (int l = 0; l < 3; l++) {
                int i = sel[m][l][o];
                fmt_lr(lr, sizeof lr, runs[i].lr);
                printf(" %.1f @%s |", 100 * res[i].metric, lr);
            }
        printf("\n");
    }
    printf("\nMixed precision: digits MLP 64-64-10, cross-entropy, plain SGD lr %g, batch %d, "
           "%d epochs, the same\ninit and batch order; lossopt_sgd_step, f32 grads. Last "
           "column: share of the last epoch's\nweight updates (nonzero gradient) that left the "
           "stored param unchanged:\n\n", runs[mix0].lr, BATCH, runs[mix0].epochs);
    printf("| run | param (rounding) | model reads | final train loss | test accuracy | "
           "no-op updates |\n|---|---|---|---:|---:|---:|\n");
    for (int i = mix0; i < mix0 + NMIX; i++) {
        int p = runs[i].prec;
        printf("| %s | %s | %s | %.4f | %.1f%% | %.1f%% |\n", MIX_LABEL[p],
               p == P_BF16_RNE ? "bf16 (nearest)" : p == P_BF16_SR ? "bf16 (stochastic)" : "f32",
               p == P_MASTER ? "bf16 copy" : p == P_F32 ? "f32 param" : "bf16 param",
               final_loss(&res[i], &runs[i]), 100 * res[i].metric, 100 * res[i].no_effect);
    }
    printf("\n%d training runs in %.1f s. Curves: %s/curves.csv, results: %s/results.csv, "
           "charts: %s/*.svg\n", nr, t_main, outdir, outdir, outdir);
    fflush(stdout);

    /* ---- the added experiments (issue 16): distillation and metric learning on
     *      the digits; their check runs join the cross-ISA check below ---------- */
    xcheck_t xchk[8];
    int nx = 0, xcheck_on = strcmp(check, "none") != 0;
    {
        int ti = sel[1][0][O_ADAM]; /* the teacher: the digits MLP, CE, Adam */
        char tdesc[160];
        snprintf(tdesc, sizeof tdesc, "MLP 64-64-10 (the table's CE run, Adam lr %g, %d epochs)",
                 runs[ti].lr, runs[ti].epochs);
        nx += distill_experiment(&dig.train, &dig.test, res[ti].w, runs[ti].h, tdesc, seed,
                                 outdir, xcheck_on, xchk + nx, 8 - nx);
        nx += metric_experiment(&dig.train, &dig.test, seed, outdir, xcheck_on, xchk + nx,
                                8 - nx);
        fflush(stdout);
    }

    /* ---- bit identity across ISAs ---------------------------------------------- */
    if (!strcmp(check, "none")) return 0;
    double t1 = wall_seconds();
    unsigned m = lossopt_supported_isas();
    int nchk = 0;
    size_t nfloat = 0;
    for (int i = 0; i < nr; i++)
        if (runs[i].check) { nchk++; nfloat += res[i].nw; }
    for (int i = 0; i < nx; i++) { nchk++; nfloat += xchk[i].nw; }
    char isas[64] = "";
    int mismatch = 0;
    for (int isa = LOSSOPT_ISA_SCALAR; isa <= LOSSOPT_ISA_NEON; isa++) {
        if (!(m & (1u << isa))) continue;
        if (lossopt_set_isa((lossopt_isa)isa) != LOSSOPT_OK) {
            printf("MISMATCH: lossopt_set_isa(%s) failed\n", lossopt_isa_name((lossopt_isa)isa));
            return 1;
        }
        strcat(isas, " ");
        strcat(isas, lossopt_isa_name((lossopt_isa)isa));
        for (int i = 0; i < nr; i++) {
            if (!runs[i].check) continue;
            result_t r2;
            /* the main run (on main_isa) is the reference; rerun it here */
            train(&runs[i], &r2);
            for (size_t j = 0; j < r2.nw; j++)
                if (memcmp(&r2.w[j], &res[i].w[j], sizeof(float)) != 0) {
                    uint32_t a, b;
                    memcpy(&a, &res[i].w[j], 4);
                    memcpy(&b, &r2.w[j], 4);
                    printf("MISMATCH: %s/%s/%s/%s lr %g: weight %zu is 0x%08x on %s, 0x%08x on %s\n",
                           runs[i].experiment, runs[i].model, LOSS_NAME[runs[i].loss],
                           OPT_NAME[runs[i].opt], runs[i].lr, j, a, lossopt_isa_name(main_isa), b,
                           lossopt_isa_name((lossopt_isa)isa));
                    mismatch = 1;
                    break;
                }
            result_free(&r2);
        }
        for (int i = 0; i < nx; i++) { /* distill.c and metric.c runs */
            float *w2 = xchk[i].rerun(&xchk[i]);
            for (size_t j = 0; j < xchk[i].nw; j++)
                if (memcmp(&w2[j], &xchk[i].w[j], sizeof(float)) != 0) {
                    uint32_t a, b;
                    memcpy(&a, &xchk[i].w[j], 4);
                    memcpy(&b, &w2[j], 4);
                    printf("MISMATCH: %s: weight %zu is 0x%08x on %s, 0x%08x on %s\n",
                           xchk[i].name, j, a, lossopt_isa_name(main_isa), b,
                           lossopt_isa_name((lossopt_isa)isa));
                    mismatch = 1;
                    break;
                }
            free(w2);
        }
    }
    lossopt_set_isa(main_isa);
    if (mismatch) {
        printf("MISMATCH: final weights differ between ISAs (see above)\n");
        return 1;
    }
    printf("final weights bit-identical across:%s (%d runs, %zu weights per ISA, reference %s; "
           "check %.1f s)\n", isas, nchk, nfloat, lossopt_isa_name(main_isa),
           wall_seconds() - t1);
    for (int i = 0; i < nr; i++) result_free(&res[i]);
    free(res);
    for (int i = 0; i < nx; i++) free(xchk[i].w);
    return 0;
}

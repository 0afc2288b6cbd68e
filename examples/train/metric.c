/* metric.c - metric learning on the 8x8 digits (issue 16).
 *
 * An embedding 64 -> 16 (a linear map, and an MLP 64-32-16 with ReLU) is
 * trained on triplets sampled deterministically from the training split
 * (anchor and positive of the same class, negative of another) with
 * lossopt_triplet_margin_f32 (margin 1, p 2, PyTorch's eps 1e-6, no swap,
 * mean over the batch); for comparison the MLP is also trained on the same
 * triplets with lossopt_margin_ranking_f32 ranking the two distances
 * (x1 = |a - n|, x2 = |a - p|, y = 1, margin 1: the triplet loss written as
 * a ranking, with the distances and their gradients computed here). The
 * embedding is judged by nearest-centroid and 1-NN test accuracy (Euclidean,
 * centroids and neighbours from the training split), before and after.
 * The model loops (forward, backward) are train.c's; only the losses and the
 * optimizer step come from lossopt.
 */
#include "train.h"

#include <lossopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ML_D 64
#define ML_E 16        /* embedding dimension                                */
#define ML_C 10        /* classes                                            */
#define ML_MARGIN 1.0f
#define ML_EPS 1e-6f   /* PyTorch's pairwise_distance eps                    */
#define ML_LR 1e-3f    /* Adam                                               */
#define ML_BATCH 32    /* triplets per step                                  */
#define ML_EPOCHS 20   /* one triplet per training row and epoch             */

enum { M_TRIPLET, M_RANKING };
typedef struct {
    const char *name, *model;
    int h;             /* hidden width; 0: linear                            */
    int loss;          /* M_TRIPLET or M_RANKING                             */
} mrun_t;
static const mrun_t RUNS[] = {
    {"linear 64-16, triplet", "linear-64-16", 0, M_TRIPLET},
    {"MLP 64-32-16, triplet", "mlp-64-32-16", 32, M_TRIPLET},
    {"MLP 64-32-16, margin ranking", "mlp-64-32-16", 32, M_RANKING},
};
#define NRUNS (int)(sizeof RUNS / sizeof RUNS[0])

static struct {
    const dataset *train, *test;
    uint64_t seed;
} ctx;

typedef struct {
    float *w;
    size_t nw;
    float loss[ML_EPOCHS];   /* mean training loss per epoch                 */
    float nc[ML_EPOCHS];     /* nearest-centroid test accuracy after each    */
    double nc0, nn0;         /* before training (the initial weights)        */
    double nc1, nn1;         /* after                                        */
    double active;           /* share of the last epoch's triplets with a
                                nonzero loss                                 */
} mres_t;

static void die_status(lossopt_status st, const char *what)
{
    if (st == LOSSOPT_OK) return;
    fprintf(stderr, "lossopt_train: metric learning: %s failed: %s\n", what,
            lossopt_status_string(st));
    exit(4);
}

/* embeddings (n x e) of a split; h == -1: the raw (standardised) inputs */
static float *embed(const float *w, int h, const dataset *ds, int *e)
{
    if (h < 0) {
        *e = ds->d;
        float *z = xcalloc((size_t)ds->n * ds->d, sizeof(float));
        memcpy(z, ds->x, (size_t)ds->n * ds->d * sizeof(float));
        return z;
    }
    *e = ML_E;
    float *z = xcalloc((size_t)ds->n * ML_E, sizeof(float)), hid[64];
    for (int i = 0; i < ds->n; i++)
        forward(w, ML_D, h, ML_E, ds->x + (size_t)i * ML_D, hid, z + (size_t)i * ML_E);
    return z;
}

/* nearest-centroid (nn == NULL) and 1-NN test accuracy, squared Euclidean
 * distances in double; ties go to the first class / training row */
static void evaluate(const float *w, int h, double *nc, double *nn)
{
    const dataset *tr = ctx.train, *te = ctx.test;
    int e;
    float *ztr = embed(w, h, tr, &e), *zte = embed(w, h, te, &e);
    double *cen = xcalloc((size_t)ML_C * e, sizeof(double));
    int cnt[ML_C] = {0};
    for (int i = 0; i < tr->n; i++) {
        int c = (int)tr->lab[i];
        cnt[c]++;
        for (int j = 0; j < e; j++) cen[(size_t)c * e + j] += ztr[(size_t)i * e + j];
    }
    for (int c = 0; c < ML_C; c++)
        for (int j = 0; j < e; j++) cen[(size_t)c * e + j] /= cnt[c] ? cnt[c] : 1;
    int ok_nc = 0, ok_nn = 0;
    for (int i = 0; i < te->n; i++) {
        const float *z = zte + (size_t)i * e;
        int best = 0;
        double bd = INFINITY;
        for (int c = 0; c < ML_C; c++) {
            double s = 0;
            for (int j = 0; j < e; j++) {
                double t = z[j] - cen[(size_t)c * e + j];
                s += t * t;
            }
            if (s < bd) { bd = s; best = c; }
        }
        ok_nc += best == te->lab[i];
        if (nn) {
            int bi = 0;
            bd = INFINITY;
            for (int r = 0; r < tr->n; r++) {
                double s = 0;
                for (int j = 0; j < e; j++) {
                    double t = (double)z[j] - ztr[(size_t)r * e + j];
                    s += t * t;
                }
                if (s < bd) { bd = s; bi = r; }
            }
            ok_nn += tr->lab[bi] == te->lab[i];
        }
    }
    *nc = (double)ok_nc / te->n;
    if (nn) *nn = (double)ok_nn / te->n;
    free(ztr); free(zte); free(cen);
}

/* the margin-ranking run's distances and their gradients (double) */
static double dist(const float *a, const float *b)
{
    double s = 0;
    for (int j = 0; j < ML_E; j++) {
        double t = (double)a[j] - b[j];
        s += t * t;
    }
    return sqrt(s);
}

static void train_embedding(int run, mres_t *res)
{
    const mrun_t *R = &RUNS[run];
    const dataset *tr = ctx.train;
    int n = tr->n, h = R->h;
    size_t nw = nparams(ML_D, h, ML_E);
    float *w = xcalloc(nw, sizeof(float)), *g = xcalloc(nw, sizeof(float));
    float *m1 = xcalloc(nw, sizeof(float)), *m2 = xcalloc(nw, sizeof(float));
    /* per triplet t of a batch: rows 3t (anchor), 3t+1 (positive), 3t+2 (negative) */
    float hid[3 * ML_BATCH * 32], z[3][ML_BATCH * ML_E], gz[3][ML_BATCH * ML_E], dh[32];
    float x1[ML_BATCH], x2[ML_BATCH], y1[ML_BATCH], g1[ML_BATCH], g2[ML_BATCH], lrow[ML_BATCH];
    int rows[3][ML_BATCH];
    int *idx = xcalloc((size_t)n, sizeof(int));
    int *bycls = xcalloc((size_t)n, sizeof(int)), start[ML_C + 1] = {0};

    /* training rows by class (for the positives and negatives) */
    for (int i = 0; i < n; i++) start[tr->lab[i] + 1]++;
    for (int c = 0; c < ML_C; c++) start[c + 1] += start[c];
    {
        int fill[ML_C];
        memcpy(fill, start, sizeof fill);
        for (int i = 0; i < n; i++) bycls[fill[tr->lab[i]]++] = i;
    }

    /* initial weights (per model, from the seed) and the triplet stream (the
     * same for every run) */
    rng_t init = {ctx.seed ^ 0x3E7C}, order = {ctx.seed ^ 0x3E7D};
    if (h) { /* He-uniform W1 (ReLU), Glorot-uniform W2; biases 0 */
        float a1 = sqrtf(6.0f / ML_D), a2 = sqrtf(6.0f / (h + ML_E));
        float *W2 = w + (size_t)ML_D * h + h;
        for (size_t i = 0; i < (size_t)ML_D * h; i++) w[i] = (2 * rng_uniform(&init) - 1) * a1;
        for (size_t i = 0; i < (size_t)h * ML_E; i++) W2[i] = (2 * rng_uniform(&init) - 1) * a2;
    } else { /* Glorot-uniform W, bias 0 */
        float a = sqrtf(6.0f / (ML_D + ML_E));
        for (size_t i = 0; i < (size_t)ML_D * ML_E; i++) w[i] = (2 * rng_uniform(&init) - 1) * a;
    }
    evaluate(w, h, &res->nc0, &res->nn0);
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int i = 0; i < ML_BATCH; i++) y1[i] = 1.0f;

    lossopt_adam_config adam = lossopt_adam_defaults();
    adam.lr = ML_LR;
    int64_t step = 0;
    double active = 0;
    for (int ep = 0; ep < ML_EPOCHS; ep++) {
        rng_shuffle(&order, idx, n);
        double sum = 0;
        active = 0;
        for (int b0 = 0; b0 < n; b0 += ML_BATCH) {
            int nb = n - b0 < ML_BATCH ? n - b0 : ML_BATCH;
            for (int t = 0; t < nb; t++) {
                int a = idx[b0 + t], c = (int)tr->lab[a];
                int cn = start[c + 1] - start[c];
                /* positive: another row of class c (uniform over the cn - 1) */
                int p = bycls[start[c] + (int)rng_below(&order, (uint32_t)(cn - 1))];
                if (p == a) p = bycls[start[c + 1] - 1];
                /* negative: a uniform other class, then a uniform row of it */
                int cneg = (c + 1 + (int)rng_below(&order, ML_C - 1)) % ML_C;
                int q = bycls[start[cneg] +
                              (int)rng_below(&order, (uint32_t)(start[cneg + 1] - start[cneg]))];
                rows[0][t] = a;
                rows[1][t] = p;
                rows[2][t] = q;
                for (int r = 0; r < 3; r++)
                    forward(w, ML_D, h, ML_E, tr->x + (size_t)rows[r][t] * ML_D,
                            hid + (size_t)(3 * t + r) * h, z[r] + (size_t)t * ML_E);
            }
            float loss;
            if (R->loss == M_TRIPLET) {
                die_status(lossopt_triplet_margin_f32(z[0], z[1], z[2], (size_t)nb, ML_E,
                                                      ML_MARGIN, 2, ML_EPS, false, LOSSOPT_MEAN,
                                                      &loss, gz[0], gz[1], gz[2]),
                           "lossopt_triplet_margin_f32");
                if (ep == ML_EPOCHS - 1) {
                    die_status(lossopt_triplet_margin_f32(z[0], z[1], z[2], (size_t)nb, ML_E,
                                                          ML_MARGIN, 2, ML_EPS, false,
                                                          LOSSOPT_NONE, lrow, NULL, NULL, NULL),
                               "lossopt_triplet_margin_f32");
                    for (int t = 0; t < nb; t++) active += lrow[t] > 0;
                }
            } else {
                /* x1 = |a - n|, x2 = |a - p|: loss max(0, -(x1 - x2) + margin) */
                for (int t = 0; t < nb; t++) {
                    x1[t] = (float)dist(z[0] + (size_t)t * ML_E, z[2] + (size_t)t * ML_E);
                    x2[t] = (float)dist(z[0] + (size_t)t * ML_E, z[1] + (size_t)t * ML_E);
                }
                die_status(lossopt_margin_ranking_f32(x1, x2, y1, (size_t)nb, ML_MARGIN,
                                                      LOSSOPT_MEAN, &loss, g1, g2),
                           "lossopt_margin_ranking_f32");
                /* d|a - b| / da = (a - b) / |a - b| (0 at a == b), so
                 *   dL/da = g1 (a - n) / x1 + g2 (a - p) / x2
                 *   dL/dp = -g2 (a - p) / x2,   dL/dn = -g1 (a - n) / x1 */
                for (int t = 0; t < nb; t++) {
                    const float *za = z[0] + (size_t)t * ML_E, *zp = z[1] + (size_t)t * ML_E,
                                *zn = z[2] + (size_t)t * ML_E;
                    double k1 = x1[t] > 0 ? g1[t] / (double)x1[t] : 0;
                    double k2 = x2[t] > 0 ? g2[t] / (double)x2[t] : 0;
                    for (int j = 0; j < ML_E; j++) {
                        double un = (double)za[j] - zn[j], up = (double)za[j] - zp[j];
                        gz[0][(size_t)t * ML_E + j] = (float)(k1 * un + k2 * up);
                        gz[1][(size_t)t * ML_E + j] = (float)(-k2 * up);
                        gz[2][(size_t)t * ML_E + j] = (float)(-k1 * un);
                    }
                    if (ep == ML_EPOCHS - 1) active += g1[t] != 0;
                }
            }
            sum += (double)loss * nb;
            memset(g, 0, nw * sizeof(float));
            for (int t = 0; t < nb; t++)
                for (int r = 0; r < 3; r++)
                    backward(w, g, ML_D, h, ML_E, tr->x + (size_t)rows[r][t] * ML_D,
                             hid + (size_t)(3 * t + r) * h, gz[r] + (size_t)t * ML_E, dh);
            die_status(lossopt_adam_step_f32(w, g, m1, m2, NULL, nw, &adam, ++step),
                       "lossopt_adam_step_f32");
        }
        res->loss[ep] = (float)(sum / n);
        double acc;
        evaluate(w, h, &acc, NULL);
        res->nc[ep] = (float)acc;
    }
    evaluate(w, h, &res->nc1, &res->nn1);
    res->active = active / n;
    res->w = w;
    res->nw = nw;
    free(g); free(m1); free(m2); free(idx); free(bycls);
}

static float *rerun(const xcheck_t *c)
{
    mres_t r;
    train_embedding(c->arg, &r);
    return r.w;
}

int metric_experiment(const dataset *train, const dataset *test, uint64_t seed,
                      const char *outdir, int check, xcheck_t *chk, int max)
{
    double t0 = wall_seconds();
    ctx.train = train;
    ctx.test = test;
    ctx.seed = seed;
    double raw_nc, raw_nn;
    evaluate(NULL, -1, &raw_nc, &raw_nn);
    mres_t res[NRUNS];
    for (int r = 0; r < NRUNS; r++) train_embedding(r, &res[r]);
    double dt = wall_seconds() - t0;

    char path[4200];
    snprintf(path, sizeof path, "%s/metric.csv", outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lossopt_train: cannot write %s\n", path);
    } else {
        fprintf(f, "model,loss,epoch,train_loss,test_nearest_centroid_accuracy,"
                   "test_1nn_accuracy\n");
        fprintf(f, "raw-pixels-64,none,0,,%.6g,%.6g\n", raw_nc, raw_nn);
        for (int r = 0; r < NRUNS; r++) {
            const char *ln = RUNS[r].loss == M_TRIPLET ? "triplet_margin" : "margin_ranking";
            fprintf(f, "%s,%s,0,,%.6g,%.6g\n", RUNS[r].model, ln, res[r].nc0, res[r].nn0);
            for (int e = 0; e < ML_EPOCHS; e++) {
                fprintf(f, "%s,%s,%d,%.9g,%.6g,", RUNS[r].model, ln, e + 1, res[r].loss[e],
                        res[r].nc[e]);
                if (e == ML_EPOCHS - 1) fprintf(f, "%.6g", res[r].nn1);
                fputc('\n', f);
            }
        }
        fclose(f);
    }

    {
        svg_series s[NRUNS];
        char names[NRUNS][96], sub[200];
        for (int r = 0; r < NRUNS; r++) {
            snprintf(names[r], sizeof names[r], "%s: %.1f%% -> %.1f%%", RUNS[r].name,
                     100 * res[r].nc0, 100 * res[r].nc1);
            s[r] = (svg_series){names[r], res[r].loss, ML_EPOCHS};
        }
        /* the ranking run is the triplet MLP's loss written differently: dashed
         * over it */
        const svg_style style[NRUNS] = {{NULL, 2, 0, NULL}, {NULL, 2, 0, NULL},
                                        {NULL, 2, 0, "7 5"}};
        snprintf(sub, sizeof sub, "margin 1, p 2, Adam lr %g, %d triplets per batch; legend: "
                 "nearest-centroid test accuracy before -> after", ML_LR, ML_BATCH);
        const svg_line_opts o = {sub, 330, 1, style, 0};
        snprintf(path, sizeof path, "%s/digits_metric.svg", outdir);
        if (svg_line_chart_ex(path, "digits: metric learning, embedding 64 -> 16, training loss",
                              "epoch", "mean training loss (triplet margin)", s, NRUNS, 1, &o))
            fprintf(stderr, "lossopt_train: cannot write %s\n", path);
    }

    printf("\nMetric learning: digits, embedding 64 -> %d, one triplet per training row and "
           "epoch (anchor, positive\nof its class, negative of another, from the seed), margin "
           "%g, p 2, Adam lr %g, %d triplets per batch,\n%d epochs. Test accuracy of the "
           "embedding: nearest centroid and 1-NN (Euclidean, training split):\n\n",
           ML_E, ML_MARGIN, ML_LR, ML_BATCH, ML_EPOCHS);
    printf("| embedding | loss | first / final train loss | active triplets (last epoch) | "
           "nearest centroid before -> after | 1-NN before -> after |\n"
           "|---|---|---:|---:|---:|---:|\n");
    printf("| raw pixels (64, standardised) | - | - | - | %.1f%% | %.1f%% |\n", 100 * raw_nc,
           100 * raw_nn);
    for (int r = 0; r < NRUNS; r++)
        printf("| %s | %s | %.4f / %.4f | %.1f%% | %.1f%% -> %.1f%% | %.1f%% -> %.1f%% |\n",
               RUNS[r].model,
               RUNS[r].loss == M_TRIPLET ? "triplet_margin" : "margin_ranking", res[r].loss[0],
               res[r].loss[ML_EPOCHS - 1], 100 * res[r].active, 100 * res[r].nc0,
               100 * res[r].nc1, 100 * res[r].nn0, 100 * res[r].nn1);
    printf("\n%d embedding runs in %.1f s. Curves: %s/metric.csv, chart: %s/digits_metric.svg\n",
           NRUNS, dt, outdir, outdir);

    int nc = 0;
    for (int r = 0; r < NRUNS; r++) {
        if (check && nc < max) {
            xcheck_t *c = &chk[nc++];
            snprintf(c->name, sizeof c->name, "digits-metric/%s/%s", RUNS[r].model,
                     RUNS[r].loss == M_TRIPLET ? "triplet_margin" : "margin_ranking");
            c->w = res[r].w;
            c->nw = res[r].nw;
            c->rerun = rerun;
            c->arg = r;
        } else {
            free(res[r].w);
        }
    }
    return nc;
}

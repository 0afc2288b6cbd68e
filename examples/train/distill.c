/* distill.c - knowledge distillation on the 8x8 digits (issue 16).
 *
 * A teacher (the demo's 64-64-10 MLP trained with cross-entropy: main() passes
 * the weights of its digits run with Adam at the selected rate) gives logits;
 * a smaller student MLP 64-16-10 (KD_H) is trained twice from the same initial
 * weights, with the same optimizer (Adam) and the same batch order:
 *   (a) CE: lossopt_cross_entropy_f32 on the labels;
 *   (b) KD: alpha T^2 KL(softmax(teacher / T) || softmax(student / T))
 *           + (1 - alpha) CE,  T = 4, alpha = 0.7 (Hinton et al. 2015), the KL
 *       part with lossopt_kl_div_f32 (reduction LOSSOPT_BATCHMEAN, PyTorch's
 *       recommended one) on log_softmax(student / T), computed here, against
 *       the teacher's softened probabilities; the gradient is taken through
 *       the log_softmax by hand (kd_backward below).
 * The model loops (forward, backward) are train.c's; only the losses and the
 * optimizer step come from lossopt.
 */
#include "train.h"

#include <lossopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KD_D 64
#define KD_K 10
#define KD_H 16        /* the student's hidden width (the teacher's: 64)     */
#define KD_T 4.0f      /* temperature                                        */
#define KD_ALPHA 0.7f  /* weight of the distillation term                    */
#define KD_LR 3e-3f    /* Adam                                               */
#define KD_BATCH 32
#define KD_EPOCHS 30

enum { S_CE, S_KD, S_COUNT };
static const char *const S_NAME[S_COUNT] = {"ce", "kd"};
#define KD_STR2(x) #x
#define KD_STR(x) KD_STR2(x)
static const char *const S_LABEL[S_COUNT] = {"student 64-" KD_STR(KD_H) "-10, CE",
                                             "student 64-" KD_STR(KD_H) "-10, KD (T 4, alpha 0.7)"};

/* What a rerun (the cross-ISA check) needs: set once by distill_experiment. */
static struct {
    const dataset *train, *test;
    const float *ptgt;  /* train->n x K: softmax(teacher logits / T), float    */
    uint64_t seed;
} ctx;

typedef struct {
    float *w;           /* final student weights                              */
    size_t nw;
    float loss[KD_EPOCHS];     /* mean training objective per epoch           */
    float ce[KD_EPOCHS];       /* mean training cross-entropy per epoch       */
    float test_acc[KD_EPOCHS]; /* test accuracy after each epoch              */
    double train_acc;          /* after the last epoch                        */
} student_res;

static void die_status(lossopt_status st, const char *what)
{
    if (st == LOSSOPT_OK) return;
    fprintf(stderr, "lossopt_train: distillation: %s failed: %s\n", what,
            lossopt_status_string(st));
    exit(4);
}

static double accuracy(const float *w, int h, const dataset *ds)
{
    float hid[64], out[KD_K];
    int ok = 0;
    for (int i = 0; i < ds->n; i++) {
        forward(w, KD_D, h, KD_K, ds->x + (size_t)i * KD_D, hid, out);
        int best = 0;
        for (int c = 1; c < KD_K; c++)
            if (out[c] > out[best]) best = c;
        ok += best == ds->lab[i];
    }
    return (double)ok / ds->n;
}

/* KD's gradient with respect to the student logits z (one batch of nb rows).
 *
 * With s = z / T, q = log_softmax(s) and sigma = softmax(s):
 *   q_c = s_c - log sum_j exp(s_j),  so  dq_c / ds_j = [c == j] - sigma_j,
 * and for any g = dKL/dq (what lossopt_kl_div_f32 returns):
 *   dKL/ds_j = sum_c g_c dq_c/ds_j = g_j - sigma_j sum_c g_c,
 *   dKL/dz_j = dKL/ds_j / T.
 * Here g_c = -p_c / B (BATCHMEAN over B rows, p the teacher's softened
 * probabilities, sum_c p_c = 1), so dKL/dz_j = (sigma_j - p_j) / (B T): the
 * familiar form, but the code applies the general chain rule to lossopt's g.
 * The total: dout = alpha T^2 dKL/dz + (1 - alpha) dCE/dz (dCE/dz from
 * lossopt_cross_entropy_f32, already divided by B). */
static void kd_backward(const float *gq, const float *sigma, const float *dce, int nb,
                        float *dout)
{
    for (int i = 0; i < nb; i++) {
        const float *g = gq + (size_t)i * KD_K, *sg = sigma + (size_t)i * KD_K;
        double gs = 0;
        for (int c = 0; c < KD_K; c++) gs += g[c];
        for (int j = 0; j < KD_K; j++) {
            double dkl_dz = (g[j] - sg[j] * gs) / KD_T;
            dout[(size_t)i * KD_K + j] =
                (float)(KD_ALPHA * KD_T * KD_T * dkl_dz) + (1 - KD_ALPHA) * dce[(size_t)i * KD_K + j];
        }
    }
}

static void train_student(int which, student_res *res)
{
    const dataset *tr = ctx.train;
    int n = tr->n, h = KD_H;
    size_t nw = nparams(KD_D, h, KD_K);
    float *w = xcalloc(nw, sizeof(float)), *g = xcalloc(nw, sizeof(float));
    float *m1 = xcalloc(nw, sizeof(float)), *m2 = xcalloc(nw, sizeof(float));
    float hid[KD_BATCH * KD_H], out[KD_BATCH * KD_K], dout[KD_BATCH * KD_K], dh[KD_H];
    float dce[KD_BATCH * KD_K], q[KD_BATCH * KD_K], sigma[KD_BATCH * KD_K];
    float pt[KD_BATCH * KD_K], gq[KD_BATCH * KD_K];
    int64_t lb[KD_BATCH];
    int *idx = xcalloc((size_t)n, sizeof(int));

    /* both students: the same initial weights and batch order (the seed's) */
    rng_t init = {ctx.seed ^ 0xD157}, order = {ctx.seed ^ 0xD158};
    float a1 = sqrtf(6.0f / KD_D), a2 = sqrtf(6.0f / (h + KD_K));
    float *W2 = w + (size_t)KD_D * h + h;
    for (size_t i = 0; i < (size_t)KD_D * h; i++) w[i] = (2 * rng_uniform(&init) - 1) * a1;
    for (size_t i = 0; i < (size_t)h * KD_K; i++) W2[i] = (2 * rng_uniform(&init) - 1) * a2;
    for (int i = 0; i < n; i++) idx[i] = i;

    lossopt_adam_config adam = lossopt_adam_defaults();
    adam.lr = KD_LR;
    lossopt_ce_options ce = {LOSSOPT_MEAN, NULL, 0.0f};
    int64_t step = 0;
    for (int e = 0; e < KD_EPOCHS; e++) {
        rng_shuffle(&order, idx, n);
        double sum = 0, sum_ce = 0;
        for (int b0 = 0; b0 < n; b0 += KD_BATCH) {
            int nb = n - b0 < KD_BATCH ? n - b0 : KD_BATCH;
            for (int i = 0; i < nb; i++) {
                int row = idx[b0 + i];
                forward(w, KD_D, h, KD_K, tr->x + (size_t)row * KD_D, hid + (size_t)i * h,
                        out + (size_t)i * KD_K);
                lb[i] = tr->lab[row];
            }
            float lce, loss;
            die_status(lossopt_cross_entropy_f32(out, lb, (size_t)nb, KD_K, &ce, &lce, dce),
                       "lossopt_cross_entropy_f32");
            if (which == S_CE) {
                loss = lce;
                memcpy(dout, dce, (size_t)nb * KD_K * sizeof(float));
            } else {
                /* q = log_softmax(z / T) and sigma = softmax(z / T), in double */
                for (int i = 0; i < nb; i++) {
                    const float *z = out + (size_t)i * KD_K;
                    double mx = z[0] / (double)KD_T, se = 0;
                    for (int c = 1; c < KD_K; c++)
                        if (z[c] / (double)KD_T > mx) mx = z[c] / (double)KD_T;
                    for (int c = 0; c < KD_K; c++) se += exp(z[c] / (double)KD_T - mx);
                    double lse = mx + log(se);
                    for (int c = 0; c < KD_K; c++) {
                        double lq = z[c] / (double)KD_T - lse;
                        q[(size_t)i * KD_K + c] = (float)lq;
                        sigma[(size_t)i * KD_K + c] = (float)exp(lq);
                    }
                    memcpy(pt + (size_t)i * KD_K, ctx.ptgt + (size_t)idx[b0 + i] * KD_K,
                           KD_K * sizeof(float));
                }
                float kl;
                die_status(lossopt_kl_div_f32(q, pt, (size_t)nb, KD_K, false, LOSSOPT_BATCHMEAN,
                                              &kl, gq),
                           "lossopt_kl_div_f32");
                loss = (float)(KD_ALPHA * KD_T * KD_T * (double)kl + (1 - KD_ALPHA) * (double)lce);
                kd_backward(gq, sigma, dce, nb, dout);
            }
            sum += (double)loss * nb;
            sum_ce += (double)lce * nb;
            memset(g, 0, nw * sizeof(float));
            for (int i = 0; i < nb; i++)
                backward(w, g, KD_D, h, KD_K, tr->x + (size_t)idx[b0 + i] * KD_D,
                         hid + (size_t)i * h, dout + (size_t)i * KD_K, dh);
            die_status(lossopt_adam_step_f32(w, g, m1, m2, NULL, nw, &adam, ++step),
                       "lossopt_adam_step_f32");
        }
        res->loss[e] = (float)(sum / n);
        res->ce[e] = (float)(sum_ce / n);
        res->test_acc[e] = (float)accuracy(w, h, ctx.test);
    }
    res->train_acc = accuracy(w, h, tr);
    res->w = w;
    res->nw = nw;
    free(g); free(m1); free(m2); free(idx);
}

static float *rerun(const xcheck_t *c)
{
    student_res r;
    train_student(c->arg, &r);
    return r.w;
}

int distill_experiment(const dataset *train, const dataset *test, const float *teacher_w,
                       int teacher_h, const char *teacher_desc, uint64_t seed,
                       const char *outdir, int check, xcheck_t *chk, int max)
{
    double t0 = wall_seconds();
    int n = train->n;
    /* the teacher's softened probabilities softmax(logits / T), in double */
    float *ptgt = xcalloc((size_t)n * KD_K, sizeof(float));
    float *thid = xcalloc((size_t)(teacher_h ? teacher_h : 1), sizeof(float)), tout[KD_K];
    double t_ce = 0;
    for (int i = 0; i < n; i++) {
        forward(teacher_w, KD_D, teacher_h, KD_K, train->x + (size_t)i * KD_D, thid, tout);
        double mx = tout[0], se = 0, se1 = 0;
        for (int c = 1; c < KD_K; c++) mx = tout[c] > mx ? tout[c] : mx;
        for (int c = 0; c < KD_K; c++) {
            se += exp((tout[c] - mx) / KD_T);
            se1 += exp(tout[c] - mx);
        }
        for (int c = 0; c < KD_K; c++)
            ptgt[(size_t)i * KD_K + c] = (float)(exp((tout[c] - mx) / KD_T) / se);
        t_ce += log(se1) - (tout[train->lab[i]] - mx); /* the teacher's own CE */
    }
    double teacher_train = 0, teacher_test = 0;
    {
        int ok[2] = {0, 0};
        const dataset *ds[2] = {train, test};
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < ds[p]->n; i++) {
                forward(teacher_w, KD_D, teacher_h, KD_K, ds[p]->x + (size_t)i * KD_D, thid, tout);
                int best = 0;
                for (int c = 1; c < KD_K; c++)
                    if (tout[c] > tout[best]) best = c;
                ok[p] += best == ds[p]->lab[i];
            }
        teacher_train = (double)ok[0] / train->n;
        teacher_test = (double)ok[1] / test->n;
    }
    free(thid);
    ctx.train = train;
    ctx.test = test;
    ctx.ptgt = ptgt;   /* kept for the reruns of the cross-ISA check */
    ctx.seed = seed;

    student_res res[S_COUNT];
    for (int s = 0; s < S_COUNT; s++) train_student(s, &res[s]);
    double dt = wall_seconds() - t0;

    /* CSV: one row per student and epoch, and the teacher's final row */
    char path[4200];
    snprintf(path, sizeof path, "%s/distill.csv", outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "lossopt_train: cannot write %s\n", path);
    } else {
        fprintf(f, "model,loss,epoch,train_loss,train_cross_entropy,test_accuracy\n");
        fprintf(f, "teacher mlp-64-%d-10,cross_entropy,final,%.9g,%.9g,%.6g\n", teacher_h,
                t_ce / n, t_ce / n, teacher_test);
        for (int s = 0; s < S_COUNT; s++)
            for (int e = 0; e < KD_EPOCHS; e++)
                fprintf(f, "student mlp-64-%d-10,%s,%d,%.9g,%.9g,%.6g\n", KD_H,
                        s == S_CE ? "cross_entropy" : "kd_T4_alpha0.7", e + 1, res[s].loss[e],
                        res[s].ce[e], res[s].test_acc[e]);
        fclose(f);
    }

    /* SVG: the students' test accuracy per epoch, the teacher's as a line */
    {
        float *tline = xcalloc(KD_EPOCHS, sizeof(float));
        for (int e = 0; e < KD_EPOCHS; e++) tline[e] = (float)teacher_test;
        char names[3][96], sub[200];
        snprintf(names[0], sizeof names[0], "%s: %.1f%%", S_LABEL[S_CE],
                 100 * res[S_CE].test_acc[KD_EPOCHS - 1]);
        snprintf(names[1], sizeof names[1], "%s: %.1f%%", S_LABEL[S_KD],
                 100 * res[S_KD].test_acc[KD_EPOCHS - 1]);
        snprintf(names[2], sizeof names[2], "teacher 64-%d-10 (final): %.1f%%", teacher_h,
                 100 * teacher_test);
        svg_series sr[3] = {{names[0], res[S_CE].test_acc, KD_EPOCHS},
                            {names[1], res[S_KD].test_acc, KD_EPOCHS},
                            {names[2], tline, KD_EPOCHS}};
        const svg_style style[3] = {{NULL, 2, 0, NULL}, {NULL, 2, 0, NULL},
                                    {"#7f7f7f", 2, 0, "6 4"}};
        snprintf(sub, sizeof sub, "Adam lr %g, batch %d, same init and batches; legend: final "
                 "test accuracy", KD_LR, KD_BATCH);
        const svg_line_opts o = {sub, 330, 0, style, 0};
        snprintf(path, sizeof path, "%s/digits_distill.svg", outdir);
        if (svg_line_chart_ex(path,
                              "digits: distillation into a 64-" KD_STR(KD_H)
                              "-10 student, test accuracy",
                              "epoch", "test accuracy", sr, 3, 0, &o))
            fprintf(stderr, "lossopt_train: cannot write %s\n", path);
        free(tline);
    }

    printf("\nDistillation: digits, teacher %s; students MLP 64-%d-10, Adam lr %g, batch %d,\n"
           "%d epochs, the same init and batch order. KD: %g T^2 KL(teacher/T || student/T) "
           "+ %g CE, T = %g\n(lossopt_kl_div_f32, batchmean, on log_softmax(student / T)). "
           "Train loss and CE: the students' means over\nthe last epoch; the teacher's CE of "
           "its final weights on the training split:\n\n",
           teacher_desc, KD_H, KD_LR, KD_BATCH, KD_EPOCHS, KD_ALPHA, 1 - KD_ALPHA, KD_T);
    printf("| model | final train loss | final train CE | train accuracy | test accuracy |\n"
           "|---|---:|---:|---:|---:|\n");
    printf("| teacher 64-%d-10 (CE) | %.4f | %.4f | %.1f%% | %.1f%% |\n", teacher_h, t_ce / n,
           t_ce / n, 100 * teacher_train, 100 * teacher_test);
    for (int s = 0; s < S_COUNT; s++)
        printf("| %s | %.4f | %.4f | %.1f%% | %.1f%% |\n", S_LABEL[s], res[s].loss[KD_EPOCHS - 1],
               res[s].ce[KD_EPOCHS - 1], 100 * res[s].train_acc,
               100 * res[s].test_acc[KD_EPOCHS - 1]);
    printf("\n2 student runs in %.1f s. Curves: %s/distill.csv, chart: %s/digits_distill.svg\n",
           dt, outdir, outdir);

    int nc = 0;
    for (int s = 0; s < S_COUNT; s++) {
        if (check && nc < max) {
            xcheck_t *c = &chk[nc++];
            snprintf(c->name, sizeof c->name, "digits-distill/student-64-%d-10/%s", KD_H,
                     S_NAME[s]);
            c->w = res[s].w;
            c->nw = res[s].nw;
            c->rerun = rerun;
            c->arg = s;
        } else {
            free(res[s].w);
        }
    }
    if (!nc) free(ptgt);
    return nc;
}

/* kernels/kernel_table.h - the internal contract between the public API and
 * the per-ISA kernels: precomputed coefficients and one function table per ISA.
 *
 * The public entry points (dispatch/api_optimizers.c) validate the arguments
 * and hoist every per-call scalar (bias corrections, 1 - dampening, ...) into
 * these structs, computed once in double and rounded once to float, so every
 * ISA's kernel receives the same floats and only does per-element work. */
#ifndef LOSSOPT_KERNEL_TABLE_H
#define LOSSOPT_KERNEL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lossopt.h"

typedef struct lossopt_sgd_coefficients {
    float negative_lr;           /* -lr                                        */
    float weight_decay;
    float momentum;
    float one_minus_dampening;   /* (float)(1 - dampening), in double          */
    bool maximize;
    bool use_weight_decay;       /* weight_decay != 0                          */
    bool use_momentum;           /* momentum != 0                              */
    bool nesterov;
    bool first_step;             /* step == 1: the buffer is set to g          */
} lossopt_sgd_coefficients;

/* PyTorch's lerp(a, b, w) = w < 0.5 ? a + w (b - a) : b - (b - a)(1 - w),
 * as fma(coefficient, b - a, from_end ? b : a): coefficient = w on the first
 * branch, w - 1 (exact in float for w >= 0.5) on the second. */
typedef struct lossopt_lerp_coefficients {
    float coefficient;
    bool from_end;
} lossopt_lerp_coefficients;

typedef struct lossopt_rmsprop_coefficients {
    float negative_lr;
    float alpha;
    float one_minus_alpha;       /* (float)(1 - alpha), in double              */
    lossopt_lerp_coefficients grad_avg_lerp; /* w = one_minus_alpha (centered) */
    float eps;
    float weight_decay;
    float momentum;
    bool maximize;
    bool use_weight_decay;
    bool centered;
    bool use_momentum;           /* momentum > 0                               */
} lossopt_rmsprop_coefficients;

typedef struct lossopt_adam_coefficients {
    float negative_step_size;    /* -(float)(lr / (1 - beta1^step))            */
    float bias_correction2_sqrt; /* (float)sqrt(1 - beta2^step)                */
    float bias_correction2_sqrt_reciprocal; /* (float)(1 / bias_correction2_sqrt):
                                    the division by it without a divider
                                    (vec_div_by_constant)                      */
    lossopt_lerp_coefficients exp_avg_lerp; /* w = (float)(1 - beta1)          */
    float beta2;
    float one_minus_beta2;       /* (float)(1 - beta2), in double              */
    float eps;
    float weight_decay;          /* L2 coefficient (Adam)                      */
    float decay_factor;          /* (float)(1 - lr * weight_decay) (AdamW)     */
    bool maximize;
    bool use_l2_weight_decay;    /* !decoupled && weight_decay != 0            */
    bool use_decoupled_decay;    /* decoupled && weight_decay != 0             */
    bool amsgrad;
} lossopt_adam_coefficients;

/* ---- the 0.2 optimizers (include/lossopt.h, "More optimizers") ---------- */

typedef struct lossopt_adagrad_coefficients {
    float negative_clr;          /* -(float)(lr / (1 + (step - 1) lr_decay))   */
    float weight_decay;
    float eps;
    bool maximize;
    bool use_weight_decay;
} lossopt_adagrad_coefficients;

typedef struct lossopt_adamax_coefficients {
    float negative_clr;          /* -(float)(lr / (1 - beta1^step))            */
    lossopt_lerp_coefficients exp_avg_lerp; /* w = (float)(1 - beta1)          */
    float beta2;
    float eps;
    float weight_decay;
    bool maximize;
    bool use_weight_decay;
} lossopt_adamax_coefficients;

/* NAdam and RAdam share Adam's moment updates and decay options. */
typedef struct lossopt_nadam_coefficients {
    float grad_coefficient;      /* (float)c_grad (negative)                   */
    float exp_avg_coefficient;   /* (float)c_avg (negative)                    */
    float bias_correction2_sqrt;
    float bias_correction2_sqrt_reciprocal; /* vec_div_by_constant            */
    lossopt_lerp_coefficients exp_avg_lerp;
    float beta2, one_minus_beta2, eps;
    float weight_decay;          /* L2                                         */
    float decay_factor;          /* decoupled                                  */
    bool maximize, use_l2_weight_decay, use_decoupled_decay;
} lossopt_nadam_coefficients;

typedef struct lossopt_radam_coefficients {
    float negative_step_size;    /* -(float)step_size (include/lossopt.h)      */
    lossopt_lerp_coefficients exp_avg_lerp;
    float beta2, one_minus_beta2, eps;
    float weight_decay, decay_factor;
    bool maximize, use_l2_weight_decay, use_decoupled_decay;
    bool rectified;              /* rho_t > 5                                  */
} lossopt_radam_coefficients;

typedef struct lossopt_lion_coefficients {
    float negative_lr;
    lossopt_lerp_coefficients update_lerp;  /* w = (float)(1 - beta1)          */
    lossopt_lerp_coefficients exp_avg_lerp; /* w = (float)(1 - beta2)          */
    float decay_factor;          /* (float)(1 - lr * weight_decay)             */
    bool maximize, use_decay;
} lossopt_lion_coefficients;

typedef struct lossopt_lamb_coefficients {
    lossopt_lerp_coefficients exp_avg_lerp;
    float beta2, one_minus_beta2, eps;
    float bias_correction1;      /* (float)(1 - beta1^step), or 1              */
    float bias_correction2_sqrt; /* (float)sqrt(1 - beta2^step), or 1          */
    float bias_correction2_sqrt_reciprocal; /* vec_div_by_constant            */
    float weight_decay;
    bool maximize, use_weight_decay;
    bool adapt;                  /* weight_decay != 0 or always_adapt: the
                                    moments pass sums the squares              */
} lossopt_lamb_coefficients;

/* ---- the engine step (0.2): one segment of one tensor --------------------
 * dispatch/ cuts the tasks of a tensor-list call into segments (a range of
 * one tensor within which the stochastic-rounding index's high half is
 * constant) and calls a segment kernel for each. The buffers point at the
 * segment's element 0; dtype says how each is stored. */
enum {
    LOSSOPT_BUFFER_PARAM = 0,  /* 0..3 are also the stochastic-rounding buffer ids */
    LOSSOPT_BUFFER_STATE0 = 1, /* state[k] is LOSSOPT_BUFFER_STATE0 + k          */
    LOSSOPT_BUFFER_GRAD = 4,
    LOSSOPT_BUFFER_COPY = 5,
    LOSSOPT_BUFFER_COUNT = 6,
    LOSSOPT_STORED_BUFFERS = 4 /* param and the states: stores that may round stochastically */
};

typedef struct lossopt_step_segment {
    void *buffer[LOSSOPT_BUFFER_COUNT];     /* NULL: unused (state, copy)            */
    lossopt_dtype dtype[LOSSOPT_BUFFER_COUNT]; /* every state the call's state dtype,
                                               used or not                          */
    size_t n;
    bool stochastic;                        /* bf16 stores of param/state round
                                               stochastically                       */
    uint32_t sr_key[LOSSOPT_STORED_BUFFERS]; /* kernels/stochastic_rounding.h         */
    uint32_t sr_index;                      /* element 0's stream index, low half;
                                               index + n - 1 does not wrap          */
    bool use_multiplier;                    /* m != 1: g = grad * multiplier          */
    float multiplier;
} lossopt_step_segment;

/* Whether a segment is the plain f32 case (every buffer it uses f32, no
 * multiplier, no copy): the segment kernels then run the _f32 loop itself. */
static inline bool lossopt_segment_is_plain_f32(const lossopt_step_segment *s)
{
    for (int b = 0; b < LOSSOPT_BUFFER_COUNT; b++)
        if (s->buffer[b] != NULL && s->dtype[b] != LOSSOPT_F32)
            return false;
    return !s->use_multiplier && s->buffer[LOSSOPT_BUFFER_COPY] == NULL;
}

/* (float)(2 pi): poisson_nll's Stirling term multiplies the float targets by
 * it, as PyTorch's 2 * math.pi * target does in float. */
#define LOSSOPT_TWO_PI_F 6.28318548f

/* One call of an elementwise loss, prepared by dispatch/api_losses.c. */
typedef struct lossopt_elementwise_args {
    const float *input;        /* input, score, prob or logit                   */
    const float *target;       /* target or label                               */
    const float *weight;       /* NULL or n floats (bce, bce_logits)            */
    float *loss;               /* NONE: n per-element losses; otherwise NULL    */
    float *grad;               /* NULL or n floats                              */
    size_t n;
    bool reduce;               /* MEAN or SUM: return the canonical sum          */
    float grad_scale;          /* c of include/lossopt.h, (float)(k * r)         */
    float delta;               /* huber delta, smooth_l1 beta                   */
    float half_delta;          /* (float)(delta / 2)                            */
    float pos_weight;          /* bce_logits                                    */
    float pos_weight_minus_1;  /* (float)(pos_weight - 1)                       */
    float eps;                 /* poisson_nll                                   */
    bool log_input, full;      /* poisson_nll: picks one of four element loops  */
} lossopt_elementwise_args;

/* One call of an elementwise loss with three inputs and two gradients
 * (margin_ranking, gaussian_nll), prepared by dispatch/api_losses.c. */
typedef struct lossopt_elementwise3_args {
    const float *a;            /* margin_ranking: x1; gaussian_nll: input       */
    const float *b;            /* margin_ranking: x2; gaussian_nll: target      */
    const float *c;            /* margin_ranking: y;  gaussian_nll: var         */
    float *loss;               /* NONE: n per-element losses; otherwise NULL    */
    float *grad_a;             /* NULL or n: grad_x1 / grad_input               */
    float *grad_b;             /* NULL or n: grad_x2 / grad_var                 */
    size_t n;
    bool reduce;               /* MEAN or SUM: return the canonical sum          */
    bool full;                 /* gaussian_nll: add the constant                 */
    float grad_scale;          /* c = (float)r                                   */
    float half_grad_scale;     /* gaussian_nll: (float)(0.5 r)                   */
    float parameter;           /* margin_ranking: margin; gaussian_nll: eps      */
    float constant;            /* gaussian_nll: (float)(0.5 log(2 pi))           */
} lossopt_elementwise3_args;

/* ---- the kernels' signatures: one function type each ---------------------
 * A kernel is declared through its type (lossopt_kernel_declarations below),
 * so the file that defines it sees the prototype and the compiler checks the
 * definition against it; a changed signature fails the build, it cannot
 * link and be called through the wrong ABI. */

/* Writes grad (and NONE's per-element losses) and returns the sum of the
 * per-element losses in the canonical order (when reduce), else 0. */
typedef double lossopt_elementwise_fn(const lossopt_elementwise_args *a);

/* The same for the three-input losses: writes grad_a, grad_b (each when
 * non-NULL) and NONE's per-element losses, returns the canonical sum. */
typedef double lossopt_elementwise3_fn(const lossopt_elementwise3_args *a);

/* Nonzero when no element is < 0 (-0 and NaN are not). */
typedef int lossopt_nonnegative_fn(const float *x, size_t n);

/* Nonzero when every prob and target lies in [0, 1] (NaN does not). */
typedef int lossopt_unit_interval_fn(const float *prob, const float *target, size_t n);

/* The row-wise losses, one call each: dispatch/api_*.c validates (every
 * label before anything is written), hoists the per-call scalars (computed
 * in double; formulas of include/lossopt.h) and calls the kernel, which runs
 * the whole per-row algorithm, writes loss (NONE) and grad and returns the
 * double sum, in row order, of the rows' float losses (0 for none). */
typedef struct lossopt_cross_entropy_args {
    const float *logits;
    const int64_t *labels;       /* checked: < classes; negative ignores the row */
    size_t rows, classes;
    const float *weight;         /* NULL or classes floats                       */
    float *loss;                 /* NONE: rows floats; otherwise NULL            */
    float *grad;                 /* NULL or rows x classes                       */
    double divisor;              /* D: the kept weight sum (MEAN), else 1        */
    double weight_sum;           /* W: the class weights summed in order, or C   */
    double smoothing;            /* eps                                           */
    double per_class;            /* eps / C                                       */
    float offset;                /* (float)((eps / C) / D)                        */
    bool smooth;                 /* eps > 0: the smoothing terms exist            */
    bool keep_nll;               /* eps < 1: the NLL term exists                  */
} lossopt_cross_entropy_args;

typedef struct lossopt_cross_entropy_probs_args {
    const float *logits, *targets;
    size_t rows, classes;
    const float *weight;         /* NULL or classes floats                       */
    float *loss;                 /* NONE: rows floats; otherwise NULL            */
    float *grad;                 /* NULL or rows x classes                       */
    bool smoothing;              /* eps > 0                                       */
    float keep, spread;          /* (float)(1 - eps), (float)(eps / C)            */
    float inv_d;                 /* (float)(1 / D), D = rows for MEAN, else 1     */
} lossopt_cross_entropy_probs_args;

typedef struct lossopt_multi_margin_args {
    const float *scores;
    const int64_t *labels;       /* checked: < classes; negative ignores the row */
    size_t rows, classes;
    int p;                       /* 1 or 2                                        */
    float margin;
    const float *weight;         /* NULL or classes floats                       */
    float *loss;                 /* NONE: rows floats; otherwise NULL            */
    float *grad;                 /* NULL or rows x classes                       */
    double divisor;              /* D: the kept rows (MEAN), else 1               */
} lossopt_multi_margin_args;

/* nll on log-probabilities: per kept row loss -(w_y * x_y) and the gradient
 * row, 0 but (float)(-w_y / D) at the label (computed by the kernel, in
 * double); ignored rows: loss 0, gradient row 0. */
typedef struct lossopt_nll_args {
    const float *log_probs;
    const int64_t *labels;       /* checked: < classes; negative ignores the row */
    size_t rows, classes;
    const float *weight;         /* NULL or classes floats                       */
    float *loss;                 /* NONE: rows floats; otherwise NULL            */
    float *grad;                 /* NULL or rows x classes                       */
    double divisor;              /* D: the kept weight sum (MEAN), else 1        */
} lossopt_nll_args;

/* The io forms' conversions (include/lossopt.h, "Losses for engines";
 * dispatch/loss_io.c stages through them): io_widen writes n f32 values
 * of a buffer of dtype (exact; f32 is a copy); io_store_grad stores n
 * gradient terms into a buffer of dtype: term * scale (when scaled), plus
 * the stored value widened (when accumulate), rounded once to nearest even. */
typedef void lossopt_io_widen_fn(lossopt_dtype dtype, const void *src, float *dst, size_t n);
typedef void lossopt_io_store_grad_fn(lossopt_dtype dtype, void *dst, const float *terms,
                                      size_t n, float scale, bool scaled, bool accumulate);

/* multilabel_soft_margin: per row the canonical sum of the element losses
 * (include/lossopt.h), loss_r = (float)(S_r / C) (in double). */
typedef struct lossopt_multilabel_soft_margin_args {
    const float *input, *target; /* rows x classes                              */
    size_t rows, classes;
    const float *weight;         /* NULL or classes floats                       */
    float *loss;                 /* NONE: rows floats; otherwise NULL            */
    float *grad;                 /* NULL or rows x classes                       */
    float grad_scale;            /* c = (float)(1 / (C D)), D = rows for MEAN, else 1 */
} lossopt_multilabel_soft_margin_args;

/* cosine_embedding and triplet_margin: rows x dim inputs, per-row
 * canonical sums over dim, per-row scalars in double (include/lossopt.h),
 * prepared by dispatch/api_embedding.c. Each returns the double sum of the
 * float row losses in row order from +0 (written to loss when not NULL). */
typedef struct lossopt_embedding_args {
    const float *a;              /* cosine: x1;  triplet: anchor                  */
    const float *b;              /* cosine: x2;  triplet: positive                */
    const float *c;              /* cosine: y (rows floats); triplet: negative    */
    float *loss;                 /* NONE: rows floats; otherwise NULL             */
    float *grad_a, *grad_b;      /* NULL or rows x dim                            */
    float *grad_c;               /* triplet: NULL or rows x dim; cosine: unused   */
    size_t rows, dim;
    double scale;                /* r: 1 / rows for MEAN, 1 otherwise             */
    float margin;
    float eps;                   /* triplet only                                  */
    int p;                       /* triplet only: 1 or 2                          */
    bool swap;                   /* triplet only                                  */
} lossopt_embedding_args;

typedef double lossopt_embedding_fn(const lossopt_embedding_args *a);

typedef double lossopt_cross_entropy_fn(const lossopt_cross_entropy_args *a);
typedef double lossopt_nll_fn(const lossopt_nll_args *a);
typedef double lossopt_cross_entropy_probs_fn(const lossopt_cross_entropy_probs_args *a);
typedef double lossopt_multi_margin_fn(const lossopt_multi_margin_args *a);
typedef double lossopt_multilabel_soft_margin_fn(const lossopt_multilabel_soft_margin_args *a);

typedef void lossopt_sgd_fn(float *param, const float *grad, float *momentum_buf, size_t n,
                            const lossopt_sgd_coefficients *c);
typedef void lossopt_rmsprop_fn(float *param, const float *grad, float *square_avg,
                                float *grad_avg, float *momentum_buf, size_t n,
                                const lossopt_rmsprop_coefficients *c);
typedef void lossopt_adam_fn(float *param, const float *grad, float *exp_avg, float *exp_avg_sq,
                             float *max_exp_avg_sq, size_t n, const lossopt_adam_coefficients *c);

/* The engine step's segment kernels: the same update as the _f32 kernels on
 * a segment's buffers of any dtype (include/lossopt.h, "The engine step"). */
typedef void lossopt_sgd_segment_fn(const lossopt_step_segment *s, const lossopt_sgd_coefficients *c);
typedef void lossopt_rmsprop_segment_fn(const lossopt_step_segment *s,
                                        const lossopt_rmsprop_coefficients *c);
typedef void lossopt_adam_segment_fn(const lossopt_step_segment *s, const lossopt_adam_coefficients *c);

/* The 0.2 optimizers have segment kernels only: their _f32 calls are the
 * tensor-list call on one tensor (dispatch/api_step.c). LAMB's two passes:
 * lamb_moments updates exp_avg and exp_avg_sq and, when c->adapt, returns in
 * sums[0], sums[1] the canonical sums of param^2 and u^2 over the segment
 * (else -0, -0); lamb_apply writes param = fma(negative_factor, u, param)
 * with u recomputed from the stored states. */
typedef void lossopt_adagrad_segment_fn(const lossopt_step_segment *s,
                                        const lossopt_adagrad_coefficients *c);
typedef void lossopt_adamax_segment_fn(const lossopt_step_segment *s,
                                       const lossopt_adamax_coefficients *c);
typedef void lossopt_nadam_segment_fn(const lossopt_step_segment *s,
                                      const lossopt_nadam_coefficients *c);
typedef void lossopt_radam_segment_fn(const lossopt_step_segment *s,
                                      const lossopt_radam_coefficients *c);
typedef void lossopt_lion_segment_fn(const lossopt_step_segment *s,
                                     const lossopt_lion_coefficients *c);
typedef void lossopt_lamb_moments_fn(const lossopt_step_segment *s,
                                     const lossopt_lamb_coefficients *c, double sums[2]);
typedef void lossopt_lamb_apply_fn(const lossopt_step_segment *s,
                                   const lossopt_lamb_coefficients *c, float negative_factor);

/* The statistics pass over n grads of one dtype: returns the canonical sum
 * (include/lossopt.h) of the squares g * g rounded to float. */
typedef double lossopt_grad_sumsq_fn(const void *grad, lossopt_dtype dtype, size_t n);

/* ---- the kernel list: every kernel, once ----------------------------------
 * X(name, type, avx512_width) for each kernel. Adding a kernel touches three
 * places: this list, its vector source in kernels/ and its oracle in
 * kernels/scalar/.
 * Each name is defined as
 *   name_scalar                      kernels/scalar/ (the oracle)
 *   name_avx2, name_avx512, name_neon  kernels/<family>.c, written once as
 *                                    KERNEL_NAME(name) (kernels/vec/vec.h)
 * and the table field `name` holds it.
 * avx512_width is what the mixed avx512 table, lossopt_kernels_avx512, runs
 * (kernel_table.c):
 *   ZMM  the 512-bit build, name_avx512;
 *   YMM  the 256-bit build, name_avx2: kernels bound by the divider or the
 *        square root, whose 512-bit forms cost twice the 256-bit ones per
 *        element on Intel cores (so 512-bit Adam lost to AVX2 by 6-9 % in
 *        cache, issue 14). The bits are the same either way (every ISA's are).
 * lossopt_kernels_avx512_zmm holds every kernel's 512-bit build. The
 * dispatcher runs the mixed table on Intel and the zmm one on AMD, whose
 * 512-bit divide costs no more per element (dispatch/dispatch.c). */
#define LOSSOPT_KERNEL_LIST(X)                                      \
    X(sgd_step_f32, lossopt_sgd_fn, ZMM)                            \
    X(rmsprop_step_f32, lossopt_rmsprop_fn, YMM)                    \
    X(adam_step_f32, lossopt_adam_fn, YMM)                          \
    X(sgd_segment, lossopt_sgd_segment_fn, ZMM)                     \
    X(rmsprop_segment, lossopt_rmsprop_segment_fn, YMM)             \
    X(adam_segment, lossopt_adam_segment_fn, YMM)                   \
    X(grad_sumsq, lossopt_grad_sumsq_fn, ZMM)                       \
    X(adagrad_segment, lossopt_adagrad_segment_fn, YMM)             \
    X(adamax_segment, lossopt_adamax_segment_fn, YMM)               \
    X(nadam_segment, lossopt_nadam_segment_fn, YMM)                 \
    X(radam_segment, lossopt_radam_segment_fn, YMM)                 \
    X(lion_segment, lossopt_lion_segment_fn, ZMM)                   \
    X(lamb_moments, lossopt_lamb_moments_fn, YMM)                   \
    X(lamb_apply, lossopt_lamb_apply_fn, ZMM)                       \
    X(mse_f32, lossopt_elementwise_fn, ZMM)                         \
    X(l1_f32, lossopt_elementwise_fn, ZMM)                          \
    X(huber_f32, lossopt_elementwise_fn, ZMM)                       \
    X(smooth_l1_f32, lossopt_elementwise_fn, ZMM)                   \
    X(hinge_f32, lossopt_elementwise_fn, ZMM)                       \
    X(squared_hinge_f32, lossopt_elementwise_fn, ZMM)               \
    X(bce_f32, lossopt_elementwise_fn, ZMM)                         \
    X(bce_logits_f32, lossopt_elementwise_fn, ZMM)                  \
    X(soft_margin_f32, lossopt_elementwise_fn, ZMM)                 \
    X(poisson_nll_f32, lossopt_elementwise_fn, ZMM)                 \
    X(both_in_unit_interval, lossopt_unit_interval_fn, ZMM)         \
    X(margin_ranking_f32, lossopt_elementwise3_fn, ZMM)             \
    X(gaussian_nll_f32, lossopt_elementwise3_fn, YMM)               \
    X(all_nonnegative, lossopt_nonnegative_fn, ZMM)                 \
    X(cross_entropy_f32, lossopt_cross_entropy_fn, ZMM)             \
    X(cross_entropy_probs_f32, lossopt_cross_entropy_probs_fn, ZMM) \
    X(multi_margin_f32, lossopt_multi_margin_fn, ZMM)             \
    X(nll_f32, lossopt_nll_fn, ZMM)                               \
    X(kl_div_f32, lossopt_elementwise_fn, ZMM)                    \
    X(kl_div_log_target_f32, lossopt_elementwise_fn, ZMM)         \
    X(io_widen, lossopt_io_widen_fn, ZMM)                         \
    X(io_store_grad, lossopt_io_store_grad_fn, ZMM)               \
    X(multilabel_soft_margin_f32, lossopt_multilabel_soft_margin_fn, ZMM) \
    X(cosine_embedding_f32, lossopt_embedding_fn, ZMM)            \
    X(triplet_margin_f32, lossopt_embedding_fn, ZMM)

/* One table per ISA: a pointer to each kernel of the list (smooth_l1_f32 is
 * called with beta > 0; beta == 0 runs l1_f32). */
typedef struct lossopt_kernel_table {
    lossopt_isa isa;
#define LOSSOPT_TABLE_FIELD(name, type, avx512_width) type *name;
    LOSSOPT_KERNEL_LIST(LOSSOPT_TABLE_FIELD)
#undef LOSSOPT_TABLE_FIELD
} lossopt_kernel_table;

/* The tables compiled into the library (see CMakeLists.txt). The
 * dispatcher only references those whose LOSSOPT_HAVE_<ISA> is defined. */
extern const lossopt_kernel_table lossopt_kernels_scalar;
extern const lossopt_kernel_table lossopt_kernels_scalar_nofma; /* x86 only */
extern const lossopt_kernel_table lossopt_kernels_avx2;
extern const lossopt_kernel_table lossopt_kernels_avx512;     /* mixed: YMM rows at 256 bits */
extern const lossopt_kernel_table lossopt_kernels_avx512_zmm; /* all 512-bit */
extern const lossopt_kernel_table lossopt_kernels_neon;

#endif /* LOSSOPT_KERNEL_TABLE_H */

/* dispatch/lossopt_internal.h - internal (not installed) entry points for the
 * tests and benchmarks: run one ISA's kernel without touching the global
 * choice, and inspect the dispatcher. Link the static library to use them. */
#ifndef LOSSOPT_INTERNAL_H
#define LOSSOPT_INTERNAL_H

#include "lossopt.h"
#include "kernel_table.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bit (1u << isa) for each ISA compiled into this library. */
unsigned lossopt_built_isas(void);

/* The kernel table of isa, or NULL if isa is not supported (built and
 * runnable). */
const lossopt_kernel_table *lossopt_kernel_table_for(lossopt_isa isa);

/* The two AVX-512 tables (kernels/kernel_table.c), each NULL when AVX-512 is
 * not built or the CPU lacks it: _zmm, every kernel's 512-bit build; _mixed,
 * the divide- and sqrt-bound kernels at 256 bits. lossopt_kernel_table_for
 * (AVX512) is the one the dispatcher picked for this CPU (dispatch.c:
 * zmm on AMD, mixed elsewhere); the tests and the bench run both. */
const lossopt_kernel_table *lossopt_kernel_table_avx512_zmm(void);
const lossopt_kernel_table *lossopt_kernel_table_avx512_mixed(void);

/* "zmm" or "mixed": the avx512 table the dispatcher picked; NULL when
 * AVX-512 is not supported. */
const char *lossopt_avx512_table_name(void);

/* Whether the scalar variant (the oracle every test compares with) uses
 * SLEEF's FMA-family functions on this CPU (lossopt_kernels_scalar), or the
 * purec build (lossopt_kernels_scalar_nofma: x86 without FMA). The tests take
 * the oracle from lossopt_kernel_table_for(LOSSOPT_ISA_SCALAR). */
bool lossopt_oracle_uses_fma(void);

/* The table the public API uses now, or NULL when LOSSOPT_ISA forced an
 * unknown or unsupported ISA (every public call returns LOSSOPT_ERR_ISA). */
const lossopt_kernel_table *lossopt_active_table(void);

/* The same validation, coefficient hoisting and kernel as the public calls,
 * on the given ISA; LOSSOPT_ERR_ISA if it is not supported. */
lossopt_status lossopt_sgd_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                        float *momentum_buf, size_t n,
                                        const lossopt_sgd_config *cfg, int64_t step);
lossopt_status lossopt_rmsprop_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                            float *square_avg, float *grad_avg,
                                            float *momentum_buf, size_t n,
                                            const lossopt_rmsprop_config *cfg);
lossopt_status lossopt_adam_step_f32_isa(lossopt_isa isa, float *param, const float *grad,
                                         float *exp_avg, float *exp_avg_sq,
                                         float *max_exp_avg_sq, size_t n,
                                         const lossopt_adam_config *cfg, int64_t step);

/* The same again with an explicit kernel table (NULL -> LOSSOPT_ERR_ISA):
 * lets a test run a table the dispatcher does not know, such as the
 * SIMDe-emulated AVX-512 kernels. */
lossopt_status lossopt_sgd_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                               const float *grad, float *momentum_buf, size_t n,
                                               const lossopt_sgd_config *cfg, int64_t step);
lossopt_status lossopt_rmsprop_step_f32_with_table(const lossopt_kernel_table *table,
                                                   float *param, const float *grad,
                                                   float *square_avg, float *grad_avg,
                                                   float *momentum_buf, size_t n,
                                                   const lossopt_rmsprop_config *cfg);
lossopt_status lossopt_adam_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                                const float *grad, float *exp_avg,
                                                float *exp_avg_sq, float *max_exp_avg_sq,
                                                size_t n, const lossopt_adam_config *cfg,
                                                int64_t step);

/* The tensor-list steps and the statistics pass with an explicit kernel
 * table (NULL -> LOSSOPT_ERR_ISA): the same validation, tasks and kernels
 * as the public calls. */
lossopt_status lossopt_sgd_step_with_table(const lossopt_kernel_table *table,
                                           const lossopt_sgd_config *cfg, lossopt_tensor *t,
                                           size_t count, int64_t step,
                                           const lossopt_step_options *opt,
                                           lossopt_step_report *report);
lossopt_status lossopt_rmsprop_step_with_table(const lossopt_kernel_table *table,
                                               const lossopt_rmsprop_config *cfg,
                                               lossopt_tensor *t, size_t count, int64_t step,
                                               const lossopt_step_options *opt,
                                               lossopt_step_report *report);
lossopt_status lossopt_adam_step_with_table(const lossopt_kernel_table *table,
                                            const lossopt_adam_config *cfg, lossopt_tensor *t,
                                            size_t count, int64_t step,
                                            const lossopt_step_options *opt,
                                            lossopt_step_report *report);

/* The 0.2 optimizers with one kernel table (dispatch/api_more_optimizers.c). */
lossopt_status lossopt_adagrad_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *sum, size_t n,
                                              const lossopt_adagrad_config *cfg, int64_t step);
lossopt_status lossopt_adagrad_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_adagrad_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report);
lossopt_status lossopt_adamax_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, float *exp_inf, size_t n,
                                              const lossopt_adamax_config *cfg, int64_t step);
lossopt_status lossopt_adamax_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_adamax_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report);
lossopt_status lossopt_radam_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, float *exp_avg_sq, size_t n,
                                              const lossopt_radam_config *cfg, int64_t step);
lossopt_status lossopt_radam_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_radam_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report);
lossopt_status lossopt_lion_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, size_t n,
                                              const lossopt_lion_config *cfg, int64_t step);
lossopt_status lossopt_lion_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_lion_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report);
lossopt_status lossopt_lamb_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                              const float *grad, float *exp_avg, float *exp_avg_sq, size_t n,
                                              const lossopt_lamb_config *cfg, int64_t step);
lossopt_status lossopt_lamb_step_with_table(const lossopt_kernel_table *table,
                                          const lossopt_lamb_config *cfg, lossopt_tensor *t,
                                          size_t count, int64_t step,
                                          const lossopt_step_options *opt,
                                          lossopt_step_report *report);
lossopt_status lossopt_nadam_step_f32_with_table(const lossopt_kernel_table *table, float *param,
                                                const float *grad, float *exp_avg,
                                                float *exp_avg_sq, double *mu_product, size_t n,
                                                const lossopt_nadam_config *cfg, int64_t step);
lossopt_status lossopt_nadam_step_with_table(const lossopt_kernel_table *table,
                                            const lossopt_nadam_config *cfg, double *mu_products,
                                            lossopt_tensor *t, size_t count, int64_t step,
                                            const lossopt_step_options *opt,
                                            lossopt_step_report *report);

lossopt_status lossopt_grad_stats_with_table(const lossopt_kernel_table *table,
                                             const lossopt_tensor *t, size_t count,
                                             lossopt_dtype grad, const lossopt_parallel *parallel,
                                             double *sum_sq, bool *nonfinite);

/* The elementwise losses, for tests and benchmarks that treat them alike. */
typedef enum lossopt_loss_kind {
    LOSSOPT_LOSS_MSE, LOSSOPT_LOSS_L1, LOSSOPT_LOSS_HUBER, LOSSOPT_LOSS_SMOOTH_L1,
    LOSSOPT_LOSS_HINGE, LOSSOPT_LOSS_SQUARED_HINGE, LOSSOPT_LOSS_BCE, LOSSOPT_LOSS_BCE_LOGITS,
    LOSSOPT_LOSS_SOFT_MARGIN, LOSSOPT_LOSS_POISSON_NLL,
    LOSSOPT_LOSS_KL_DIV, LOSSOPT_LOSS_KL_DIV_LOG_TARGET, /* n = rows here (one column) */
    LOSSOPT_LOSS_KIND_COUNT
} lossopt_loss_kind;

/* Any elementwise loss with an explicit kernel table (NULL -> LOSSOPT_ERR_ISA;
 * lossopt_kernel_table_for(isa) picks one ISA): the same validation and kernel
 * as the public function. parameter is huber's delta, smooth_l1's beta,
 * bce_logits' pos_weight or poisson_nll's eps (ignored otherwise); weight is
 * used by bce and bce_logits only. poisson_nll runs here with log_input and
 * full false; the _ex form takes them as flags. */
lossopt_status lossopt_elementwise_loss_f32_with_table(
    const lossopt_kernel_table *table, lossopt_loss_kind kind, const float *input,
    const float *target, const float *weight, size_t n, float parameter, lossopt_reduction r,
    float *loss, float *grad);

/* The same with the boolean options of the losses that have them (ignored
 * by the others). */
enum { LOSSOPT_LOSS_LOG_INPUT = 1u, LOSSOPT_LOSS_FULL = 2u }; /* poisson_nll */
lossopt_status lossopt_elementwise_loss_ex_f32_with_table(
    const lossopt_kernel_table *table, lossopt_loss_kind kind, const float *input,
    const float *target, const float *weight, size_t n, float parameter, unsigned flags,
    lossopt_reduction r, float *loss, float *grad);

/* lossopt_kl_div_f32 with an explicit kernel table. */
lossopt_status lossopt_kl_div_f32_with_table(const lossopt_kernel_table *table,
                                             const float *input, const float *target, size_t rows,
                                             size_t cols, bool log_target, lossopt_reduction r,
                                             float *loss, float *grad);

/* lossopt_nll_f32 with an explicit kernel table. */
lossopt_status lossopt_nll_f32_with_table(const lossopt_kernel_table *table,
                                          const float *log_probs, const int64_t *labels,
                                          size_t rows, size_t classes,
                                          const lossopt_ce_options *opt, float *loss, float *grad);

/* The elementwise losses with three inputs and two gradients. */
typedef enum lossopt_loss3_kind {
    LOSSOPT_LOSS3_MARGIN_RANKING, /* a, b, c = x1, x2, y; parameter = margin   */
    LOSSOPT_LOSS3_GAUSSIAN_NLL,   /* a, b, c = input, target, var; eps, full    */
    LOSSOPT_LOSS3_KIND_COUNT
} lossopt_loss3_kind;

/* lossopt_margin_ranking_f32 / lossopt_gaussian_nll_f32 with an explicit
 * kernel table (NULL -> LOSSOPT_ERR_ISA): the same validation and kernel as
 * the public functions. full is used by gaussian_nll only. */
lossopt_status lossopt_loss3_f32_with_table(const lossopt_kernel_table *table,
                                            lossopt_loss3_kind kind, const float *a,
                                            const float *b, const float *c, size_t n,
                                            float parameter, bool full, lossopt_reduction r,
                                            float *loss, float *grad_a, float *grad_b);

/* lossopt_cross_entropy_f32 with an explicit kernel table. */
lossopt_status lossopt_cross_entropy_f32_with_table(const lossopt_kernel_table *table,
                                                    const float *logits, const int64_t *labels,
                                                    size_t rows, size_t classes,
                                                    const lossopt_ce_options *opt, float *loss,
                                                    float *grad);

/* lossopt_cross_entropy_probs_f32 and lossopt_multi_margin_f32 with an
 * explicit kernel table. */
lossopt_status lossopt_cross_entropy_probs_f32_with_table(const lossopt_kernel_table *table,
                                                          const float *logits,
                                                          const float *target_probs, size_t rows,
                                                          size_t classes,
                                                          const lossopt_ce_options *opt,
                                                          float *loss, float *grad);
lossopt_status lossopt_multi_margin_f32_with_table(const lossopt_kernel_table *table,
                                                   const float *scores, const int64_t *labels,
                                                   size_t rows, size_t classes, int p,
                                                   float margin, const float *class_weight,
                                                   lossopt_reduction r, float *loss, float *grad);

/* lossopt_multilabel_soft_margin (the io form) with an explicit kernel table. */
lossopt_status lossopt_multilabel_soft_margin_io_with_table(
    const lossopt_kernel_table *table, const void *input, const float *target, size_t rows,
    size_t classes, const float *class_weight, lossopt_reduction r, const lossopt_loss_io *io,
    float *loss, void *grad);

/* lossopt_multilabel_soft_margin_f32 with an explicit kernel table. */
lossopt_status lossopt_multilabel_soft_margin_f32_with_table(
    const lossopt_kernel_table *table, const float *input, const float *target, size_t rows,
    size_t classes, const float *class_weight, lossopt_reduction r, float *loss, float *grad);

/* lossopt_cosine_embedding and lossopt_triplet_margin (the io forms) with an
 * explicit kernel table. */
lossopt_status lossopt_cosine_embedding_io_with_table(const lossopt_kernel_table *table,
                                                      const void *x1, const void *x2,
                                                      const float *y, size_t rows, size_t dim,
                                                      float margin, lossopt_reduction r,
                                                      const lossopt_loss_io *io, float *loss,
                                                      void *grad_x1, void *grad_x2);
lossopt_status lossopt_triplet_margin_io_with_table(
    const lossopt_kernel_table *table, const void *anchor, const void *positive,
    const void *negative, size_t rows, size_t dim, float margin, int p, float eps, bool swap,
    lossopt_reduction r, const lossopt_loss_io *io, float *loss, void *grad_anchor,
    void *grad_positive, void *grad_negative);

/* lossopt_cosine_embedding_f32 and lossopt_triplet_margin_f32 with an
 * explicit kernel table. */
lossopt_status lossopt_cosine_embedding_f32_with_table(const lossopt_kernel_table *table,
                                                       const float *x1, const float *x2,
                                                       const float *y, size_t rows, size_t dim,
                                                       float margin, lossopt_reduction r,
                                                       float *loss, float *grad_x1,
                                                       float *grad_x2);
lossopt_status lossopt_triplet_margin_f32_with_table(
    const lossopt_kernel_table *table, const float *anchor, const float *positive,
    const float *negative, size_t rows, size_t dim, float margin, int p, float eps, bool swap,
    lossopt_reduction r, float *loss, float *grad_anchor, float *grad_positive,
    float *grad_negative);

/* A one-line description of the CPU feature bits the dispatcher read. */
void lossopt_describe_cpu(char *buffer, unsigned long size);

/* ---- the io forms with an explicit kernel table (include/lossopt.h,
 * "Losses for engines"); the _f32 _with_table calls are these with io NULL. */
lossopt_status lossopt_elementwise_loss_io_with_table(
    const lossopt_kernel_table *table, lossopt_loss_kind kind, const void *input,
    const float *target, const float *weight, size_t n, float parameter, unsigned flags,
    lossopt_reduction r, const lossopt_loss_io *io, float *loss, void *grad);
lossopt_status lossopt_kl_div_io_with_table(const lossopt_kernel_table *table, const void *input,
                                            const float *target, size_t rows, size_t cols,
                                            bool log_target, lossopt_reduction r,
                                            const lossopt_loss_io *io, float *loss, void *grad);
lossopt_status lossopt_loss3_io_with_table(const lossopt_kernel_table *table,
                                           lossopt_loss3_kind kind, const void *a, const void *b,
                                           const void *c, size_t n, float parameter, bool full,
                                           lossopt_reduction r, const lossopt_loss_io *io,
                                           float *loss, void *grad_a, void *grad_b);
lossopt_status lossopt_cross_entropy_io_with_table(const lossopt_kernel_table *table,
                                                   const void *logits, const void *labels,
                                                   size_t rows, size_t classes,
                                                   const lossopt_ce_options *opt,
                                                   const lossopt_loss_io *io, float *loss,
                                                   void *grad);
lossopt_status lossopt_cross_entropy_probs_io_with_table(const lossopt_kernel_table *table,
                                                         const void *logits,
                                                         const float *target_probs, size_t rows,
                                                         size_t classes,
                                                         const lossopt_ce_options *opt,
                                                         const lossopt_loss_io *io, float *loss,
                                                         void *grad);
lossopt_status lossopt_nll_io_with_table(const lossopt_kernel_table *table, const void *log_probs,
                                         const void *labels, size_t rows, size_t classes,
                                         const lossopt_ce_options *opt, const lossopt_loss_io *io,
                                         float *loss, void *grad);
lossopt_status lossopt_multi_margin_io_with_table(const lossopt_kernel_table *table,
                                                  const void *scores, const void *labels,
                                                  size_t rows, size_t classes, int p,
                                                  float margin, const float *class_weight,
                                                  lossopt_reduction r, const lossopt_loss_io *io,
                                                  float *loss, void *grad);

#ifdef __cplusplus
}
#endif

#endif /* LOSSOPT_INTERNAL_H */

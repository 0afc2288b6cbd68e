#!/usr/bin/env python3
"""fuzz/gen_corpus.py - writes the small committed seed corpus of each fuzzer
(fuzz/corpus/<fuzzer>/seed_*). The byte layouts are those read by
fuzz/fuzz_*.c: selectors < 224 pick from the tables in fuzz/fuzz_common.h
(hyper-parameters: 0 -> 0, 2 -> 1e-3, 3 -> 1e-2 (float), 4 -> 0.1 (float),
5 -> 0.5, 6 -> 0.9, 7 -> 0.99, 8 -> 0.999, 9 -> 1, 13 -> 1e-8, 19 -> NaN,
23 -> -1; the 0.2 optimizers' reader rd_hyper_more also maps 224 + k to
fuzz_hyper_more_doubles[k]: 224 -> 4e-3, 225 -> 1e-10, 226 -> 10,
227 -> 2e-3, 228 -> 1e-4, 231 -> 0.01, 232 -> 1e-6; steps: 0 -> 1, 1 -> 2,
2 -> 3, 5 -> 10, 7 -> 1000, 9 -> 0, 11 -> INT64_MAX; NAdam mu_product
selectors: < 96 -> 1.0, 96..159 -> the product a run holds before the
step, 160 + k -> table[k] (8 -> 0.0, 11 -> NaN, 14 -> 2.0)).

Only seeds are added over time; the existing ones stay byte for byte (the
fuzzers read optimizer bytes 0..2 as sgd/rmsprop/adam as before)."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def floats(mode, seed, scale=48, data=b""):
    # mode: 0 raw, 1 table, 2 uniform [-s, s], 3 mixed, 4 unit interval, 5 constant
    return bytes([mode]) + struct.pack("<Q", seed) + bytes([scale]) + data


def raw(*values):
    return b"".join(struct.pack("<f", v) for v in values)


def write(fuzzer, name, blob):
    d = os.path.join(here, "corpus", fuzzer)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


def opt_seed(opt, flags, n, hypers, step_sel, modes, extra=b"", null_mask=0):
    # opt: 0 sgd, 1 rmsprop, 2 adam, 3 adagrad, 4 adamax, 5 nadam, 6 radam,
    # 7 lion, 8 lamb. extra: NAdam's mu_product selector, Lion's tiny-c byte
    # (bits 0-1: 1 cancel, 2 scale by 2^-(100 + bits 2-7), 3 both).
    head = bytes([opt, flags, null_mask, 1]) + struct.pack("<H", n) + bytes(hypers)
    if opt != 1:
        head += bytes([step_sel])
    return head + extra + b"".join(floats(m, 1000 + i) for i, m in enumerate(modes))


fz = "fuzz_optimizers"
write(fz, "seed_sgd_momentum", opt_seed(0, 0, 37, [3, 6, 0, 2], 1, [3, 3, 3, 3, 3]))
write(fz, "seed_sgd_nesterov", opt_seed(0, 1 | 2, 100, [4, 6, 0, 0], 0, [2, 2, 2, 2, 2]))
write(fz, "seed_rmsprop_centered", opt_seed(1, 1, 65, [3, 7, 13, 2, 6], 0, [3, 3, 4, 3, 3]))
write(fz, "seed_adam_amsgrad", opt_seed(2, 2, 129, [2, 6, 8, 13, 3], 5, [3, 3, 3, 4, 4]))
write(fz, "seed_adamw_specials", opt_seed(2, 1 | 4, 19, [2, 6, 8, 13, 3], 11, [1, 1, 1, 1, 1]))
write(fz, "seed_adam_bad_beta", opt_seed(2, 0, 8, [2, 9, 8, 13, 0], 0, [3, 3, 3, 3, 3]))
write(fz, "seed_sgd_step0", opt_seed(0, 0, 8, [3, 6, 0, 0], 9, [3, 3, 3, 3, 3]))
# the 0.2 optimizers
M3 = [3, 3, 3, 3, 3]
write(fz, "seed_adagrad_lr_decay_iav", opt_seed(3, 2, 77, [3, 2, 0, 4, 225], 5, M3))  # sum = 0.1
write(fz, "seed_adagrad_maximize_wd", opt_seed(3, 1, 300, [4, 0, 3, 0, 13], 1, [2, 2, 4, 3, 3]))
write(fz, "seed_adamax", opt_seed(4, 0, 129, [227, 6, 8, 13, 0], 2, [3, 3, 3, 4, 3]))
write(fz, "seed_adamax_specials", opt_seed(4, 1, 19, [227, 6, 8, 13, 3], 0, [1, 1, 1, 1, 1]))
write(fz, "seed_nadam_run_product", opt_seed(5, 0, 100, [227, 6, 8, 13, 0, 224], 5, M3, bytes([100])))
write(fz, "seed_nadamw_first_step", opt_seed(5, 1, 33, [227, 6, 8, 13, 3, 224], 0, M3, bytes([0])))
write(fz, "seed_nadam_mu_zero", opt_seed(5, 2, 17, [227, 0, 8, 13, 0, 224], 1, M3, bytes([168])))
write(fz, "seed_nadam_mu_nan", opt_seed(5, 0, 8, [227, 6, 8, 13, 0, 224], 1, M3, bytes([171])))
write(fz, "seed_nadam_mu_above_1", opt_seed(5, 0, 8, [227, 6, 8, 13, 0, 224], 1, M3, bytes([174])))
write(fz, "seed_nadam_mu_null", opt_seed(5, 0, 8, [227, 6, 8, 13, 0, 224], 1, M3, bytes([0]), 0xA0))
write(fz, "seed_radam_rectified", opt_seed(6, 0, 200, [2, 6, 8, 13, 0], 5, M3))  # rho_t ~ 11
write(fz, "seed_radamw_unrectified", opt_seed(6, 1 | 2, 65, [2, 6, 8, 13, 3], 2, M3))  # rho_t ~ 3
write(fz, "seed_lion_tiny_cancel", opt_seed(7, 0, 64, [228, 6, 7, 0], 0, M3, bytes([1])))
write(fz, "seed_lion_subnormal", opt_seed(7, 1, 40, [228, 6, 7, 231], 1, M3, bytes([2 | 40 << 2])))  # 2^-140
write(fz, "seed_lion_from_end_tiny", opt_seed(7, 0, 33, [228, 5, 7, 0], 0, [1, 1, 1, 3, 3],
                                              bytes([3 | 40 << 2])))  # 1 - beta1 = 0.5
write(fz, "seed_lamb_defaults", opt_seed(8, 1, 257, [2, 6, 8, 232, 231, 0], 5, M3))
write(fz, "seed_lamb_adapt_trust_cap", opt_seed(8, 1 | 2, 1000, [2, 6, 8, 232, 0, 226], 0, [3, 2, 3, 4, 3]))
write(fz, "seed_lamb_no_bias_correction_max", opt_seed(8, 4, 31, [2, 6, 8, 13, 3, 9], 7, M3))

fz = "fuzz_elementwise_losses"


def ew_seed(kind, flags, n, hyper, red, modes):
    return (bytes([kind, flags, 0]) + struct.pack("<H", n) + bytes([hyper, red])
            + b"".join(floats(m, 2000 + i) for i, m in enumerate(modes)))


write(fz, "seed_mse_mean", ew_seed(0, 0, 300, 0, 0, [3, 3, 3, 5, 5]))
write(fz, "seed_l1_none_raw", ew_seed(1, 0, 4, 0, 2, [0, 0, 3, 5, 5])[:-20]
      + floats(0, 1, 48, raw(1.0, -0.0, float("nan"), 3.5)) + floats(0, 2, 48, raw(1.0, 0.0, 1.0, float("inf"))))
write(fz, "seed_huber_sum", ew_seed(2, 0, 77, 9, 1, [3, 3, 3, 5, 5]))
write(fz, "seed_smooth_l1_beta0", ew_seed(3, 4, 33, 0, 0, [2, 2, 3, 5, 5]))
write(fz, "seed_hinge_none", ew_seed(4, 0, 17, 0, 2, [1, 1, 3, 5, 5]))
write(fz, "seed_sq_hinge", ew_seed(5, 2, 260, 0, 1, [3, 1, 3, 5, 5]))
write(fz, "seed_bce_weight", ew_seed(6, 1, 70, 0, 0, [4, 4, 3, 5, 5]))
write(fz, "seed_bce_logits_pw", ew_seed(7, 1, 513, 27, 2, [3, 4, 3, 5, 5]))

fz = "fuzz_pairwise_losses"


def pw_seed(kind, flags, n, hyper, red, modes):
    # kind 0 margin_ranking, 1 gaussian_nll; flags bit6 full, bit4 |var|
    return (bytes([kind, flags, 0]) + struct.pack("<H", n) + bytes([hyper, red])
            + b"".join(floats(m, 4000 + i) for i, m in enumerate(modes)))


write(fz, "seed_margin_ranking_mean", pw_seed(0, 0, 300, 0, 0, [3, 3, 1, 5, 5, 5]))
write(fz, "seed_margin_ranking_none_grad_b", pw_seed(0, 1 | 2, 77, 16, 2, [2, 2, 3, 5, 5, 5]))
write(fz, "seed_gaussian_nll_mean", pw_seed(1, 16, 257, 26, 0, [3, 3, 4, 5, 5, 5]))
write(fz, "seed_gaussian_nll_full_none", pw_seed(1, 16 | 64, 33, 0, 2, [2, 2, 4, 5, 5, 5]))
write(fz, "seed_gaussian_nll_negative_var", pw_seed(1, 4, 40, 26, 1, [3, 3, 2, 5, 5, 5]))

fz = "fuzz_embedding_losses"


def emb_seed(kind, flags, p_sel, rows, dim, margin, eps, red, modes):
    # kind 0 cosine_embedding, 1 triplet_margin; flags bit0..3 NULL loss/g1/g2/g3,
    # bit4 swap; p_sel % 4: 0 -> p 1, 1 or 2 -> p 2
    return (bytes([kind, flags, 0, p_sel]) + struct.pack("<HH", rows, dim)
            + bytes([margin, eps, red])
            + b"".join(floats(m, 5000 + i) for i, m in enumerate(modes)))


write(fz, "seed_cosine_mean", emb_seed(0, 0, 0, 9, 33, 0, 0, 0, [3, 3, 1, 5, 5, 5, 5]))
write(fz, "seed_cosine_none_grad_x2", emb_seed(0, 1 | 2, 0, 5, 17, 5, 0, 2,
                                               [2, 2, 1, 5, 5, 5, 5]))
write(fz, "seed_triplet_p2_swap_mean", emb_seed(1, 16, 1, 7, 20, 9, 4, 0, [2, 2, 2, 5, 5, 5, 5]))
write(fz, "seed_triplet_p1_sum_no_grad_a", emb_seed(1, 2, 0, 4, 257, 5, 0, 1,
                                                    [3, 3, 3, 5, 5, 5, 5]))
write(fz, "seed_triplet_bad_p", emb_seed(1, 0, 3, 3, 8, 9, 4, 0, [2, 2, 2, 5, 5, 5, 5]))

fz = "fuzz_rowwise_losses"


def row_seed(fam, flags, rows, classes, red, eps_sel, p_sel, margin_sel, modes, label_mode):
    head = (bytes([fam, flags, 0, 0]) + struct.pack("<HH", rows, classes)
            + bytes([red, eps_sel, p_sel, margin_sel]))
    body = floats(modes[0], 3000)
    if fam in (1, 3):
        body += floats(4, 3001)
    else:
        body += bytes([label_mode]) + struct.pack("<Q", 3001)
    body += b"".join(floats(m, 3002 + i) for i, m in enumerate(modes[1:]))
    return head + body


write(fz, "seed_ce_mean", row_seed(0, 0, 8, 10, 0, 0, 0, 9, [3, 3, 5, 5], 2))
write(fz, "seed_ce_smooth_weight", row_seed(0, 1, 5, 33, 2, 4, 0, 9, [3, 4, 5, 5], 2))
write(fz, "seed_ce_bad_label", row_seed(0, 0, 4, 7, 1, 0, 0, 9, [3, 4, 5, 5], 1)[:-0 or None])
write(fz, "seed_ce_probs", row_seed(1, 0, 6, 17, 0, 4, 0, 9, [3, 4, 5, 5], 0))
write(fz, "seed_ce_probs_wide", row_seed(1, 1, 1, 1000, 2, 0, 0, 9, [2, 4, 5, 5], 0))
write(fz, "seed_margin_p1", row_seed(2, 0, 9, 5, 0, 0, 0, 9, [3, 4, 5, 5], 2))
write(fz, "seed_margin_p2_w", row_seed(2, 1, 3, 40, 2, 0, 1, 5, [1, 4, 5, 5], 3))
# multilabel_soft_margin (family 3): targets as floats, like cross_entropy_probs
write(fz, "seed_multilabel_mean", row_seed(3, 0, 9, 13, 0, 0, 0, 9, [3, 4, 5, 5], 0))
write(fz, "seed_multilabel_none_weight", row_seed(3, 1, 3, 300, 2, 0, 0, 9, [2, 4, 5, 5], 0))
write(fz, "seed_multilabel_specials_sum", row_seed(3, 1 | 4, 5, 17, 1, 0, 0, 9, [1, 1, 5, 5], 0))

fz = "fuzz_engine_step"
# The layout of fuzz/fuzz_engine_step.c: public-ISA and pool choice bytes,
# optimizer, flags, call byte (bit 0 skip_nonfinite), the hyper selectors,
# the step selector, loss_scale / grad_multiplier / max_grad_norm selectors
# (< 96 off; 96 + k: 1, 1024, 65536, 0.5, 0.25, 2, 2^-24, ..., k = 15 1e-3;
# 210 -> -1, 211 -> NaN), dtypes of param, grad, state, param_copy
# (0 f32, 1 bf16, 2 f16, 250+ outside the enum), rounding (0 nearest, 1
# stochastic), seed selector (< 128: 0, 1, 7, 2024, ...), grad_stats flags,
# the finite byte (bit 0: no inf/NaN grads, bit 1: nor in the other buffers),
# the tensor count, per tensor u16 n (0xFCxx: a big tensor, 0xFFxx: n whose
# bytes overflow), a flags byte (bit 0 param copy; bits 1-2 own step: 1 a step
# selector follows; bits 3-4 sr_stream: 1 one byte follows; bits 5-6
# sr_offset: 1 near 2^32 (k, u16 d), 3 u16; bit 7 a NULL mask follows) and
# its optional fields; then each present buffer's data (tensor by tensor:
# param, grad, state0..2, copy), 16-bit ones followed by a conversion byte.
F32, BF16, F16 = 0, 1, 2
OFF = 0


def fac(k):  # valid factor k of the table
    return 96 + k


def engine_seed(opt, flags, call, hypers, step_sel, factors, dtypes, rounding, seed_sel,
                tensors, stats_flags=0, public=0, pool=0, mode=3, finite=0, opt_extra=b""):
    """tensors: list of (n_u16, tf, extra_bytes, null_mask or None[, NAdam's
    mu_product selector]). opt_extra follows the hyper selectors (NAdam: the
    mu_products-NULL byte, >= 240 NULL)."""
    head = bytes([public, pool, opt, flags, call]) + bytes(hypers) + opt_extra + bytes([step_sel])
    head += bytes(factors) + bytes(dtypes)
    head += bytes([rounding, seed_sel, stats_flags, finite, len(tensors)])
    body = b""
    param, grad, state, copy = dtypes
    bufs = [param, grad, state, state, state, copy]
    for i, (n, tf, extra, mask, *mu) in enumerate(tensors):
        head += struct.pack("<H", n) + bytes([tf]) + extra
        if tf & 0x80:
            head += bytes([mask])
        if opt == 5:
            head += bytes([mu[0] if mu else 0])
        if n >= 0xFF00:
            continue
        size = n if n < 0xFC00 else None
        if size == 0:
            continue
        for b, d in enumerate(bufs):
            if b == 5 and not tf & 1:
                continue
            if tf & 0x80 and (mask >> b) & 1:
                continue
            body += floats(mode, 4000 + 10 * i + b, 40)
            if d in (BF16, F16):
                body += bytes([0])  # converted to nearest
    return head + body


adam_h = [2, 6, 8, 13, 0]  # lr 1e-3, 0.9, 0.999, 1e-8, wd 0
write(fz, "seed_sgd_f32_lists", engine_seed(
    0, 0, 0, [3, 6, 0, 2], 1, [OFF, OFF, OFF], [F32, F32, F32, F32], 0, 0,
    [(37, 0, b"", None), (0, 0, b"", None), (300, 1, b"", None)], finite=1))
write(fz, "seed_adam_bf16_grad_clip", engine_seed(
    2, 0, 1, adam_h, 2, [fac(1), OFF, fac(3)], [F32, BF16, F32, BF16], 0, 0,
    [(129, 1, b"", None), (7, 1, b"", None), (513, 1, b"", None)], mode=2))  # uniform: clips
write(fz, "seed_adamw_all_bf16_sr", engine_seed(
    2, 1 | 2, 0, [3, 6, 7, 13, 4], 1, [OFF, OFF, OFF], [BF16, BF16, BF16, F32], 1, 3,
    [(200, 0x20 | 0x02, bytes([2]) + bytes([0]) + struct.pack("<H", 100), None),  # own step 3, offset 2^32-100
     (64, 0x08, bytes([5]), None),                                              # sr_stream 5
     (333, 0x60, struct.pack("<H", 7), None)]))                                # offset 7
write(fz, "seed_rmsprop_f16_state", engine_seed(
    1, 1, 0, [3, 7, 13, 2, 6], 0, [OFF, fac(3), OFF], [F32, F16, F16, F16], 0, 0,
    [(77, 1, b"", None), (256, 0, b"", None), (1, 1, b"", None)], finite=3))
write(fz, "seed_sgd_big_tensor_sr", engine_seed(
    0, 1, 0, [3, 6, 0, 0], 2, [fac(2), OFF, fac(0)], [BF16, F32, BF16, F16], 1, 4,
    [(0xFC06, 0x20, bytes([0]) + struct.pack("<H", 5000), None), (600, 1, b"", None)], pool=2,
    mode=2))  # 2^17 + 1 elements from 2^32 - 5000 on; uniform data: the step runs
write(fz, "seed_adam_skip_nonfinite", engine_seed(
    2, 2, 1, adam_h, 0, [fac(1), OFF, OFF], [F32, F16, F32, F32], 0, 0,
    [(50, 0, b"", None), (90, 0, b"", None)], mode=1))
write(fz, "seed_adam_null_state_t2", engine_seed(
    2, 0, 0, adam_h, 0, [OFF, OFF, OFF], [F32, BF16, F32, F32], 0, 0,
    [(10, 0, b"", None), (10, 0, b"", None), (10, 0x80, b"", 1 << 3)]))
write(fz, "seed_sgd_bad_dtype", engine_seed(
    0, 0, 0, [3, 0, 0, 0], 0, [OFF, fac(2), OFF], [F32, F32, 250, F32], 0, 0,
    [(20, 1, b"", None), (3, 0, b"", None)]))

# the 0.2 optimizers' list calls (optimizer 3 adagrad .. 8 lamb)
write(fz, "seed_adagrad_bf16_param_sr", engine_seed(
    3, 0, 0, [3, 2, 0, 0, 225], 1, [OFF, OFF, OFF], [BF16, F32, F32, F32], 1, 2,
    [(100, 1, b"", None), (0, 0, b"", None), (37, 0, b"", None)]))
write(fz, "seed_adamax_f16_clip", engine_seed(
    4, 0, 1, [227, 6, 8, 13, 0], 0, [fac(1), OFF, fac(3)], [F32, F16, F16, F32], 0, 0,
    [(129, 1, b"", None), (65, 0, b"", None)], mode=2, finite=3))
write(fz, "seed_nadam_mu_products", engine_seed(
    5, 1, 0, [227, 6, 8, 13, 3, 224], 5, [OFF, OFF, OFF], [F32, F32, F32, F32], 0, 0,
    [(50, 0, b"", None, 100),            # the product a run holds before step 10
     (64, 0x02, bytes([1]), None, 100),  # own step 2
     (7, 0, b"", None, 168),             # 0.0 (valid)
     (20, 1, b"", None, 0)], finite=3, opt_extra=bytes([0])))
write(fz, "seed_nadam_mu_products_null", engine_seed(
    5, 0, 0, [227, 6, 8, 13, 0, 224], 0, [OFF, OFF, OFF], [F32, F32, F32, F32], 0, 0,
    [(10, 0, b"", None, 0), (3, 0, b"", None, 0)], opt_extra=bytes([250])))
write(fz, "seed_nadam_bad_mu_bf16", engine_seed(
    5, 2, 0, [227, 6, 8, 13, 0, 224], 1, [OFF, OFF, OFF], [BF16, BF16, BF16, F32], 0, 0,
    [(10, 0, b"", None, 0), (30, 0, b"", None, 174)], opt_extra=bytes([0])))  # 2.0 in tensor 1
write(fz, "seed_radam_bf16_sr", engine_seed(
    6, 1, 0, [2, 6, 8, 13, 3], 5, [OFF, OFF, OFF], [BF16, BF16, BF16, F16], 1, 3,
    [(200, 1, b"", None), (300, 0x08, bytes([3]), None)]))
write(fz, "seed_lion_bf16_table", engine_seed(
    7, 0, 0, [228, 6, 7, 231], 0, [OFF, OFF, OFF], [BF16, BF16, BF16, BF16], 0, 0,
    [(90, 1, b"", None), (33, 0, b"", None)], mode=1))
write(fz, "seed_lamb_f32_lists", engine_seed(
    8, 1, 0, [2, 6, 8, 232, 231, 0], 5, [OFF, OFF, OFF], [F32, F32, F32, F32], 0, 0,
    [(257, 0, b"", None), (65, 1, b"", None), (1, 0, b"", None)], finite=3))
write(fz, "seed_lamb_big_tensor_clip", engine_seed(
    8, 1 | 2, 0, [2, 6, 8, 232, 231, 226], 1, [OFF, OFF, fac(0)], [F32, BF16, F32, BF16], 0, 0,
    [(300, 1, b"", None), (0xFC06, 0, b"", None), (7, 0, b"", None)], pool=2, mode=2))

fz = "fuzz_loss_io"
# fuzz/fuzz_loss_io.c's layout: family (0 elementwise, 1 loss3, 2 cross_entropy,
# 3 cross_entropy_probs, 4 nll, 5 multi_margin, 6 multilabel_soft_margin,
# 7 cosine_embedding, 8 triplet_margin), kind byte, flags (bit0-1 poisson's
# options / loss3 full, 4 no loss, 0x10 no grad, 0x20 in place, 0x40 a
# grad_scale follows, 0x80 weights), io byte (bits 0-1 input dtype, 2-3 grad
# dtype: 0 f32, 1 bf16, 2 f16, 3 invalid; bit4 accumulate; bits 5-6 % 3
# labels: 0 i64, 1 i32, 2 invalid), public-ISA choice, u16 n (row-wise: low
# byte rows, high byte classes / 5), stride byte (< 96 dense, < 224 padded,
# else too small), parameter selector, reduction, [grad_scale selector], then
# each slot's fill (labels: mode + seed).
F32, BF16, F16 = 0, 1, 2


def io_seed(fam, kind, flags, din, dgrad, acc, labels, n_raw, stride, param, red, scale=None,
            slots=8, modes=None):
    # modes: {slot: rd_floats mode} over the default 3 (moderate values, some
    # specials); slots a, b, c, weight, labels, loss, grad0, grad1
    io = din | dgrad << 2 | (0x10 if acc else 0) | labels << 5
    head = bytes([fam, kind, flags | (0x40 if scale is not None else 0), io, 0])
    head += struct.pack("<H", n_raw) + bytes([stride, param, red])
    if scale is not None:
        head += bytes([scale])
    body = b""
    for i in range(slots):
        if fam in (2, 4, 5) and i == 4:  # labels: mode 2 (valid, some ignored)
            body += bytes([2]) + struct.pack("<Q", 6000 + i)
        else:
            body += floats((modes or {}).get(i, 3), 6000 + i)
    return head + body


def rows_classes(rows, classes_over_5):
    return rows | classes_over_5 << 8


write(fz, "seed_mse_bf16_acc", io_seed(0, 0, 0, BF16, BF16, True, 0, 600, 0, 0, 0))
write(fz, "seed_bce_logits_f16_scaled", io_seed(0, 7, 0x80, F16, F32, False, 0, 257, 0, 9, 2,
                                                scale=2))
write(fz, "seed_poisson_full_f16", io_seed(0, 9, 3, F16, F16, True, 0, 100, 0, 13, 1))
write(fz, "seed_margin_ranking_bf16", io_seed(1, 0, 0, BF16, BF16, False, 0, 300, 0, 25, 0))
write(fz, "seed_gaussian_nll_f16_acc", io_seed(1, 1, 1, F16, F32, True, 0, 77, 0, 30, 2,
                                               modes={2: 4}))  # var in [0, 1]
write(fz, "seed_ce_bf16_in_place_i32", io_seed(2, 0, 0x20, BF16, BF16, False, 1,
                                               rows_classes(5, 40), 0, 0, 0, scale=28))
write(fz, "seed_ce_f32_padded_weights", io_seed(2, 8, 0x80, F32, F32, False, 0,
                                                rows_classes(7, 20), 120, 0, 2))
write(fz, "seed_ce_probs_f16_padded", io_seed(3, 0, 0, F16, BF16, True, 0, rows_classes(4, 13),
                                              150, 0, 1))
write(fz, "seed_nll_i32_acc", io_seed(4, 0, 0, BF16, F32, True, 1, rows_classes(9, 3), 0, 0, 0))
write(fz, "seed_multi_margin_padded", io_seed(5, 1, 0x80, F32, F16, False, 0,
                                              rows_classes(3, 9), 200, 25, 0))
write(fz, "seed_multilabel_bf16_padded", io_seed(6, 0, 0x80, BF16, BF16, True, 0,
                                                 rows_classes(6, 11), 130, 0, 2))
write(fz, "seed_cosine_f16", io_seed(7, 0, 0, F16, F16, False, 0, rows_classes(5, 25), 0, 25, 0))
write(fz, "seed_triplet_bf16_padded_swap", io_seed(8, 0x31, 0, BF16, BF16, True, 0,
                                                   rows_classes(4, 26), 100, 9, 1))
write(fz, "seed_bad_stride", io_seed(3, 0, 0, F32, F32, False, 0, rows_classes(2, 4), 230, 0, 0))

#!/usr/bin/env python3
"""fuzz/gen_corpus.py - writes the small committed seed corpus of each fuzzer
(fuzz/corpus/<fuzzer>/seed_*). The byte layouts are those read by
fuzz/fuzz_*.c: selectors < 224 pick from the tables in fuzz/fuzz_common.h
(hyper-parameters: 0 -> 0, 2 -> 1e-3, 5 -> 0.5, 6 -> 0.9, 8 -> 0.999,
9 -> 1, 13 -> 1e-8, 19 -> NaN, 23 -> -1; steps: 0 -> 1, 1 -> 2, 5 -> 10,
9 -> 0, 11 -> INT64_MAX)."""
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


def opt_seed(opt, flags, n, hypers, step_sel, modes):
    head = bytes([opt, flags, 0, 1]) + struct.pack("<H", n) + bytes(hypers)
    if opt != 1:
        head += bytes([step_sel])
    return head + b"".join(floats(m, 1000 + i) for i, m in enumerate(modes))


fz = "fuzz_optimizers"
write(fz, "seed_sgd_momentum", opt_seed(0, 0, 37, [3, 6, 0, 2], 1, [3, 3, 3, 3, 3]))
write(fz, "seed_sgd_nesterov", opt_seed(0, 1 | 2, 100, [4, 6, 0, 0], 0, [2, 2, 2, 2, 2]))
write(fz, "seed_rmsprop_centered", opt_seed(1, 1, 65, [3, 7, 13, 2, 6], 0, [3, 3, 4, 3, 3]))
write(fz, "seed_adam_amsgrad", opt_seed(2, 2, 129, [2, 6, 8, 13, 3], 5, [3, 3, 3, 4, 4]))
write(fz, "seed_adamw_specials", opt_seed(2, 1 | 4, 19, [2, 6, 8, 13, 3], 11, [1, 1, 1, 1, 1]))
write(fz, "seed_adam_bad_beta", opt_seed(2, 0, 8, [2, 9, 8, 13, 0], 0, [3, 3, 3, 3, 3]))
write(fz, "seed_sgd_step0", opt_seed(0, 0, 8, [3, 6, 0, 0], 9, [3, 3, 3, 3, 3]))

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

fz = "fuzz_rowwise_losses"


def row_seed(fam, flags, rows, classes, red, eps_sel, p_sel, margin_sel, modes, label_mode):
    head = (bytes([fam, flags, 0, 0]) + struct.pack("<HH", rows, classes)
            + bytes([red, eps_sel, p_sel, margin_sel]))
    body = floats(modes[0], 3000)
    if fam == 1:
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

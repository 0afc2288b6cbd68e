# tests/reference/reference_writer.py - what the four make_torch_*_reference.py
# generators write alike: values as hex words, the file's header (magic line,
# the command that regenerates it, the torch and numpy versions, the format
# note), the seeded run around the case loop, the splitmix64 logits, weights
# and checksums that tests/reference_reader.c reimplements, and the lines of
# the row-wise (cross-entropy-like) cases. One copy, so the C readers and the
# generators agree on a single spelling of each line. Every generator must
# still reproduce its committed file byte for byte: change nothing here that
# changes a written byte without regenerating all four files.
import math
import sys

import numpy as np
import torch

F32 = np.float32
GEN_SD = 37837.2  # sd of the sum of four uniform 16-bit integers


# ---- values ------------------------------------------------------------------

def hex32(values):
    """float32 values (array, list or tensor) as 8 hex digits of their bits each."""
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    bits = np.asarray(values, dtype=F32).reshape(-1).view(np.uint32)
    return " ".join("%08x" % int(b) for b in bits)


def hex64(values):
    """float64 values as 16 hex digits of their bits each (nothing is lost)."""
    bits = np.asarray(values, dtype=np.float64).reshape(-1).view(np.uint64)
    return " ".join("%016x" % int(b) for b in bits)


def hex_of(x):
    """The 16 hex digits of the double x: the library receives doubles."""
    return hex64([x])


# The optimizer generators' magnitudes, cycled with periods coprime to their
# option loops, so configurations meet several scales (1e-3 .. 10) for
# params and gradients.
PARAM_SCALES = [1.0, 1e-3, 10.0, 0.1, 1e-2]
GRAD_SCALES = [0.1, 10.0, 1e-3, 1.0, 1e-2, 3.0, 0.3]


def write_values(out, keyword, values, digits=32):
    out.write("%s %s\n" % (keyword, hex32(values) if digits == 32 else hex64(values)))


# ---- the generators the C side reimplements (reference_reader.c) -------------
# Row-wise cases with classes >= 1000 would not fit a 1 MB file: their logits
# are generated from a seed by a tiny integer generator (splitmix64; element i
# uses output i+1 of the stream: z = seed + (i + 1) * 0x9e3779b97f4a7c15, then
# z ^= z >> 30, z *= 0xbf58476d1ce4e5b9, z ^= z >> 27, z *= 0x94d049bb133111eb,
# z ^= z >> 31 (all mod 2^64); k = the sum of z's four 16-bit parts - 131070
# (roughly normal, sd 37837.2); x_i = (float)((double)k * factor) - two IEEE
# roundings, the same in numpy and C), then patched (-inf logits, ...). A
# checksum (sum of the unpatched float32 bit patterns mod 2^32) proves the C
# side reproduced them. Their class weights, when weighted, come from the same
# generator (its own seed): w_j = (float)(3277 + (z_j mod 2^16) mod 62259) /
# 32768 (exact, in [0.1, 2)), with the same kind of checksum.

def splitmix64(seed, count):
    """Outputs 1 .. count of splitmix64 from seed (element i uses output i + 1)."""
    i = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + i * np.uint64(0x9e3779b97f4a7c15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
        return z ^ (z >> np.uint64(31))


def checksum32(x):
    """The sum of the float32 bit patterns mod 2^32: proves the C side regenerated x."""
    return int(np.ascontiguousarray(x).reshape(-1).view(np.uint32).astype(np.uint64).sum()
               & np.uint64(0xffffffff))


def generated_weights(seed, count):
    """w_j = (3277 + (z_j mod 2^16) mod 62259) / 32768, exact in float: [0.1, 2)."""
    u = (splitmix64(seed, count) & np.uint64(0xffff)) % np.uint64(62259)
    w = ((u + np.uint64(3277)).astype(np.float64) / 32768.0).astype(F32)
    return w, checksum32(w)


def generated_logits(seed, count, factor):
    """The sum of z's four 16-bit parts - 131070 (roughly normal, sd GEN_SD), times factor."""
    z = splitmix64(seed, count)
    k = np.zeros(count, dtype=np.int64)
    for part in range(4):
        k += ((z >> np.uint64(16 * part)) & np.uint64(0xffff)).astype(np.int64)
    k -= 131070
    x = (k.astype(np.float64) * np.float64(factor)).astype(F32)
    return x, checksum32(x)


# ---- PyTorch -----------------------------------------------------------------

def backward(out, reduction):
    """Autograd's input gradient: of each element's own value for 'none'."""
    if reduction == "none":
        out.backward(torch.ones_like(out))
    else:
        out.backward()


def torch_reductions(run):
    """run(reduction, dtype) -> (loss, grad) for the three reductions in float32
    and float64; 'sum' must give the gradient of 'none' with backward(ones)."""
    t32 = {r: run(r, torch.float32) for r in ("none", "mean", "sum")}
    t64 = {r: run(r, torch.float64) for r in ("none", "mean", "sum")}
    g_none, g_sum = t32["none"][1], t32["sum"][1]
    assert ((g_none == g_sum) | (np.isnan(g_none) & np.isnan(g_sum))).all(), \
        "torch's 'none' and 'sum' gradients differ"
    return t32, t64


# ---- the file ---------------------------------------------------------------

def cpu_capability():
    lines = [line.strip(" -") for line in torch.__config__.show().splitlines()
             if "CPU capability" in line]
    return lines[0] if lines else "CPU capability unknown"


def generate(magic, title, script, data, seed, cases, emit_case, summary=(), counts=None):
    """Writes one reference file to stdout: the header, then emit_case(out, rng,
    index, case) for each case, then 'end'. title is what the file is for, its
    last line ending in 'generated by' (a newline in it starts a comment line);
    summary lines follow the pointer to the generator's format comment; counts
    replaces the 'cases <count>' line. Everything random comes from seed."""
    torch.manual_seed(seed)  # nothing random comes from torch, but be explicit
    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)
    out = sys.stdout
    out.write(magic + "\n")
    out.write("".join("# %s\n" % line for line in title.split("\n")))
    out.write("#   /usr/bin/python3 tests/reference/%s > tests/reference/%s\n" % (script, data))
    out.write("# torch %s (%s), numpy %s, seed %d\n"
              % (torch.__version__, cpu_capability(), np.__version__, seed))
    out.write("# Format: see the header comment of %s.%s\n"
              % (script, " In short:" if summary else ""))
    out.write("".join("#   %s\n" % line for line in summary))
    out.write(counts if counts is not None else "cases %d\n" % len(cases))
    for index, c in enumerate(cases):
        emit_case(out, rng, index, c)
    out.write("end\n")


# ---- row-wise cases (cross_entropy, soft-target cross_entropy, multi_margin) --

def generated_case_logits(rng, c, rows, classes):
    """Logits N(0, c["sd"]): drawn by numpy, or for classes >= 1000 from the
    splitmix64 generator (too large for the file), remembered in c["gen"]."""
    n = rows * classes
    if classes >= 1000:
        seed = int(rng.integers(0, 2 ** 63))
        factor = float(np.float64(c["sd"]) / np.float64(GEN_SD))
        x, checksum = generated_logits(seed, n, factor)
        c["gen"] = (seed, factor, checksum)
    else:
        x = (rng.standard_normal(n) * c["sd"]).astype(F32)
    return x.reshape(rows, classes)


def class_weights(rng, c, classes):
    """Class weights in [0.1, 2) when c["weighted"]: generated for a generated case."""
    if not c["weighted"]:
        return None
    if classes >= 1000:
        seed = int(rng.integers(0, 2 ** 63))
        w, checksum = generated_weights(seed, classes)
        c["wgen"] = (seed, checksum)
        return w
    return rng.uniform(0.1, 2.0, classes).astype(F32)


def check_against_torch64(loss, grad, divisor, scale, t64, zero_log_zero=None):
    """The float64 reference against PyTorch's float64 results and autograd
    (t64: reduction -> (loss, grad)), to 1e-12 of the terms' magnitude (scale:
    the gradient's, per row). PyTorch's loss may be NaN where the reference is
    finite only in zero_log_zero rows (0 * -inf in PyTorch, 0 log 0 = 0 here)."""
    t_none, t_grad_sum = t64["none"]
    t_mean, t_sum = float(t64["mean"][0][0]), float(t64["sum"][0][0])
    if zero_log_zero is None:
        zero_log_zero = np.zeros(loss.size, dtype=bool)
    with np.errstate(invalid="ignore"):  # inf - inf where both are +inf
        both_nan = np.isnan(loss) & np.isnan(t_none)
        torch_nan = np.isnan(t_none) & ~np.isnan(loss)
        assert (~torch_nan | zero_log_zero).all(), "unexpected NaN in PyTorch's float64 loss"
        ok = both_nan | torch_nan | (loss == t_none) | \
            (np.abs(loss - t_none) <= 1e-12 * (1.0 + np.abs(loss)))
        assert ok.all(), (loss, t_none)
        nan_g = np.isnan(grad) & np.isnan(t_grad_sum)
        ok_g = nan_g | (np.abs(grad - t_grad_sum) <= 1e-12 * (1.0 + scale[:, None]))
        assert ok_g.all(), (grad, t_grad_sum)
    total = math.fsum(loss.tolist())
    if zero_log_zero.any():
        assert math.isnan(t_sum) and math.isnan(t_mean)
        return
    for ref, t in ((total, t_sum), (total / divisor if divisor else math.nan, t_mean)):
        assert (math.isnan(ref) and math.isnan(t)) or ref == t or \
            abs(ref - t) <= 1e-12 * (1.0 + abs(ref)), (ref, t)


def sample_indices(rng, x, labels, grad, targets=None, ninf=False, signs=False):
    """The flat gradient indices stored for a large case, per row: the label,
    the row max, the largest |grad|, the last class and 24 random ones; with
    ninf the first -inf logits, with targets the first zero targets and the
    largest ones, with signs the first nonzero and zero gradients."""
    rows, classes = x.shape
    chosen = set()
    for r in range(rows):
        row = set()
        if labels is not None and labels[r] >= 0:
            row.add(int(labels[r]))
        row.add(int(np.argmax(x[r])))
        if ninf:
            row.update(np.flatnonzero(np.isneginf(x[r]))[:8].tolist())
        if targets is not None:
            row.update(np.flatnonzero(targets[r] == 0)[:6].tolist())
            row.update(np.argsort(-targets[r], kind="stable")[:3].tolist())
        g = np.abs(np.nan_to_num(grad[r]))
        row.update(np.argsort(-g, kind="stable")[:4].tolist())
        if signs:
            row.update(np.flatnonzero(g > 0)[:4].tolist())
            row.update(np.flatnonzero(g == 0)[:4].tolist())
        row.update(rng.choice(classes, 24, replace=False).tolist())
        row.add(classes - 1)
        chosen.update(r * classes + j for j in row)
    return np.array(sorted(chosen), dtype=np.int64)


def write_labels(out, labels):
    out.write("labels %s\n" % " ".join(str(int(v)) for v in labels))


def write_weights_and_logits(out, c, x, w):
    """weight or weight_gen, then logits, or logits_gen and logits_patch."""
    generated = "gen" in c
    if w is not None and generated:
        out.write("weight_gen %016x %08x\n" % c["wgen"])
    elif w is not None:
        write_values(out, "weight", w)
    if generated:
        seed, factor, checksum = c["gen"]
        out.write("logits_gen %016x %s %08x\n" % (seed, hex64([factor]), checksum))
        patches = sorted(c["patches"].items())
        out.write("logits_patch %d%s\n" % (len(patches), "".join(
            " %d:%s" % (i, hex32([v])) for i, v in patches)))
    else:
        write_values(out, "logits", x)


def write_results(out, t32, loss, grad, divisor, sampled=None, bound=None):
    """PyTorch's float32 results (t32: reduction -> (loss, grad)), the float64
    reference, and the gradient: every entry, or those at the sampled flat
    indices (written as grad_index)."""
    total = math.fsum(loss.tolist())
    for reduction in ("none", "mean", "sum"):
        write_values(out, "torch_loss_" + reduction, t32[reduction][0])
    write_values(out, "ref_loss", loss, 64)
    write_values(out, "ref_mean", [total / divisor if divisor else math.nan], 64)
    write_values(out, "ref_sum", [total], 64)
    write_values(out, "ref_divisor", [divisor], 64)
    row_max = np.array([np.abs(g).max() for g in grad])  # NaN rows give NaN
    write_values(out, "ref_row_max", row_max, 64)
    if bound is not None:
        write_values(out, "ref_row_bound", bound, 64)
    flat = np.arange(grad.size)
    if sampled is not None:
        flat = sampled
        out.write("grad_index %d %s\n" % (flat.size, " ".join(str(int(i)) for i in flat)))
    write_values(out, "torch_grad_sum", t32["sum"][1].reshape(-1)[flat])
    write_values(out, "torch_grad_mean", t32["mean"][1].reshape(-1)[flat])
    write_values(out, "ref_grad", grad.reshape(-1)[flat], 64)

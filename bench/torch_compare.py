#!/usr/bin/env python3
"""PyTorch CPU on lossopt_bench's workloads, one thread (SPEC.md section 3).

Usage:
    python3 bench/torch_compare.py --out torch.json [--sizes 65536,16777216]
                                   [--shapes auto|64x1000,4x32000,...]
                                   [--list 1000x4096] [--min-time 0.1]
                                   [--kernels adam,adagrad,...]
                                   [--extra 4096:adam ...]

Times, with torch.set_num_threads(1):
  optimizers  torch.optim SGD (momentum 0 and 0.9), RMSprop, Adam, AdamW
              (weight_decay 1e-2), Adam(amsgrad=True), and the 0.2 optimizers
              Adagrad, Adamax, NAdam, RAdam (defaults otherwise: lossopt's
              configs in bench_optimizers.cc), foreach=True, lr 1e-4, one
              flat parameter of n floats: one optimizer.step() (PyTorch has
              no Lion or LAMB: those rows compare with the plain loop only)
  losses      torch.nn.functional mse_loss, l1_loss, huber_loss(delta=1),
              smooth_l1_loss(beta=1), binary_cross_entropy,
              binary_cross_entropy_with_logits, reduction mean, and the hinge
              and squared hinge written as clamp(1 - y*s, min=0)[.pow(2)].mean()
              (PyTorch has no binary hinge loss), soft_margin_loss,
              poisson_nll_loss (defaults) and kl_div(reduction="mean"):
              forward + backward
              (loss.backward() into the input's .grad)
  row-wise    on rows x classes logits (--shapes), reduction mean, forward +
              backward: F.cross_entropy with class-index labels (PyTorch's
              fused log_softmax + nll_loss) as cross_entropy, the same with
              label_smoothing=0.1 as cross_entropy_ls, F.cross_entropy with
              probability targets as cross_entropy_probs, and
              F.multi_margin_loss(p=1, margin=1) as multi_margin, and
              F.multilabel_soft_margin_loss with the soft targets as
              multilabel_soft_margin, and F.cross_entropy on bf16 logits
              (bf16 gradient; PyTorch cannot write it in place) as
              cross_entropy_bf16_in_place
  embedding   F.cosine_embedding_loss (margin 0, y +-1) and
              F.triplet_margin_loss (margin 1, p 2, eps 1e-6) on n / 128 rows
              of 128, reduction mean, forward + backward into every input
  tensor list the engine step's list row (bench_engine_step.cc, SPEC.md
              section 3, 0.2): torch.optim.Adam(foreach=True), lr 1e-4, over
              --list tensors x elements f32 parameters (default 1000 x 4096),
              one optimizer.step(), as step_list_adam_f32/torch/1000x4096
with the same inputs' domains as bench_losses.cc and bench_rowwise.cc. Writes
JSON in Google Benchmark's shape, names <kernel>/torch/<n> and
<kernel>/torch/<rows>x<classes>, that bench/summarize.py merges (--torch) as
the "x PyTorch" column. Exits 2 if torch cannot be imported.
"""
import argparse
import json
import statistics
import sys
import time
import warnings

# F.kl_div(reduction="mean") warns that "batchmean" is the mathematical KL
# divergence; the bench times "mean" on purpose (lossopt's LOSSOPT_MEAN row)
warnings.filterwarnings("ignore", message=".*reduction: 'mean' divides the total loss.*")

try:
    import torch
    import torch.nn.functional as F
except Exception as exc:  # ImportError, or a broken install
    print(f"torch_compare: PyTorch not importable ({exc})", file=sys.stderr)
    sys.exit(2)

OPT_BYTES = {"sgd": 12, "sgd_momentum": 20, "rmsprop": 20, "adam": 28, "adamw": 28,
             "adam_amsgrad": 36,
             # 0.2 (bench_optimizers.cc's kConfigs): Adagrad p, g, sum read and
             # p, sum written; the others p, g and two states read, p and the
             # states written.
             "adagrad": 20, "adamax": 28, "nadam": 28, "radam": 28}
LOSSES = ["mse", "l1", "huber", "smooth_l1", "hinge", "squared_hinge", "bce", "bce_logits",
          "soft_margin", "poisson_nll", "kl_div"]
# Three inputs read, two gradients written (bench_losses.cc's kLosses3).
LOSSES3 = {"margin_ranking": 20, "gaussian_nll": 20}
# Rows of 128 floats (bench_losses.cc's bm_embedding): inputs read + gradients written.
EMBEDDING = {"cosine_embedding": 16, "triplet_margin": 24}
EMBEDDING_DIM = 128
# Row-wise losses and their bytes per element (as bench_rowwise.cc: logits
# read + grad written; the soft targets add a read).
ROW_LOSSES = {"cross_entropy": 8, "cross_entropy_ls": 8, "cross_entropy_probs": 12,
              "multi_margin": 8, "multilabel_soft_margin": 12,
              "cross_entropy_bf16_in_place": 4, "nll": 4}
LR = 1e-4


def make_optimizer(name, n, gen):
    p = torch.randn(n, generator=gen)
    p.grad = (torch.rand(n, generator=gen) * 9e-3 + 1e-3) * torch.sign(torch.randn(n, generator=gen))
    params = [p]
    if name == "sgd":
        opt = torch.optim.SGD(params, lr=LR, foreach=True)
    elif name == "sgd_momentum":
        opt = torch.optim.SGD(params, lr=LR, momentum=0.9, foreach=True)
    elif name == "rmsprop":
        opt = torch.optim.RMSprop(params, lr=LR, foreach=True)
    elif name == "adam":
        opt = torch.optim.Adam(params, lr=LR, foreach=True)
    elif name == "adamw":
        opt = torch.optim.AdamW(params, lr=LR, weight_decay=1e-2, foreach=True)
    elif name == "adam_amsgrad":
        opt = torch.optim.Adam(params, lr=LR, amsgrad=True, foreach=True)
    elif name == "adagrad":
        opt = torch.optim.Adagrad(params, lr=LR, foreach=True)
    elif name == "adamax":
        opt = torch.optim.Adamax(params, lr=LR, foreach=True)
    elif name == "nadam":
        opt = torch.optim.NAdam(params, lr=LR, foreach=True)
    elif name == "radam":
        opt = torch.optim.RAdam(params, lr=LR, foreach=True)
    else:
        raise ValueError(f"unknown optimizer {name}")
    return opt.step


def make_list_adam(count, each, gen):
    """torch.optim.Adam(foreach=True) over count parameters of each floats,
    the domains of make_optimizer (bench_engine_step.cc's list row)."""
    params = []
    for _ in range(count):
        p = torch.randn(each, generator=gen)
        p.grad = ((torch.rand(each, generator=gen) * 9e-3 + 1e-3)
                  * torch.sign(torch.randn(each, generator=gen)))
        params.append(p)
    return torch.optim.Adam(params, lr=LR, foreach=True).step


def make_loss(name, n, gen):
    normal = lambda: torch.randn(n, generator=gen)
    uniform = lambda: torch.rand(n, generator=gen)
    if name in ("hinge", "squared_hinge"):
        x, y = normal(), torch.where(uniform() < 0.5, -1.0, 1.0)
    elif name == "bce":
        x, y = uniform() * 0.998 + 0.001, uniform()
    elif name == "bce_logits":
        x, y = 2.0 * normal(), torch.where(uniform() < 0.5, 0.0, 1.0)
    elif name == "soft_margin":
        x, y = 2.0 * normal(), torch.where(uniform() < 0.5, -1.0, 1.0)
    elif name == "poisson_nll":
        x, y = 0.5 * normal(), torch.floor(6.0 * uniform())
    elif name == "kl_div":
        x, y = -9.0 * uniform(), uniform()
    else:
        x, y = normal(), normal()
    x.requires_grad_(True)
    fn = {
        "mse": lambda: F.mse_loss(x, y),
        "l1": lambda: F.l1_loss(x, y),
        "huber": lambda: F.huber_loss(x, y, delta=1.0),
        "smooth_l1": lambda: F.smooth_l1_loss(x, y, beta=1.0),
        "hinge": lambda: torch.clamp(1 - y * x, min=0).mean(),
        "squared_hinge": lambda: torch.clamp(1 - y * x, min=0).pow(2).mean(),
        "bce": lambda: F.binary_cross_entropy(x, y),
        "bce_logits": lambda: F.binary_cross_entropy_with_logits(x, y),
        "soft_margin": lambda: F.soft_margin_loss(x, y),
        "poisson_nll": lambda: F.poisson_nll_loss(x, y),
        "kl_div": lambda: F.kl_div(x, y, reduction="mean"),
    }[name]

    def step():
        x.grad = None
        fn().backward()
    return step


def make_loss3(name, n, gen):
    """bench_losses.cc's margin_ranking (margin 0.3, y +-1) and gaussian_nll
    (eps 1e-6, var in (0.05, ~3)): both gradients through autograd."""
    a = torch.randn(n, generator=gen).requires_grad_(True)
    b = torch.randn(n, generator=gen)
    if name == "margin_ranking":
        b.requires_grad_(True)
        c = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
        fn = lambda: F.margin_ranking_loss(a, b, c, margin=0.3)
    else:
        c = (torch.randn(n, generator=gen).abs() + 0.05).requires_grad_(True)
        fn = lambda: F.gaussian_nll_loss(a, b, c, eps=1e-6)

    def step():
        a.grad = b.grad = c.grad = None
        fn().backward()
    return step


def make_embedding(name, n, gen):
    """bench_losses.cc's cosine_embedding (margin 0, y +-1) and triplet_margin
    (margin 1, p 2, eps 1e-6, no swap) on n / 128 rows of 128: every input's
    gradient through autograd."""
    dim = min(n, EMBEDDING_DIM)
    rows = n // dim
    a = torch.randn(rows, dim, generator=gen).requires_grad_(True)
    b = torch.randn(rows, dim, generator=gen).requires_grad_(True)
    if name == "cosine_embedding":
        y = torch.where(torch.rand(rows, generator=gen) < 0.5, -1.0, 1.0)
        leaves = (a, b)
        fn = lambda: F.cosine_embedding_loss(a, b, y, margin=0.0)
    else:
        c = torch.randn(rows, dim, generator=gen).requires_grad_(True)
        leaves = (a, b, c)
        fn = lambda: F.triplet_margin_loss(a, b, c, margin=1.0, p=2, eps=1e-6)

    def step():
        for t in leaves:
            t.grad = None
        fn().backward()
    return step


def make_row_loss(name, rows, classes, gen):
    """Logits ~N(0, 2), labels uniform, soft targets uniform rows normalised
    to 1 (bench_rowwise.cc's domains)."""
    x = 2.0 * torch.randn(rows, classes, generator=gen)
    labels = torch.randint(0, classes, (rows,), generator=gen)
    probs = torch.rand(rows, classes, generator=gen)
    probs /= probs.sum(dim=1, keepdim=True)
    if name == "cross_entropy_bf16_in_place":
        # PyTorch has no in-place loss gradient: a bf16 leaf, F.cross_entropy
        # on it (CPU bf16 log_softmax), its bf16 gradient in a new tensor
        x = x.to(torch.bfloat16)
    x.requires_grad_(True)
    fn = {
        "cross_entropy_bf16_in_place": lambda: F.cross_entropy(x, labels),
        "nll": lambda: F.nll_loss(x, labels),
        "cross_entropy": lambda: F.cross_entropy(x, labels),
        "cross_entropy_ls": lambda: F.cross_entropy(x, labels, label_smoothing=0.1),
        "cross_entropy_probs": lambda: F.cross_entropy(x, probs),
        "multi_margin": lambda: F.multi_margin_loss(x, labels, p=1, margin=1.0),
        "multilabel_soft_margin": lambda: F.multilabel_soft_margin_loss(x, probs),
    }[name]

    def step():
        x.grad = None
        fn().backward()
    return step


def time_it(step, min_time, repetitions=3):
    """Median over repetitions of the mean time per call, in seconds (one
    warm-up call: a 16 Mi loss takes up to a second in PyTorch). The clock is
    this thread's CPU time, the clock behind Google Benchmark's default
    figures (items_per_second is per CPU second): with one torch thread the
    forward and the CPU backward run on the calling thread, and on a loaded
    machine wall time would count the time others' jobs hold the core, which
    the lossopt side does not count."""
    step()
    results = []
    for _ in range(repetitions):
        calls, start = 0, time.thread_time()
        while True:
            step()
            calls += 1
            elapsed = time.thread_time() - start
            if elapsed >= min_time:
                break
        results.append(elapsed / calls)
    return statistics.median(results)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default="65536,16777216")
    ap.add_argument("--shapes", default="auto",
                    help="rows x classes of the row-wise losses, e.g. 64x1000,4x32000; "
                         "auto (default): lossopt_bench's shapes, 64x1000 and 4x32000, plus "
                         "1024x1000 and 32x32000 when --sizes is the full sweep (more than "
                         "two sizes, as scripts/bench.sh --full passes)")
    ap.add_argument("--list", default="1000x4096",
                    help="tensors x elements of the foreach Adam tensor-list row "
                         "(step_list_adam_f32/torch/...); empty: skip it")
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--kernels", default="",
                    help="comma-separated optimizers and elementwise losses to time (default: "
                         "all); the row-wise losses and the list row follow --shapes and --list")
    ap.add_argument("--extra", action="append", default=[],
                    help="SIZE:KERNEL[,KERNEL...]: also time these optimizers/losses at SIZE "
                         "(scripts/bench.sh's quick run: 4096:adam, the Adam 4K row of "
                         "SPEC.md section 3); repeatable")
    args = ap.parse_args()
    torch.set_num_threads(1)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.shapes == "auto":
        args.shapes = "64x1000,4x32000" + (",1024x1000,32x32000" if len(sizes) > 2 else "")
    shapes = [tuple(int(v) for v in s.split("x")) for s in args.shapes.split(",") if s]
    gen = torch.Generator().manual_seed(1234)
    out = {"context": {"torch_version": torch.__version__, "torch_threads": torch.get_num_threads(),
                       "clock": "thread CPU time (time.thread_time)",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")},
           "benchmarks": []}
    work = [(name, OPT_BYTES[name], make_optimizer) for name in OPT_BYTES]
    work += [(name, 12, make_loss) for name in LOSSES]
    work += [(name, nbytes, make_loss3) for name, nbytes in LOSSES3.items()]
    work += [(name, nbytes, make_embedding) for name, nbytes in EMBEDDING.items()]
    if args.kernels:
        wanted = args.kernels.split(",")
        unknown = [k for k in wanted if k not in OPT_BYTES and k not in LOSSES
                   and k not in LOSSES3 and k not in EMBEDDING]
        if unknown:
            ap.error(f"unknown --kernels {','.join(unknown)}")
        work = [w for w in work if w[0] in wanted]
    everything = [(name, OPT_BYTES[name], make_optimizer) for name in OPT_BYTES]
    everything += [(name, 12, make_loss) for name in LOSSES]
    everything += [(name, nbytes, make_loss3) for name, nbytes in LOSSES3.items()]
    everything += [(name, nbytes, make_embedding) for name, nbytes in EMBEDDING.items()]
    plan = [(n, w) for n in sizes for w in work]
    for spec in args.extra:
        size, _, names = spec.partition(":")
        wanted = names.split(",")
        unknown = [k for k in wanted if k not in OPT_BYTES and k not in LOSSES
                   and k not in LOSSES3 and k not in EMBEDDING]
        if unknown or not size.isdigit():
            ap.error(f"bad --extra {spec}")
        plan += [(int(size), w) for w in everything
                 if w[0] in wanted and (int(size), w) not in plan]
    for n, (name, bytes_per_element, make) in plan:
        with torch.no_grad() if make is make_optimizer else torch.enable_grad():
            step = make(name, n, gen)
        seconds = time_it(step, args.min_time if n < (1 << 24) else args.min_time / 2,
                          repetitions=3 if n < (1 << 24) else 1)
        out["benchmarks"].append({
            "name": f"{name}/torch/{n}", "run_type": "iteration",
            "items_per_second": n / seconds,
            "bytes_per_second": n * bytes_per_element / seconds,
            "bytes_per_element": bytes_per_element})
        print(f"{name}/torch/{n}: {1e9 * seconds / n:.3f} ns/elem", file=sys.stderr)
    for rows, classes in shapes:
        n = rows * classes
        for name, bytes_per_element in ROW_LOSSES.items():
            with torch.enable_grad():
                step = make_row_loss(name, rows, classes, gen)
            seconds = time_it(step, args.min_time)
            out["benchmarks"].append({
                "name": f"{name}/torch/{rows}x{classes}", "run_type": "iteration",
                "items_per_second": n / seconds,
                "bytes_per_second": n * bytes_per_element / seconds,
                "bytes_per_element": bytes_per_element})
            print(f"{name}/torch/{rows}x{classes}: {1e9 * seconds / n:.3f} ns/elem",
                  file=sys.stderr)
    if args.list:
        count, each = (int(v) for v in args.list.split("x"))
        with torch.no_grad():
            step = make_list_adam(count, each, gen)
        seconds = time_it(step, args.min_time)
        n = count * each
        out["benchmarks"].append({
            "name": f"step_list_adam_f32/torch/{count}x{each}", "run_type": "iteration",
            "items_per_second": n / seconds, "bytes_per_second": n * 28 / seconds,
            "bytes_per_element": 28})
        print(f"step_list_adam_f32/torch/{count}x{each}: {1e9 * seconds / n:.3f} ns/elem",
              file=sys.stderr)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()

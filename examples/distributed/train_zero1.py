"""Data-parallel training of a character-level language model with
torch.distributed (gloo, CPU) and ZeRO-1: every rank holds the whole bf16
model, but only its own shard of the f32 master weights and AdamW state, and
updates that shard with lossopt's tensor-list AdamW step.

The model reads 24 characters of /usr/share/common-licenses/GPL-3 (Debian's
base-files, always present) and predicts the next one: an embedding, one tanh
hidden layer and a linear layer to the logits.

Per step (see README.md for the picture):
  1. forward/backward of this rank's slice of the global batch in f32 on the
     widened bf16 weights; the loss is scaled by 1/global_batch so that the
     summed gradient is the global-batch mean (f32 gradients);
  2. all-reduce (sum) of the flat f32 gradient;
  3. lossopt_grad_stats on this rank's shard of it; one float64 all-reduce of
     [sum of squares, loss, non-finite flag] gives the global gradient norm,
     the batch loss, and whether to stop (a diverged run);
  4. clip_coef = max_norm / (norm + 1e-6), capped at 1, passed as
     grad_multiplier to lossopt_adam_step (decoupled weight decay = AdamW) on
     the f32 master shard, which writes the bf16 copy of the shard through
     param_copy;
  5. all-gather of the bf16 shards into every rank's model, viewed as int32
     (pairs of bf16: gloo in torch 1.13 refuses bf16 and int16 tensors; a
     shard is a multiple of 256 elements, so always even).
At the end every rank's bf16 weights are hashed and the hashes compared
(exit 1 if they differ); rank 0 prints the fingerprint.

Launch:
  python3 train_zero1.py --spawn 2 [options]                  (self-spawning)
  torchrun --redirects 2 --tee 2 --nproc_per_node 2 train_zero1.py [options]
  python3 train_zero1.py [options]                            (one process)
"""
import argparse
import contextlib
import ctypes
import hashlib
import json
import os
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from lossopt import _native as native

TEXT_PATH = "/usr/share/common-licenses/GPL-3"
CONTEXT = 24      # characters the model sees
EMBED = 16        # embedding width per character
HIDDEN = 256      # hidden layer width
SHARD_ALIGN = 256  # each shard is a multiple of this many elements
VAL_FRACTION = 0.1  # the text's last 10% is held out


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=64,
                   help="global batch (windows per step, split over the ranks); "
                        "keep it fixed across world sizes to compare curves")
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--weight-decay", type=float, default=0.01,
                   help="AdamW decay of the weight matrices (biases and embedding: none)")
    p.add_argument("--max-grad-norm", type=float, default=1.0, help="0 = no clipping")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="OUT", help="write per-step losses and fingerprints here")
    p.add_argument("--spawn", type=int, metavar="N",
                   help="start N processes with torch.multiprocessing (file-store rendezvous)")
    p.add_argument("--log-every", type=int, default=1, help="print every k-th step (rank 0)")
    a = p.parse_args(argv)
    if a.steps < 1 or a.batch < 1 or a.lr <= 0 or a.max_grad_norm < 0:
        p.error("--steps and --batch must be >= 1, --lr > 0, --max-grad-norm >= 0")
    return a


# ---- data ---------------------------------------------------------------------

def load_text():
    """The license text as int64 character ids, and the vocabulary."""
    with open(TEXT_PATH, encoding="utf-8") as f:
        text = f.read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    return torch.tensor([index[c] for c in text], dtype=torch.int64), vocab


def windows(ids, starts):
    """Inputs (len(starts), CONTEXT) and next-character targets."""
    offsets = torch.arange(CONTEXT)
    return ids[starts[:, None] + offsets], ids[starts + CONTEXT]


def rank_slice(n, rank, world):
    """This rank's contiguous part of n items (sizes differ by at most one)."""
    return slice(n * rank // world, n * (rank + 1) // world)


# ---- model ----------------------------------------------------------------------

def layout(vocab_size):
    """(name, shape, decayed) of every parameter, in flat-vector order."""
    return [("embed", (vocab_size, EMBED), False),
            ("w1", (CONTEXT * EMBED, HIDDEN), True), ("b1", (HIDDEN,), False),
            ("w2", (HIDDEN, vocab_size), True), ("b2", (vocab_size,), False)]


def init_weights(params, seed):
    """The f32 initial values of the whole flat vector (every rank computes the
    same; each keeps its shard as master weights)."""
    g = torch.Generator().manual_seed(seed)
    parts = []
    for name, shape, _ in params:
        if name == "embed":
            parts.append(torch.randn(shape, generator=g))
        elif name.startswith("w"):  # as nn.Linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
            bound = shape[0] ** -0.5
            parts.append(torch.empty(shape).uniform_(-bound, bound, generator=g))
        else:
            parts.append(torch.zeros(shape))
    return torch.cat([x.reshape(-1) for x in parts])


def views(flat, params):
    """Shaped views of each parameter inside a flat vector."""
    out, off = {}, 0
    for name, shape, _ in params:
        n = torch.Size(shape).numel()
        out[name] = flat[off:off + n].view(shape)
        off += n
    return out


def loss_sum(w, x, y):
    """Summed cross-entropy of the windows x -> y (f32 on the widened weights)."""
    e = F.embedding(x, w["embed"]).reshape(x.shape[0], CONTEXT * EMBED)
    h = torch.tanh(e @ w["w1"] + w["b1"])
    return F.cross_entropy(h @ w["w2"] + w["b2"], y, reduction="sum")


# ---- the ZeRO-1 shard and lossopt ------------------------------------------------

class Shard:
    """This rank's elements [lo, hi) of the padded flat vector: f32 master
    weights, AdamW's exp_avg and exp_avg_sq, the bf16 result buffer, and the
    lossopt tensor lists (one per parameter group) pointing into them."""

    def __init__(self, params, init, rank, world, args):
        numel = init.numel()
        self.shard_len = -(-numel // (world * SHARD_ALIGN)) * SHARD_ALIGN
        self.padded = self.shard_len * world
        self.lo, self.hi = rank * self.shard_len, (rank + 1) * self.shard_len
        padded_init = torch.zeros(self.padded)
        padded_init[:numel] = init
        self.master = padded_init[self.lo:self.hi].clone()
        self.exp_avg = torch.zeros(self.shard_len)
        self.exp_avg_sq = torch.zeros(self.shard_len)
        self.bf16 = self.master.to(torch.bfloat16)
        self.precision = native.Precision(param=native.F32, grad=native.F32,
                                          state=native.F32, param_copy=native.BF16,
                                          rounding=native.ROUND_NEAREST, seed=0)
        self.groups = []  # (AdamConfig, lossopt tensor array, its length)
        for decayed in (True, False):
            cfg = native.defaults("adam")
            cfg.lr = args.lr
            cfg.weight_decay = args.weight_decay if decayed else 0.0
            cfg.decoupled_weight_decay = True  # AdamW
            pieces, off = [], 0
            for _, shape, d in params:  # the parts of each parameter inside [lo, hi)
                n = torch.Size(shape).numel()
                a, b = max(off, self.lo), min(off + n, self.hi)
                if d == decayed and a < b:
                    pieces.append((a - self.lo, b - a))
                off += n
            # The padding is in no group: never updated. Buffers never move, so
            # only the grad pointers change from step to step.
            ts = (native.Tensor * max(len(pieces), 1))()
            for t, (start, n) in zip(ts, pieces):
                t.param = _addr(self.master, start)
                t.state[0] = _addr(self.exp_avg, start)
                t.state[1] = _addr(self.exp_avg_sq, start)
                t.param_copy = _addr(self.bf16, start)
                t.n = n
            self.groups.append((cfg, ts, len(pieces), [start for start, _ in pieces]))

    def step(self, flat_grad, step, clip_coef):
        """AdamW on the shard, grads times clip_coef; writes self.master, the
        state and self.bf16."""
        grad = flat_grad[self.lo:self.hi]
        assert grad.is_contiguous() and grad.dtype == torch.float32
        opt = native.StepOptions(precision=ctypes.pointer(self.precision),
                                 grad_multiplier=clip_coef)
        for cfg, ts, count, starts in self.groups:
            for t, start in zip(ts, starts):
                t.grad = _addr(grad, start)
            native.check(native.lib.lossopt_adam_step(ctypes.byref(cfg), ts, count, step,
                                                      ctypes.byref(opt), None),
                         "lossopt_adam_step")

    def grad_stats(self, flat_grad):
        """Sum of squares of this shard of the averaged gradient (lossopt's
        statistics pass, in double) and whether any of it is inf or NaN."""
        grad = flat_grad[self.lo:self.hi]
        t = native.Tensor(grad=_addr(grad, 0), n=grad.numel())
        s, bad = ctypes.c_double(), ctypes.c_bool()
        native.check(native.lib.lossopt_grad_stats(ctypes.byref(t), 1, native.F32, None,
                                                    ctypes.byref(s), ctypes.byref(bad)),
                     "lossopt_grad_stats")
        return s.value, bad.value


def _addr(t, start):
    return t.data_ptr() + start * t.element_size()


# ---- training -------------------------------------------------------------------

def train(rank, world, args):
    torch.set_num_threads(1)  # one core per rank; also keeps matmul sums in a fixed order
    ids, vocab = load_text()
    n_train = int(len(ids) * (1 - VAL_FRACTION))
    params = layout(len(vocab))
    init = init_weights(params, args.seed)
    numel = init.numel()
    shard = Shard(params, init, rank, world, args)
    model = torch.zeros(shard.padded, dtype=torch.bfloat16)  # every rank's full bf16 copy
    model[:numel] = init.to(torch.bfloat16)
    # all-gather targets: gloo refuses bf16 and int16, so pairs of bf16 travel as int32
    gathered = list(model.view(torch.int32).chunk(world))
    # The global batch is drawn from one generator on every rank (the same
    # windows for every world size); each rank takes its slice of it.
    order = torch.Generator().manual_seed(args.seed + 1)
    mine = rank_slice(args.batch, rank, world)

    losses, norms = [], []
    clock = Phases()
    t0 = time.perf_counter()
    for step in range(1, args.steps + 1):
        with clock("compute"):
            starts = torch.randint(0, n_train - CONTEXT, (args.batch,), generator=order)
            x, y = windows(ids, starts[mine])
            w32 = model.float().requires_grad_()  # f32 leaf: backward fills w32.grad, flat
            local = loss_sum(views(w32, params), x, y) / args.batch
            local.backward()
            grad = w32.grad
        with clock("all_reduce"):
            dist.all_reduce(grad)  # f32 sum of the ranks' 1/batch-scaled grads: the mean
        with clock("lossopt"):
            sum_sq, nonfinite = shard.grad_stats(grad)
        with clock("all_reduce"):  # one message: [sum of squares, loss, non-finite count]
            stats = torch.tensor([sum_sq, local.item(), float(nonfinite)], dtype=torch.float64)
            dist.all_reduce(stats)
        if stats[2].item() > 0:  # every rank sees the same sum: all stop together
            raise FloatingPointError("step %d: the gradient has inf or NaN (diverged; "
                                     "try a smaller --lr)" % step)
        norm = stats[0].item() ** 0.5
        coef = 1.0
        if args.max_grad_norm > 0:  # as clip_grad_norm_ (include/lossopt.h's recipe)
            coef = min(1.0, args.max_grad_norm / (norm + 1e-6))
        with clock("lossopt"):
            shard.step(grad, step, coef)
        with clock("all_gather"):
            dist.all_gather(gathered, shard.bf16.view(torch.int32))
        losses.append(stats[1].item())
        norms.append(norm)
        if rank == 0 and (step % args.log_every == 0 or step == args.steps):
            print("step %4d  loss %.6f  grad_norm %.4f" % (step, losses[-1], norm), flush=True)
    seconds = time.perf_counter() - t0
    per_step = {k: round(1e3 * v / args.steps, 3) for k, v in clock.seconds.items()}

    val = evaluate(model, params, ids, n_train, rank, world)
    ok, fingerprint, master_fp = check_replicas(model, shard, numel, rank, world)
    if rank == 0:
        print("val_loss %.6f  (%d steps, %d ranks, %.2f s, %.1f ms/step)"
              % (val, args.steps, world, seconds, 1e3 * seconds / args.steps))
        print("rank 0 ms/step: " + ", ".join("%s %.2f" % kv for kv in per_step.items()))
        print("replicas %s" % ("identical" if ok else "DIFFER"))
        print("fingerprint %s" % fingerprint)
        print("master_fingerprint %s" % master_fp, flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"world_size": world, "steps": args.steps, "batch": args.batch,
                           "lr": args.lr, "weight_decay": args.weight_decay,
                           "max_grad_norm": args.max_grad_norm, "seed": args.seed,
                           "parameters": numel, "shard_len": shard.shard_len,
                           "losses": losses, "grad_norms": norms, "val_loss": val,
                           "replicas_identical": ok, "fingerprint": fingerprint,
                           "master_fingerprint": master_fp, "seconds": seconds,
                           "rank0_ms_per_step": per_step}, f, indent=1)
    return ok


class Phases:
    """Wall time per named phase of the step (this rank's view: a collective
    includes the wait for the slowest rank)."""

    def __init__(self):
        self.seconds = {}

    @contextlib.contextmanager
    def __call__(self, name):
        t = time.perf_counter()
        yield
        self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t


def evaluate(model, params, ids, n_train, rank, world):
    """Mean loss over every 7th window of the held-out text, split over the ranks."""
    starts = torch.arange(n_train, len(ids) - CONTEXT, 7)
    x, y = windows(ids, starts[rank_slice(len(starts), rank, world)])
    with torch.no_grad():
        part = torch.tensor([loss_sum(views(model.float(), params), x, y).item()],
                            dtype=torch.float64)
    dist.all_reduce(part)
    return part.item() / len(starts)


def check_replicas(model, shard, numel, rank, world):
    """Whether every rank holds the same bf16 weights (their sha256 compared)
    and this rank's slice of them is its master shard rounded to bf16; the
    fingerprints of the bf16 weights and of the gathered f32 masters."""
    digest = hashlib.sha256(model[:numel].view(torch.int16).numpy().tobytes()).digest()
    own = torch.equal(model[shard.lo:shard.hi].view(torch.int16),
                      shard.master.to(torch.bfloat16).view(torch.int16))
    mine = torch.tensor(list(digest) + [int(own)], dtype=torch.uint8)
    everyone = [torch.empty_like(mine) for _ in range(world)]
    dist.all_gather(everyone, mine)
    ok = all(torch.equal(e, everyone[0]) and e[-1].item() == 1 for e in everyone)
    masters = [torch.empty_like(shard.master) for _ in range(world)]
    dist.all_gather(masters, shard.master)
    master_fp = hashlib.sha256(torch.cat(masters)[:numel].numpy().tobytes()).hexdigest()
    return ok, digest.hex(), master_fp


# ---- launchers ------------------------------------------------------------------

def run_rank(rank, world, init_method, args):
    """One rank's life: join the group, train, leave; exit 1 if the replicas differ."""
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world)
    try:
        ok = train(rank, world, args)
    finally:
        dist.destroy_process_group()
    if not ok:
        sys.exit(1)


def main():
    args = parse_args()
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:  # torchrun (or any env:// launcher)
        if args.spawn:
            sys.exit("--spawn and torchrun do not mix")
        run_rank(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), "env://", args)
        return
    world = args.spawn or 1
    with tempfile.TemporaryDirectory() as tmp:
        # a file store in a fresh directory: no TCP port to pick, no collisions
        init_method = "file://" + os.path.join(tmp, "rendezvous")
        if world == 1:
            run_rank(0, 1, init_method, args)
        else:
            import torch.multiprocessing as mp
            try:
                mp.spawn(run_rank, args=(world, init_method, args), nprocs=world)
            except mp.ProcessExitedException as e:
                sys.exit("train_zero1: rank %d exited with code %s" % (e.error_index, e.exit_code))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch CPU counterpart of `da-bench`: the same cases, the same JSON lines.

`cargo xtask bench --compare-pytorch` runs this script and puts its rows next to ours, with an
`ours / torch` column. It can also run alone:

    python3 bench/pytorch/bench_seed.py --sizes 64,256 --dims 14,256 --samples 5
    python3 bench/pytorch/bench_seed.py --list          # the case ids, no torch needed

Needs PyTorch (CPU is enough):

    pip install torch numpy
    # CPU-only wheels, smaller: pip install torch --index-url https://download.pytorch.org/whl/cpu

Cases (ids as in `cargo xtask bench --list`, backend `torch-cpu`):
- `mmd/torch-seed/{gaussian-biased,linear}/...`: the seed's `MMDLoss` below, verbatim (it builds
  the (n+m) x (n+m) x d tensor), forward and backward;
- `mmd/torch-matmul/{gaussian-biased,gaussian-unbiased}/...`: the same loss from one matrix
  product (||a||^2 + ||b||^2 - 2 a.b on centred rows, no cdist), as `mmd-core` computes it;
- `cnn/torch/{lenet,net_only,dann_digits}-{source-only,mmd}/...`: one training step (forward,
  cross-entropy, plus the seed's MMD on the bottleneck features of a target batch, backward,
  Adam 1e-3) of the networks of `da-models` (LeNet digits 1x16x16, the seed's `Net_only`
  3x128x128, DANN's colour digits network 3x28x28), source
  batch 64 and target batch 32.

With `--device cuda` the script runs instead the `torch-matmul` cases on the GPU (backend
`torch-cuda`; `cargo xtask bench --cuda --compare-pytorch` does so); when torch sees no GPU, each
of those rows says so.

Each case runs in its own Python process (peak memory from `resource.getrusage`, which includes
the interpreter and torch, about 300 MiB), with the same glibc allocator setting as da-bench
(GLIBC_TUNABLES, unless already set; see `child_env`); a case that runs out of memory or
crashes becomes a row that says so. Cases estimated to need more than --mem-cap-bytes are skipped.
One JSON line per case on stdout: group, implementation, variant, backend, device, shape,
status (ok, skipped, failed, out of memory), reason, samples, median_ms, min_ms, max_ms,
times_ms, peak_rss_mib.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

# The seed's MMDLoss, verbatim (shared/reference/seed_mmd.py). Kept as text so that this script
# parses its arguments and lists its cases without torch; a case's child process executes it.
SEED_MMD_SOURCE = r'''import torch
import torch.nn as nn
class MMDLoss(nn.Module):
    def __init__(self, kernel_type='rbf', kernel_mul=2.0, kernel_num=5, fix_sigma=None, **kwargs):
        super(MMDLoss, self).__init__()
        self.kernel_num = kernel_num
        self.kernel_mul = kernel_mul
        self.fix_sigma = None
        self.kernel_type = kernel_type
    def guassian_kernel(self, source, target, kernel_mul, kernel_num, fix_sigma):
        n_samples = int(source.size()[0]) + int(target.size()[0])
        total = torch.cat([source, target], dim=0)
        total0 = total.unsqueeze(0).expand(int(total.size(0)), int(total.size(0)), int(total.size(1)))
        total1 = total.unsqueeze(1).expand(int(total.size(0)), int(total.size(0)), int(total.size(1)))
        L2_distance = ((total0-total1)**2).sum(2)
        if fix_sigma:
            bandwidth = fix_sigma
        else:
            bandwidth = torch.sum(L2_distance.data) / (n_samples**2-n_samples)
        bandwidth /= kernel_mul ** (kernel_num // 2)
        bandwidth_list = [bandwidth * (kernel_mul**i) for i in range(kernel_num)]
        kernel_val = [torch.exp(-L2_distance / bandwidth_temp) for bandwidth_temp in bandwidth_list]
        return sum(kernel_val)
    def linear_mmd2(self, f_of_X, f_of_Y):
        loss = 0.0
        delta = f_of_X.float().mean(0) - f_of_Y.float().mean(0)
        loss = delta.dot(delta.T)
        return loss
    def forward(self, source, target):
        if self.kernel_type == 'linear':
            return self.linear_mmd2(source, target)
        elif self.kernel_type == 'rbf':
            batch_size = int(source.size()[0])
            kernels = self.guassian_kernel(source, target, kernel_mul=self.kernel_mul, kernel_num=self.kernel_num, fix_sigma=self.fix_sigma)
            XX = torch.mean(kernels[:batch_size, :batch_size])
            YY = torch.mean(kernels[batch_size:, batch_size:])
            XY = torch.mean(kernels[:batch_size, batch_size:])
            YX = torch.mean(kernels[batch_size:, :batch_size])
            loss = torch.mean(XX + YY - XY - YX)
            return loss
'''

INSTALL_HINT = (
    "PyTorch is not installed for this python3: pip install torch numpy "
    "(CPU-only wheels: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)

MMD_CASES = [
    ("torch-seed", "gaussian-biased"),
    ("torch-seed", "linear"),
    ("torch-matmul", "gaussian-biased"),
    ("torch-matmul", "gaussian-unbiased"),
]
CNN_MODES = ["source-only", "mmd"]
IMAGES = {"lenet": [1, 16, 16], "net_only": [3, 128, 128], "dann_digits": [3, 28, 28]}
CLASSES = {"lenet": 10, "net_only": 5, "dann_digits": 10}
SOURCE_BATCH = 64
TARGET_BATCH = 32


def int_list(text):
    """`64,256` -> [64, 256]."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}")
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def name_list(text):
    """`lenet,net_only` -> ['lenet', 'net_only'], each a known network."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in IMAGES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown network(s) {', '.join(unknown)}; expected lenet, net_only, dann_digits"
        )
    return names


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="PyTorch CPU benchmarks with da-bench's cases and JSON lines."
    )
    parser.add_argument("--sizes", type=int_list, default=[64, 256, 1024, 4096], help="n = m values")
    parser.add_argument("--dims", type=int_list, default=[14, 256, 2048], help="d values")
    parser.add_argument("--networks", type=name_list, default=["lenet", "net_only", "dann_digits"])
    parser.add_argument("--samples", type=int, default=15, help="samples per MMD case")
    parser.add_argument("--cnn-samples", type=int, default=10, help="samples per CNN case")
    parser.add_argument("--warmup-iters", type=int, default=1)
    parser.add_argument("--warmup-ms", type=int, default=1000)
    parser.add_argument("--budget-ms", type=int, default=30000,
                        help="stop sampling once the samples add up to this (one sample at least)")
    parser.add_argument("--timeout-s", type=int, default=1800, help="time limit of one case")
    parser.add_argument("--mem-cap-bytes", type=int, default=None,
                        help="skip cases estimated to need more (default: half of MemAvailable)")
    parser.add_argument("--filter", action="append", default=[], help="only the case ids containing this text (repeat it: any of several)")
    parser.add_argument("--list", action="store_true", help="print the case ids and exit")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="cpu: every case; cuda: the matrix-product MMD cases on the GPU")
    parser.add_argument("--run-case", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("samples", "cnn_samples"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")
    return args


def shape_label(case):
    shape = case["shape"]
    if case["group"] == "mmd":
        return f"n={shape['n']},m={shape['m']},d={shape['d']}"
    c, h, w = shape["image"]
    return f"batch={shape['source_batch']}+{shape['target_batch']},image={c}x{h}x{w}"


def case_id(case):
    """`group/implementation/variant/backend/shape`, as `cargo xtask bench` writes it."""
    return "/".join(
        [case["group"], case["implementation"], case["variant"], case["backend"], shape_label(case)]
    )


def build_cases(args):
    cases = []
    backend = f"torch-{args.device}"
    for implementation, variant in MMD_CASES:
        if args.device == "cuda" and implementation != "torch-matmul":
            continue
        for n in args.sizes:
            for d in args.dims:
                cases.append({
                    "group": "mmd", "implementation": implementation, "variant": variant,
                    "backend": backend, "shape": {"n": n, "m": n, "d": d},
                })
    for network in (args.networks if args.device == "cpu" else []):
        for mode in CNN_MODES:
            cases.append({
                "group": "cnn", "implementation": "torch", "variant": f"{network}-{mode}",
                "backend": "torch-cpu",
                "shape": {
                    "source_batch": SOURCE_BATCH,
                    "target_batch": TARGET_BATCH if mode == "mmd" else 0,
                    "image": IMAGES[network],
                },
            })
    if args.filter:
        cases = [c for c in cases if any(p in case_id(c) for p in args.filter)]
    return cases


def estimated_bytes(case):
    """Peak f32 memory estimate, the rule of `cargo xtask bench` (None for CNN cases)."""
    if case["group"] != "mmd":
        return None
    shape = case["shape"]
    rows, d = shape["n"] + shape["m"], shape["d"]
    inputs = 4 * rows * d * 4
    if case["implementation"] == "torch-seed" and case["variant"] == "gaussian-biased":
        return 3 * rows * rows * d * 4 + inputs
    if case["variant"].startswith("gaussian"):
        return 10 * rows * rows * 4 + inputs
    return inputs


def mem_available(meminfo):
    """MemAvailable of a /proc/meminfo text, in bytes, or None."""
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "kB" and parts[1].isdigit():
                return int(parts[1]) * 1024
    return None


def default_cap():
    try:
        with open("/proc/meminfo") as f:
            available = mem_available(f.read())
    except OSError:
        return None
    return None if available is None else available // 2


def unmeasured(case, status, reason=None):
    row = dict(case)
    row.update({"device": None, "status": status, "peak_rss_mib": None})
    if reason is not None:
        row["reason"] = reason
    return row


OOM_WORDS = ("out of memory", "not enough memory", "cannot allocate memory", "memoryerror",
             "defaultcpuallocator", "std::bad_alloc")


def classify(case, returncode, stdout, stderr, timed_out, timeout_s):
    """The row for a finished case child: its own line, or what went wrong."""
    if timed_out:
        return unmeasured(case, "failed", f"timed out after {timeout_s} s")
    lines = [line for line in stdout.splitlines() if line.strip().startswith("{")]
    if returncode == 0 and lines:
        try:
            return json.loads(lines[-1])
        except json.JSONDecodeError as err:
            return unmeasured(case, "failed", f"bad result line ({err})")
    text = stderr.lower()
    if returncode in (-9, 137) or any(word in text for word in OOM_WORDS):
        return unmeasured(case, "out of memory")
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), None)
    return unmeasured(case, "failed", last or f"exit code {returncode}")


# The allocator setting da-bench applies to itself (cnn_host::keep_freed_memory: glibc keeps freed
# memory for reuse instead of unmapping it), given to the torch children too, so that both sides
# run on the same allocator behaviour. A GLIBC_TUNABLES already in the environment is kept.
ALLOCATOR_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"


def child_env(environ):
    """The environment of a case child: `environ` with da-bench's allocator setting."""
    env = dict(environ)
    env.setdefault("GLIBC_TUNABLES", ALLOCATOR_TUNABLES)
    return env


def run_in_child(case, args):
    command = [sys.executable, os.path.abspath(__file__), "--run-case", json.dumps(case)]
    for flag, value in (("--samples", args.samples), ("--cnn-samples", args.cnn_samples),
                        ("--warmup-iters", args.warmup_iters), ("--warmup-ms", args.warmup_ms),
                        ("--budget-ms", args.budget_ms), ("--device", args.device)):
        command += [flag, str(value)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout_s,
                              env=child_env(os.environ))
    except subprocess.TimeoutExpired:
        return classify(case, None, "", "", True, args.timeout_s)
    return classify(case, done.returncode, done.stdout, done.stderr, False, args.timeout_s)


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# The case child (needs torch).


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def measure(step, samples, warmup_iters, warmup_ms, budget_ms):
    """Warm-up, then up to `samples` timed calls (fewer once they add up to `budget_ms`)."""
    started = time.perf_counter()
    done = 0
    while done < warmup_iters or (time.perf_counter() - started) * 1e3 < warmup_ms:
        step()
        done += 1
    times = []
    spent = 0.0
    while len(times) < max(samples, 1):
        start = time.perf_counter()
        step()
        elapsed = (time.perf_counter() - start) * 1e3
        times.append(elapsed)
        spent += elapsed
        if spent >= budget_ms:
            break
    return times


def summary(times):
    ordered = sorted(times)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return {"samples": len(times), "median_ms": median, "min_ms": ordered[0],
            "max_ms": ordered[-1], "times_ms": times}


def child(case, args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    seed = {}
    exec(compile(SEED_MMD_SOURCE, "seed_mmd.py", "exec"), seed)
    MMDLoss = seed["MMDLoss"]

    def matmul_mmd(source, target, unbiased, kernel_mul=2.0, kernel_num=5):
        n, m = source.shape[0], target.shape[0]
        total = torch.cat([source, target], dim=0)
        rows = total.shape[0]
        centred = total - total.detach().mean(0, keepdim=True)
        norms = (centred * centred).sum(1)
        dist = (norms[:, None] + norms[None, :] - 2.0 * centred @ centred.T).clamp_min(0.0)
        base = (centred.detach() ** 2).sum() * (2.0 / (rows - 1))
        base = base / kernel_mul ** (kernel_num // 2)
        kernel = sum(torch.exp(-dist / (base * kernel_mul ** i)) for i in range(kernel_num))
        kxx, kyy, kxy = kernel[:n, :n], kernel[n:, n:], kernel[:n, n:]
        if unbiased:
            diagonal = float(kernel_num)
            xx = (kxx.sum() - n * diagonal) / (n * (n - 1))
            yy = (kyy.sum() - m * diagonal) / (m * (m - 1))
        else:
            xx, yy = kxx.mean(), kyy.mean()
        return xx + yy - 2.0 * kxy.mean()

    class DaNet(nn.Module):
        """da-models' DaNet: conv blocks (conv, [batch-norm], ReLU, max-pool 2), bottleneck
        Linear + ReLU (the features), classifier Linear (the logits)."""

        def __init__(self, network):
            super().__init__()
            # (in, out, kernel, stride, padding) per block, batch-norm, flat width, bottleneck.
            if network == "lenet":
                layers = [(1, 32, 5, 1, 2), (32, 64, 5, 1, 2)]
                batch_norm, flat, width = False, 1024, 256
            elif network == "dann_digits":
                layers = [(3, 32, 5, 1, 0), (32, 48, 5, 1, 0)]
                batch_norm, flat, width = False, 768, 100
            else:
                layers = [(3, 32, 3, 2, 1), (32, 64, 3, 2, 1), (64, 64, 3, 1, 1)]
                batch_norm, flat, width = True, 1024, 256
            blocks = []
            for cin, cout, kernel, stride, padding in layers:
                blocks.append(nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding))
                if batch_norm:
                    blocks.append(nn.BatchNorm2d(cout))
                blocks += [nn.ReLU(), nn.MaxPool2d(2)]
            self.extractor = nn.Sequential(*blocks)
            self.bottleneck = nn.Linear(flat, width)
            self.classifier = nn.Linear(width, CLASSES[network])

        def forward(self, images):
            features = F.relu(self.bottleneck(self.extractor(images).flatten(1)))
            return features, self.classifier(features)

    torch.manual_seed(42)
    shape = case["shape"]
    if case["group"] == "mmd":
        n, m, d = shape["n"], shape["m"], shape["d"]
        device = torch.device(args.device)
        if args.device == "cuda" and not torch.cuda.is_available():
            raise RuntimeError("torch sees no CUDA GPU")
        source = torch.randn(n, d, device=device)
        target = torch.randn(m, d, device=device) + 0.5
        if case["implementation"] == "torch-seed":
            kernel_type = "rbf" if case["variant"] == "gaussian-biased" else "linear"
            seed_loss = MMDLoss(kernel_type=kernel_type)

            def loss_fn(x, y):
                return seed_loss(x, y)
        else:
            unbiased = case["variant"] == "gaussian-unbiased"

            def loss_fn(x, y):
                return matmul_mmd(x, y, unbiased)

        def step():
            x = source.clone().requires_grad_()
            y = target.clone().requires_grad_()
            loss = loss_fn(x, y)
            loss.backward()
            value = loss.item()
            if value != value or value in (float("inf"), float("-inf")):
                raise RuntimeError(f"the loss is not finite: {value}")

        samples = args.samples
    else:
        network, mode = case["variant"].split("-", 1)
        net = DaNet(network)
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
        seed_mmd = MMDLoss()
        images = shape["image"]
        source = torch.randn(shape["source_batch"], *images)
        target = torch.randn(max(shape["target_batch"], 1), *images)
        labels = torch.arange(shape["source_batch"]) % CLASSES[network]

        def step():
            optimizer.zero_grad()
            features, logits = net(source)
            loss = F.cross_entropy(logits, labels)
            if mode == "mmd":
                target_features, _ = net(target)
                loss = loss + seed_mmd(features, target_features)
            loss.backward()
            optimizer.step()
            value = loss.item()
            if value != value:
                raise RuntimeError("the loss is NaN")

        samples = args.cnn_samples
    times = measure(step, samples, args.warmup_iters, args.warmup_ms, args.budget_ms)
    row = dict(case)
    row.update(summary(times))
    if args.device == "cuda":
        row["device"] = f"cuda: {torch.cuda.get_device_name()}, torch {torch.__version__}"
    else:
        row["device"] = f"cpu: {cpu_model()}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    row["status"] = "ok"
    # ru_maxrss is in KiB on Linux.
    row["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if case["group"] == "cnn":
        images_per_step = shape["source_batch"] + shape["target_batch"]
        row["images_per_second"] = images_per_step / (row["median_ms"] / 1e3)
    return row


def main(argv):
    args = parse_args(argv)
    if args.run_case is not None:
        print(json.dumps(child(json.loads(args.run_case), args)), flush=True)
        return 0
    cases = build_cases(args)
    if args.list:
        for case in cases:
            print(case_id(case))
        return 0
    if not torch_available():
        print(INSTALL_HINT, file=sys.stderr)
        return 3
    cap = args.mem_cap_bytes if args.mem_cap_bytes is not None else default_cap()
    for index, case in enumerate(cases, 1):
        needed = estimated_bytes(case)
        if cap is not None and needed is not None and needed > cap:
            gib = 1 << 30
            row = unmeasured(case, "skipped", f"needs {needed / gib:.1f} GiB, cap {cap / gib:.1f} GiB")
        else:
            row = run_in_child(case, args)
        print(json.dumps(row), flush=True)
        print(f"[{index}/{len(cases)}] {case_id(case)}: {row.get('median_ms', row['status'])}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Tests of bench_seed.py's parts that need no torch: `python3 -m unittest discover bench/pytorch`."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_seed  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_seed.py")


class Arguments(unittest.TestCase):
    def test_defaults_are_the_full_grid(self):
        args = bench_seed.parse_args([])
        self.assertEqual(args.sizes, [64, 256, 1024, 4096])
        self.assertEqual(args.dims, [14, 256, 2048])
        self.assertEqual(args.networks, ["lenet", "net_only", "dann_digits"])
        self.assertEqual((args.samples, args.cnn_samples), (15, 10))

    def test_the_arguments_xtask_passes(self):
        args = bench_seed.parse_args(
            "--sizes 64,256 --dims 14,256 --networks lenet,net_only,dann_digits --samples 3 --cnn-samples 3 "
            "--warmup-iters 1 --warmup-ms 0 --budget-ms 2000 --timeout-s 120 "
            "--mem-cap-bytes 1073741824 --filter mmd/ --filter cnn/".split()
        )
        self.assertEqual((args.sizes, args.dims), ([64, 256], [14, 256]))
        self.assertEqual((args.budget_ms, args.timeout_s, args.mem_cap_bytes), (2000, 120, 1 << 30))
        self.assertEqual(args.filter, ["mmd/", "cnn/"])

    def test_bad_values_are_rejected(self):
        for argv in (["--sizes", "x"], ["--sizes", "0"], ["--networks", "resnet"], ["--samples", "0"]):
            with self.assertRaises(SystemExit, msg=argv):
                bench_seed.parse_args(argv)


class Allocator(unittest.TestCase):
    def test_children_get_da_benchs_allocator_setting(self):
        env = bench_seed.child_env({"PATH": "/bin"})
        self.assertEqual(env["GLIBC_TUNABLES"],
                         "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456")
        self.assertEqual(env["PATH"], "/bin")
        # The user's own setting wins.
        self.assertEqual(bench_seed.child_env({"GLIBC_TUNABLES": "x"})["GLIBC_TUNABLES"], "x")


class Cases(unittest.TestCase):
    def test_ids_follow_xtask(self):
        args = bench_seed.parse_args(["--sizes", "64", "--dims", "14", "--networks", "net_only"])
        ids = [bench_seed.case_id(c) for c in bench_seed.build_cases(args)]
        self.assertEqual(ids, [
            "mmd/torch-seed/gaussian-biased/torch-cpu/n=64,m=64,d=14",
            "mmd/torch-seed/linear/torch-cpu/n=64,m=64,d=14",
            "mmd/torch-matmul/gaussian-biased/torch-cpu/n=64,m=64,d=14",
            "mmd/torch-matmul/gaussian-unbiased/torch-cpu/n=64,m=64,d=14",
            "cnn/torch/net_only-source-only/torch-cpu/batch=64+0,image=3x128x128",
            "cnn/torch/net_only-mmd/torch-cpu/batch=64+32,image=3x128x128",
        ])

    def test_filter(self):
        args = bench_seed.parse_args(["--filter", "torch-matmul/gaussian-unbiased/torch-cpu/n=4096"])
        ids = [bench_seed.case_id(c) for c in bench_seed.build_cases(args)]
        self.assertEqual(len(ids), 3)
        self.assertTrue(all("n=4096,m=4096" in i for i in ids))
        # Repeated filters select the cases that contain any of them.
        args = bench_seed.parse_args(["--sizes", "64", "--dims", "14", "--filter", "n=64,m=64,d=14",
                                      "--filter", "cnn/torch/lenet-mmd"])
        ids = [bench_seed.case_id(c) for c in bench_seed.build_cases(args)]
        self.assertEqual(len(ids), 4 + 1, ids)

    def test_memory_estimates_match_xtask(self):
        seed = {"group": "mmd", "implementation": "torch-seed", "variant": "gaussian-biased",
                "shape": {"n": 4096, "m": 4096, "d": 14}}
        self.assertEqual(bench_seed.estimated_bytes(seed), 3 * 8192 * 8192 * 14 * 4 + 4 * 8192 * 14 * 4)
        matmul = dict(seed, implementation="torch-matmul")
        self.assertEqual(bench_seed.estimated_bytes(matmul), 10 * 8192 * 8192 * 4 + 4 * 8192 * 14 * 4)
        linear = dict(seed, variant="linear")
        self.assertEqual(bench_seed.estimated_bytes(linear), 4 * 8192 * 14 * 4)
        self.assertIsNone(bench_seed.estimated_bytes({"group": "cnn"}))

    def test_mem_available(self):
        self.assertEqual(bench_seed.mem_available("MemTotal: 2 kB\nMemAvailable:  1024 kB\n"), 1 << 20)
        self.assertIsNone(bench_seed.mem_available("MemTotal: 2 kB\n"))


class Outcomes(unittest.TestCase):
    CASE = {"group": "mmd", "implementation": "torch-seed", "variant": "gaussian-biased",
            "backend": "torch-cpu", "shape": {"n": 64, "m": 64, "d": 14}}

    def classify(self, returncode, stdout="", stderr="", timed_out=False):
        return bench_seed.classify(self.CASE, returncode, stdout, stderr, timed_out, 60)

    def test_a_result_line_is_kept(self):
        line = json.dumps(dict(self.CASE, status="ok", median_ms=1.0))
        self.assertEqual(self.classify(0, "noise\n" + line + "\n")["median_ms"], 1.0)

    def test_out_of_memory(self):
        self.assertEqual(self.classify(-9)["status"], "out of memory")
        stderr = "RuntimeError: [enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: not enough memory"
        self.assertEqual(self.classify(1, stderr=stderr)["status"], "out of memory")

    def test_failures_name_the_reason(self):
        row = self.classify(1, stderr="Traceback...\nRuntimeError: the loss is not finite: nan\n")
        self.assertEqual((row["status"], row["reason"]), ("failed", "RuntimeError: the loss is not finite: nan"))
        row = self.classify(None, timed_out=True)
        self.assertEqual((row["status"], row["reason"]), ("failed", "timed out after 60 s"))
        self.assertEqual(row["shape"], self.CASE["shape"])

    def test_statistics(self):
        stats = bench_seed.summary([4.0, 1.0, 2.0, 10.0])
        self.assertEqual((stats["median_ms"], stats["min_ms"], stats["max_ms"], stats["samples"]),
                         (3.0, 1.0, 10.0, 4))
        calls = []
        times = bench_seed.measure(lambda: calls.append(1), 5, 2, 0, 60_000)
        self.assertEqual((len(calls), len(times)), (7, 5))


class Script(unittest.TestCase):
    def test_seed_code_is_valid_python_defining_the_loss(self):
        compile(bench_seed.SEED_MMD_SOURCE, "seed_mmd.py", "exec")
        self.assertIn("class MMDLoss(nn.Module):", bench_seed.SEED_MMD_SOURCE)
        self.assertIn("def guassian_kernel(", bench_seed.SEED_MMD_SOURCE)

    def test_list_needs_no_torch(self):
        out = subprocess.run([sys.executable, SCRIPT, "--list", "--sizes", "64", "--dims", "14"],
                             capture_output=True, text=True, check=True)
        self.assertEqual(len(out.stdout.splitlines()), 4 + 6)  # 3 networks x 2 modes

    def test_without_torch_the_script_says_how_to_install_it(self):
        if bench_seed.torch_available():
            self.skipTest("torch is installed")
        out = subprocess.run([sys.executable, SCRIPT, "--sizes", "64", "--dims", "14"],
                             capture_output=True, text=True)
        self.assertEqual(out.returncode, 3)
        self.assertIn("pip install torch numpy", out.stderr)
        self.assertEqual(out.stdout, "")


if __name__ == "__main__":
    unittest.main()

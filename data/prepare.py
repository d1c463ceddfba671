#!/usr/bin/env python3
"""Builds this folder from the files that /work/shared/data/fetch_digits.sh extracts.

    bash fetch_digits.sh /tmp/digits && python3 data/prepare.py /tmp/digits data

Python 3 standard library only; the output is byte-for-byte deterministic.

MNIST      500 images of each class from train-*.idx3/idx1 (5,000) and 100 of each class
           from t10k-* (1,000), as gzip-compressed IDX files (gzip mtime 0). Within each class
           the images are chosen by a SplitMix64 Fisher-Yates shuffle of that class's indices
           (seed SEED + class, the first N taken) and kept in their file order.
MFEAT      mfeat-pix.csv: the pandas header `0,1,...,239,0` (all numbers, so a CSV reader
           cannot tell it from a data row) is replaced by `r00c00,...,r15c14,label`, and the
           CRLF line ends become LF. Rows, values and order are unchanged: 240 grey levels 0-6
           of a 16-row, 15-column image in row-major order, then the label.
OPTDIGITS  digits.csv.gz decompressed, with the header `r0c0,...,r7c7,label` added: 64
           counts 0-16 of an 8x8 image in row-major order, then the label.
"""
import gzip
import struct
import sys
from pathlib import Path

SEED = 20240601
MASK = (1 << 64) - 1


class SplitMix64:
    """The generator of crates/da-train/src/datasets/shuffle.rs."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, bound):
        zone = MASK - MASK % bound
        while True:
            v = self.next_u64()
            if v < zone:
                return v % bound


def shuffle(items, seed):
    rng = SplitMix64(seed)
    for i in range(len(items) - 1, 0, -1):
        j = rng.below(i + 1)
        items[i], items[j] = items[j], items[i]


def read_idx(path):
    data = Path(path).read_bytes()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def write_idx_gz(path, magic, dims, payload):
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f:
        f.write(header + payload)


def mnist_subset(src, dst, split, out_name, per_class):
    (n, rows, cols), images = read_idx(src / f"{split}-images.idx3-ubyte")
    (n_labels,), labels = read_idx(src / f"{split}-labels.idx1-ubyte")
    assert n == n_labels, (n, n_labels)
    taken = []
    for digit in range(10):
        members = [i for i in range(n) if labels[i] == digit]
        shuffle(members, SEED + digit)
        taken.extend(members[:per_class])
    taken.sort()
    size = rows * cols
    pixels = b"".join(images[i * size:(i + 1) * size] for i in taken)
    write_idx_gz(dst / f"{out_name}-images.idx3-ubyte.gz", 0x803, (len(taken), rows, cols), pixels)
    write_idx_gz(dst / f"{out_name}-labels.idx1-ubyte.gz", 0x801, (len(taken),), bytes(labels[i] for i in taken))


def write_csv(path, height, width, rows):
    width_digits = len(str(max(height, width) - 1))
    names = [f"r{r:0{width_digits}}c{c:0{width_digits}}" for r in range(height) for c in range(width)]
    with open(path, "w", newline="\n") as f:
        f.write(",".join(names + ["label"]) + "\n")
        for row in rows:
            assert len(row) == height * width + 1, (path, len(row))
            f.write(",".join(row) + "\n")


def main():
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    (dst / "mnist").mkdir(parents=True, exist_ok=True)
    mnist_subset(src / "mnist", dst / "mnist", "train", "train", 500)
    mnist_subset(src / "mnist", dst / "mnist", "t10k", "test", 100)

    (dst / "mfeat").mkdir(exist_ok=True)
    lines = (src / "mfeat" / "mfeat-pix.csv").read_text().splitlines()
    assert lines[0] == ",".join([str(i) for i in range(240)] + ["0"]), "unexpected MFEAT header"
    write_csv(dst / "mfeat" / "mfeat-pix.csv", 16, 15, [line.split(",") for line in lines[1:]])

    (dst / "optdigits").mkdir(exist_ok=True)
    with gzip.open(src / "optdigits" / "digits.csv.gz", "rt") as f:
        lines = f.read().splitlines()
    write_csv(dst / "optdigits" / "optdigits.csv", 8, 8, [line.split(",") for line in lines if line])


if __name__ == "__main__":
    main()

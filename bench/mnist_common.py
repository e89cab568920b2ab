# What the PyTorch sides of the benchmarks share: MNIST from the IDX files, the small MNIST CNN,
# and abstain's seed derivation (so both sides shuffle and draw noise alike). Not a benchmark
# itself: bench/run.mjs only runs NAME.py files that have a NAME.ts beside them.
import hashlib
import os

import numpy as np
import torch
import torch.nn as nn


def read_idx(path, header):
    with open(path, 'rb') as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load(data_dir, prefix, n=None):
    """The first n images of an MNIST split as float32 [n, 1, 28, 28] in [0, 1], and int64 labels."""
    x = read_idx(os.path.join(data_dir, f'{prefix}-images-idx3-ubyte'), 16)
    y = read_idx(os.path.join(data_dir, f'{prefix}-labels-idx1-ubyte'), 8)
    if n is not None:
        x, y = x[:n * 784], y[:n]
    return torch.from_numpy(x.copy()).view(-1, 1, 28, 28).float().div_(255), torch.from_numpy(y.copy()).long()


def mnist_small():
    return nn.Sequential(
        nn.Conv2d(1, 16, 4, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 4, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 100), nn.ReLU(),
        nn.Linear(100, 10),
    )


def derive_seed(seed, stream, index=0):
    """abstain's deriveSeed (src/train/loop.ts): one seed per stream of randomness."""
    h = hashlib.sha256(f'{seed}/{stream}/{index}'.encode()).digest()
    return int.from_bytes(h[0:4], 'little') * 2 ** 16 + int.from_bytes(h[4:6], 'little')

"""PyTorch side of the engine benchmark: the same work as bench/engine.ts, written the way a
PyTorch user would. Run by bench/run.mjs with Debian's /usr/bin/python3 (python3-torch).

Figures: training throughput (samples/s; the small MNIST CNN, Adam lr 1e-3, cross-entropy,
batch 128, one shuffled epoch over the MNIST training images), inference throughput (samples/s;
eval mode, no grad, batch 1,000 over the 10,000 test images) and the process's peak memory.
Each throughput is the median of --repeats timed runs after an untimed warm-up.
Prints one JSON line.
"""
import argparse
import json
import os
import resource
import statistics
import time

import torch
import torch.nn.functional as F

from mnist_common import load, mnist_small


def load_mnist(data_dir, n_train):
    x, y = load(data_dir, 'train', n_train)
    xt, yt = load(data_dir, 't10k')
    return x, y, xt, yt


def train_epoch(model, opt, x, y, batch, gen, max_batches=None):
    """One shuffled pass; returns (samples, mean loss, accuracy)."""
    model.train()
    perm = torch.randperm(x.shape[0], generator=gen)
    n = x.shape[0]
    seen = correct = 0
    loss_sum = 0.0
    for b, start in enumerate(range(0, n, batch)):
        if max_batches is not None and b >= max_batches:
            break
        idx = perm[start:start + batch]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        seen += idx.shape[0]
        # Same two reads per step as the abstain side (a training loop's progress bar needs them).
        loss_sum += loss.item() * idx.shape[0]
        correct += (logits.argmax(1) == yb).sum().item()
    return seen, loss_sum / max(seen, 1), correct / max(seen, 1)


def infer(model, xt, yt, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, xt.shape[0], batch):
            logits = model(xt[start:start + batch])
            correct += (logits.argmax(1) == yt[start:start + batch]).sum().item()
    return xt.shape[0], correct / xt.shape[0]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--images', type=int, default=60000)
    p.add_argument('--quick', action='store_true', help='10,000 training images instead of 60,000')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--data-dir', required=True)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if a.quick:
        a.images = min(a.images, 10000)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)

    x, y, xt, yt = load_mnist(a.data_dir, a.images)
    model = mnist_small()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    # Warm-up: a few training steps and one inference pass, untimed.
    train_epoch(model, opt, x, y, 128, gen, max_batches=20)
    infer(model, xt, yt, 1000)

    train_rates, train_cpu_rates, losses, accs = [], [], [], []
    # Each timed run is one full epoch (60,000 images; 10,000 with --quick).
    for _ in range(a.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        n, loss, acc = train_epoch(model, opt, x, y, 128, gen)
        train_rates.append(n / (time.perf_counter() - t0))
        train_cpu_rates.append(n / (time.process_time() - c0))
        losses.append(loss)
        accs.append(acc)
    infer_rates, infer_cpu_rates = [], []
    for _ in range(max(a.repeats, 5)):
        t0, c0 = time.perf_counter(), time.process_time()
        n, test_acc = infer(model, xt, yt, 1000)
        infer_rates.append(n / (time.perf_counter() - t0))
        infer_cpu_rates.append(n / (time.process_time() - c0))

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        'figures': {
            'training throughput': {'value': statistics.median(train_rates), 'runs': train_rates, 'unit': 'samples/s', 'higherIsBetter': True},
            'inference throughput': {'value': statistics.median(infer_rates), 'runs': infer_rates, 'unit': 'samples/s', 'higherIsBetter': True},
            'peak memory': {'value': peak_kb / 1024, 'unit': 'MiB', 'higherIsBetter': False},
            'training per CPU-second': {'value': statistics.median(train_cpu_rates), 'runs': train_cpu_rates, 'unit': 'samples/CPU-s', 'higherIsBetter': True},
            'inference per CPU-second': {'value': statistics.median(infer_cpu_rates), 'runs': infer_cpu_rates, 'unit': 'samples/CPU-s', 'higherIsBetter': True},
        },
        'info': {
            'torch': torch.__version__,
            'threads': torch.get_num_threads(),
            'adam': 'torch.optim.Adam defaults (foreach=%s)' % opt.defaults.get('foreach'),
            'last epoch loss': round(losses[-1], 4),
            'last epoch train accuracy': round(accs[-1], 4),
            'test accuracy': round(test_acc, 4),
        },
    }))


if __name__ == '__main__':
    main()

"""PyTorch side of the smoothing benchmark: the same work as bench/smoothing.ts, written the way
a PyTorch user (and Cohen et al.'s code) would. Run by bench/run.mjs with Debian's
/usr/bin/python3 (python3-torch).

Figures:
- Gaussian-training throughput (samples/s): the small MNIST CNN, Adam lr 1e-3, cross-entropy on
  `x + torch.randn_like(x) * sigma` (sigma 0.25), batch 128, one shuffled epoch over the MNIST
  training images (60,000; 10,000 with --quick), reading the loss and the number correct each
  step as a training loop's progress line does. The shuffle order and the noise stream are
  seeded as abstain's train() seeds them (sha256-derived seeds), so both sides train the very
  same network and report the same losses.
- certification throughput (noise samples/s): Cohen, Rosenfeld & Kolter's `core.py`
  `Smooth.certify` with `_sample_noise`, transcribed for the CPU (n0 100, n 10,000, alpha 0.001,
  batch 1,000, sigma 0.25) for the first 20 MNIST test images (10 with --quick), one input after
  the other as their certify.py does. Only the sampling loop (`_sample_noise`) is timed: the
  Clopper-Pearson bound here is a small bisection (no scipy/statsmodels on Debian's python3),
  whose cost would say nothing about PyTorch. Counts use np.bincount (the original's
  `_count_arr` loops in Python, which is slower).
Each throughput is the median of --repeats timed runs after an untimed warm-up.
With --device cuda[:N] both training and certification run on that GPU, as core.py does there.
Prints one JSON line.
"""
import argparse
import json
import math
import os
import statistics
import time
from statistics import NormalDist

import numpy as np
import torch
import torch.nn.functional as F

from mnist_common import derive_seed, load, mnist_small

SIGMA = 0.25
BATCH_TRAIN = 128
N0 = 100
N = 10000
ALPHA = 0.001
BATCH_CERTIFY = 1000


def train_epoch(model, opt, x, y, seed):
    """One shuffled epoch of Gaussian-augmented training; returns the mean loss."""
    model.train()
    n = x.shape[0]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(derive_seed(seed, 'shuffle', 0))).to(x.device)
    torch.manual_seed(derive_seed(seed, 'noise'))  # the noise stream (randn_like draws from it)
    seen = correct = 0
    loss_sum = 0.0
    for start in range(0, n, BATCH_TRAIN):
        idx = perm[start:start + BATCH_TRAIN]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        logits = model(xb + torch.randn_like(xb) * SIGMA)
        loss = F.cross_entropy(logits, yb)
        loss.backward()
        opt.step()
        seen += idx.shape[0]
        loss_sum += loss.item() * idx.shape[0]
        correct += (logits.argmax(1) == yb).sum().item()
    return loss_sum / seen


class Smooth:
    """Cohen et al.'s core.py Smooth (certify and _sample_noise), on the CPU."""

    ABSTAIN = -1

    def __init__(self, base_classifier, num_classes, sigma):
        self.base_classifier = base_classifier
        self.num_classes = num_classes
        self.sigma = sigma
        self.sampling_seconds = 0.0

    def certify(self, x, n0, n, alpha, batch_size):
        self.base_classifier.eval()
        counts_selection = self._sample_noise(x, n0, batch_size)
        cAHat = counts_selection.argmax().item()
        counts_estimation = self._sample_noise(x, n, batch_size)
        nA = counts_estimation[cAHat].item()
        pABar = self._lower_confidence_bound(nA, n, alpha)
        if pABar < 0.5:
            return Smooth.ABSTAIN, 0.0
        return cAHat, self.sigma * NormalDist().inv_cdf(pABar)

    def _sample_noise(self, x, num, batch_size):
        t0 = time.perf_counter()
        with torch.no_grad():
            counts = np.zeros(self.num_classes, dtype=int)
            for _ in range(math.ceil(num / batch_size)):
                this_batch_size = min(batch_size, num)
                num -= this_batch_size
                batch = x.repeat((this_batch_size, 1, 1, 1))
                noise = torch.randn_like(batch) * self.sigma
                predictions = self.base_classifier(batch + noise).argmax(1)
                counts += np.bincount(predictions.cpu().numpy(), minlength=self.num_classes)
        self.sampling_seconds += time.perf_counter() - t0
        return counts

    @staticmethod
    def _lower_confidence_bound(NA, N, alpha):
        """statsmodels' proportion_confint(NA, N, alpha=2*alpha, method="beta")[0]: the alpha
        quantile of Beta(NA, N - NA + 1), i.e. the p at which P(X >= NA | N, p) = alpha."""
        if NA == 0:
            return 0.0
        j = np.arange(NA, N + 1)
        log_binom = np.array([math.lgamma(N + 1)]) - np.vectorize(math.lgamma)(j + 1) - np.vectorize(math.lgamma)(N - j + 1)

        def tail(p):  # P(X >= NA), X ~ Binomial(N, p)
            if p >= 1.0:
                return 1.0
            return float(np.exp(log_binom + j * math.log(p) + (N - j) * math.log1p(-p)).sum())

        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if tail(mid) < alpha:
                lo = mid
            else:
                hi = mid
        return lo


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--images', type=int, default=60000)
    p.add_argument('--inputs', type=int, default=20)
    p.add_argument('--quick', action='store_true', help='10,000 training images and 10 inputs')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--data-dir', required=True)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cpu')
    a = p.parse_args()
    if a.quick:
        a.images = min(a.images, 10000)
        a.inputs = min(a.inputs, 10)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    device = torch.device(a.device)
    x, y = load(a.data_dir, 'train', a.images)
    xt, yt = load(a.data_dir, 't10k', a.inputs)
    x, y, xt = x.to(device), y.to(device), xt.to(device)
    model = mnist_small().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    # ---- Gaussian-augmented training ----
    train_epoch(model, opt, x[:20 * BATCH_TRAIN], y[:20 * BATCH_TRAIN], a.seed)  # warm-up, untimed
    train_rates, train_cpu_rates, losses = [], [], []
    for _ in range(a.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        losses.append(train_epoch(model, opt, x, y, a.seed))
        train_rates.append(x.shape[0] / (time.perf_counter() - t0))
        train_cpu_rates.append(x.shape[0] / (time.process_time() - c0))

    # ---- randomized-smoothing certification ----
    model.eval()
    smooth = Smooth(model, 10, SIGMA)
    torch.manual_seed(a.seed + 1)
    smooth.certify(xt[0], N0, 2 * BATCH_CERTIFY, ALPHA, BATCH_CERTIFY)  # warm-up, untimed
    samples = a.inputs * (N0 + N)
    cert_rates, cert_cpu_rates = [], []
    results = []
    for _ in range(a.repeats):
        smooth.sampling_seconds = 0.0
        c0 = time.process_time()
        results = [smooth.certify(xt[i], N0, N, ALPHA, BATCH_CERTIFY) for i in range(a.inputs)]
        cpu = time.process_time() - c0
        cert_rates.append(samples / smooth.sampling_seconds)
        cert_cpu_rates.append(samples / cpu)

    certified = [r for (pred, r), label in zip(results, yt.tolist()) if pred == label and r > 0]
    gpu = torch.cuda.get_device_name(device) if device.type == 'cuda' else None
    print(json.dumps({
        'figures': {
            'certification throughput': {'value': statistics.median(cert_rates), 'runs': cert_rates, 'unit': 'noise samples/s', 'higherIsBetter': True},
            'Gaussian-training throughput': {'value': statistics.median(train_rates), 'runs': train_rates, 'unit': 'samples/s', 'higherIsBetter': True},
            'certification per CPU-second': {'value': statistics.median(cert_cpu_rates), 'runs': cert_cpu_rates, 'unit': 'noise samples/CPU-s', 'higherIsBetter': True},
            'Gaussian training per CPU-second': {'value': statistics.median(train_cpu_rates), 'runs': train_cpu_rates, 'unit': 'samples/CPU-s', 'higherIsBetter': True},
        },
        'info': {
            'torch': torch.__version__,
            'device': a.device,
            'gpu': gpu,
            'threads': torch.get_num_threads(),
            'certify': f"Cohen et al.'s Smooth.certify/_sample_noise per input: {a.inputs} inputs, n0 {N0}, n {N}, alpha {ALPHA}, batch {BATCH_CERTIFY}, sigma {SIGMA}; only _sample_noise timed (CPU-second figure: the whole certify)",
            'train': f'x + randn_like(x) * {SIGMA}, Adam lr 1e-3, batch {BATCH_TRAIN}, {a.images} images per epoch',
            'training losses': [round(l, 4) for l in losses],
            'certified (correct, radius > 0)': len(certified),
            'abstained': sum(1 for pred, _ in results if pred == Smooth.ABSTAIN),
            'mean certified radius': round(sum(certified) / len(certified), 4) if certified else 0,
        },
    }))


if __name__ == '__main__':
    main()

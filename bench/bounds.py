"""PyTorch side of the bounds benchmark: the same work as bench/bounds.ts in plain PyTorch. Run by
bench/run.mjs with Debian's /usr/bin/python3 (python3-torch).

auto_LiRPA, the reference implementation, is not packaged for Debian and cannot be installed
here, so this side is a straightforward PyTorch transcription of the same algorithms, one small
function per layer kind as auto_LiRPA's operators are (IBP: interval propagation with the final
Linear folded into the margin specification, Gowal et al. 2018; CROWN: the backward linear
relaxation of Zhang et al. 2018 with the adaptive ReLU lower slope, backward through
convolutions by conv_transpose2d as auto_LiRPA does, intermediate bounds from CROWN for the
unstable neurons only, or from IBP for CROWN-IBP). Same batch sizes (IBP 256, CROWN 32) and the
same chunking of the intermediate-bound passes (at most 2^22 coefficient elements) as abstain.

DeepPoly (Singh et al. 2019) is CROWN's back-substitution with DeepPoly's lower slope, every
neuron of a ReLU input bounded, and concretisation also at the bounded layers on the way (as ERAN
does), keeping the largest bound; the tightest-of bound is the elementwise maximum of the IBP,
CROWN and DeepPoly margins (its time is the sum of theirs, so it is not timed).

Figures (seconds for the first 100 MNIST test images, L-inf eps 0.1, the small MNIST CNN after
one epoch of standard training, seeded and shuffled as abstain's train() does, so both sides hold
the same weights): IBP time, CROWN time, CROWN-IBP time, DeepPoly time, CROWN CPU time, each the
median of the timed runs after an untimed warm-up; and the process's peak memory (maximum RSS)
after them. When bench/bounds.ts has just run (it leaves its weights and margins in
the temporary folder), `info` reports the largest differences between the two sides' weights and
margin lower bounds. Prints one JSON line.
"""
import argparse
import json
import os
import resource
import statistics
import struct
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from mnist_common import derive_seed, load, mnist_small

EPS = 0.1
TRAIN_IMAGES = 10000
MAX_ELEMENTS = 2 ** 22


def train_epoch(model, opt, x, y, seed):
    model.train()
    perm = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(derive_seed(seed, 'shuffle', 0)))
    for start in range(0, x.shape[0], 128):
        idx = perm[start:start + 128]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        loss.item()


# ---- bound operators, one per layer kind ----

def affine(layer):
    return isinstance(layer, (nn.Conv2d, nn.Linear, nn.Flatten))


def interval(layer, l, u):
    if isinstance(layer, nn.ReLU):
        return l.relu(), u.relu()
    if isinstance(layer, nn.Flatten):
        return layer(l), layer(u)
    mid, rad = (l + u) / 2, (u - l) / 2
    if isinstance(layer, nn.Linear):
        m, r = F.linear(mid, layer.weight, layer.bias), F.linear(rad, layer.weight.abs())
    else:
        o = dict(stride=layer.stride, padding=layer.padding, dilation=layer.dilation, groups=layer.groups)
        m, r = F.conv2d(mid, layer.weight, layer.bias, **o), F.conv2d(rad, layer.weight.abs(), None, **o)
    return m - r, m + r


def relu_relaxation(l, u, strict=False):
    """Upper line u/(u-l)(x-l) and the adaptive lower slope on unstable neurons (strict: DeepPoly's
    1 if u > -l, else CROWN's 1 if u >= -l); exact elsewhere."""
    active = (l >= 0).to(l.dtype)
    unstable = (l < 0) & (u > 0)
    s = u / torch.where(unstable, u - l, (u - l).clamp(min=1))
    upper_slope = torch.where(unstable, s, active)
    upper_intercept = torch.where(unstable, -s * l, torch.zeros_like(l))
    lower_slope = torch.where(unstable, ((u > -l) if strict else (u >= -l)).to(l.dtype), active)
    return upper_slope, upper_intercept, lower_slope


def backward(layer, A, in_shape, l=None, u=None, strict=False):
    """Coefficients A [Ba, S, *out] on the layer's output -> (A' on its input, added constant)."""
    Ba, S = A.shape[:2]
    if isinstance(layer, nn.Linear):
        return A.matmul(layer.weight), (A.matmul(layer.bias) if layer.bias is not None else None)
    if isinstance(layer, nn.Flatten):
        return A.reshape(Ba, S, *in_shape), None
    if isinstance(layer, nn.Conv2d):
        Ho, Wo = A.shape[3:]
        Ci, Hi, Wi = in_shape
        k = layer.weight.shape[2:]
        covered = [(n - 1) * layer.stride[i] - 2 * layer.padding[i] + layer.dilation[i] * (k[i] - 1) + 1 for i, n in enumerate((Ho, Wo))]
        At = F.conv_transpose2d(A.reshape(Ba * S, *A.shape[2:]), layer.weight, None, stride=layer.stride, padding=layer.padding,
                                output_padding=(Hi - covered[0], Wi - covered[1]), dilation=layer.dilation, groups=layer.groups)
        bias = A.sum((3, 4)).matmul(layer.bias) if layer.bias is not None else None
        return At.reshape(Ba, S, Ci, Hi, Wi), bias
    if isinstance(layer, nn.ReLU):  # positive coefficients take the lower line, negative the upper
        us, ui, ls = relu_relaxation(l, u, strict)
        B = l.shape[0]
        neg = A.clamp(max=0)
        newA = A * ls.unsqueeze(1) + neg * (us - ls).unsqueeze(1)
        bias = neg.reshape(Ba, S, -1).matmul(ui.reshape(B, -1, 1)).squeeze(2)
        return newA, bias
    raise TypeError(f'no bound for {type(layer).__name__}')


def concretize_lower(A, bias, lo, hi, slack=0.0):
    """Lower bound of A x + bias over [lo, hi]; slack > 0 widens it by slack (|A| (|mid| + rad) + |bias|)."""
    Ba, S = A.shape[:2]
    B = lo.shape[0]
    flatA = A.reshape(Ba, S, -1)
    mid = ((lo + hi) / 2).reshape(B, -1, 1)
    rad = ((hi - lo) / 2).reshape(B, -1, 1)
    out = flatA.matmul(mid).sub(flatA.abs().matmul(rad)).squeeze(2)
    if slack:
        out = out - slack * flatA.abs().matmul(mid.abs() + rad).squeeze(2)
        if bias is not None:
            bias = bias - slack * bias.abs()
    return out + bias if bias is not None else out


def input_box(x, eps):
    return (x - eps).clamp(0, 1), (x + eps).clamp(0, 1)


def margin_spec(classes, K):
    """C [B, K-1, K]: row j is e_c - e_j for j != c (increasing j)."""
    B = classes.shape[0]
    eye = torch.eye(K)
    others = torch.stack([torch.cat([torch.arange(c), torch.arange(c + 1, K)]) for c in classes.tolist()])  # [B, K-1]
    return eye[classes].unsqueeze(1) - eye[others]


def shapes_of(layers, x):
    shapes, y = [], x
    for layer in layers:
        shapes.append(tuple(y.shape[1:]))
        y = layer(y)
    shapes.append(tuple(y.shape[1:]))
    return y, shapes


def interval_through(layers, l, u, frm, to):
    for k in range(frm, to):
        l, u = interval(layers[k], l, u)
    return l, u


def ibp_spec_bounds(layers, x, eps, C, shapes):
    t = len(layers)
    while t > 0 and affine(layers[t - 1]):
        t -= 1
    A, bias = C, None
    for k in range(len(layers) - 1, t - 1, -1):
        A, b = backward(layers[k], A, shapes[k])
        if b is not None:
            bias = b if bias is None else bias + b
    lo, hi = input_box(x, eps)
    l, u = interval_through(layers, lo, hi, 0, t)
    return concretize_lower(A, bias, l, u)


def backward_lower(layers, shapes, pre, A, to, lo, hi, tight=None, slack=0.0, strict=False):
    """Back-substitution to the input; with `tight` (DeepPoly: boxes of some layers' inputs) also
    concretised at each of those on the way, keeping the largest bound."""
    bias, best = None, None
    for k in range(to - 1, -1, -1):
        bl, bu = pre.get(k, (None, None))
        A, b = backward(layers[k], A, shapes[k], bl, bu, strict)
        if b is not None:
            bias = b if bias is None else bias + b
        if tight is not None and k > 0 and k in tight:
            v = concretize_lower(A, bias, *tight[k], slack)
            best = v if best is None else torch.maximum(best, v)
    out = concretize_lower(A, bias, lo, hi, slack)
    return out if best is None else torch.maximum(best, out)


SLACK = 1e-6  # abstain's relative widening of back-substituted intermediate bounds (rounding room)


def crown_spec_bounds(layers, x, eps, C, shapes, intermediate, deeppoly=False):
    """CROWN; deeppoly=True: DeepPoly (every neuron of a ReLU input bounded, DeepPoly's lower slope,
    concretisation also at the bounded layers on the way, for the intermediate and final bounds)."""
    lo, hi = input_box(x, eps)
    B = x.shape[0]
    pre = {}
    tight = {} if deeppoly else None  # boxes of layer inputs to concretise at: tightened, ReLU outputs
    size = lambda s: int(np.prod(s))

    def tighten(k, l, u):  # CROWN bounds of layer k's input for the neurons the box leaves unstable
        n = size(shapes[k])
        wanted = torch.ones_like(l, dtype=torch.bool) if deeppoly else (l < 0) & (u > 0)
        unstable = wanted.reshape(B, n).any(0).nonzero().flatten()
        if unstable.numel() == 0:
            return l, u
        widest = max(size(s) for s in shapes[:k + 1])
        rows = max(1, MAX_ELEMENTS // (2 * B * widest))
        lowers, uppers = [], []
        for r0 in range(0, unstable.numel(), rows):
            idx = unstable[r0:r0 + rows]
            m = idx.numel()
            I = F.one_hot(idx, n).to(l.dtype)
            A0 = torch.cat([I, -I]).reshape(1, 2 * m, *shapes[k])
            b = backward_lower(layers, shapes, pre, A0, k, lo, hi, tight, SLACK, deeppoly)
            lowers.append(b[:, :m])
            uppers.append(-b[:, m:])
        index = unstable.unsqueeze(0).expand(B, -1)
        fl, fu = l.reshape(B, n), u.reshape(B, n)
        nl = fl.scatter(1, index, torch.cat(lowers, 1).maximum(fl.gather(1, index)))
        nu = fu.scatter(1, index, torch.cat(uppers, 1).minimum(fu.gather(1, index)))
        return nl.reshape(B, *shapes[k]), nu.reshape(B, *shapes[k])

    l, u, frm = lo, hi, 0
    for k, layer in enumerate(layers):
        if affine(layer):
            continue
        l, u = interval_through(layers, l, u, frm, k)
        frm = k
        if intermediate == 'crown':
            l, u = tighten(k, l, u)
            if deeppoly:
                tight[k] = (l, u)
        pre[k] = (l, u)
        if deeppoly:
            tight[k + 1] = interval(layers[k], l, u)
    return backward_lower(layers, shapes, pre, C, len(layers), lo, hi, tight, 0.0, deeppoly)


def certify(layers, images, eps, batch, bounds):
    """Margin lower bounds [N, K-1] of the clean prediction against every other class."""
    out = []
    with torch.no_grad():
        for start in range(0, images.shape[0], batch):
            x = images[start:start + batch]
            logits, shapes = shapes_of(layers, x)
            preds = logits.argmax(1)
            out.append(bounds(layers, x, eps, margin_spec(preds, logits.shape[1]), shapes))
    return torch.cat(out)


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, d in header.items():
        if name == '__metadata__':
            continue
        assert d['dtype'] == 'F32', d
        a, b = d['data_offsets']
        out[name] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).copy()).view(*d['shape'])
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--inputs', type=int, default=100)
    p.add_argument('--quick', action='store_true', help='at most 2 timed runs')
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--data-dir', required=True)
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    if a.quick:
        a.repeats = min(a.repeats, 2)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    model = mnist_small()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = load(a.data_dir, 'train', TRAIN_IMAGES)
    train_epoch(model, opt, x, y, a.seed)
    model.eval()
    for prm in model.parameters():
        prm.requires_grad_(False)
    layers = list(model)
    xt, yt = load(a.data_dir, 't10k', a.inputs)

    firsts, cpus = [], []

    def timed(times, f):
        t = time.perf_counter()
        result = f()
        firsts.append(round(time.perf_counter() - t, 3))
        runs, cpu = [], []
        for _ in range(times):
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            runs.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        cpus.append(cpu)
        return runs, result

    crown = lambda mode, dp=False: (lambda ls, x, e, C, s: crown_spec_bounds(ls, x, e, C, s, mode, dp))
    ibp_runs, ibp = timed(max(a.repeats, 10), lambda: certify(layers, xt, EPS, 256, ibp_spec_bounds))
    crown_runs, cr = timed(a.repeats, lambda: certify(layers, xt, EPS, 32, crown('crown')))
    crown_ibp_runs, cri = timed(a.repeats, lambda: certify(layers, xt, EPS, 32, crown('ibp')))
    deeppoly_runs, dp = timed(a.repeats, lambda: certify(layers, xt, EPS, 32, crown('crown', True)))
    tightest = torch.maximum(torch.maximum(ibp, cr), dp)  # its time is the sum of its parts'

    with torch.no_grad():
        preds = model(xt).argmax(1)
    summary = lambda m: {'verified': int((m > 0).all(1).sum()), 'certified': int(((m > 0).all(1) & (preds == yt)).sum()),
                         'mean worst margin': round(float(m.min(1).values.mean()), 4)}
    info = {
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'setup': f'mnist-small after one epoch of standard training on {TRAIN_IMAGES} images; {a.inputs} test inputs; L-inf eps {EPS}; IBP batch 256, CROWN batch 32',
        'clean accuracy': round(float((preds == yt).float().mean()), 4),
        'first (untimed) call, s': dict(zip(('ibp', 'crown', 'crown-ibp', 'deeppoly'), firsts)),
        'ibp': summary(ibp), 'crown': summary(cr), 'crown-ibp': summary(cri), 'deeppoly': summary(dp),
        'tightest of ibp, crown, deeppoly': summary(tightest),
    }
    # Compare with what the abstain side (run just before, same seed) computed.
    base = os.path.join(tempfile.gettempdir(), f'abstain-bench-bounds-{a.seed}')
    try:
        theirs = read_safetensors(base + '.safetensors')
        with open(base + '.json') as f:
            hand = json.load(f)
        ours = model.state_dict()
        info['max |weight difference| vs abstain'] = max(float((ours[k] - v).abs().max()) for k, v in theirs.items())
        if hand['inputs'] == a.inputs and hand['eps'] == EPS:
            for key, m in (('ibp', ibp), ('crown', cr), ('crownIbp', cri), ('deeppoly', dp)):
                other = torch.tensor(hand['margins'][key], dtype=torch.float32)
                info[f'max |{key} margin difference| vs abstain'] = float((other - m).abs().max())
                info[f'max relative {key} margin difference'] = float(((other - m).abs() / m.abs().clamp(min=1)).max())
    except (OSError, KeyError, ValueError) as e:
        info['comparison with abstain'] = f'not made ({e})'
    print(json.dumps({
        'figures': {
            'IBP time': {'value': statistics.median(ibp_runs), 'runs': ibp_runs, 'unit': f's / {a.inputs} inputs', 'higherIsBetter': False},
            'CROWN time': {'value': statistics.median(crown_runs), 'runs': crown_runs, 'unit': f's / {a.inputs} inputs', 'higherIsBetter': False},
            'CROWN-IBP time': {'value': statistics.median(crown_ibp_runs), 'runs': crown_ibp_runs, 'unit': f's / {a.inputs} inputs', 'higherIsBetter': False},
            'DeepPoly time': {'value': statistics.median(deeppoly_runs), 'runs': deeppoly_runs, 'unit': f's / {a.inputs} inputs', 'higherIsBetter': False},
            'CROWN CPU time': {'value': statistics.median(cpus[1]), 'runs': cpus[1], 'unit': f'CPU-s / {a.inputs} inputs', 'higherIsBetter': False},
            'peak memory': {'value': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'unit': 'MiB', 'higherIsBetter': False},
        },
        'info': info,
    }))


if __name__ == '__main__':
    main()

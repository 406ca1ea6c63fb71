# Prints the expected Entropy and MSE observer results pasted into
# Tests/QConvertTests/Calibration/Observers/{Entropy,MSE}ObserverTests.swift.
# Needs: python with numpy (e.g. /root/.cache/qconvert-real/venv/bin/python). No arguments.
"""Independent, deliberately naive numpy implementations of the observer definitions.

Nothing here shares code with the Swift observers: P and Q are built as arrays and the divergence
is computed directly (the Swift code uses running sums), and the MSE error is integrated bin by bin
for every candidate (the Swift code uses prefix sums). The test histograms hold integer values with
a span between 1024 and 2047, so their bins are exactly 1 wide (bin v holds the value v); this
script checks that claim with its own implementation of the binning rule.
"""

import math

import numpy as np

EPS = 1e-4


# ------------------------------------------------------------------------------------------------
# Shared data definitions (mirrored in the Swift tests)


def decay_counts():
    """Values 0...1500: count floor(2000 exp(-v/30)) + (1 if v % 97 == 0), and 1 at v = 1500."""
    c = {v: math.floor(2000 * math.exp(-v / 30)) + (1 if v % 97 == 0 else 0) for v in range(1501)}
    c[1500] = 1
    return c


def slow_decay_with_zeros():
    """Values 0...1500: count floor(2000 exp(-v/300)), and 200000 more at 0 (a ReLU's exact zeros)."""
    c = {v: math.floor(2000 * math.exp(-v / 300)) for v in range(1501)}
    c[0] += 200000
    return c


def two_sided_counts():
    """Values -400...1200: count floor(500 exp(-|v|/25)) + (1 if v % 50 == 0)."""
    c = {v: math.floor(500 * math.exp(-abs(v) / 25)) + (1 if v % 50 == 0 else 0) for v in range(-400, 1201)}
    return {v: n for v, n in c.items() if n > 0}


def small_negative_side_counts():
    """Values -40...1200: count floor(500 exp(-|v|/5)) + 1."""
    return {v: math.floor(500 * math.exp(-abs(v) / 5)) + 1 for v in range(-40, 1201)}


def mse_two_sided_counts():
    """Values -40...1100: count floor(300 exp(-|v|/80)) + 1."""
    return {v: math.floor(300 * math.exp(-abs(v) / 80)) + 1 for v in range(-40, 1101)}


def bin_exponent(lo, hi):
    """Smallest e with floor(hi/2^e) - evenfloor(floor(lo/2^e)) < 2048 (no resolution floor binds here)."""
    e = -30
    while True:
        a = math.floor(lo / 2.0**e)
        a -= a % 2
        if math.floor(hi / 2.0**e) - a < 2048:
            return e
        e += 1


def check_unit_bins(counts):
    e = bin_exponent(min(counts), max(counts))
    assert e == 0, e


# ------------------------------------------------------------------------------------------------
# Entropy (TensorRT)


def smooth(p):
    p = p.astype(np.float64)
    zeros = int((p == 0).sum())
    nonzeros = p.size - zeros
    if nonzeros == 0:
        return None
    out = p.copy()
    out[p == 0] = EPS
    out[p != 0] -= EPS * zeros / nonzeros
    if (out <= 0).any():
        return None
    return out


def divergence(bins, i, target):
    bins = np.asarray(bins, dtype=np.float64)
    p = bins[:i].copy()
    p[i - 1] += bins[i:].sum()
    size = i // target
    q = np.zeros(i)
    for g in range(target):
        start = g * size
        end = i if g == target - 1 else start + size
        nonzero = p[start:end] != 0
        if nonzero.sum() > 0:
            q[start:end][nonzero] = bins[start:end].sum() / nonzero.sum()
    ps, qs = smooth(p), smooth(q)
    if ps is None or qs is None:
        return math.inf
    ps /= ps.sum()
    qs /= qs.sum()
    return float(np.sum(ps * np.log(ps / qs)))


def best_bin_count(bins, target):
    best_i, best_d = len(bins), math.inf
    for i in range(target, len(bins) + 1):
        if sum(bins[i:]) > 0.5 * sum(bins):  # clips more than half the values: skipped
            continue
        d = divergence(bins, i, target)
        if d < best_d:
            best_i, best_d = i, d
    return best_i


def zero_spike_removed(bins):
    """The bin at zero counted as its neighbour when it holds more than 4 times as many (exact zeros)."""
    bins = list(bins)
    if bins[0] > 4 * bins[1]:
        bins[0] = bins[1]
    return bins


def side_threshold(bins, target, extent):
    """A side's threshold on unit-width bins: the middle of the best candidate's last bin, at most extent."""
    return min(best_bin_count(zero_spike_removed(bins), target) + 0.5, extent)


MINIMUM_SIDE_LEVELS = 16


def asymmetric_range(counts, levels=256):
    """Each side of zero calibrated on its own with its share of the levels (in proportion to its
    extent); a side with under MINIMUM_SIDE_LEVELS of them keeps its extent."""
    positive, negative = max(max(counts), 0), max(-min(counts), 0)
    positive_levels = math.floor(levels * positive / (positive + negative) + 0.5)
    sides = []
    for sign, extent, share in ((+1, positive, positive_levels), (-1, negative, levels - positive_levels)):
        keep = share < MINIMUM_SIDE_LEVELS or extent == 0
        sides.append(extent if keep else side_threshold(side_bins(counts, sign), share, extent))
    return -sides[1], sides[0]


def side_bins(counts, sign):
    """Magnitude bins of one side with unit width: positive m <- value m; negative m <- value -m-1."""
    if sign > 0:
        top = max(v for v in counts if v >= 0)
        return [counts.get(m, 0) for m in range(top + 1)]
    top = max(-v - 1 for v in counts if v < 0)
    return [counts.get(-m - 1, 0) for m in range(top + 1)]


# ------------------------------------------------------------------------------------------------
# MSE


def grid(lo, hi, qmin, qmax, symmetric):
    """Scale and covered ends as QuantParams.covering computes them (float32): the range widened
    to 0; symmetric scale max|x| / 127 with zero point 0 (int8) or 128 (uint8); asymmetric scale
    (hi - lo) / (qmax - qmin), zero point qmin - round_half_even(lo / scale). The grid saturates at
    the type's full [qmin, qmax]."""
    lo, hi = np.float32(min(lo, 0)), np.float32(max(hi, 0))
    if symmetric:
        bound = max(-lo, hi)
        scale = np.float32(bound / np.float32(127)) if bound > 0 else np.float32(1)
        zero = 128 if qmin == 0 else 0
    elif hi > lo:
        scale = np.float32((hi - lo) / np.float32(qmax - qmin))
        zero = int(np.clip(np.float32(qmin) - np.round(lo / scale), qmin, qmax))
    else:
        scale, zero = np.float32(1), 0
    s = float(scale)
    return s, (qmin - zero) * s, (qmax - zero) * s


def bin_arrays(counts):
    """Each bin's support [a, b] (bin v clipped to [min, max]) and count, as arrays."""
    vmin, vmax = min(counts), max(counts)
    items = sorted((v, n) for v, n in counts.items() if n > 0)
    a = np.array([max(v, vmin) for v, _ in items], dtype=np.float64)
    b = np.array([min(v + 1, vmax) for v, _ in items], dtype=np.float64)
    n = np.array([n for _, n in items], dtype=np.float64)
    return a, b, n


def expected_error(bins, lo, hi, scheme):
    """Mass n uniform on [a, b] per bin (a point if a == b): summed expected squared error."""
    a, b, n = bins
    s, low, high = grid(lo, hi, *scheme)
    noise = s * s / 12
    point = a == b
    x = a[point]
    point_err = np.where(x < low, (low - x) ** 2, np.where(x > high, (x - high) ** 2, noise))
    total = float(np.sum(n[point] * point_err))
    a, b, n = a[~point], b[~point], n[~point]
    d = n / (b - a)
    u, v = a, np.minimum(b, low)
    below = np.where(v > u, d * ((low - u) ** 3 - (low - v) ** 3) / 3, 0.0)
    u, v = np.maximum(a, low), np.minimum(b, high)
    inside = np.where(v > u, d * (v - u) * noise, 0.0)
    u, v = np.maximum(a, high), b
    above = np.where(v > u, d * ((v - high) ** 3 - (u - high) ** 3) / 3, 0.0)
    return total + float(np.sum(below) + np.sum(inside) + np.sum(above))


# Candidate thresholds run over bins from 0 here; the Swift observer starts at the lowest bin
# holding data, which is the same for these data sets (each reaches bin 0 or -1).
def mse_symmetric(counts, scheme):
    vmax = max(abs(v) for v in counts)
    top = max(max(counts), max(-v - 1 for v in counts) if min(counts) < 0 else 0)
    bins = bin_arrays(counts)
    best = (math.inf, None)
    for m in range(top + 1):
        t = float(np.float32(min(m + 1, vmax)))
        err = expected_error(bins, -t, t, scheme)
        if err < best[0]:
            best = (err, t)
    return best[1]


def mse_asymmetric(counts, scheme):
    vmin, vmax = min(counts), max(counts)
    his = [float(min(j + 1, vmax)) for j in range(vmax + 1)] if vmax >= 0 else [0.0]
    los = [float(max(-(m + 1), vmin)) for m in reversed(range(-vmin))] if vmin < 0 else [0.0]
    bins = bin_arrays(counts)
    best = (math.inf, None)
    for lo in los:
        for hi in his:
            err = expected_error(bins, lo, hi, scheme)
            if err < best[0]:
                best = (err, (lo, hi))
    return best[1]


def main():
    print("entropy, small arrays:")
    e1 = [10, 8, 6, 5, 4, 3, 2, 2, 1, 1, 0, 1, 0, 0, 1, 1]
    e2 = [5, 0, 3, 0, 0, 2, 0, 1, 0, 0, 0, 1]
    e3 = [math.floor(1000 * math.exp(-k / 20)) for k in range(300)]
    for k in (150, 220, 299):
        e3[k] = 1
    print("  e1 target 4 ->", best_bin_count(e1, 4))
    print("  e2 target 3 ->", best_bin_count(e2, 3))
    print("  e3 target 128 ->", best_bin_count(e3, 128))
    away = [0] * 60 + [1] + [3] * 40
    print("  away from zero (60 empty, 1, then 40 x 3), target 16 ->", best_bin_count(away, 16))

    decay = decay_counts()
    check_unit_bins(decay)
    bins = side_bins(decay, +1)
    print("entropy, decay data: symmetric threshold", side_threshold(bins, 128, 1500),
          "asymmetric hi", side_threshold(bins, 256, 1500))
    relu = slow_decay_with_zeros()
    check_unit_bins(relu)
    print("entropy, slow decay with 200000 more zeros (a ReLU's), asymmetric hi", side_threshold(side_bins(relu, +1), 256, 1500),
          "(zero bin as it is:", best_bin_count(side_bins(relu, +1), 256) + 0.5, end=")\n")

    two = two_sided_counts()
    check_unit_bins(two)
    print("entropy, two-sided data, asymmetric: lo %s hi %s" % asymmetric_range(two))

    small = small_negative_side_counts()
    check_unit_bins(small)
    print("entropy, small negative side, asymmetric: lo %s hi %s" % asymmetric_range(small),
          "(KL over its 8 levels would put lo at", -side_threshold(side_bins(small, -1), 8, 40), end=")\n")
    steep = [math.floor(500 * math.exp(-m / 3)) + 1 for m in range(40)]
    print("entropy, side floor(500 exp(-m/3)) + 1, m < 40: KL over 16 target bins", side_threshold(steep, 16, 40),
          "(over 15:", side_threshold(steep, 15, 40), "but under 16 levels the side keeps its extent, 40)")

    int8, uint8 = (-128, 127, True), (0, 255, False)
    print("mse, decay data, int8 symmetric: T =", mse_symmetric(decay, int8))
    print("mse, decay data, uint8: range", mse_asymmetric(decay, uint8))
    mse_two = mse_two_sided_counts()
    check_unit_bins(mse_two)
    print("mse, two-sided data, uint8: range", mse_asymmetric(mse_two, uint8))
    print("mse, two-sided data, int8 symmetric: T =", mse_symmetric(mse_two, int8))


if __name__ == "__main__":
    main()

"""Image consolidation benchmark data and the NumPy reference (run.sh).

    images_bench.py generate-boxes DIR [--images N] [--seed S]
    images_bench.py numpy-boxes DIR [--images N]   the same algorithm as
        consolidation::ConsolidateBoxes (grouping by IoU, best pair first,
        weighted edges, label vote, two rounds of worker reliabilities), on
        the first N images (default all); writes DIR/boxes_numpy.txt
    images_bench.py compare-boxes DIR              same boxes, labels and
        confidences for every image both consolidated
    images_bench.py quality-boxes DIR              C++'s recall and IoU against
        the truth, and the median worker's
    images_bench.py generate-masks DIR [--width W --height H --seed S]
    images_bench.py numpy-masks DIR                the same vote as
        consolidation::VoteMasks (3x3 smoothing, tie rules), whole arrays
    images_bench.py compare-masks DIR

Boxes: images of 10 objects (4000x3000), each answered by 5 of 100 workers;
a tenth of the workers are careless (edges off by ~40 px, a third missed,
wrong labels, stray boxes), the others trace within ~4 px and miss 3%.
Masks: a truth of rectangles and discs (3 classes); four careful workers
(edges shifted ~6 px) and one careless (~40 px). Times exclude loading."""
import argparse
import heapq
import math
import os
import resource
import sys
import time

import numpy as np

M64 = (1 << 64) - 1
MIN_IOU, ROUNDS, PRIOR_A, PRIOR_B = 0.5, 2, 7.0, 3.0


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- boxes
def generate_boxes(d, images, seed):
    rng = np.random.default_rng(seed)
    workers = 100
    careless = set(rng.choice(workers, workers // 10, replace=False).tolist())
    with open(os.path.join(d, "boxes.txt"), "w") as f, open(os.path.join(d, "truth.txt"), "w") as t:
        f.write("%d %d\n" % (images, workers))
        for i in range(images):
            w = rng.uniform(60, 600, 10)
            h = rng.uniform(60, 600, 10)
            l = rng.uniform(0, 4000 - w)
            tp = rng.uniform(0, 3000 - h)
            lab = rng.integers(0, 5, 10)
            t.write(" ".join("%.6f %.6f %.6f %.6f %d" % b for b in zip(l, tp, w, h, lab)) + "\n")
            for wk in rng.choice(workers, 5, replace=False):
                bad = int(wk) in careless
                sd, miss = (40.0, 0.33) if bad else (4.0, 0.03)
                keep = rng.random(10) >= miss
                e = rng.normal(0, sd, (10, 4))
                bl = l + e[:, 0]
                bt = tp + e[:, 1]
                bw = np.maximum(w + e[:, 2], 4)
                bh = np.maximum(h + e[:, 3], 4)
                blab = np.where(rng.random(10) < (0.3 if bad else 0.01), rng.integers(0, 5, 10), lab)
                rows = [(bl[j], bt[j], bw[j], bh[j], blab[j]) for j in range(10) if keep[j]]
                if bad:
                    for _ in range(int(rng.integers(0, 3))):
                        rows.append((rng.uniform(0, 3500), rng.uniform(0, 2500), rng.uniform(40, 400),
                                     rng.uniform(40, 400), int(rng.integers(0, 5))))
                f.write("%d %d %d %s\n" % (i, wk, len(rows), " ".join(
                    "%.6f %.6f %.6f %.6f %d" % r for r in rows)))


def read_boxes(d, limit):
    with open(os.path.join(d, "boxes.txt")) as f:
        images, workers = map(int, f.readline().split())
        images = min(images, limit) if limit else images
        data = [[] for _ in range(images)]
        for line in f:
            p = line.split()
            i = int(p[0])
            if i >= images:
                continue
            n = int(p[2])
            v = np.array(p[3:3 + 5 * n], dtype=np.float64).reshape(n, 5)
            data[i].append((int(p[1]), v[:, :4].copy(), v[:, 4].astype(np.int64)))
    return data, workers


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def llround(v):
    r = math.floor(abs(v) + 0.5)
    return int(r if v >= 0 else -r)


def iou_many(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2):
    """EdgesIoU of one box against arrays of boxes."""
    iw = np.minimum(ax2, bx2) - np.maximum(ax1, bx1)
    ih = np.minimum(ay2, by2) - np.maximum(ay1, by1)
    inter = iw * ih
    uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    ok = (iw > 0) & (ih > 0) & (uni > 0)
    return np.where(ok, inter / np.where(ok, uni, 1.0), 0.0)


def box_iou(a, b):
    """BoxIoU of two (left, top, width, height) tuples, as plain floats."""
    if not (a[2] > 0 and a[3] > 0 and b[2] > 0 and b[3] > 0):
        return 0.0
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = min(ax2, bx2) - max(a[0], b[0])
    ih = min(ay2, by2) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    uni = (ax2 - a[0]) * (ay2 - a[1]) + (bx2 - b[0]) * (by2 - b[1]) - inter
    return inter / uni if uni > 0 else 0.0


def consolidate_image(answers, seed, weight):
    if not answers:
        return []
    total = 0.0
    for wk, _, _ in answers:
        total += weight[wk]
    if total <= 0:
        total = 1e-9 * len(answers)
    boxes = [b[(b[:, 2] > 0) & (b[:, 3] > 0)] for _, b, _ in answers]
    labels = [lab[(b[:, 2] > 0) & (b[:, 3] > 0)] for _, b, lab in answers]
    if sum(len(b) for b in boxes) == 0:
        return []
    box = np.concatenate(boxes)
    label = np.concatenate(labels)
    answer = np.concatenate([np.full(len(b), ai) for ai, b in enumerate(boxes)])
    wts = np.concatenate([np.full(len(b), weight[answers[ai][0]]) for ai, b in enumerate(boxes)])
    n = len(box)
    gx1, gy1 = box[:, 0].copy(), box[:, 1].copy()
    gx2, gy2 = box[:, 0] + box[:, 2], box[:, 1] + box[:, 3]
    alive = np.ones(n, dtype=bool)
    version = [0] * n
    members = [[i] for i in range(n)]
    holds = [1 << int(a) for a in answer]
    # Initial pairs: every two boxes of different answers with IoU >= MIN_IOU.
    m = iou_many(gx1[:, None], gy1[:, None], gx2[:, None], gy2[:, None], gx1[None], gy1[None], gx2[None], gy2[None])
    m[np.tril_indices(n)] = 0
    m[answer[:, None] == answer[None]] = 0
    ia, ib = np.nonzero(m >= MIN_IOU)
    heap = [(-m[a, b], int(a), int(b), 0, 0) for a, b in zip(ia, ib)]
    heapq.heapify(heap)
    while heap:
        negiou, a, b, va, vb = heapq.heappop(heap)
        if not alive[a] or not alive[b] or version[a] != va or version[b] != vb:
            continue
        members[a] += members[b]
        holds[a] |= holds[b]
        version[a] += 1
        alive[b] = False
        x1 = y1 = x2 = y2 = tw = 0.0
        for i in members[a]:
            w = max(float(wts[i]), 1e-9)
            l, t, bw, bh = (float(v) for v in box[i])
            x1 += w * l
            y1 += w * t
            x2 += w * (l + bw)
            y2 += w * (t + bh)
            tw += w
        gx1[a], gy1[a], gx2[a], gy2[a] = x1 / tw, y1 / tw, x2 / tw, y2 / tw
        others = np.nonzero(alive)[0]
        others = others[others != a]
        if len(others) == 0:
            continue
        v = iou_many(gx1[a], gy1[a], gx2[a], gy2[a], gx1[others], gy1[others], gx2[others], gy2[others])
        for k, iou in zip(others[v >= MIN_IOU], v[v >= MIN_IOU]):
            k = int(k)
            if holds[a] & holds[k]:
                continue
            lo, hi = min(a, k), max(a, k)
            heapq.heappush(heap, (-float(iou), lo, hi, version[lo], version[hi]))
    out = []
    for g in np.nonzero(alive)[0]:
        votes = {}
        support = 0.0
        for i in members[g]:
            w = max(float(wts[i]), 1e-9)
            support += w
            votes[int(label[i])] = votes.get(int(label[i]), 0.0) + w
        if support < 0.5 * total - 1e-9:
            continue
        top, tied = -1.0, []
        for lab in sorted(votes):
            v = votes[lab]
            if v > top + 1e-12:
                top, tied = v, [lab]
            elif abs(v - top) <= 1e-12:
                tied.append(lab)
        x1, y1, x2, y2 = float(gx1[g]), float(gy1[g]), float(gx2[g]), float(gy2[g])
        key = ((llround(x1 * 16) & M64) * 0x100000001B3 & M64) ^ (llround(y1 * 16) & M64)
        pick = mix(seed ^ mix(key)) % len(tied)
        r = (x1, y1, x2 - x1, y2 - y1)
        iou = 0.0
        for i in members[g]:
            iou += box_iou(tuple(float(v) for v in box[i]), r)
        conf = min(1.0, top / total) * (iou / len(members[g]))
        out.append((tied[pick], r[1], r[0], r[2], r[3], conf))
    out.sort(key=lambda b: b[:5])
    return [(l, t, w, h, lab, c) for lab, t, l, w, h, c in out]


def consolidate_boxes(data, workers):
    weight = [1.0] * workers
    result = [consolidate_image(a, i, weight) for i, a in enumerate(data)]
    for _ in range(ROUNDS):
        tp, fp, fn = np.zeros(workers), np.zeros(workers), np.zeros(workers)
        for answers, res in zip(data, result):
            if res:
                rb = np.array([r[:4] for r in res])
                rl = np.array([r[4] for r in res])
                rx1, ry1 = rb[:, 0], rb[:, 1]
                rx2, ry2 = rb[:, 0] + rb[:, 2], rb[:, 1] + rb[:, 3]
            for wk, b, lab in answers:
                used = np.zeros(len(res), dtype=bool)
                matched = given = 0
                for j in range(len(b)):
                    if not (b[j, 2] > 0 and b[j, 3] > 0):
                        continue
                    given += 1
                    if not res:
                        continue
                    v = iou_many(b[j, 0], b[j, 1], b[j, 0] + b[j, 2], b[j, 1] + b[j, 3], rx1, ry1, rx2, ry2)
                    v = np.where(used | (rl != lab[j]), -1.0, v)
                    top = v.max()
                    if top >= MIN_IOU:
                        used[len(v) - 1 - int(np.argmax(v[::-1] == top))] = True  # the last best, as C++'s >=
                        matched += 1
                tp[wk] += matched
                fp[wk] += given - matched
                fn[wk] += len(res) - matched
        weight = [(2 * tp[w] + PRIOR_A) / (2 * tp[w] + fp[w] + fn[w] + PRIOR_A + PRIOR_B) for w in range(workers)]
        result = [consolidate_image(a, i, weight) for i, a in enumerate(data)]
    return result


def numpy_boxes(d, limit):
    data, workers = read_boxes(d, limit)
    t0, c0 = time.perf_counter(), cpu()
    result = consolidate_boxes(data, workers)
    wall, c = time.perf_counter() - t0, cpu() - c0
    with open(os.path.join(d, "boxes_numpy.txt"), "w") as f:
        for res in result:
            f.write(" ".join("%.17g %.17g %.17g %.17g %d %.17g" % r for r in res) + "\n")
    print("numpy boxes images=%d seconds=%.4f cpu_seconds=%.4f" % (len(data), wall, c))


def parse_result_line(line, fields=6):
    p = line.split()
    return [tuple(float(x) for x in p[i:i + fields]) for i in range(0, len(p), fields)]


def compare_boxes(d):
    with open(os.path.join(d, "boxes_cpp.txt")) as f:
        cpp = f.read().splitlines()
    with open(os.path.join(d, "boxes_numpy.txt")) as f:
        ref = f.read().splitlines()
    differ = 0
    for a, b in zip(cpp, ref):
        x, y = parse_result_line(a), parse_result_line(b)
        if len(x) != len(y) or any(p[4] != q[4] or max(abs(u - v) for u, v in zip(p, q)) > 1e-9 for p, q in zip(x, y)):
            differ += 1
    print("compare boxes: %d images in both, %d differ" % (len(ref), differ))
    if differ:
        sys.exit(1)


def match(truth, boxes):
    """(found, IoUs of the found) of truth boxes (l, t, w, h, label) among
    boxes of the same label with IoU >= 0.5."""
    ious = []
    for tb in truth:
        best = max([box_iou(tb[:4], r[:4]) for r in boxes if r[4] == tb[4]], default=0.0)
        if best >= 0.5:
            ious.append(best)
    return len(ious), ious


def quality_boxes(d):
    with open(os.path.join(d, "boxes_cpp.txt")) as f:
        cpp = f.read().splitlines()
    with open(os.path.join(d, "truth.txt")) as f:
        truth = [parse_result_line(t, 5) for t in f.read().splitlines()]
    found, total, ious = 0, 0, []
    for line, t in zip(cpp, truth):
        n, i = match(t, parse_result_line(line))
        found, total, ious = found + n, total + len(t), ious + i
    per_worker = {}
    with open(os.path.join(d, "boxes.txt")) as f:
        f.readline()
        for k, line in enumerate(f):
            if k >= 20000:  # enough answers for every worker's figures
                break
            p = line.split()
            n = int(p[2])
            boxes = [tuple(float(x) for x in p[3 + 5 * j:8 + 5 * j]) for j in range(n)]
            got, i = match(truth[int(p[0])], boxes)
            s = per_worker.setdefault(int(p[1]), [0, 0, []])
            s[0], s[1], s[2] = s[0] + got, s[1] + len(truth[int(p[0])]), s[2] + i
    recalls = sorted(s[0] / s[1] for s in per_worker.values())
    mean_ious = sorted(sum(s[2]) / max(1, len(s[2])) for s in per_worker.values())
    print("boxes quality (%d images): recall %.4f, mean IoU of the found %.4f; median worker %.4f and %.4f"
          % (len(cpp), found / total, sum(ious) / len(ious), recalls[len(recalls) // 2],
             mean_ious[len(mean_ious) // 2]))


# ---------------------------------------------------------------- masks
def generate_masks(d, w, h, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    truth = np.zeros((h, w), dtype=np.uint8)
    truth[(x > w // 10) & (x < w // 2) & (y > h // 5) & (y < h // 2)] = 1
    truth[(x - 0.7 * w) ** 2 + (y - 0.6 * h) ** 2 < 0.04 * w * w] = 2
    for m in range(5):
        sd = 40 if m == 4 else 6
        sx, sy = (int(round(v)) for v in rng.normal(0, sd, 2))
        ox = np.clip(np.arange(w) - sx, 0, w - 1)
        oy = np.clip(np.arange(h) - sy, 0, h - 1)
        truth[oy][:, ox].tofile(os.path.join(d, "mask_%d.u8" % m))
    truth.tofile(os.path.join(d, "truth.u8"))
    with open(os.path.join(d, "masks.txt"), "w") as f:
        f.write("%d %d 3 5\n" % (w, h))


def vote_masks(masks, k, weights):
    """VoteMasks: per class, the weighted votes smoothed with
    [[1,2,1],[2,4,2],[1,2,1]]/16 (edges replicated); the most votes win; ties
    by the raw votes, then the lower class."""
    h, w = masks[0].shape
    total = float(sum(weights))
    kernel = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float64)
    best = np.zeros((h, w), dtype=np.uint8)
    best_s = best_r = None
    for c in range(k):
        raw = np.zeros((h, w))
        for m, wt in zip(masks, weights):
            raw += wt * (m == c)
        p = np.pad(raw, 1, mode="edge")
        smooth = np.zeros((h, w))
        for dy in range(3):
            for dx in range(3):
                smooth += (kernel[dy, dx] / 16.0) * p[dy:dy + h, dx:dx + w]
        if c == 0:
            best_s, best_r = smooth, raw
            continue
        take = (smooth > best_s + 1e-12) | ((np.abs(smooth - best_s) <= 1e-12) & (raw > best_r + 1e-12))
        best[take] = c
        best_s = np.where(take, smooth, best_s)
        best_r = np.where(take, raw, best_r)
    return best, float((best_s / total).mean()) if len(masks) > 1 else 0.0


def read_masks(d):
    with open(os.path.join(d, "masks.txt")) as f:
        w, h, k, n = map(int, f.read().split())
    return [np.fromfile(os.path.join(d, "mask_%d.u8" % m), dtype=np.uint8).reshape(h, w) for m in range(n)], k


def numpy_masks(d):
    masks, k = read_masks(d)
    t0, c0 = time.perf_counter(), cpu()
    labels, conf = vote_masks(masks, k, [1.0] * len(masks))
    wall, c = time.perf_counter() - t0, cpu() - c0
    labels.tofile(os.path.join(d, "labels_numpy.u8"))
    h, w = masks[0].shape
    print("numpy masks width=%d height=%d workers=%d confidence=%.17g seconds=%.4f cpu_seconds=%.4f"
          % (w, h, len(masks), conf, wall, c))


def compare_masks(d):
    a = np.fromfile(os.path.join(d, "labels_cpp.u8"), dtype=np.uint8)
    b = np.fromfile(os.path.join(d, "labels_numpy.u8"), dtype=np.uint8)
    t = np.fromfile(os.path.join(d, "truth.u8"), dtype=np.uint8)
    masks, _ = read_masks(d)
    acc = sorted(float((m.ravel() == t).mean()) for m in masks)
    differ = int((a != b).sum())
    print("compare masks: %d pixels differ; accuracy voted %.4f, median worker %.4f" % (differ, (a == t).mean(), acc[len(acc) // 2]))
    if differ:
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command")
    ap.add_argument("dir")
    ap.add_argument("--images", type=int, default=0)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--width", type=int, default=4000)
    ap.add_argument("--height", type=int, default=3000)
    a = ap.parse_args()
    if a.command == "generate-boxes":
        generate_boxes(a.dir, a.images or 100000, a.seed)
    elif a.command == "numpy-boxes":
        numpy_boxes(a.dir, a.images)
    elif a.command == "compare-boxes":
        compare_boxes(a.dir)
    elif a.command == "quality-boxes":
        quality_boxes(a.dir)
    elif a.command == "generate-masks":
        generate_masks(a.dir, a.width, a.height, a.seed)
    elif a.command == "numpy-masks":
        numpy_masks(a.dir)
    elif a.command == "compare-masks":
        compare_masks(a.dir)
    else:
        sys.exit("unknown command " + a.command)


if __name__ == "__main__":
    main()

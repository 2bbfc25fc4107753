#!/usr/bin/env python3
"""NER span consolidation: the seeded synthetic job and a plain Python
implementation of the algorithm of src/consolidation/spans.cpp (same
grouping, boundaries, weighted vote, tie-break and worker reliabilities).

  ner_bench.py generate DIR [--docs N] [--workers W] [--per-doc K] [--seed S]
  ner_bench.py python DIR        consolidates, prints time, writes DIR/spans_py.txt
  ner_bench.py compare DIR       agreement of spans_cpp.txt and spans_py.txt, span F1 vs truth

DIR/answers.txt: "D W" then one line per answer: "doc worker n s e l s e l ..."
(doc ids in increasing order, each doc's seed = doc id). DIR/truth.txt: one
line per doc, "s e l ...". Outputs: one line per doc, "s e l ...".
"""
import argparse
import random
import sys
import time

M64 = (1 << 64) - 1


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def generate(d, docs, workers, per_doc, seed):
    rng = random.Random(seed)
    skill = []
    for w in range(workers):
        if w % 7 == 0:
            skill.append((0.4, 0.3, 0.4, 2.0))
        else:
            skill.append((0.6 + 0.35 * rng.random(), 0.55 + 0.4 * rng.random(),
                          0.7 + 0.28 * rng.random(), 1.2 * rng.random()))
    with open(f"{d}/answers.txt", "w") as out, open(f"{d}/truth.txt", "w") as tru:
        out.write(f"{docs} {workers}\n")
        for doc in range(docs):
            truth, at = [], int(rng.random() * 10)
            for _ in range(2 + int(rng.random() * 5)):
                n = 3 + int(rng.random() * 15)
                truth.append((at, at + n, int(rng.random() * 4)))
                at += n + 5 + int(rng.random() * 30)
            tru.write(" ".join(f"{s} {e} {l}" for s, e, l in truth) + "\n")
            for w in rng.sample(range(workers), per_doc):
                det, exact, lab, spur = skill[w]
                spans = []
                for s, e, l in truth:
                    if rng.random() > det:
                        continue
                    if rng.random() > exact:
                        s += int(rng.random() * 5) - 2
                        e += int(rng.random() * 5) - 2
                        e = max(e, s + 1)
                    if rng.random() > lab:
                        l = (l + 1 + int(rng.random() * 3)) % 4
                    spans.append((max(s, 0), e, l))
                f = spur
                while rng.random() < f:
                    s0 = int(rng.random() * at)
                    spans.append((s0, s0 + 2 + int(rng.random() * 8), int(rng.random() * 4)))
                    f -= 1
                out.write(f"{doc} {w} {len(spans)} " + " ".join(f"{s} {e} {l}" for s, e, l in spans) + "\n")


def load(d):
    with open(f"{d}/answers.txt") as f:
        docs, workers = map(int, f.readline().split())
        answers = [[] for _ in range(docs)]
        for line in f:
            v = list(map(int, line.split()))
            answers[v[0]].append((v[1], [tuple(v[3 + 3 * i:6 + 3 * i]) for i in range(v[2])]))
    return docs, workers, answers


def jaccard(a0, a1, b0, b1):
    inter = min(a1, b1) - max(a0, b0)
    if inter <= 0 or a1 <= a0 or b1 <= b0:
        return 0.0
    return inter / ((a1 - a0) + (b1 - b0) - inter)


def aggregate(values):
    values = sorted(values)
    best, best_count, unique, i = values[0], 0, False, 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        if j - i > best_count:
            best, best_count, unique = values[i], j - i, True
        elif j - i == best_count:
            unique = False
        i = j
    if unique and best_count >= 2:
        return best
    return values[(len(values) - 1) // 2]


def represent(c):
    members = c["m"]
    s = aggregate([m[1] for m in members])
    e = aggregate([m[2] for m in members])
    if e <= s:
        s = min(m[1] for m in members)
        e = max(m[2] for m in members)
    c["s"], c["e"] = s, e


def group(answers, min_j):
    clusters = [{"m": [(w, s, e, l)], "s": s, "e": e, "workers": {w}}
                for w, spans in answers for s, e, l in spans if e > s]
    while True:
        order = sorted(clusters, key=lambda c: (c["s"], c["e"]))
        best, bi, bj, found = min_j, None, None, False
        for oi, a in enumerate(order):
            for b in order[oi + 1:]:
                if b["s"] >= a["e"]:
                    break
                j = jaccard(a["s"], a["e"], b["s"], b["e"])
                if (j > best or (not found and j >= best)) and not (a["workers"] & b["workers"]):
                    best, bi, bj, found = j, a, b, True
        if not found:
            return clusters
        bi["m"] += bj["m"]
        bi["workers"] |= bj["workers"]
        clusters = [c for c in clusters if c is not bj]
        represent(bi)


def consolidate_doc(answers, seed, weight, min_j):
    total = sum(weight[w] for w, _ in answers)
    out = []
    if not answers or total <= 0:
        return out
    for c in group(answers, min_j):
        support, votes = 0.0, {}
        for w, s, e, l in c["m"]:
            support += weight[w]
            votes[l] = votes.get(l, 0.0) + weight[w]
        if support < 0.5 * total - 1e-9:
            continue
        top, tied = -1.0, []
        for l in sorted(votes):
            v = votes[l]
            if v > top + 1e-9:
                top, tied = v, [l]
            elif abs(v - top) <= 1e-9:
                tied.append(l)
        label = tied[mix(seed ^ mix(c["s"] & M64)) % len(tied)]
        jac = sum(jaccard(s, e, c["s"], c["e"]) for _, s, e, _ in c["m"]) / len(c["m"])
        out.append((c["s"], c["e"], label, (top / total) * jac))
    out.sort(key=lambda x: (x[0], x[1], x[2]))
    return out


def consolidate(docs, workers, answers, rounds=2, min_j=0.5, pa=7.0, pb=3.0):
    weight = [1.0] * workers
    result = [consolidate_doc(answers[d], d, weight, min_j) for d in range(docs)]
    for _ in range(rounds):
        tp, fp, fn = [0.0] * workers, [0.0] * workers, [0.0] * workers
        for d in range(docs):
            res = result[d]
            for w, spans in answers[d]:
                used = [False] * len(res)
                matched = 0
                for s, e, l in spans:
                    for k, r in enumerate(res):
                        if used[k] or r[2] != l:
                            continue
                        if jaccard(s, e, r[0], r[1]) >= min_j:
                            used[k] = True
                            matched += 1
                            break
                tp[w] += matched
                fp[w] += len(spans) - matched
                fn[w] += len(res) - matched
        weight = [(2 * tp[w] + pa) / (2 * tp[w] + fp[w] + fn[w] + pa + pb) for w in range(workers)]
        result = [consolidate_doc(answers[d], d, weight, min_j) for d in range(docs)]
    return result


def read_spans(path):
    with open(path) as f:
        return [[tuple(v[3 * i:3 * i + 3]) for i in range(len(v) // 3)]
                for v in (list(map(int, line.split())) for line in f)]


def f1(got, truth):
    tp = fp = fn = 0
    for g, t in zip(got, truth):
        t = list(t)
        for x in g:
            if x in t:
                tp += 1
                t.remove(x)
            else:
                fp += 1
        fn += len(t)
    return 2 * tp / (2 * tp + fp + fn)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("dir")
    p.add_argument("--docs", type=int, default=100000)
    p.add_argument("--workers", type=int, default=100)
    p.add_argument("--per-doc", type=int, default=5)
    p.add_argument("--seed", type=int, default=20240601)
    a = p.parse_args()
    if a.cmd == "generate":
        generate(a.dir, a.docs, a.workers, a.per_doc, a.seed)
    elif a.cmd == "python":
        docs, workers, answers = load(a.dir)
        start, cpu = time.perf_counter(), time.process_time()
        result = consolidate(docs, workers, answers)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        with open(f"{a.dir}/spans_py.txt", "w") as f:
            for r in result:
                f.write(" ".join(f"{s} {e} {l}" for s, e, l, _ in r) + "\n")
        print(f"python docs={docs} seconds={wall:.3f} cpu_seconds={cpu:.3f}")
    elif a.cmd == "compare":
        cpp, py = read_spans(f"{a.dir}/spans_cpp.txt"), read_spans(f"{a.dir}/spans_py.txt")
        truth = read_spans(f"{a.dir}/truth.txt")
        same = sum(1 for x, y in zip(cpp, py) if x == y)
        print(f"documents with identical spans: {same}/{len(cpp)}; span F1 vs truth: C++ {f1(cpp, truth):.4f}, Python {f1(py, truth):.4f}")
        if same != len(cpp):
            sys.exit(1)
    else:
        sys.exit("unknown command " + a.cmd)


if __name__ == "__main__":
    main()

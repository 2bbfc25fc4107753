#!/usr/bin/python3
"""Dawid-Skene benchmark data and the NumPy reference implementation.

  bench.py generate DIR [--seed S]   write a synthetic job (see dawid_skene_bench.cpp)
  bench.py numpy DIR ITERATIONS      time the NumPy Dawid-Skene, compare with the C++ labels
  bench.py csv DIR                   write DIR/answers.csv (task,worker,label) for `plumbline consolidate`
  bench.py check-csv DIR OUT.csv     agreement of the command's labels with the C++ bench's
  bench.py command DIR BINARY RUNS [ARG ...]
                                     time `BINARY consolidate` on DIR/answers.csv RUNS times:
                                     min, median and max wall seconds, median CPU seconds
  bench.py paired DIR BINARY ITERATIONS ROUNDS [ARG ...]
                                     ROUNDS rounds of one NumPy EM run then 5 command runs:
                                     the ratio of each round (one window) and their median

The NumPy code is the straightforward vectorised EM (np.bincount for the
scatter-adds, log domain E-step) with the same model, initialisation
(majority-vote shares), 1e-12 floors and stopping rule (max |delta T| < 1e-6
or ITERATIONS E-steps) as consolidation::Algorithm::kDawidSkene.
"""
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

TASKS, WORKERS, CLASSES = 200_000, 1_000, 4


def generate(out_dir, seed):
    rng = np.random.default_rng(seed)
    prior = np.array([0.4, 0.3, 0.2, 0.1])
    truth = rng.choice(CLASSES, size=TASKS, p=prior).astype(np.int32)
    # Worker w answers y given true k with confusion[w, k, y]: a diagonal of
    # 0.35..0.95 and the rest spread unevenly (class-specific confusions).
    accuracy = rng.uniform(0.35, 0.95, size=WORKERS)
    confusion = rng.dirichlet(np.ones(CLASSES - 1), size=(WORKERS, CLASSES))
    full = np.zeros((WORKERS, CLASSES, CLASSES))
    for k in range(CLASSES):
        others = [y for y in range(CLASSES) if y != k]
        full[:, k, k] = accuracy
        full[:, k, others] = (1 - accuracy)[:, None] * confusion[:, k, :]
    per_task = rng.integers(3, 6, size=TASKS)  # 3..5 answers
    task = np.repeat(np.arange(TASKS, dtype=np.int32), per_task)
    # Distinct workers per task: 5 distinct draws, keep the first per_task.
    picks = np.empty((TASKS, 5), dtype=np.int32)
    for j in range(5):
        picks[:, j] = rng.integers(0, WORKERS, size=TASKS)
        # re-draw collisions with earlier picks (rare with 1,000 workers)
        for _ in range(10):
            clash = (picks[:, :j] == picks[:, j:j + 1]).any(axis=1)
            if not clash.any():
                break
            picks[clash, j] = rng.integers(0, WORKERS, size=int(clash.sum()))
    keep = np.arange(5)[None, :] < per_task[:, None]
    worker = picks[keep].astype(np.int32)
    rows = full[worker, truth[task]]  # (N, K) answer distribution
    u = rng.random(len(task))[:, None]
    label = (u > np.cumsum(rows, axis=1)).sum(axis=1).clip(0, CLASSES - 1).astype(np.int32)
    answers = np.stack([task, worker, label], axis=1).astype('<i4')
    answers.tofile(f"{out_dir}/answers.bin")
    truth.astype('<i4').tofile(f"{out_dir}/truth.bin")
    with open(f"{out_dir}/meta.txt", "w") as f:
        f.write(f"{TASKS} {WORKERS} {CLASSES} {len(task)}\n")
    print(f"generated tasks={TASKS} workers={WORKERS} classes={CLASSES} answers={len(task)} seed={seed}")


def dawid_skene(task, worker, label, n_tasks, n_workers, k, iterations, tolerance=1e-6):
    floor = 1e-12
    row = worker.astype(np.int64) * k + label  # (worker, answer) cell
    counts = np.bincount(task.astype(np.int64) * k + label, minlength=n_tasks * k).reshape(n_tasks, k)
    post = counts / counts.sum(axis=1, keepdims=True)
    done = 0
    for _ in range(iterations):
        # M-step: class priors and confusion[w, y, k] = P(answer y | true k).
        prior = np.maximum(post.mean(axis=0), floor)
        prior /= prior.sum()
        weights = post[task]
        conf = np.empty((n_workers * k, k))
        for c in range(k):
            conf[:, c] = np.bincount(row, weights=weights[:, c], minlength=n_workers * k)
        conf = np.maximum(conf.reshape(n_workers, k, k), floor)
        conf /= conf.sum(axis=1, keepdims=True)
        # E-step in the log domain.
        log_conf = np.log(conf).reshape(n_workers * k, k)[row]
        log_post = np.empty((n_tasks, k))
        for c in range(k):
            log_post[:, c] = np.log(prior[c]) + np.bincount(task, weights=log_conf[:, c], minlength=n_tasks)
        log_post -= log_post.max(axis=1, keepdims=True)
        new_post = np.exp(log_post)
        new_post /= new_post.sum(axis=1, keepdims=True)
        delta = np.abs(new_post - post).max()
        post = new_post
        done += 1
        if delta < tolerance:
            break
    return post, done


def time_numpy(out_dir, iterations):
    """The NumPy EM on DIR's job, timed without loading the data: (labels,
    iterations done, wall seconds, CPU seconds)."""
    with open(f"{out_dir}/meta.txt") as f:
        n_tasks, n_workers, k, n = map(int, f.read().split())
    answers = np.fromfile(f"{out_dir}/answers.bin", dtype='<i4').reshape(n, 3)
    task, worker, label = answers[:, 0], answers[:, 1], answers[:, 2]
    start = time.perf_counter()
    cpu_start = time.process_time()
    post, done = dawid_skene(task, worker, label, n_tasks, n_workers, k, iterations)
    cpu_seconds = time.process_time() - cpu_start
    seconds = time.perf_counter() - start
    return post.argmax(axis=1), done, seconds, cpu_seconds


def run_numpy(out_dir, iterations):
    labels, done, seconds, cpu_seconds = time_numpy(out_dir, iterations)
    truth = np.fromfile(f"{out_dir}/truth.bin", dtype='<i4')
    print(f"impl=numpy algorithm=dawid-skene threads=1 iterations={done} "
          f"seconds={seconds:.4f} cpu_seconds={cpu_seconds:.4f} accuracy={(labels == truth).mean():.5f}")
    try:
        cpp = np.fromfile(f"{out_dir}/labels_cpp.bin", dtype='<i4')
        print(f"agreement_cpp_numpy={(cpp == labels).mean():.6f}")
    except FileNotFoundError:
        pass


# Class names in byte order, so that the command's class indexes (sorted
# names) are the generator's.
LABEL_NAMES = ["bird", "cat", "dog", "fish"]


def write_csv(out_dir):
    with open(f"{out_dir}/meta.txt") as f:
        _, _, _, n = map(int, f.read().split())
    answers = np.fromfile(f"{out_dir}/answers.bin", dtype='<i4').reshape(n, 3)
    with open(f"{out_dir}/answers.csv", "w") as f:
        f.write("task,worker,label\n")
        f.writelines(f"object-{t:06d},worker-{w:04d},{LABEL_NAMES[y]}\n" for t, w, y in answers)
    print(f"csv rows={n}")


def check_csv(out_dir, path):
    index = {name: i for i, name in enumerate(LABEL_NAMES)}
    with open(path) as f:
        next(f)
        labels = np.array([index[line.split(",")[1]] for line in f], dtype=np.int32)
    cpp = np.fromfile(f"{out_dir}/labels_cpp.bin", dtype='<i4')
    same = len(labels) == len(cpp) and bool((labels == cpp).all())
    print(f"command_rows={len(labels)} agreement_command_cpp={(labels == cpp).mean() if len(labels) == len(cpp) else 0:.6f} identical={same}")


def time_command(out_dir, binary, runs, extra):
    """Wall seconds of each run of the whole command, and its median CPU."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([binary, "consolidate", "--algorithm", "dawid-skene", "--input",
                        f"{out_dir}/answers.csv", "--output", f"{out_dir}/labels.csv"] + extra,
                       check=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return walls, statistics.median(cpus)


def paired_rounds(out_dir, binary, iterations, rounds, extra):
    ratios = []
    for r in range(rounds):
        numpy_seconds = time_numpy(out_dir, iterations)[2]
        command = statistics.median(time_command(out_dir, binary, 5, extra)[0])
        ratios.append(numpy_seconds / command)
        print(f"round {r + 1}: NumPy EM {numpy_seconds:.3f} s, command {command * 1000:.1f} ms "
              f"(median of 5): {ratios[-1]:.1f}x")
    print(f"paired rounds: median {statistics.median(ratios):.1f}x "
          f"({min(ratios):.1f}-{max(ratios):.1f}x)")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "generate":
        seed = int(sys.argv[4]) if len(sys.argv) >= 5 and sys.argv[3] == "--seed" else 20240601
        generate(sys.argv[2], seed)
    elif len(sys.argv) == 3 and sys.argv[1] == "csv":
        write_csv(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "check-csv":
        check_csv(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "numpy":
        run_numpy(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 5 and sys.argv[1] == "command":
        walls, cpu = time_command(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
        print(min(walls), statistics.median(walls), max(walls), cpu)
    elif len(sys.argv) >= 6 and sys.argv[1] == "paired":
        paired_rounds(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6:])
    else:
        sys.exit(__doc__)

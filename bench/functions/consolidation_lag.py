#!/usr/bin/env python3
"""Consolidation lag of one job while workers submit, read from the
server's SQLite store (read-only, beside the running server).

Every --interval seconds it notes which of the job's objects became labeled
since the last look (a primary-key range scan from the lowest index not yet
seen labeled: objects are released in index order). When --stop-file
appears (the load is over) it keeps looking until no object has all its
answers without a label, or --drain seconds pass. Then it joins each object
labeled during the run with the time its last answer was submitted
(assignments.submitted_ms): lag = first seen labeled - last answer, to the
sampling interval. Prints one line of key=value figures.

Usage: consolidation_lag.py --db DATA/plumbline.db --job NAME --stop-file F
                            [--interval 0.1] [--drain 60] [--label TEXT]
"""

import argparse
import os
import sqlite3
import sys
import time


def percentile(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True)
    p.add_argument("--job", required=True)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--drain", type=float, default=60)
    p.add_argument("--label", default="")
    a = p.parse_args()
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=10)
    job_id = db.execute("SELECT id FROM jobs WHERE name=?", (a.job,)).fetchone()[0]

    def labeled_from(low):
        return [r[0] for r in db.execute(
            "SELECT idx FROM objects WHERE job_id=? AND idx>=? AND state=1", (job_id, low))]

    def waiting():
        # Objects whose answers are all in and that are not labeled yet.
        return db.execute("SELECT count(*) FROM objects INDEXED BY objects_full WHERE "
                          "job_id=? AND state=0 AND needed <= (answers + declines)",
                          (job_id,)).fetchone()[0]

    # What was labeled before this run is not counted.
    seen = set(labeled_from(0))
    low = 0
    while low in seen:
        low += 1
    first_seen = {}  # idx -> wall ms first seen labeled
    backlog = []
    started = time.time()
    stopped = None
    drained_after = None
    while True:
        now = time.time()
        for idx in labeled_from(low):
            if idx not in seen:
                seen.add(idx)
                first_seen[idx] = now * 1000
        while low in seen:
            low += 1
        w = waiting()
        if stopped is None:
            backlog.append((now, w))
            if os.path.exists(a.stop_file):
                stopped = now
        elif w == 0:
            drained_after = now - stopped
            break
        elif now - stopped > a.drain:
            break
        time.sleep(a.interval)
    last_answer = {}
    for idx, ms in db.execute("SELECT idx, max(submitted_ms) FROM assignments WHERE job_id=? "
                              "AND state=1 GROUP BY idx", (job_id,)):
        last_answer[idx] = ms
    lags = [(first_seen[i] - last_answer[i]) / 1000.0 for i in first_seen if i in last_answer]
    # The load's window: from this run's first answer (the workers sign in
    # first) to the stop.
    end = stopped or time.time()
    first = db.execute("SELECT min(submitted_ms) FROM assignments WHERE job_id=? AND state=1 "
                       "AND submitted_ms>=?", (job_id, int(started * 1000))).fetchone()[0]
    begin = first / 1000.0 if first else started
    during = sum(1 for i in first_seen if begin * 1000 <= first_seen[i] <= end * 1000)
    loaded = [w for t, w in backlog if t >= begin] or [0]
    print("%sobjects_labeled=%d load_s=%.1f labels_per_s_during_load=%.0f backlog_median=%d "
          "backlog_max=%d lag_p50_s=%.2f lag_p90_s=%.2f lag_p99_s=%.2f lag_max_s=%.2f "
          "drained_after_s=%s"
          % (a.label + ": " if a.label else "", len(first_seen), end - begin,
             during / max(0.001, end - begin), percentile(loaded, 0.5), max(loaded),
             percentile(lags, 0.5),
             percentile(lags, 0.9), percentile(lags, 0.99), max(lags or [float("nan")]),
             "%.1f" % drained_after if drained_after is not None else "not-drained"))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

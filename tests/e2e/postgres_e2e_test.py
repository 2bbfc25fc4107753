#!/usr/bin/env python3
"""End to end on PostgreSQL: `plumbline serve --store postgresql://...` runs
the seed's labeling job from creation to its output manifest (the seed test's
LabelingTest, unchanged), the rows are in the server's tables, a server
killed with SIGKILL comes back with them, and an unreachable database is a
clear start-up error.

Run under scripts/with-postgres.sh, which starts a throwaway server and sets
PLUMBLINE_TEST_PG. Usage:
  scripts/with-postgres.sh tests/e2e/postgres_e2e_test.py --binary build/plumbline --shared ../shared
"""

import argparse
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plumbline_harness as h  # noqa: E402
import seed_e2e_test as seed  # noqa: E402

SCHEMA = "e2e_seed"


psql = h.psql


def setUpModule():
    # The server and the admin commands (users add) read the store URL from
    # the environment; the server also gets it as --store.
    url = os.environ["PLUMBLINE_TEST_PG"] + "?schema=" + SCHEMA
    os.environ["PLUMBLINE_STORE"] = url
    seed.setUpModule()


def tearDownModule():
    seed.tearDownModule()


class SeedJobOnPostgres(seed.LabelingTest):
    def test_zz_rows_are_in_postgres_and_survive_a_kill(self):
        job = "seed-label-all"
        self.assertEqual(psql("SELECT status FROM %s.jobs WHERE name='%s'" % (SCHEMA, job)),
                         "Completed")
        self.assertEqual(psql("SELECT count(*) FROM %s.assignments a JOIN %s.jobs j ON j.id=a.job_id "
                              "WHERE j.name='%s' AND a.state=1" % (SCHEMA, SCHEMA, job)), "7")
        self.assertEqual(psql("SELECT max(version) FROM %s.schema_version" % SCHEMA), "12")  # base, functions, runner leases, invitations, job list orders, claim/submit functions, the same in fewer statements, a batch of them in one, pick state, pick set by writes, a batch's submits in one statement, a batch's claims from a pool
        seed.SERVER.kill9()
        seed.SERVER.restart()
        d = seed.SERVER.wait_status(job, ["Completed"])
        self.assertEqual(d["LabelCounters"]["HumanLabeled"], 7)
        worker = h.Worker(seed.SERVER)
        self.assertEqual(worker.login("alice", "alice-password")[0], 200)

    def test_unreachable_database_is_a_clear_error(self):
        env = dict(os.environ)
        env.pop("PLUMBLINE_STORE", None)
        p = subprocess.run([seed.ARGS.binary, "serve", "--data-dir", seed.SERVER.dir + "/other",
                            "--listen", "127.0.0.1:0", "--store",
                            "postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2"],
                           capture_output=True, text=True, timeout=30, env=env)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("cannot connect to PostgreSQL at postgresql://nobody@127.0.0.1:1/nothing",
                      p.stderr + p.stdout)


if __name__ == "__main__":
    if not os.environ.get("PLUMBLINE_TEST_PG"):
        print("PLUMBLINE_TEST_PG is not set: run under scripts/with-postgres.sh", file=sys.stderr)
        sys.exit(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--shared", required=True)
    seed.ARGS, rest = parser.parse_known_args()
    # Only this module's tests (the seed module's other classes are not run here).
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    suite.addTests(loader.loadTestsFromTestCase(SeedJobOnPostgres))
    # (The runner calls this module's setUpModule and tearDownModule.)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)

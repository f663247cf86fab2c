"""Benchmark that prints figures (no assertions): what the T-30 restore drill costs as the database grows.

    python bench/bench_drill.py [--rows 10000 100000 1000000] [--runs 3]

On a throwaway PostgreSQL cluster (the sandbox's), a database with the sandbox's schema plus one table of N rows:
1. `take_dump` alone (what prod does at T-30), and with the source read at the dump's snapshot (staging, sandbox);
2. the drill: create the scratch database, `pg_restore`, count every table on it, compare, drop;
3. the same with the migration dry-run (`python -m cutover_sandbox migrate` on the copy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import psycopg

from cutover_gate.checks.backup import take_dump
from cutover_gate.checks.dry_run import DryRunSpec
from cutover_gate.checks.restore_drill import DrillSql, read_state, run_drill
from cutover_gate.checks.scratch import RestoreServer
from cutover_gate.config.target_profile import load_profile
from cutover_sandbox import migrate
from cutover_sandbox.core.db import make_engine
from cutover_sandbox.pg import PgCluster

QUERIES = DrillSql.of(load_profile(None))
DRY_RUN = DryRunSpec((sys.executable, "-m", "cutover_sandbox", "migrate"), None, "DATABASE_URL", 900, None)


def summary(label: str, values: list[float]) -> None:
    print(f"{label:<58} min {min(values):7.2f} s   median {statistics.median(values):7.2f} s   "
          f"max {max(values):7.2f} s   (n={len(values)})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    with PgCluster() as cluster, tempfile.TemporaryDirectory() as tmp:
        server = RestoreServer(cluster.dsn_for("postgres"))
        for rows in args.rows:
            dsn = cluster.create_database(f"bench_{rows}")
            engine = make_engine(dsn)
            migrate.upgrade(engine)
            engine.dispose()
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("CREATE TABLE bench_rows (id bigserial PRIMARY KEY, payload text NOT NULL)")
                conn.execute("INSERT INTO bench_rows (payload) SELECT md5(g::text) FROM generate_series(1, %s) g",
                             (rows,))
            print(f"-- {rows:,} rows")
            plain, read, drill, dry = [], [], [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                take_dump(dsn, Path(tmp))
                plain.append(time.perf_counter() - start)
                start = time.perf_counter()
                snapshot = take_dump(dsn, Path(tmp), at_snapshot=partial(read_state, queries=QUERIES))
                read.append(time.perf_counter() - start)
                report = run_drill(snapshot, server, QUERIES)
                drill.append(report.duration_s)
                report = run_drill(snapshot, server, QUERIES, dry_run=DRY_RUN)
                dry.append(report.duration_s)
                if report.problems() or not (report.dry_run and report.dry_run.ok):
                    print(f"  note: the drill did not pass: {report.problems()} {report.dry_run}")
            size = snapshot.size_bytes / 1e6
            summary(f"take_dump (prod: the dump only), {size:.1f} MB", plain)
            summary("take_dump + source read at the dump's snapshot", read)
            summary("drill: create, pg_restore, count the copy, compare, drop", drill)
            summary("drill + migration dry-run (a second Python with alembic)", dry)
            cluster.drop_database(f"bench_{rows}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

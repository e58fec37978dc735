"""A team's shared history at 1,000,000 rows: filtering by phone, at the server, against a plain table scan.

Starts a private PostgreSQL (as the tests do), sets it up as ``team init`` does and fills it with generated
rows (``generate_series``: one in 1,000 to 2348031234567, the rest to distinct numbers). Each figure is the
server's own execution time (EXPLAIN ANALYZE) of the two statements the desk sends for a filter (the count
and the first page), as an agent; the baseline is the same statements with the server's index scans turned
off, measured in the same run. The round trip from the desk (``TeamHistory.count`` + ``page``) is shown too.

    .venv/bin/python -m bench.team_filter [--rows N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

ROWS = 1_000_000
TARGET = "2348031234567"
# 7 digits and more: what an agent types to find a customer (shorter filters are shown for information).
SEARCHES = ("8031234567", "3123456", "+234 803 123 4567", "4567", "234")


def _server_ms(conn: Any, query: str, params: list[Any]) -> float:
    plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query, params).fetchone()[0]
    return float(plan[0]["Execution Time"]) + float(plan[0]["Planning Time"])


def main(argv: list[str] | None = None) -> int:
    import psycopg

    from termii_desk.core.team.postgres import _SELECT, TABLE, TeamHistory, add_agent, init_schema
    from tests.postgres_server import find_bin_dir, running_postgres

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (initdb, pg_ctl)", file=sys.stderr)
        return 1
    with running_postgres(bin_dir) as server:
        with psycopg.connect(server.owner_url(), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        owner = psycopg.connect(server.owner_url("bench"), autocommit=True)
        init_schema(owner)
        add_agent(owner, "bench_agent", "bench-pw")
        started = time.perf_counter()
        owner.execute(
            f"INSERT INTO {TABLE} (uuid, called_at, agent, os_user, machine, app_version, profile, base_host,"
            " phone, code_masked, outcome, http_status, message_id, balance, currency, duration_ms)"
            " SELECT gen_random_uuid(), now() - make_interval(secs => i), 'agent' || (i %% 40), 'agent', 'desk',"
            " '0.1.0', 'default', 'api.ng.termii.com',"
            f" CASE WHEN i %% 1000 = 0 THEN '{TARGET}' ELSE '23480' || lpad(i::text, 8, '0') END,"
            " '••••16', CASE WHEN i %% 500 = 0 THEN 'unknown' ELSE 'sent' END, 200, 'm' || i, '4997.5', 'NGN', 120"
            " FROM generate_series(1, %s) AS i",
            (args.rows,))
        owner.execute(f"VACUUM ANALYZE {TABLE}")
        fill_s = time.perf_counter() - started
        agent = psycopg.connect(server.url("bench_agent", "bench"), password="bench-pw", autocommit=True)
        results: list[dict[str, Any]] = []
        for text in SEARCHES:
            digits = "".join(ch for ch in text if ch.isdigit())
            pattern = [f"%{digits}%"]
            count_sql = f"SELECT count(*) FROM {TABLE} WHERE phone LIKE %s"
            page_sql = _SELECT + " WHERE phone LIKE %s ORDER BY id DESC LIMIT %s"

            def both(conn: Any, pattern: list[str] = pattern, count_sql: str = count_sql,
                     page_sql: str = page_sql) -> float:
                return _server_ms(conn, count_sql, pattern) + _server_ms(conn, page_sql, [*pattern, 100])

            indexed = [both(agent) for _ in range(args.rounds)]
            with agent.transaction():
                agent.execute("SET LOCAL enable_bitmapscan = off")
                agent.execute("SET LOCAL enable_indexscan = off")
                scanned = [both(agent) for _ in range(max(3, args.rounds // 5))]
            matches = agent.execute(count_sql, pattern).fetchone()[0]
            results.append({"filter": text, "digits": len(digits), "matches": matches,
                            "server_ms": statistics.median(indexed), "scan_ms": statistics.median(scanned)})
        desk = TeamHistory(server.url("bench_agent", "bench"), outbox_path=None, password="bench-pw")
        trips = []
        for _ in range(args.rounds):
            begun = time.perf_counter()
            desk.count("0803 123 4567")
            desk.page(100, phone_filter="0803 123 4567")
            trips.append((time.perf_counter() - begun) * 1000)
        narrowed = _narrowed(desk, args.rounds)
        desk.close()
        agent.close()
        owner.close()
    print(f"Team history, {args.rows:,} rows (filled in {fill_s:.0f} s); server time of count + first page, "
          f"median of {args.rounds}; baseline: the same without index scans")
    print(f"{'filter':<20} {'digits':>6} {'matches':>9} {'server':>10} {'baseline':>10} {'ratio':>7}  target")
    for r in results:
        target = "<= 50 ms " + ("pass" if r["server_ms"] <= 50 else "FAIL") if r["digits"] >= 7 else "-"
        print(f"{r['filter']:<20} {r['digits']:>6} {r['matches']:>9,} {r['server_ms']:>8.1f}ms {r['scan_ms']:>8.1f}ms "
              f"{r['server_ms'] / r['scan_ms']:>6.3f}x  {target}")
    print(f"desk round trip (TeamHistory.count + page, '0803 123 4567'): median {statistics.median(trips):.1f} ms")
    for name, ms in narrowed.items():
        print(f"desk round trip, {name} (first page + the panel's three counts): median {ms:.1f} ms")
    print(json.dumps({"rows": args.rows, "filters": results, "round_trip_ms": statistics.median(trips),
                      "narrowed_ms": narrowed}))
    return 0


def _narrowed(desk: Any, rounds: int) -> dict[str, float]:
    """What the history panel reads from a team's history for "Needs checking" (one call in 500 unknown) and a
    range of days, as ``HistoryModel`` reads it: the first page and three counts, round trips included."""
    from datetime import date, timedelta

    from termii_desk.core.history_backend import HistoryQuery, day_range

    today = date.today()
    week = day_range(today - timedelta(days=6), today)
    queries = {
        "needs checking": HistoryQuery().needing_check(),
        "last 7 days": HistoryQuery(since=week[0], until=week[1]),
        "needs checking, last 7 days, '0803 123 4567'": HistoryQuery(TARGET, since=week[0],
                                                                      until=week[1]).needing_check(),
    }
    found: dict[str, float] = {}
    for name, query in queries.items():
        times = []
        for _ in range(rounds):
            begun = time.perf_counter()
            desk.page(200, query=query, profile="default")
            desk.count(profile="default")
            desk.count(profile="default", query=query)
            desk.count(profile="default", query=query.needing_check())
            times.append((time.perf_counter() - begun) * 1000)
        found[name] = statistics.median(times)
    return found


if __name__ == "__main__":
    sys.exit(main())

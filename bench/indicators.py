#!/usr/bin/env python3
"""效能评估 at scale: time the dashboards, drill-downs, the monthly report and
`kpi verify` on a generated database (see docs/PERFORMANCE.md).

    tongban demo generate --cases 10000000 --data-dir DIR        # once
    python3 bench/indicators.py --bin target/release/tongban --data-dir DIR

or, for PostgreSQL, `--database-url postgres://...` in both commands.

Starts `tongban serve` on the database, signs in as the city supervisor
(`--user`), requests every page and API call `--runs` times
after one warm-up, and prints p50/p95/max per request; then times
`tongban kpi report` for one centre and `tongban kpi verify` over one month.
Timings are wall-clock from the client, one request at a time.
"""

import argparse
import http.cookiejar
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round((len(xs) - 1) * p)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--data-dir")
    ap.add_argument("--database-url")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--month", default="2026-11")
    ap.add_argument("--user", default="supervisor_city")
    ap.add_argument("--skip-cli", action="store_true")
    a = ap.parse_args()
    db = ["--database-url", a.database_url] if a.database_url else ["--data-dir", a.data_dir]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tempfile.NamedTemporaryFile(prefix="tongban-bench-", suffix=".log", delete=False)
    server = subprocess.Popen(
        [a.bin, "serve", "--listen", f"127.0.0.1:{port}", "--no-demo", *db],
        stdout=log,
        stderr=log,
    )
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        req = urllib.request.Request(
            base + "/api/v1/session",
            data=json.dumps({"username": a.user, "password": "tongban-demo"}).encode(),
            headers={"content-type": "application/json"},
        )
        opener.open(req).read()
        year, month = a.month.split("-")
        on = f"{a.month}-15"
        figures = json.load(
            opener.open(f"{base}/api/v1/indicators/figures?period=month&on={on}&by=department")
        )
        rows = figures.get("rows") or []
        dept = next((r.get("key") for r in rows if r.get("key")), None)
        page = json.load(
            opener.open(f"{base}/api/v1/indicators/cases?what=completed&period=year&on={on}")
        )
        first_case = page.get("next")
        paths = {
            "dashboard, month (tiles, chart, tables)": f"/indicators/dashboard?period=month&on={on}",
            "dashboard, year": f"/indicators/dashboard?period=year&on={on}",
            "dashboard, quarter, by item": f"/indicators/dashboard?period=quarter&on={on}&by=item",
            "dashboard, month, one department": f"/indicators/dashboard?period=month&on={on}&department={dept}",
            "dashboard, month, online channel": f"/indicators/dashboard?period=month&on={on}&channel=online",
            "API figures, month by department": f"/api/v1/indicators/figures?period=month&on={on}&by=department",
            "API figures, year by day (trend)": f"/api/v1/indicators/figures?period=year&on={on}&by=day",
            "drill-down page: 超期, month": f"/indicators/cases?what=overdue&period=month&on={on}",
            "drill-down page: completed, year": f"/indicators/cases?what=completed&period=year&on={on}",
            "drill-down API: completed, year, later page": f"/api/v1/indicators/cases?what=completed&period=year&on={on}&after={first_case}",
            "CSV export, month by department": f"/indicators/dashboard.csv?period=month&on={on}&by=department",
            "XLSX export, month by department": f"/indicators/dashboard.xlsx?period=month&on={on}&by=department",
        }
        print(f"{'request':<48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
        for name, path in paths.items():
            if "None" in path:
                print(f"{name:<48} (skipped: no data)")
                continue
            times = []
            for i in range(a.runs + 1):
                t = time.perf_counter()
                with opener.open(base + path) as r:
                    r.read()
                    if r.status != 200:
                        sys.exit(f"{path}: {r.status}")
                if i > 0:
                    times.append((time.perf_counter() - t) * 1000)
            print(
                f"{name:<48} {percentile(times, 0.5):8.1f} {percentile(times, 0.95):8.1f} {max(times):8.1f}"
            )
    finally:
        server.terminate()
        server.wait()
    if a.skip_cli:
        return
    import calendar
    last = calendar.monthrange(int(year), int(month))[1]
    with tempfile.TemporaryDirectory() as d:
        for name, cmd in [
            (
                f"kpi report, city centre, {a.month}",
                [a.bin, "kpi", "report", "--month", a.month, "--centre", "339900", "--out", os.path.join(d, "r.xlsx"), *db],
            ),
            (
                f"kpi report, demo district, {a.month}",
                [a.bin, "kpi", "report", "--month", a.month, "--centre", "339901", "--out", os.path.join(d, "d.xlsx"), *db],
            ),
            (
                f"kpi verify, {a.month}",
                [a.bin, "kpi", "verify", "--from", f"{a.month}-01", "--to", f"{a.month}-{last}", *db],
            ),
        ]:
            t = time.perf_counter()
            r = subprocess.run(cmd, capture_output=True, text=True)
            ms = (time.perf_counter() - t) * 1000
            tail = (r.stdout.strip().splitlines() or [""])[-1][:70]
            print(f"{name:<48} {ms:8.0f} ms  exit {r.returncode}  {tail}")


if __name__ == "__main__":
    main()

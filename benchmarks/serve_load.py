"""Load benchmark of ``forecasting serve``: N concurrent clients on localhost against the read
endpoints and the dashboard page; requests per second and p50/p99 latency per endpoint.

Not a test. Bounded in count and time: each phase stops after ``--requests`` requests or
``--seconds`` seconds, whichever comes first. Two phases: full reads (200 with the body),
then revalidations (``If-None-Match`` with the ETag, 304: what a polling dashboard costs).
Every endpoint is read once before timing (its first computation is reported apart).

By default it starts ``python -m forecasting serve`` on a free port, on the project of
``FORECASTING_CONFIG`` (or ``--config``), and stops it at the end; ``--url`` measures a server
already running. The clients (bare HTTP/1.1 on asyncio streams, one kept-alive connection
each, one process) share the machine with the server: on a small machine their own CPU time
is part of the latency measured. The machine's
load average is printed before and after.

    python benchmarks/serve_load.py                     # 50 clients, 4000 requests per phase
    python benchmarks/serve_load.py --quick             # 5 clients, 100 requests per phase
    python benchmarks/serve_load.py --url http://127.0.0.1:8000 --clients 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

READS = (
    "/",
    "/api/dashboard",
    "/api/next-release",
    "/api/targets/exports_yoy/next-release",
    "/api/targets/exports_yoy/periods/{period}/forecasts",
    "/api/targets/exports_yoy/track-record",
    "/api/targets/balance_usd_bn/next-release",
    "/api/surplus",
    "/api/calendar",
    "/api/series/exports_yoy",
    "/static/dashboard.js",
)


@dataclass
class Phase:
    """One phase's measurements: per endpoint, each request's latency (s) and errors."""

    name: str
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + sum(self.errors.values())

    def table(self) -> str:
        head = f"{'endpoint':<52} {'n':>6} {'err':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
        lines = [f"{self.name}: {self.requests} requests in {self.seconds:.1f} s", head]
        everything: list[float] = []
        for path, lat in self.latencies.items():
            everything += lat
            lines.append(self._row(path, lat, self.errors.get(path, 0)))
        lines.append(self._row("all", everything, sum(self.errors.values())))
        return "\n".join(lines)

    def _row(self, path: str, lat: list[float], errors: int) -> str:
        ms = np.asarray(lat) * 1000 if lat else np.asarray([np.nan])
        rate = len(lat) / self.seconds if self.seconds else float("nan")
        p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
        return f"{path:<52} {len(lat):>6} {errors:>4} {rate:>8.1f} {p50:>8.1f} {p99:>8.1f}"


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str, etag: str
) -> int:
    """One GET on a kept-alive connection (HTTP/1.1, a body read by its Content-Length); the
    status. A bare client, so that its own cost stays small beside the server's."""
    extra = f"If-None-Match: {etag}\r\n" if etag else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def _phase(
    url: str, paths: Sequence[str], clients: int, total: int, seconds: float, etags: dict | None
) -> Phase:
    phase = Phase("revalidate (If-None-Match, 304)" if etags else "full reads (200)")
    budget = {"left": total}
    deadline = time.perf_counter() + seconds
    host, port = url.removeprefix("http://").split(":")
    want = 304 if etags else 200

    async def client(k: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        i = k
        try:
            while budget["left"] > 0 and time.perf_counter() < deadline:
                budget["left"] -= 1
                path = paths[i % len(paths)]
                i += 1
                t0 = time.perf_counter()
                try:
                    ok = (
                        await _get(reader, writer, host, path, etags[path] if etags else "") == want
                    )
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                if ok:
                    phase.latencies[path].append(time.perf_counter() - t0)
                else:
                    phase.errors[path] += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    phase.seconds = time.perf_counter() - t0
    return phase


def warm_up(url: str) -> tuple[list[str], dict[str, str], dict[str, float]]:
    """Each read once (its first computation): the paths, their ETags and first times."""
    with httpx.Client(base_url=url, timeout=600) as http:
        period = http.get("/api/targets/exports_yoy/next-release").json()["period"]
        paths = [p.format(period=period) for p in READS]
        etags, first = {}, {}
        for path in paths:
            t0 = time.perf_counter()
            r = http.get(path)
            r.raise_for_status()
            first[path] = time.perf_counter() - t0
            etags[path] = r.headers.get("etag", "")
    return paths, etags, first


def run_load(url: str, *, clients: int, total: int, seconds: float) -> list[Phase]:
    """Warm up, then the two phases; prints the tables and returns the phases."""
    load_before = os.getloadavg()
    paths, etags, first = warm_up(url)
    print(f"server {url}; {clients} clients; at most {total} requests or {seconds:.0f} s a phase")
    print(f"cpus {os.cpu_count()}; load average before: {_load(load_before)}")
    print(
        "first (computing) read: " + ", ".join(f"{p} {t * 1000:.0f} ms" for p, t in first.items())
    )
    phases = []
    for tags in (None, {p: t for p, t in etags.items() if t}):
        usable = paths if tags is None else [p for p in paths if p in tags]
        phase = asyncio.run(_phase(url, usable, clients, total, seconds, tags))
        print()
        print(phase.table())
        phases.append(phase)
    print(f"\nload average after: {_load(os.getloadavg())}")
    return phases


def _load(values: Sequence[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(config: Path | None) -> tuple[subprocess.Popen, str]:
    """``python -m forecasting serve`` on a free port (our own child process)."""
    port = _free_port()
    env = dict(os.environ)
    if config is not None:
        env["FORECASTING_CONFIG"] = str(config)
    cmd = [sys.executable, "-m", "forecasting", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*cmd, "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not answer within 180 s")


def main(argv: Sequence[str] | None = None) -> list[Phase]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--config", type=Path, help="the project's configuration file")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=4000, help="per phase, at most")
    parser.add_argument("--seconds", type=float, default=60, help="per phase, at most")
    parser.add_argument("--quick", action="store_true", help="5 clients, 100 requests a phase")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.requests, args.seconds = 5, 100, 20
    proc = None
    url = args.url
    if url is None:
        proc, url = start_server(args.config)
    try:
        return run_load(url, clients=args.clients, total=args.requests, seconds=args.seconds)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()

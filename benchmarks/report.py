"""Machine description, robust timing and writing results into BENCHMARKS.md."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "BENCHMARKS.md"
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    import torch

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "gpu": gpu,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def median_ms(fn: Callable[[], object], repeats: int = 10, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def table(headers: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def publish(name: str, command: str, info: dict, body: str, data: dict) -> None:
    """Write results/<name>.json and replace BENCHMARKS.md's section between <!-- name --> markers."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": info, "command": command, **data}, indent=2) + "\n")
    section = (
        f"<!-- {name}:start -->\n"
        f"Command: `{command}`  \n"
        f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, GPU: {info['gpu']}), torch {info['torch']}; "
        f"1-minute load average at start {info['load_avg_1m']}.\n\n{body}\n<!-- {name}:end -->"
    )
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + f"\n\n{section}\n"
    DOC.write_text(text)
    print(body)

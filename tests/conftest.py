"""Test-session report: what the op sample table covers, and in which modes."""

from __future__ import annotations

from collections import Counter


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    from op_table import SAMPLES

    counts: Counter[str] = Counter()
    for report in terminalreporter.stats.get("passed", []):
        node = report.nodeid
        if "test_op_table.py::" in node:
            counts[node.split("::")[1].split("[")[0]] += 1
    if not counts:
        return
    ops = len({s.name for s in SAMPLES})
    terminalreporter.write_sep("-", f"op table: {ops} op variants, {len(SAMPLES)} samples")
    for test, n in sorted(counts.items()):
        terminalreporter.write_line(f"  {test}: {n} passed")

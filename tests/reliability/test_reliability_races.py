"""Races against the real server process: 50 officials' clicks on the same task, concurrent intakes."""

from __future__ import annotations

import threading
from collections import Counter

from reliability_checks import STEPS, current_task, instance_problems, intake, snapshot
from reliability_system import System

CLICKS = 50


def together(count: int, action: object) -> list[object]:
    """Run `action(i)` in `count` threads released at the same instant; their results in order."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)  # type: ignore[operator]
        except Exception as exc:  # noqa: BLE001 - reported as the result
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


class TestRaces:
    def test_fifty_completes_of_one_task_one_wins(self, system: System, backend: str,
                                                  figures: Counter[str]) -> None:
        code = intake(system, 1)
        task_id, user = current_task(system, code)
        before = snapshot(system.db, code)
        system.headers(user)  # log in once, before the race

        def click(_: int) -> int:
            response = system.call("POST", f"/api/v1/tasks/{task_id}/complete", user=user,
                                   json={"data": STEPS[0][1]})
            return response.status_code

        codes = Counter(together(CLICKS, click))
        figures[f"{backend}: race — concurrent completes of one task"] += CLICKS
        figures[f"{backend}: race — successes (must be 1 per race)"] += codes[200]
        assert codes == Counter({200: 1, 409: CLICKS - 1}), codes
        after = snapshot(system.db, code)
        assert after.control_log == before.control_log + 1, (before, after)  # one hand-over, not fifty
        assert after.steps != before.steps and after.open_items == 1
        assert not instance_problems(system.settings)

    def test_concurrent_intakes_never_share_a_code(self, system: System, backend: str,
                                                   figures: Counter[str]) -> None:
        system.headers("mot_cua")
        results = together(24, lambda i: intake(system, 100 + i))
        assert all(isinstance(r, str) for r in results), [r for r in results if not isinstance(r, str)]
        figures[f"{backend}: race — concurrent intakes"] += len(results)
        figures[f"{backend}: race — shared dossier codes (must be 0)"] += len(results) - len(set(results))
        assert len(set(results)) == len(results), Counter(results).most_common(3)

"""`make run` restarts what dies, with a growing pause, and says so."""

from __future__ import annotations

from lending_devstack.errors import DevstackError
from lending_devstack.supervise import LONGEST_PAUSE, Restarts, Supervisor


class FakeProcess:
    def __init__(self, failures: int = 0) -> None:
        self.running, self.starts, self.failures = True, 0, failures

    def start(self) -> None:
        self.starts += 1
        if self.failures:
            self.failures -= 1
            raise DevstackError("port still taken")
        self.running = True


def test_a_process_that_dies_is_restarted_and_the_restart_is_said():
    proc, said, now = FakeProcess(), [], [0.0]
    supervisor = Supervisor([Restarts("ledger", lambda: proc.running, proc.start)],
                            said.append, lambda: now[0])
    supervisor.tick()
    assert proc.starts == 0
    proc.running = False
    supervisor.tick()
    assert proc.starts == 1 and proc.running
    assert said == ["ledger had stopped; restarted it (restart 1)"]


def test_a_failing_restart_is_tried_again_after_a_pause_that_grows():
    proc, said, now = FakeProcess(failures=3), [], [0.0]
    proc.running = False
    watched = Restarts("postgres", lambda: proc.running, proc.start)
    supervisor = Supervisor([watched], said.append, lambda: now[0])
    tries = []
    for step in range(200):
        now[0] = step * 0.5
        before = proc.starts
        supervisor.tick()
        if proc.starts > before:
            tries.append(now[0])
        if proc.running:
            break
    assert tries == [0.0, 1.0, 3.0, 7.0]  # pauses of 1, 2 and 4 seconds
    assert said[-1] == "postgres had stopped; restarted it (restart 4)"
    assert "next try in 1s" in said[0]
    assert watched.pause <= LONGEST_PAUSE

from eqr_launcher.supervisor import Backoff


def test_backoff_doubles_up_to_the_cap_and_resets_after_a_stable_run() -> None:
    backoff = Backoff(first_seconds=0.5, max_seconds=3.0, stable_after_seconds=30.0)
    delays = []
    delay = 0.0
    for _ in range(5):
        delay = backoff.next(delay, uptime=1.0)
        delays.append(delay)
    assert delays == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert backoff.next(3.0, uptime=45.0) == 0.5

import socket

from eqr_launcher import ports
from eqr_launcher.ports import claim, consecutive_free_ports, free_port, is_port_free, pick_port


def unused_port() -> int:
    """A free port this process has not handed out yet."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port not in ports._handed_out:
            return port


def test_free_port_never_repeats_within_a_process() -> None:
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(is_port_free(port) for port in ports)


def test_pick_port_takes_a_free_preferred_port_once() -> None:
    preferred = unused_port()
    assert pick_port(preferred) == preferred
    assert pick_port(preferred) != preferred


def test_pick_port_falls_back_when_the_preferred_port_is_taken() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert not is_port_free(taken)
        assert pick_port(taken) != taken


def test_pick_port_without_preference_is_free() -> None:
    assert is_port_free(pick_port(None))


def test_claim_is_all_or_nothing() -> None:
    handed_out = free_port()
    fresh = unused_port()
    assert not claim([fresh, handed_out])
    assert claim([fresh])


def test_consecutive_free_ports() -> None:
    ports = consecutive_free_ports(3)
    assert ports == list(range(ports[0], ports[0] + 3))
    assert all(is_port_free(port) for port in ports)

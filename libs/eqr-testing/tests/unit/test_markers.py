import pytest

pytest_plugins = ["pytester"]

TESTS = """
def test_fast():
    pass

def test_uses_database(database_url):
    pass

def test_uses_redis(redis_url):
    pass

def test_uses_gateway(gateway_url):
    pass
"""


@pytest.mark.parametrize(
    ("expression", "selected"),
    [
        ("not infra and not e2e", ["test_fast"]),
        ("infra", ["test_uses_database", "test_uses_redis", "test_uses_gateway"]),
        ("e2e", ["test_uses_gateway"]),
    ],
)
def test_fixtures_mark_the_tests_that_use_them(
    pytester: pytest.Pytester, expression: str, selected: list[str]
) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_sample=TESTS)
    result = pytester.runpytest("--collect-only", "-q", "-m", expression, "-p", "no:cacheprovider")
    collected = [line.split("::")[1] for line in result.outlines if "::" in line]
    assert collected == selected

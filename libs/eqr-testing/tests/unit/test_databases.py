from eqr_testing.databases import libpq_url, with_database


def test_sqlalchemy_urls_become_libpq_urls() -> None:
    assert libpq_url("postgresql+psycopg://u:p@h:5432/eqr") == "postgresql://u:p@h:5432/eqr"
    assert libpq_url("postgresql://u@h/eqr") == "postgresql://u@h/eqr"


def test_with_database_replaces_only_the_database() -> None:
    url = "postgresql+psycopg://u:p@h:5432/eqr?sslmode=disable"
    assert with_database(url, "eqr_test_1") == "postgresql+psycopg://u:p@h:5432/eqr_test_1?sslmode=disable"

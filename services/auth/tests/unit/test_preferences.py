import json
from dataclasses import replace

import pytest

from eqr_auth.app import preferences
from eqr_auth.domain.errors import ValidationFailed
from eqr_auth.domain.events import UserUpdated
from eqr_auth.domain.preferences import (
    DEFAULT_PREFERENCES,
    MAX_LAYOUT_BYTES,
    PreferencesDraft,
    Theme,
    apply_preferences,
    parse_locale,
)

ZONES = frozenset({"UTC", "Europe/London"})


def apply(draft: PreferencesDraft, *fields: str):
    return apply_preferences(DEFAULT_PREFERENCES, draft, fields, time_zones=ZONES)


def test_a_full_valid_update() -> None:
    draft = PreferencesDraft(
        theme="Dark",
        timezone="Europe/London",
        currency="gbp",
        locale="en_gb",
        watchlist=["aapl", " MSFT ", "AAPL", "BRK.B", "^GSPC", "EURUSD=X"],
        dashboard_layout_json='{"panels": [1, 2]}',
    )
    result = apply(draft)
    assert result.theme == Theme.DARK
    assert (result.timezone, result.currency, result.locale) == ("Europe/London", "GBP", "en-GB")
    assert result.watchlist == ("AAPL", "MSFT", "BRK.B", "^GSPC", "EURUSD=X")
    assert result.dashboard_layout_json == '{"panels": [1, 2]}'


def test_only_masked_fields_change() -> None:
    result = apply(PreferencesDraft(theme="light", currency="not checked"), "theme")
    assert result == replace(DEFAULT_PREFERENCES, theme=Theme.LIGHT)


def test_empty_values_reset_to_defaults() -> None:
    assert apply(PreferencesDraft()) == DEFAULT_PREFERENCES


def test_every_bad_field_is_named() -> None:
    draft = PreferencesDraft(
        theme="neon",
        timezone="Mars/Olympus",
        currency="XYZ",
        locale="english please",
        watchlist=["ok", "not a symbol"],
        dashboard_layout_json="[1, 2]",
    )
    with pytest.raises(ValidationFailed) as caught:
        apply(draft)
    assert [v.field for v in caught.value.violations] == [
        "theme",
        "timezone",
        "currency",
        "locale",
        "watchlist",
        "dashboard_layout_json",
    ]


def test_unknown_mask_fields_are_rejected() -> None:
    with pytest.raises(ValidationFailed) as caught:
        apply(PreferencesDraft(), "colour")
    assert caught.value.field == "update_mask"


@pytest.mark.parametrize(
    "layout", ["not json", '{"a": NaN}', '{"a": Infinity}', '"string"', "null", "[" * 60_000]
)
def test_layout_must_be_a_json_object(layout: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        apply(PreferencesDraft(dashboard_layout_json=layout), "dashboard_layout_json")
    assert caught.value.field == "dashboard_layout_json"


def test_layout_is_limited_to_64_kib() -> None:
    def layout_of(size: int) -> str:
        skeleton = json.dumps({"x": ""})
        return json.dumps({"x": "a" * (size - len(skeleton))})

    assert len(layout_of(MAX_LAYOUT_BYTES)) == MAX_LAYOUT_BYTES
    apply(PreferencesDraft(dashboard_layout_json=layout_of(MAX_LAYOUT_BYTES)), "dashboard_layout_json")
    with pytest.raises(ValidationFailed):
        apply(
            PreferencesDraft(dashboard_layout_json=layout_of(MAX_LAYOUT_BYTES + 1)), "dashboard_layout_json"
        )


def test_watchlist_is_limited_to_200_symbols() -> None:
    apply(PreferencesDraft(watchlist=[f"S{n}" for n in range(200)]), "watchlist")
    with pytest.raises(ValidationFailed):
        apply(PreferencesDraft(watchlist=[f"S{n}" for n in range(201)]), "watchlist")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("en", "en"),
        ("EN-us", "en-US"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("de-CH-1996", "de-CH-1996"),
    ],
)
def test_locales_are_canonicalised(raw: str, canonical: str) -> None:
    assert parse_locale(raw) == canonical


@pytest.mark.parametrize("raw", ["e", "english", "en-", "en-USA1", "en--US", "x" * 40])
def test_malformed_locales_are_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_locale(raw)


async def test_preferences_default_then_persist(harness) -> None:
    principal = await harness.signed_in()
    assert await preferences.get_preferences(harness.deps, principal) == DEFAULT_PREFERENCES
    saved = await preferences.update_preferences(
        harness.deps, principal, PreferencesDraft(theme="dark", watchlist=["aapl"]), ["theme", "watchlist"]
    )
    assert await preferences.get_preferences(harness.deps, principal) == saved
    [event] = harness.store.events_of(UserUpdated)
    assert event.fields == ("preferences.theme", "preferences.watchlist")


async def test_an_update_that_changes_nothing_is_not_recorded(harness) -> None:
    principal = await harness.signed_in()
    commits = harness.store.commits
    await preferences.update_preferences(harness.deps, principal, PreferencesDraft(theme="system"), ["theme"])
    assert harness.store.commits == commits


async def test_timezones_come_from_the_configured_catalogue(harness) -> None:
    principal = await harness.signed_in()
    with pytest.raises(ValidationFailed):
        await preferences.update_preferences(
            harness.deps, principal, PreferencesDraft(timezone="Asia/Tokyo"), ["timezone"]
        )

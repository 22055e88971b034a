"""Report helpers and the learning-hours settings (LRS_JP_TARGET, LRS_REPORT_UTC_OFFSET)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from lrs.agents import ifi_key
from lrs.errors import ConfigurationError
from lrs.progress.hours import person_key
from lrs.progress.reports import split_person_key, year_start_us
from lrs.progress.views import agent_from_key
from lrs.settings import load_settings
from lrs.timeutil import parse_instant_us


@pytest.mark.parametrize(
    "agent",
    [
        {"mbox": "mailto:Ani@Example.go.id"},
        {"mbox_sha1sum": "ab" * 20},
        {"openid": "https://id.example.go.id/ani"},
        {"account": {"homePage": "https://sso.example.go.id", "name": '1995|="x"'}},
    ],
)
def test_agent_from_key_round_trips(agent: dict[str, Any]) -> None:
    key = ifi_key(agent)
    assert key is not None
    rebuilt = agent_from_key(key)
    assert rebuilt["objectType"] == "Agent" and ifi_key(rebuilt) == key


def test_person_keys_split_back() -> None:
    home = "https://sso.example.go.id"
    sso = ifi_key({"account": {"homePage": home, "name": "1995"}}) or ""
    other = ifi_key({"account": {"homePage": "https://elsewhere", "name": "a|b"}}) or ""
    assert split_person_key(person_key("tenant-a", sso, sso_homepage=home)) == (None, sso)
    assert split_person_key(person_key("tenant-a", other, sso_homepage=home)) == ("tenant-a", other)
    assert split_person_key(person_key("account", "mbox:mailto:a@b", sso_homepage=home)) == (
        "account",
        "mbox:mailto:a@b",
    )


def test_year_start_in_the_report_time_zone() -> None:
    assert year_start_us(2025, 420) == parse_instant_us("2024-12-31T17:00:00Z")
    assert year_start_us(2025, 0) == parse_instant_us("2025-01-01T00:00:00Z")


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("LRS_JP_TARGET", "20", 2000),
        ("LRS_JP_TARGET", "22.5", 2250),
        ("LRS_JP_TARGET", "0.75", 75),
        ("LRS_JP_TARGET", "0", 0),
        ("LRS_JP_TARGET", " 24 ", 2400),
        ("LRS_REPORT_UTC_OFFSET", "+07:00", 420),
        ("LRS_REPORT_UTC_OFFSET", "+08:00", 480),
        ("LRS_REPORT_UTC_OFFSET", "-03:30", -210),
        ("LRS_REPORT_UTC_OFFSET", "+00:00", 0),
    ],
)
def test_report_settings(name: str, raw: str, value: int) -> None:
    settings = load_settings({name: raw})
    attribute = "jp_target_centi" if name == "LRS_JP_TARGET" else "report_utc_offset_minutes"
    assert getattr(settings, attribute) == value


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        *(("LRS_JP_TARGET", raw) for raw in ("-1", "1.234", "twenty", "1e3", "20,5", "100000")),
        *(("LRS_REPORT_UTC_OFFSET", raw) for raw in ("7", "+7:00", "+15:00", "+07:60", "WIB", "UTC+7")),
    ],
)
def test_bad_report_settings_stop_the_service(name: str, raw: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        load_settings({name: raw})


def test_defaults() -> None:
    settings = load_settings({})
    assert (settings.jp_target_centi, settings.report_utc_offset_minutes) == (2000, 420)


def test_stored_views_are_what_the_rows_render_to_and_old_rows_are_rendered(tmp_path: Path) -> None:
    from lrs.progress.reports import RowFilter, summary_and_views
    from lrs.progress.service import ProgressService
    from lrs.progress.views import row_view
    from lrs.storage.sqlite import SQLiteStore
    from tests.storage.test_progress_contract import ANI, BUDI, LATSAR, MATERI, VIDEO, completed, put, write

    store = SQLiteStore(tmp_path / "lrs.sqlite3")
    store.init_schema()
    put(store, "acme", LATSAR)
    write(store, "acme", [completed(ANI, MATERI, 0), completed(BUDI, VIDEO, 1), completed(ANI, VIDEO, 2)], LATSAR)
    service = ProgressService(store)
    summary, page = summary_and_views(service, "acme", LATSAR, RowFilter())
    rows = service.rows("acme", "latsar")
    assert [json.loads(view) for view in page.views] == [row_view(row, LATSAR) for row in rows]
    assert len(rows) == 2 and summary.participants == 2
    with sqlite3.connect(store.path) as conn:  # rows stored before views existed
        conn.execute("UPDATE progress_rows SET view = NULL")
    assert summary_and_views(service, "acme", LATSAR, RowFilter()) == (summary, page)
    first = summary_and_views(service, "acme", LATSAR, RowFilter(), limit=1)[1]
    rest = summary_and_views(service, "acme", LATSAR, RowFilter(), after=first.next_after, limit=1)[1]
    assert first.views + rest.views == page.views and rest.next_after is None
    missing_video = summary_and_views(service, "acme", LATSAR, RowFilter(not_completed=VIDEO))[1]
    missing_materi = summary_and_views(service, "acme", LATSAR, RowFilter(not_completed=MATERI))[1]
    assert missing_video.views == [] and [json.loads(view)["agent"] for view in missing_materi.views] == [
        {"objectType": "Agent", **{k: v for k, v in BUDI.items() if k != "name" and k != "objectType"}}
    ]

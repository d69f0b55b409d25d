"""yakkan history: a clause's timeline across versions, following renumbering."""

from __future__ import annotations

import json

from click.testing import CliRunner

from versions.cli import main


def timeline(*args: str) -> list[dict]:
    result = CliRunner().invoke(main, ["history", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["timeline"]


def test_follows_renumbering_in_the_statute() -> None:
    steps = timeline("kojin-joho-hogo-ho", "art_17")
    assert [s["node"] for s in steps] == ["art_15", "art_15", "art_17"]
    assert [s["change"] for s in steps] == ["first", "unchanged", "renumbered"]
    assert all("利用目的の特定" in s["label"] for s in steps)


def test_amendment_events_and_clause_date() -> None:
    steps = timeline("toreru-camera", "art_20")
    assert [s["version"] for s in steps][:2] == [
        "toreru-camera@2021-03-01",
        "toreru-camera@2021-05-11",
    ]
    second = steps[1]
    assert second["change"] == "modified"
    assert second["clause_effective"] == "2021-05-17"
    assert [e["effective"] for e in second["events"]] == ["2021-05-11"]
    changed = [(e["old"], e["new"]) for e in second["edits"] if e["op"] != "equal"]
    assert ("書面", "当社所定の方法") in changed
    assert steps[2]["change"] == "unchanged" and steps[2]["events"] == []


def test_clause_named_in_an_older_version() -> None:
    steps = timeline("toreru-camera", "art_44", "--at", "2021-05-11")
    assert [s["node"] for s in steps] == ["art_44", "art_44", "art_45", "art_45"]
    assert steps[2]["change"] == "renumbered"


def test_deleted_clause_ends_the_timeline() -> None:
    steps = timeline("gigaraku-wifi-ap", "art_16", "--at", "gigaraku-wifi-ap@2025-10-31")
    assert steps[-1]["change"] == "deleted"


def test_unknown_clause() -> None:
    result = CliRunner().invoke(main, ["history", "toreru-camera", "art_999"])
    assert result.exit_code == 2 and "art_999" in result.output


def test_malformed_at_date_is_refused() -> None:
    for at in ("xyz", "toreru-camera@2023-13-99"):
        result = CliRunner().invoke(main, ["history", "toreru-camera", "art_20", "--at", at])
        assert result.exit_code == 2, result.output
        assert "is not a date (use YYYY-MM-DD)" in result.stderr
    exact = CliRunner().invoke(
        main, ["history", "toreru-camera", "art_44", "--at", "toreru-camera@2021-05-11"]
    )
    assert exact.exit_code == 0, exact.output


def test_text_output_has_no_python_none() -> None:
    # The statute's 附則 carry no date the reader could find: they printed "(effective None)".
    result = CliRunner().invoke(main, ["history", "kojin-joho-hogo-ho", "art_17"])
    assert result.exit_code == 0, result.output
    assert "附則: 附 則（平成二八年五月二七日法律第五一号） 抄" in result.stdout
    assert "None" not in result.stdout
    dated = CliRunner().invoke(main, ["history", "toreru-camera", "art_20"])
    assert "(effective 2019-12-23)" in dated.stdout

"""The documents' list for the site's forms (versions/kb/document_list.py), on corpus/'s knowledge
base: every document, titles escaped, the selected one marked, kept per database file and never
served for another file at the same path."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from versions.kb import document_list


def test_every_document_once_by_id(kb: Path) -> None:
    with sqlite3.connect(kb) as conn:
        rows = conn.execute("select id, title from documents order by id").fetchall()
        found = document_list.read(conn)
    assert found.documents == tuple(rows)
    assert found.options.count("<option ") == len(rows)
    assert found.titles["kojin-joho-hogo-ho"] == "個人情報の保護に関する法律"


def test_selected_document_is_marked_once(kb: Path) -> None:
    with sqlite3.connect(kb) as conn:
        found = document_list.read(conn)
    html = found.options_html("toreru-camera")
    assert html.count(" selected>") == 1
    assert '<option value="toreru-camera" selected>' in html
    assert found.options_html(None) == found.options
    assert found.options_html("no-such-doc") == found.options


def test_titles_are_escaped() -> None:
    found = document_list.of((("a", '<script>"x"</script>'),))
    assert found.options == '<option value="a">&lt;script&gt;&quot;x&quot;&lt;/script&gt;</option>'


def test_a_rebuild_at_the_same_path_is_read_again(kb: Path, tmp_path: Path) -> None:
    path = tmp_path / "yakkan.db"
    shutil.copyfile(kb, path)
    with sqlite3.connect(path) as c:
        before = document_list.read(c)
    rebuilt = tmp_path / "rebuilt.db"
    shutil.copyfile(kb, rebuilt)
    with sqlite3.connect(rebuilt) as c:
        c.execute("update documents set title = 'renamed' where id = 'toreru-camera'")
    rebuilt.replace(path)  # the build's atomic swap
    with sqlite3.connect(path) as c:
        after = document_list.read(c)
    assert before.titles["toreru-camera"] != "renamed"
    assert after.titles["toreru-camera"] == "renamed"

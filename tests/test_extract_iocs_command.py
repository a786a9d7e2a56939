"""``manage.py extract_iocs FILE... --json [--classify]``: one JSON object per line, no database
(these tests carry no ``django_db`` mark: pytest-django fails any test that touches the database)."""

import json

import pytest
from django.core.management import CommandError, call_command

REPORT = """# Campaign X

More technical information at <https://research.example-vendor.com/campaign-x/>.

## C&C servers

```
update-check[.]evil-c2.net
10.0.0.5
```
"""


def _lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_json_lines_have_file_type_value(tmp_path, capsys):
    path = tmp_path / "report.md"
    path.write_text(REPORT)
    call_command("extract_iocs", str(path), "--json")
    rows = _lines(capsys)
    assert {"file": str(path), "type": "domain", "value": "update-check.evil-c2.net"} in rows
    assert all(set(row) == {"file", "type", "value"} for row in rows)


def test_classify_adds_status_confidence_reason(tmp_path, capsys):
    path = tmp_path / "report.md"
    path.write_text(REPORT)
    call_command("extract_iocs", str(path), "--json", "--classify")
    rows = {row["value"]: row for row in _lines(capsys)}
    assert set(rows["update-check.evil-c2.net"]) == {"file", "type", "value", "status", "confidence", "reason"}
    assert rows["update-check.evil-c2.net"]["status"] == "confirmed"
    assert rows["10.0.0.5"]["status"] == "false_positive"
    assert rows["https://research.example-vendor.com/campaign-x/"]["status"] == "false_positive"


def test_published_only_and_several_files(tmp_path, capsys):
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text(REPORT)
    second.write_text("Payload at hxxp://dl.evil-cdn[.]org/x.exe")
    call_command("extract_iocs", str(first), str(second), "--json", "--classify", "--published-only")
    rows = _lines(capsys)
    assert {row["file"] for row in rows} == {str(first), str(second)}
    assert all(row["status"] == "confirmed" for row in rows)


def test_plain_output_is_tab_separated(tmp_path, capsys):
    path = tmp_path / "r.txt"
    path.write_text("C2 evil-c2[.]net")
    call_command("extract_iocs", str(path))
    assert capsys.readouterr().out.strip() == f"{path}\tdomain\tevil-c2.net"


def test_errors_are_reported(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("extract_iocs", str(tmp_path / "missing.txt"))
    (tmp_path / "r.txt").write_text("x")
    with pytest.raises(CommandError, match="needs --classify"):
        call_command("extract_iocs", str(tmp_path / "r.txt"), "--published-only")


def test_undecodable_bytes_do_not_crash(tmp_path, capsys):
    path = tmp_path / "bin.txt"
    path.write_bytes(b"\xff\xfe C2 evil-c2[.]net \x00\x81")
    call_command("extract_iocs", str(path), "--json")
    assert _lines(capsys)[0]["value"] == "evil-c2.net"

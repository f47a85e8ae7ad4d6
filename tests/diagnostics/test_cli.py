"""The bench CLI contract (DESIGN §2.4): output shape, exit codes, messages, help on every command."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from diagnostics.cli import cli
from diagnostics.grading.explain import explain
from tests.diagnostics.conftest import CORPUS

UPOWER = CORPUS / "battery" / "linux_upower" / "jc_upower-i-c-locale.txt"
WINDOWS = CORPUS / "battery" / "windows_batteryreport" / "hp_255_g7.html"
NO_BATTERY = CORPUS / "battery" / "linux_upower" / "jc_upower-d_desktop_no_battery.txt"
PYSMART = CORPUS / "smart" / "pysmart"
REQUIRED_KEYS = {
    "file",
    "component",
    "format",
    "health",
    "grade",
    "findings",
    "remaining_life",
    "identity",
    "policy",
}

UEVENT = b"""POWER_SUPPLY_NAME=BAT0
POWER_SUPPLY_TYPE=Battery
POWER_SUPPLY_STATUS=Discharging
POWER_SUPPLY_PRESENT=1
POWER_SUPPLY_TECHNOLOGY=Li-ion
POWER_SUPPLY_CYCLE_COUNT=412
POWER_SUPPLY_VOLTAGE_MIN_DESIGN=11400000
POWER_SUPPLY_ENERGY_FULL_DESIGN=57000000
POWER_SUPPLY_ENERGY_FULL=50160000
POWER_SUPPLY_ENERGY_NOW=25000000
POWER_SUPPLY_CAPACITY=50
POWER_SUPPLY_MODEL_NAME=01AV430
POWER_SUPPLY_MANUFACTURER=SMP
POWER_SUPPLY_SERIAL_NUMBER=1234
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


def checklist_file(tmp_path: Path, **results: str) -> Path:
    items = {
        "screen": "pass",
        "keyboard": "pass",
        "touchpad": "pass",
        "usb_ports": "pass",
        "webcam": "pass",
        "wifi": "pass",
        "audio": "pass",
        "charger": "pass",
        **results,
    }
    doc = {
        "kind": "relife-checklist",
        "device_kind": "laptop",
        "items": [{"item": k, "result": v} for k, v in items.items()],
    }
    path = tmp_path / "checklist.json"
    path.write_bytes(orjson.dumps(doc))
    return path


def fake_sysfs(tmp_path: Path) -> Path:
    root = tmp_path / "power_supply"
    (root / "BAT0").mkdir(parents=True)
    (root / "BAT0" / "type").write_text("Battery\n")
    (root / "BAT0" / "uevent").write_bytes(UEVENT)
    (root / "AC").mkdir()
    (root / "AC" / "type").write_text("Mains\n")
    (root / "hidpp_battery_0").mkdir()  # a wireless mouse: not the laptop's battery
    (root / "hidpp_battery_0" / "type").write_text("Battery\n")
    (root / "hidpp_battery_0" / "scope").write_text("Device\n")
    return root


# --- help ----------------------------------------------------------------------------------------


def test_every_command_has_help_text(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert cli.commands, "no commands registered"
    for name, command in cli.commands.items():
        assert command.help and command.help.strip(), f"{name} has no help text"
        assert (command.short_help or command.help.splitlines()[0]).strip()
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.stdout
        assert name in result.stdout
        for param in command.params:
            if isinstance(param, __import__("click").Option) and not param.hidden:
                assert param.help, f"{name} {param.opts} has no help"


# --- grade ---------------------------------------------------------------------------------------


def test_grade_json_lines_have_the_contract_fields_and_exit_0(runner: CliRunner, tmp_path: Path) -> None:
    check = checklist_file(tmp_path)
    result = runner.invoke(cli, ["grade", str(UPOWER), str(WINDOWS), str(check), "--json"])
    assert result.exit_code == 0, result.stderr
    lines = json_lines(result.stdout)
    assert len(lines) >= 3
    for line in lines:
        assert line.keys() >= REQUIRED_KEYS
        assert line["health"] in {"healthy", "worn", "failing", "unknown"}
        assert line["grade"] in set("ABCDF")
        for finding in line["findings"]:
            assert {"code", "severity", "evidence", "source"} <= finding.keys()
    assert {line["file"] for line in lines} == {str(UPOWER), str(WINDOWS), str(check)}
    assert {line["component"] for line in lines} == {"battery", "manual"}


def test_unreadable_input_gives_an_error_line_and_exit_1(runner: CliRunner, tmp_path: Path) -> None:
    garbage = tmp_path / "photo.jpg"
    garbage.write_bytes(b"\xff\xd8\xff\xe0 not a report at all \x00\x01")
    truncated = tmp_path / "cut.json"
    truncated.write_bytes(b'{"json_format_version": [1, 0], "smartctl": {"version": [7, 3]')
    result = runner.invoke(cli, ["grade", str(UPOWER), str(garbage), str(truncated), str(NO_BATTERY), "--json"])
    assert result.exit_code == 1
    lines = {line["file"]: line for line in json_lines(result.stdout)}
    assert lines[str(UPOWER)]["grade"]
    for bad in (garbage, truncated, NO_BATTERY):
        line = lines[str(bad)]
        assert line["error"], line
        assert "health" not in line and "grade" not in line
    assert "JSON" in lines[str(truncated)]["error"]
    assert "Traceback" not in result.stderr + result.stdout
    assert "3 of 4 input(s) could not be read" in result.stderr


@pytest.mark.parametrize("args", [["grade"], ["grade", "/no/such/file"], ["grade", "--bogus", str(UPOWER)], ["nope"]])
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    assert "Usage" in result.stderr or "Error" in result.stderr


def test_grade_human_output_is_a_table_with_grade_findings_and_action(runner: CliRunner, tmp_path: Path) -> None:
    check = checklist_file(tmp_path, keyboard="fail")
    result = runner.invoke(cli, ["grade", str(check)])
    assert result.exit_code == 0
    header, row, *details = result.stdout.splitlines()
    assert header.split()[:5] == ["FILE", "COMPONENT", "MODEL", "HEALTH", "GRADE"]
    assert " D " in row and "replace this part, then reuse" in row
    assert any("manual.replace_part: replace the keyboard" in line for line in details)


def test_grade_reads_a_folder_and_stdin(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "a.txt").write_bytes(UPOWER.read_bytes())
    (folder / ".hidden").write_bytes(b"ignored")
    result = runner.invoke(cli, ["grade", str(folder), "--json"])
    assert result.exit_code == 0
    assert [line["file"] for line in json_lines(result.stdout)] == [str(folder / "a.txt")]
    result = runner.invoke(cli, ["grade", "-", "--json"], input=UPOWER.read_bytes())
    assert result.exit_code == 0
    assert json_lines(result.stdout)[0]["file"] == "<stdin>"


def test_utf16_windows_output_is_decoded(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "upower-utf16.txt"
    path.write_bytes(UPOWER.read_text(encoding="utf-8").encode("utf-16"))  # with BOM, as PowerShell writes
    result = runner.invoke(cli, ["grade", str(path), "--json"])
    assert result.exit_code == 0, result.stdout
    assert json_lines(result.stdout)[0]["component"] == "battery"


# --- assess --------------------------------------------------------------------------------------


def test_assess_combines_components_into_one_device(runner: CliRunner, tmp_path: Path) -> None:
    check = checklist_file(tmp_path, charger="fail")
    result = runner.invoke(cli, ["assess", str(UPOWER), str(check), "--json"])
    assert result.exit_code == 0, result.stderr
    (device,) = json_lines(result.stdout)
    assert device["grade"] == "D"
    assert "device.replace_part" in [f["code"] for f in device["findings"]]
    assert len(device["components"]) == 2
    assert device["errors"] == []

    human = runner.invoke(cli, ["assess", str(UPOWER), str(check)])
    assert human.stdout.startswith("DEVICE GRADE D")
    assert "replace the charger" in human.stdout


def test_assess_with_unreadable_input_exits_1_and_names_it(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["assess", str(UPOWER), str(NO_BATTERY), "--json"])
    assert result.exit_code == 1
    (device,) = json_lines(result.stdout)
    assert device["errors"][0]["file"] == str(NO_BATTERY)
    assert str(NO_BATTERY) in result.stderr
    only_bad = runner.invoke(cli, ["assess", str(NO_BATTERY)])
    assert only_bad.exit_code == 1
    assert "nothing to assess" in only_bad.stderr


# --- scan ----------------------------------------------------------------------------------------


def test_scan_replays_a_pysmart_listing_and_saves_raw_files(runner: CliRunner, tmp_path: Path) -> None:
    folder = PYSMART / "listingtests" / "linux_multiple_devices"
    save = tmp_path / "raw"
    result = runner.invoke(
        cli,
        [
            "scan",
            "--replay",
            str(folder),
            "--power-supply",
            str(fake_sysfs(tmp_path)),
            "--save",
            str(save),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    lines = json_lines(result.stdout)
    disks = [line for line in lines if line["component"] == "disk"]
    assert [d["file"] for d in disks] == ["/dev/nvme0", "/dev/nvme1", "/dev/bus/0"]
    assert all(d["format"] == "smartctl-text" for d in disks)
    (battery,) = [line for line in lines if line["component"] == "battery"]
    assert battery["identity"]["model"] == "01AV430"
    saved = sorted(p.name for p in save.iterdir())
    assert saved == sorted(
        [
            "smartctl-dev_nvme0.txt",
            "smartctl-dev_nvme1.txt",
            "smartctl-dev_bus_0.txt",
            "battery-BAT0.uevent.txt",
        ]
    )
    # Raw files are kept unchanged, and grade the same way afterwards.
    assert (save / "smartctl-dev_nvme0.txt").read_bytes() == (folder / "_-d_nvme_--all__dev_nvme0").read_bytes()
    regraded = runner.invoke(cli, ["grade", str(save), "--json"])
    assert regraded.exit_code == 0
    assert sorted(line["grade"] for line in json_lines(regraded.stdout)) == sorted(line["grade"] for line in lines)


def test_scan_without_root_says_so_and_still_reads_the_battery(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnostics.smart import probe

    monkeypatch.setattr(probe, "is_root", lambda: False)
    monkeypatch.setattr(probe, "smartctl_path", lambda: "/usr/sbin/smartctl")
    result = runner.invoke(cli, ["scan", "--power-supply", str(fake_sysfs(tmp_path)), "--json"])
    assert result.exit_code == 1
    assert "needs root" in result.stderr
    assert "sudo relife-bench scan" in result.stderr
    assert [line["component"] for line in json_lines(result.stdout)] == ["battery"]


def test_scan_without_smartctl_says_what_to_install(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnostics.smart import probe

    monkeypatch.setattr(probe, "smartctl_path", lambda: None)
    result = runner.invoke(cli, ["scan", "--power-supply", str(tmp_path / "none"), "--quiet"])
    assert result.exit_code == 1
    assert "smartctl not found" in result.stderr
    assert "smartmontools" in result.stderr
    assert "battery: none found" in result.stderr


def test_scan_battery_only_needs_no_root(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from diagnostics.smart import probe

    monkeypatch.setattr(probe, "is_root", lambda: False)
    result = runner.invoke(cli, ["scan", "--no-disks", "--power-supply", str(fake_sysfs(tmp_path))])
    assert result.exit_code == 0, result.stderr
    assert "01AV430" in result.stdout


# --- upload --------------------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    responses: list[tuple[int, dict[str, str], bytes]] = []
    requests: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).requests.append((self.path, dict(self.headers), self.rfile.read(length)))
        status, headers, body = type(self).responses.pop(0)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def api() -> Iterator[tuple[str, Callable[[list[tuple[int, dict[str, str], bytes]]], list[Any]]]]:
    handler = type("Handler", (_Recorder,), {"responses": [], "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def script(responses: list[tuple[int, dict[str, str], bytes]]) -> list[Any]:
        handler.responses[:] = responses
        return handler.requests

    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def test_upload_posts_every_file_with_the_token_and_retries_on_5xx(runner: CliRunner, api: Any, tmp_path: Path) -> None:
    url, script = api
    answer = {"id": 7, "device_assessment": {"grade": "B", "health": "healthy"}}
    requests = script(
        [
            (
                503,
                {"Retry-After": "0", "Content-Type": "application/problem+json"},
                orjson.dumps({"title": "Service Unavailable", "status": 503}),
            ),
            (201, {"Content-Type": "application/json"}, orjson.dumps(answer)),
        ]
    )
    check = checklist_file(tmp_path)
    result = runner.invoke(
        cli, ["upload", "--api", url, "--token", "rlf_secret", "--device", "42", str(UPOWER), str(check)]
    )
    assert result.exit_code == 0, result.stderr
    assert "server grade: B (healthy)" in result.stdout
    assert "retrying" in result.stderr
    assert len(requests) == 2
    path, headers, body = requests[-1]
    assert path == "/api/v1/devices/42/diagnostics"
    assert headers["Authorization"] == "Bearer rlf_secret"
    assert headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert body.count(b'name="files"') == 2
    assert UPOWER.read_bytes() in body and b'filename="checklist.json"' in body


def test_upload_shows_the_problem_and_does_not_retry_a_4xx(runner: CliRunner, api: Any) -> None:
    url, script = api
    problem = {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "a file could not be read",
        "errors": {"files": ["cut.json: invalid or truncated JSON"]},
    }
    requests = script([(422, {"Content-Type": "application/problem+json"}, orjson.dumps(problem))])
    result = runner.invoke(cli, ["upload", "--api", url + "/api/v1", "--token", "t", "--device", "9", str(UPOWER)])
    assert result.exit_code == 1
    assert len(requests) == 1
    assert "HTTP 422 Unprocessable Entity: a file could not be read" in result.stderr
    assert "files: cut.json: invalid or truncated JSON" in result.stderr


def test_upload_gives_up_after_retries_on_network_errors(runner: CliRunner) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = runner.invoke(
        cli,
        [
            "upload",
            "--api",
            f"http://127.0.0.1:{port}",
            "--token",
            "t",
            "--device",
            "1",
            "--retries",
            "0",
            str(UPOWER),
        ],
    )
    assert result.exit_code == 1
    assert "network error" in result.stderr
    assert "Traceback" not in result.stderr


def test_upload_refuses_a_non_http_api(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["upload", "--api", "file:///etc", "--token", "t", "--device", "1", str(UPOWER)])
    assert result.exit_code == 1
    assert "http(s) URL" in result.stderr


def test_scan_selftest_shows_the_outcome_and_grades_the_new_log(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diagnostics.smart import probe
    from tests.diagnostics.test_probe import scripted_smartctl

    drive = scripted_smartctl("Completed: read failure", "90", "1234567")
    monkeypatch.setattr(probe, "replay_smartctl", lambda _folder: drive)
    monkeypatch.setattr(probe, "_sleep", lambda _s: None)
    result = runner.invoke(cli, ["scan", "--replay", str(tmp_path), "--selftest", "short", "--no-battery", "--json"])
    assert result.exit_code == 0, result.stderr
    assert "/dev/sdau: short self-test failed: Completed: read failure" in result.stderr
    (disk,) = json_lines(result.stdout)
    assert disk["health"] == "failing"
    assert disk["grade"] == "F"


def test_checklist_template_must_be_filled_in_before_it_grades(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["checklist", "phone"])
    assert result.exit_code == 0
    template = orjson.loads(result.stdout)
    assert [i["item"] for i in template["items"]][:3] == ["screen", "touch", "cameras"]
    path = tmp_path / "phone.json"
    path.write_text(result.stdout)
    unfilled = runner.invoke(cli, ["grade", str(path), "--json"])
    assert unfilled.exit_code == 1
    assert "result must be pass, fail or na" in json_lines(unfilled.stdout)[0]["error"]
    for item in template["items"]:
        item["result"] = "pass"
    path.write_bytes(orjson.dumps(template))
    filled = runner.invoke(cli, ["grade", str(path), "--json"])
    assert filled.exit_code == 0
    assert json_lines(filled.stdout)[0]["grade"] == "A"
    assert runner.invoke(cli, ["checklist", "toaster"]).exit_code == 2


def test_json_lines_carry_integers_beyond_64_bits() -> None:
    from diagnostics.cli import json_line

    assert json_line({"data_units_read": 2**80}) == '{"data_units_read":' + str(2**80) + "}"


def test_scan_selftests_all_disks_at_once(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from diagnostics.smart import probe
    from tests.diagnostics.test_probe import scripted_smartctl

    drives = scripted_smartctl("Completed without error", devices=("/dev/sda", "/dev/sdb"), together=True)
    monkeypatch.setattr(probe, "replay_smartctl", lambda _folder: drives)
    monkeypatch.setattr(probe, "_sleep", lambda _s: None)
    result = runner.invoke(cli, ["scan", "--replay", str(tmp_path), "--selftest", "short", "--no-battery", "--json"])
    assert result.exit_code == 0, result.stderr
    assert "/dev/sda: short self-test passed" in result.stderr
    assert "/dev/sdb: short self-test passed" in result.stderr
    assert [line["file"] for line in json_lines(result.stdout)] == ["/dev/sda", "/dev/sdb"]


def test_python_m_diagnostics_runs_the_cli(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\x01\x02")
    ok = subprocess.run([sys.executable, "-m", "diagnostics", "grade", str(UPOWER), "--json"], capture_output=True)
    assert ok.returncode == 0, ok.stderr
    assert json_lines(ok.stdout.decode())[0]["component"] == "battery"
    failed = subprocess.run([sys.executable, "-m", "diagnostics", "grade", str(bad), "--json"], capture_output=True)
    assert failed.returncode == 1
    assert b"Traceback" not in failed.stderr
    usage = subprocess.run([sys.executable, "-m", "diagnostics", "grade"], capture_output=True)
    assert usage.returncode == 2


def test_assess_with_earlier_dated_reports_finds_what_grew(runner: CliRunner, tmp_path: Path) -> None:
    doc = json.loads((CORPUS / "smart" / "scrutiny/smart-ata.json").read_text(encoding="utf-8"))
    doc["serial_number"] = "WD-CLI-TREND"

    def saved(name: str, reallocated: int) -> Path:
        for row in doc["ata_smart_attributes"]["table"]:
            if row["id"] == 5:
                row["raw"] = {"value": reallocated, "string": str(reallocated)}
        path = tmp_path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        return path

    march, june, now = saved("march.json", 1), saved("june.json", 3), saved("now.json", 5)
    args = ["assess", str(now), "--earlier", "2026-06-01", str(june), "--earlier", "2026-03-01", str(march)]
    result = runner.invoke(cli, [*args, "--date", "2026-09-01", "--json"])
    assert result.exit_code == 0, result.stderr
    (device,) = json_lines(result.stdout)
    assert device["grade"] == "D"  # a failing, replaceable drive
    (disk,) = device["components"]
    (trend,) = [f for f in disk["findings"] if f["code"] == "trend.reallocated_growing"]
    # Compared with the oldest reading, whatever the order given.
    assert trend["evidence"]["earlier"] == {"report": str(march), "date": "2026-03-01", "value": 1}
    assert trend["evidence"]["later"] == {"report": "latest", "date": "2026-09-01", "value": 5}
    assert [e["date"] for e in device["earlier"]] == ["2026-03-01", "2026-06-01"]

    human = runner.invoke(cli, args)
    assert "trend.reallocated_growing" in human.stdout

    bad = runner.invoke(cli, ["assess", str(now), "--earlier", "March", str(march)])
    assert bad.exit_code == 2
    assert "not a date" in bad.stderr


def test_human_output_explains_each_finding_in_french_then_english_on_request(runner: CliRunner) -> None:
    upower = CORPUS / "battery/linux_upower/jc_upower-i-utc_dell_7xfjja2.txt"  # 68.5 % of design: worn
    french = runner.invoke(cli, ["grade", str(upower)])
    assert french.exit_code == 0, french.stderr
    lines = french.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if "battery.capacity_worn" in line)
    assert lines[at + 1].strip() == "= " + explain("battery.capacity_worn", "fr")
    english = runner.invoke(cli, ["grade", "--lang", "en", str(upower)])
    assert "= " + explain("battery.capacity_worn", "en") in english.stdout
    assert "life:" in english.stdout and "0 % left" not in english.stdout  # worn, not spent
    assert runner.invoke(cli, ["grade", "--lang", "de", str(upower)]).exit_code == 2

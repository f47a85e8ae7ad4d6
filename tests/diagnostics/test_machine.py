"""The machine's identity (make, model, serial, CPU, RAM) from real dmidecode and system_profiler
outputs; a machine component never moves a grade."""

from __future__ import annotations

import orjson
import pytest

import diagnostics
from diagnostics import ComponentKind, ParseError
from diagnostics.machine import DMIDECODE, LSHW_JSON, SYSTEM_PROFILER, parse_dmidecode, parse_lshw_json
from tests.corpus_path import CORPUS

LINUX_1 = CORPUS / "machine" / "dmidecode" / "linux-1"
HYNIX = CORPUS / "machine" / "dmidecode" / "hynix-kingmax"
LSHW_AWS = CORPUS / "machine" / "lshw" / "aws-hvm-domu.json"
MAC_FULL = CORPUS / "battery" / "macos_system_profiler" / "glpi_11.0_apple_M1_full.txt"


def _machine(path):  # type: ignore[no-untyped-def]
    reports = diagnostics.read_report(path.read_bytes(), path.name)
    machines = [r for r in reports if r.component is ComponentKind.MACHINE]
    assert len(machines) == 1
    return reports, machines[0]


def test_a_full_dmidecode_dump_gives_cpu_and_ram_and_drops_vendor_placeholders() -> None:
    reports, machine = _machine(LINUX_1)
    assert len(reports) == 1 and machine.format == DMIDECODE
    assert machine.measurements["cpu"] == "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz"
    assert machine.measurements["ram_gb"] == 4.0  # four 1024 MB DDR2 memory devices
    # "System manufacturer", "System Product Name", "System Serial Number": unset by the board maker.
    assert dict(machine.identity) == {"make": None, "model": None, "serial": None}
    assert diagnostics.sniff_format(LINUX_1.read_bytes()) == DMIDECODE


def test_memory_devices_only_give_the_ram() -> None:
    _, machine = _machine(HYNIX)
    assert machine.measurements == {"cpu": None, "ram_gb": 16.0}


def test_system_profiler_hardware_overview_beside_the_battery() -> None:
    reports, machine = _machine(MAC_FULL)
    assert [r.component.value for r in reports] == ["battery", "machine"]
    assert machine.format == SYSTEM_PROFILER
    assert dict(machine.identity) == {"make": "Apple", "model": "MacBook Air", "serial": "E9O1Q6W5FAKE"}
    assert machine.measurements == {"cpu": "Apple M1", "ram_gb": 16.0}


def test_lshw_json_gives_the_system_node_the_first_cpu_and_the_system_memory() -> None:
    reports, machine = _machine(LSHW_AWS)
    assert len(reports) == 1 and machine.format == LSHW_JSON
    assert dict(machine.identity) == {
        "make": "Xen",
        "model": "HVM domU",
        "serial": "ec2722bd-22d8-f9c4-c89c-38011e0e3177",
    }
    # "System Memory" size 1073741824 bytes; the network card's MAC "serial" is not the machine's.
    assert machine.measurements == {"cpu": "Intel(R) Xeon(R) CPU E5-2676 v3 @ 2.40GHz", "ram_gb": 1.0}
    assert diagnostics.sniff_format(LSHW_AWS.read_bytes()) == LSHW_JSON
    # The older object form (lshw before B.02.19) and a memory node that only lists its banks.
    (system,) = orjson.loads(LSHW_AWS.read_bytes())
    memory = system["children"][0]["children"][2]
    del memory["size"]
    memory["children"].append(dict(memory["children"][0], id="bank:1"))
    assert parse_lshw_json(system, "obj").ram_gb == 2.0


def test_lshw_json_of_the_wrong_shape_names_the_key() -> None:
    (system,) = orjson.loads(LSHW_AWS.read_bytes())
    system["children"][0]["children"][2]["size"] = "1 GiB"
    with pytest.raises(ParseError, match=r"/core/memory: key 'size' is '1 GiB', not a number of bytes"):
        diagnostics.read_report(orjson.dumps(system), "lshw.json")
    system["children"] = {"core": {}}
    with pytest.raises(ParseError, match="/: key 'children' is not a list of objects"):
        diagnostics.read_report(orjson.dumps([system]), "lshw.json")


def test_a_machine_component_never_moves_the_grade() -> None:
    reports, machine = _machine(MAC_FULL)
    battery_only = diagnostics.assess_device([r for r in reports if r is not machine])
    both = diagnostics.assess_device(reports)
    assert (both.grade, both.health, both.findings) == (battery_only.grade, battery_only.health, battery_only.findings)
    assert machine in both.components and not machine.assessment.findings


def test_a_bad_memory_size_names_its_line() -> None:
    text = HYNIX.read_text().replace("        Size: 8 GB\n", "        Size: eight\n", 1)
    with pytest.raises(ParseError) as caught:
        parse_dmidecode(text, "bad")
    assert "line 10" in caught.value.reason and "'eight'" in caught.value.reason
    with pytest.raises(ParseError, match="line 10"):
        diagnostics.read_report(text.encode(), "bad")


def test_a_memory_device_without_a_size_is_refused() -> None:
    text = HYNIX.read_text().replace("        Size: 8 GB\n", "", 1)
    with pytest.raises(ParseError, match="line 4: memory device without a 'Size' field"):
        parse_dmidecode(text, "bad")


def test_a_hardware_overview_without_fields_names_its_line() -> None:
    with pytest.raises(ParseError, match="line 3: 'Hardware Overview:' holds no field"):
        diagnostics.read_report(b"Hardware:\n\n    Hardware Overview:\n\nPower:\n", "sp.txt")


def test_the_bench_table_shows_the_identity_not_a_grade() -> None:
    from click.testing import CliRunner

    from diagnostics.cli import cli

    result = CliRunner().invoke(cli, ["grade", str(LINUX_1)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "machine" in line)
    assert "identity, not graded: Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz, 4 GB RAM, no serial" in row
    assert "unknown" not in row.split("identity")[0]

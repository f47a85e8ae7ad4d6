"""Battery parsers, format by format: what each reads, what it refuses, and the traps of each format.

Whole real files are covered by test_battery_corpus.py; here, small variations of real outputs
pin one behaviour each.
"""

from __future__ import annotations

import contextlib
import plistlib
from pathlib import Path

import pytest

from diagnostics.battery import dmidecode
from diagnostics.battery.parsers import FORMATS, detect_battery_format, parse_batteries
from diagnostics.battery.records import BatteryHealth
from diagnostics.errors import ParseError
from tests.corpus_path import BATTERY_CORPUS

SAMPLES = Path(__file__).resolve().parent / "samples" / "battery"
CORPUS = BATTERY_CORPUS


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def one(text: str | bytes) -> BatteryHealth:
    batteries = parse_batteries(text, "test")
    assert len(batteries) == 1
    return batteries[0]


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("sysfs_uevent_dell_xps_charge.txt", "linux-sysfs"),
        ("sysfs_cat_files_thinkpad_00hw022.txt", "linux-sysfs"),
        ("tlp_stat_b_dell_mah.txt", "tlp-stat"),
        ("tlp_stat_b_smapi_t410_worn.txt", "tlp-stat"),
        ("acpi_everything_thinkpad.txt", "acpi"),
        ("ioreg_intel_macbook_air_2012.txt", "macos-ioreg"),
        ("upower_d_laptop_panasonic.txt", "upower"),
    ],
)
def test_detects_the_format_of_each_sample(name: str, fmt: str) -> None:
    assert detect_battery_format(sample(name)) == fmt
    assert fmt in FORMATS


@pytest.mark.parametrize("text", ["", "hello world\n", "{}", "Model Family: Seagate\n", "\x00\x01\x02"])
def test_detects_nothing_in_other_text(text: str) -> None:
    assert detect_battery_format(text) is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a battery report"),
        ("just some notes\n", "not a battery report"),
    ],
)
def test_refuses_what_is_not_a_battery_report(data: bytes | str, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_batteries(data, "notes.txt")
    assert reason in caught.value.reason
    assert caught.value.source == "notes.txt"


def test_refuses_a_non_text_argument_with_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_batteries(12345, "x")  # type: ignore[arg-type]


def test_reads_utf16_with_bom() -> None:
    text = sample("acpi_everything_thinkpad.txt")
    battery = one(text.encode("utf-16"))
    assert battery.design_capacity_mah == 3972


# --- upower ------------------------------------------------------------------------------------

UPOWER_FR = """  native-path:          BAT0
  vendor:               SMP
  model:                DELL JHXPY53
  serial:               3682
  power supply:         oui
  updated:              mar. 04 juil. 2017 09:15:35 CEST (88 seconds ago)
  battery
    present:             oui
    state:               charging
    energy-full:         53,4052 Wh
    energy-full-design:  57,532 Wh
    charge-cycles:       {cycles}
    percentage:          88%
    capacity:            92,8269%
    technology:          lithium-polymer
"""


def test_upower_reads_decimal_commas_and_translated_yes() -> None:
    battery = one(UPOWER_FR.format(cycles="152"))
    assert battery.full_charge_capacity_mwh == 53405.2
    assert battery.design_capacity_mwh == 57532.0
    assert battery.reported_health_percent == pytest.approx(92.8269)
    assert battery.cycle_count == 152
    assert battery.chemistry == "Li-polymer"


@pytest.mark.parametrize("cycles", ["N/A", "0", "-1"])
def test_upower_cycle_count_not_supported_is_none_and_kept_raw(cycles: str) -> None:
    battery = one(UPOWER_FR.format(cycles=cycles))
    assert battery.cycle_count is None
    assert battery.cycle_count_raw == cycles


@pytest.mark.parametrize(
    "text",
    [
        UPOWER_FR.format(cycles="N/A").replace("53,4052 Wh", "0 Wh"),
        "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_ENERGY_FULL_DESIGN=57020000\nPOWER_SUPPLY_ENERGY_FULL=0\n",
        "Battery 0: Unknown, 0%\nBattery 0: design capacity 4400 mAh, last full capacity 0 mAh = 0%\n",
    ],
    ids=["upower", "sysfs", "acpi"],
)
def test_a_zero_full_charge_capacity_is_kept_not_taken_for_missing(text: str) -> None:
    battery = one(text)
    assert 0.0 in (battery.full_charge_capacity_mwh, battery.full_charge_capacity_mah)
    assert battery.has_health_data


def test_a_zero_design_capacity_is_missing() -> None:
    with pytest.raises(ParseError, match="no battery health data"):
        parse_batteries("POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_ENERGY_FULL_DESIGN=0\nPOWER_SUPPLY_ENERGY_FULL=0\n", "t")


def test_upower_dump_skips_display_device_line_power_and_peripherals() -> None:
    mouse = sample("upower_i_mouse_es_locale.txt")
    dump = (
        sample("upower_d_laptop_panasonic.txt")
        + "Device: /org/freedesktop/UPower/devices/mouse_hidpp_battery_0\n"
        + mouse
        + "\nDevice: /org/freedesktop/UPower/devices/DisplayDevice\n"
        + "  power supply:         yes\n  battery\n    energy-full:         48,9 Wh\n"
        + "    energy-full-design:  53,9 Wh\n\nDaemon:\n  daemon-version:  0.99.11\n"
    )
    battery = one(dump)
    assert battery.model == "AP15O5L"
    assert battery.name == "BAT0"


def test_upower_with_only_a_mouse_is_refused_as_no_battery() -> None:
    with pytest.raises(ParseError, match=r"no battery present .*mouse"):
        parse_batteries(sample("upower_i_mouse_es_locale.txt"), "m.txt")


def test_upower_enumerate_is_refused_with_what_to_save_instead() -> None:
    text = "/org/freedesktop/UPower/devices/line_power_AC\n/org/freedesktop/UPower/devices/battery_BAT0\n"
    with pytest.raises(ParseError, match="upower -i"):
        parse_batteries(text, "e.txt")


# --- sysfs -------------------------------------------------------------------------------------


def test_sysfs_charge_is_converted_to_energy_with_the_design_voltage() -> None:
    battery = one(sample("sysfs_uevent_dell_xps_charge.txt"))
    assert battery.design_capacity_mah == 4474.0
    assert battery.design_voltage_mv == 11400.0
    assert battery.design_capacity_mwh == pytest.approx(4474 * 11.4)
    assert battery.cycle_count is None
    assert battery.cycle_count_raw == "0"
    assert battery.serial == "1001"


def test_sysfs_energy_without_voltage_stays_in_mwh() -> None:
    text = "POWER_SUPPLY_NAME=BAT1\nPOWER_SUPPLY_ENERGY_FULL_DESIGN=50000000\nPOWER_SUPPLY_ENERGY_FULL=45000000\n"
    battery = one(text)
    assert (battery.design_capacity_mwh, battery.full_charge_capacity_mwh) == (50000.0, 45000.0)
    assert battery.design_capacity_mah is None


def test_sysfs_charge_without_voltage_keeps_mah_only() -> None:
    text = "POWER_SUPPLY_NAME=BAT0\nPOWER_SUPPLY_CHARGE_FULL_DESIGN=4000000\nPOWER_SUPPLY_CHARGE_FULL=3328000\n"
    battery = one(text)
    assert battery.design_capacity_mwh is None
    assert (battery.design_capacity_mah, battery.full_charge_capacity_mah) == (4000.0, 3328.0)


def test_sysfs_several_uevents_give_several_batteries_and_skip_mains() -> None:
    text = (
        "POWER_SUPPLY_NAME=AC\nPOWER_SUPPLY_TYPE=Mains\nPOWER_SUPPLY_ONLINE=1\n"
        + sample("sysfs_uevent_dell_xps_charge.txt")
        + sample("sysfs_uevent_thinkpad_42t4865_failing.txt").replace("NAME=BAT0", "NAME=BAT1")
    )
    batteries = parse_batteries(text, "t")
    assert [b.name for b in batteries] == ["BAT0", "BAT1"]


def test_sysfs_dead_health_is_a_permanent_failure() -> None:
    text = sample("sysfs_uevent_dell_xps_charge.txt") + "POWER_SUPPLY_HEALTH=Dead\n"
    battery = one(text)
    assert battery.permanent_failure is True
    assert battery.condition == "Dead"


def test_sysfs_empty_bay_is_refused() -> None:
    text = "POWER_SUPPLY_NAME=BAT1\nPOWER_SUPPLY_TYPE=Battery\nPOWER_SUPPLY_PRESENT=0\n"
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries(text, "t")


def test_sysfs_mouse_battery_is_not_a_laptop_battery() -> None:
    with pytest.raises(ParseError, match="device battery"):
        parse_batteries(sample("sysfs_grep_hidpp_mouse_only.txt"), "t")


def test_sysfs_grep_dot_output() -> None:
    text = (
        "/sys/class/power_supply/BAT0/cycle_count:412\n/sys/class/power_supply/BAT0/energy_full:40150000\n"
        "/sys/class/power_supply/BAT0/energy_full_design:57020000\n/sys/class/power_supply/BAT0/type:Battery\n"
        "/sys/class/power_supply/BAT0/manufacture_year:2019\n/sys/class/power_supply/BAT0/manufacture_month:3\n"
        "/sys/class/power_supply/BAT0/manufacture_day:7\n"
    )
    battery = one(text)
    assert battery.cycle_count == 412
    assert battery.full_charge_capacity_mwh == 40150.0
    assert battery.manufacture_date == "2019-03-07"
    assert battery.name == "BAT0"


def test_sysfs_head_output() -> None:
    text = (
        "==> /sys/class/power_supply/BAT0/charge_full <==\n3750000\n\n"
        "==> /sys/class/power_supply/BAT0/charge_full_design <==\n4474000\n\n"
        "==> /sys/class/power_supply/BAT0/cycle_count <==\n0\n"
    )
    battery = one(text)
    assert battery.full_charge_capacity_mah == 3750.0
    assert battery.cycle_count is None


# --- acpi --------------------------------------------------------------------------------------


def test_acpi_v_gives_every_battery() -> None:
    batteries = parse_batteries((CORPUS / "linux_acpi" / "jc_acpi-V_multi_battery.txt").read_bytes(), "a")
    assert [b.name for b in batteries] == ["Battery 0", "Battery 1", "Battery 2", "Battery 3"]
    assert batteries[1].design_capacity_mah == 4400.0
    assert batteries[1].full_charge_capacity_mah == 3013.0
    assert not batteries[2].has_health_data


def test_acpi_in_mwh() -> None:
    battery = one("Battery 0: Full, 100%\nBattery 0: design capacity 57020 mWh, last full capacity 40150 mWh = 70%\n")
    assert battery.design_capacity_mwh == 57020.0
    assert battery.reported_health_percent == 70.0
    assert battery.state == "full"


def test_acpi_b_without_capacities_is_refused_as_no_health_data() -> None:
    with pytest.raises(ParseError, match="no battery health data"):
        parse_batteries("Battery 0: Discharging, 98%, 01:43:14 remaining\n", "b")


# --- tlp-stat ----------------------------------------------------------------------------------


def test_tlp_not_supported_cycle_count_and_capacity_line() -> None:
    battery = one(sample("tlp_stat_b_natacpi_above_design.txt"))
    assert battery.cycle_count is None
    assert battery.cycle_count_raw == "(not supported)"
    assert battery.reported_health_percent == 101.0
    assert battery.state == "full"


def test_tlp_smapi_fields() -> None:
    battery = one(sample("tlp_stat_b_smapi_t410_worn.txt"))
    assert battery.cycle_count == 88
    assert (battery.design_capacity_mwh, battery.full_charge_capacity_mwh) == (48840.0, 38700.0)
    assert battery.manufacture_date == "2024-01-06"
    assert battery.model == "42T4763"


def test_tlp_without_battery_data_is_refused() -> None:
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries("+++ Battery Care\nPlugin: generic\n\n+++ Battery Status\nNo battery data available.\n", "t")


# --- FreeBSD acpiconf --------------------------------------------------------------------------


def test_acpiconf_mah_converted_with_design_voltage() -> None:
    battery = one((CORPUS / "freebsd_acpiconf" / "glpi_acpiconf_infos_1.txt").read_bytes())
    assert battery.design_capacity_mah == 7236.0
    assert battery.design_capacity_mwh == pytest.approx(7236 * 7.6)
    assert battery.manufacturer == "LGC-LGC3.65"


def test_acpiconf_mwh_and_cycle_count() -> None:
    text = (
        "Design capacity:\t57000 mWh\nLast full capacity:\t42000 mWh\nTechnology:\tsecondary (rechargeable)\n"
        "Design voltage:\t11400 mV\nCycle Count:\t321\nModel number:\t01AV430\nState:\thigh\n"
    )
    battery = one(text)
    assert (battery.design_capacity_mwh, battery.full_charge_capacity_mwh) == (57000.0, 42000.0)
    assert battery.cycle_count == 321


def test_acpiconf_not_present_is_refused() -> None:
    with pytest.raises(ParseError, match="not present"):
        parse_batteries("Design capacity:\tunknown\nLast full capacity:\tunknown\nState:\tnot present\n", "a")


# --- dmidecode ---------------------------------------------------------------------------------


def test_dmidecode_is_refused_for_lack_of_full_charge_capacity() -> None:
    path = CORPUS / "dmidecode" / "glpi_windows10_notebook_type22.txt"
    with pytest.raises(ParseError, match="design capacity only"):
        parse_batteries(path.read_bytes(), path.name)


def test_dmidecode_module_still_reads_identity_and_design_capacity() -> None:
    text = (CORPUS / "dmidecode" / "glpi_windows10_notebook_type22.txt").read_text(encoding="utf-8")
    front, rear = dmidecode.parse(text, "d")
    assert (front.model, front.design_capacity_mwh, front.design_voltage_mv) == ("00HW023", 23540.0, 11400.0)
    assert (rear.serial, rear.manufacture_date, rear.chemistry) == ("0CF7", "2018-06-02", "Li-polymer")


# --- Windows battery report --------------------------------------------------------------------

_HTML = """<!DOCTYPE html><html xmlns:bat="http://schemas.microsoft.com/battery/2012"><head>
<title>Battery report</title><style>h2 {{ color: red }}</style></head><body><h1>Battery report</h1>
<table><tr><td class="label">{computer}</td><td>PC-1</td></tr>
<tr><td class="label">{product}</td><td>LENOVO 20KH</td></tr></table>
<h2>{installed}</h2><div class="explanation">x</div>
<table><thead><tr><td> </td><td>{battery} 1</td><td>{battery} 2</td></tr></thead>
<tr><td><span class="label">{name}</span></td><td>01AV430</td><td>01AV428</td></tr>
<tr><td><span class="label">{maker}</span></td><td>SMP</td><td>LGC</td></tr>
<tr><td><span class="label">{serial}</span></td><td>1234</td><td>-</td></tr>
<tr><td><span class="label">{chem}</span></td><td>LiP</td><td>LION</td></tr>
<tr><td><span class="label">{design}</span></td><td>24 000 mWh</td><td>23.480 mWh</td></tr>
<tr style="height:0.4em;"></tr>
<tr><td><span class="label">{full}</span></td><td>20 100 mWh</td><td>9.020 mWh</td></tr>
<tr><td><span class="label">{cycles}</span></td><td>212</td><td>-</td></tr>
</table><h2>{usage}</h2><table><tr><td>x</td></tr></table></body></html>"""
_ENGLISH = {
    "computer": "COMPUTER NAME",
    "product": "SYSTEM PRODUCT NAME",
    "installed": "Installed batteries",
    "battery": "BATTERY",
    "name": "NAME",
    "maker": "MANUFACTURER",
    "serial": "SERIAL NUMBER",
    "chem": "CHEMISTRY",
    "design": "DESIGN CAPACITY",
    "full": "FULL CHARGE CAPACITY",
    "cycles": "CYCLE COUNT",
    "usage": "Recent usage",
}
_FRENCH = {
    "computer": "NOM DE L'ORDINATEUR",
    "product": "NOM DU PRODUIT SYSTÈME",
    "installed": "Batteries installées",
    "battery": "BATTERIE",
    "name": "NOM",
    "maker": "FABRICANT",
    "serial": "NUMÉRO DE SÉRIE",
    "chem": "CHIMIE",
    "design": "CAPACITÉ NOMINALE",
    "full": "CAPACITÉ DE CHARGE COMPLÈTE",
    "cycles": "NOMBRE DE CYCLES",
    "usage": "Utilisation récente",
}


@pytest.mark.parametrize("labels", [_ENGLISH, _FRENCH], ids=["english", "french"])
def test_windows_html_two_batteries_any_language(labels: dict[str, str]) -> None:
    first, second = parse_batteries(_HTML.format(**labels), "battery-report.html")
    assert (first.model, first.design_capacity_mwh, first.full_charge_capacity_mwh) == ("01AV430", 24000, 20100)
    assert (first.cycle_count, first.chemistry, first.host_model) == (212, "Li-polymer", "LENOVO 20KH")
    assert (second.name, second.design_capacity_mwh, second.full_charge_capacity_mwh) == ("Battery 2", 23480, 9020)
    assert (second.serial, second.cycle_count, second.cycle_count_raw) == (None, None, "-")


def test_windows_html_without_battery_is_refused() -> None:
    path = CORPUS / "windows_batteryreport" / "qemu_vm_no_battery.html"
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries(path.read_bytes(), path.name)


def test_windows_battery_name_written_as_bytes_is_decoded() -> None:
    path = CORPUS / "windows_batteryreport" / "dell_inspiron_15_3525.html"
    assert one(path.read_bytes()).model == "532N"


_XML = """\ufeff<?xml version="1.0" encoding="utf-8"?>
<BatteryReport xmlns="http://schemas.microsoft.com/battery/2012">
<SystemInformation><SystemManufacturer>Dell Inc.</SystemManufacturer>
<SystemProductName>Inspiron 5515</SystemProductName></SystemInformation>
<Batteries>{batteries}</Batteries></BatteryReport>"""
_XML_BATTERY = """<Battery><Id>DELL XDY9K14</Id><Manufacturer>SMP-COS3.66</Manufacturer>
<SerialNumber> 2167</SerialNumber><Chemistry>LIP</Chemistry><DesignCapacity>54000</DesignCapacity>
<FullChargeCapacity>45720</FullChargeCapacity><CycleCount>{cycles}</CycleCount></Battery>"""


@pytest.mark.parametrize(("cycles", "expected"), [("0", None), ("431", 431)])
def test_windows_xml(cycles: str, expected: int | None) -> None:
    battery = one(_XML.format(batteries=_XML_BATTERY.format(cycles=cycles)))
    assert battery.cycle_count == expected
    assert battery.host_model == "Dell Inc. Inspiron 5515"
    assert battery.serial == "2167"


def test_windows_xml_without_battery_is_refused() -> None:
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries(_XML.format(batteries=""), "r.xml")


def test_windows_xml_with_a_dtd_is_refused_before_parsing() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
        '<BatteryReport xmlns="http://schemas.microsoft.com/battery/2012">&lol;</BatteryReport>'
    )
    with pytest.raises(ParseError, match="DTD"):
        parse_batteries(bomb, "r.xml")


def test_windows_xml_truncated_is_a_parse_error() -> None:
    text = _XML.format(batteries=_XML_BATTERY.format(cycles="1"))
    with pytest.raises(ParseError, match="invalid XML"):
        parse_batteries(text[: len(text) // 2], "r.xml")


# --- macOS -------------------------------------------------------------------------------------

APPLE_SILICON_IOREG = """+-o AppleSmartBattery  <class AppleSmartBattery, id 0x100000f5c, registered, matched, active>
    {
      "CurrentCapacity" = 80
      "MaxCapacity" = 100
      "AppleRawMaxCapacity" = 6350
      "NominalChargeCapacity" = 6502
      "DesignCapacity" = 6249
      "DesignCycleCount9C" = 1000
      "CycleCount" = 18
      "PermanentFailureStatus" = {failure}
      "BatteryInstalled" = Yes
      "Serial" = "F5D000000000000VD4"
      "BatteryData" = {"Serial"="F5D000000000000VD4","CycleCount"=18}
    }
"""


def test_ioreg_apple_silicon_max_capacity_is_a_percentage_not_a_capacity() -> None:
    battery = one(APPLE_SILICON_IOREG.replace("{failure}", "0"))
    assert battery.full_charge_capacity_mah == 6350.0
    assert battery.design_capacity_mah == 6249.0
    assert battery.rated_cycles == 1000
    assert battery.permanent_failure is False
    assert battery.serial == "F5D000000000000VD4"


def test_ioreg_permanent_failure_status() -> None:
    assert one(APPLE_SILICON_IOREG.replace("{failure}", "4")).permanent_failure is True


def test_ioreg_intel_max_capacity_and_sbs_manufacture_date() -> None:
    battery = one(sample("ioreg_intel_macbook_air_2012.txt"))
    assert battery.full_charge_capacity_mah == 7171.0
    assert battery.manufacture_date == "2013-06-13"
    assert battery.state == "fully-charged"


def test_ioreg_battery_not_installed_is_refused() -> None:
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries('    "BatteryInstalled" = No\n    "CycleCount" = 0\n', "i")


def test_ioreg_plist_form() -> None:
    entry = {
        "AppleRawMaxCapacity": 8747,
        "NominalChargeCapacity": 8900,
        "DesignCapacity": 8579,
        "MaxCapacity": 100,
        "CycleCount": 112,
        "BatteryInstalled": True,
        "IsCharging": False,
        "PermanentFailureStatus": 0,
        "BatteryData": {"CycleCount": 112, "DesignCapacity": 8579},
    }
    battery = one(plistlib.dumps([entry]).decode())
    assert (battery.design_capacity_mah, battery.full_charge_capacity_mah) == (8579.0, 8747.0)
    assert (battery.cycle_count, battery.state, battery.permanent_failure) == (112, "discharging", False)


def test_ioreg_plist_with_entities_is_a_parse_error() -> None:
    text = (
        '<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaa">]><plist version="1.0"><dict>'
        "<key>DesignCapacity</key><string>&a;</string></dict></plist>"
    )
    with pytest.raises(ParseError, match="plist"):
        parse_batteries(text, "i.plist")


def test_ioreg_lowest_measured_capacity_is_kept() -> None:
    battery = one(APPLE_SILICON_IOREG.replace("{failure}", "0"))
    assert battery.notes == ("full-charge capacity from AppleRawMaxCapacity",)


def test_ioreg_l_dump_reads_only_the_battery_block() -> None:
    text = '+-o IOUSBHostDevice  <class IOUSBHostDevice>\n    {\n      "Manufacturer" = "Logitech"\n    }\n' + sample(
        "ioreg_intel_macbook_air_2012.txt"
    )
    assert one(text).manufacturer == "SMP"


_SP_JSON = """{
  "SPPowerDataType" : [
    {
      "_name" : "spbattery_information",
      "sppower_battery_charge_info" : {"sppower_battery_state_of_charge" : 77},
      "sppower_battery_health_info" : {
        "sppower_battery_cycle_count" : 253,
        "sppower_battery_health" : "%s",
        "sppower_battery_health_maximum_capacity" : "84%%"
      },
      "sppower_battery_model_info" : {"sppower_battery_device_name" : "bq40z651"}
    },
    {"_name" : "sppower_information"}
  ]
}"""


def test_system_profiler_json() -> None:
    battery = one(_SP_JSON % "Good")
    assert battery.source_format == "macos-system-profiler-json"
    assert (battery.cycle_count, battery.reported_health_percent, battery.condition) == (253, 84.0, "Good")
    assert battery.model == "bq40z651"
    assert detect_battery_format(_SP_JSON % "Good") == "macos-system-profiler-json"


def test_system_profiler_json_of_a_desktop_mac_is_refused() -> None:
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries('{"SPPowerDataType": [{"_name": "sppower_information"}]}', "sp.json")


def _profiler(condition: str, extra: str = "") -> str:
    return (
        "Power:\n\n    Battery Information:\n\n      Model Information:\n          Manufacturer: SMP\n"
        "      Health Information:\n          Cycle Count: 812\n"
        f"          Condition: {condition}\n{extra}"
        "      Battery Installed: Yes\n\n    System Power Settings:\n\n      AC Power:\n"
        "          Serial Number: ADAPTER\n"
    )


def test_system_profiler_condition_and_maximum_capacity() -> None:
    battery = one(_profiler("Service Recommended", "          Maximum Capacity: 76 %\n"))
    assert battery.condition == "Service Recommended"
    assert battery.reported_health_percent == 76.0
    assert battery.cycle_count == 812
    assert battery.serial is None  # the charger's serial is not the battery's


def test_system_profiler_without_battery_is_refused() -> None:
    text = "Power:\n\n    Battery Information:\n\n      Battery Installed: No\n\n    System Power Settings:\n"
    with pytest.raises(ParseError, match="no battery present"):
        parse_batteries(text, "sp.txt")


def test_system_profiler_desktop_mac_without_battery_section_is_refused() -> None:
    text = "Power:\n\n    System Power Settings:\n\n      AC Power:\n          System Sleep Timer (Minutes): 1\n"
    with pytest.raises(ParseError):
        parse_batteries(text, "sp.txt")


# --- never anything but ParseError -------------------------------------------------------------


def _inputs() -> list[Path]:
    files = [p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".tsv"] if CORPUS.is_dir() else []
    return sorted(files) + sorted(SAMPLES.glob("*.txt"))


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: p.name)
def test_truncated_reports_parse_or_raise_parse_error(path: Path) -> None:
    data = path.read_bytes()
    step = max(1, len(data) // 40)
    for cut in range(0, len(data), step):
        for piece in (data[:cut], data[cut:]):
            with contextlib.suppress(ParseError):
                parse_batteries(piece, path.name)


def test_upower_capacity_without_design_energy_is_not_a_health_figure() -> None:
    text = UPOWER_FR.format(cycles="N/A").replace("    energy-full-design:  57,532 Wh\n", "")
    with pytest.raises(ParseError, match="no battery health data"):
        parse_batteries(text, "u")

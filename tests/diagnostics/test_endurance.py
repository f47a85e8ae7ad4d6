"""Endurance read right (issue 18, point 3): a wear indicator at its floor, host writes beyond the
model's rated TBW, and remaining life from the rate of wear."""

from __future__ import annotations

import json

import pytest

from diagnostics.grading import disk as policy
from diagnostics.grading.disk import assess_disk, endurance_rating, host_writes_tb
from diagnostics.models import Grade, Health
from diagnostics.smart.json_report import parse_smartctl_json
from diagnostics.smart.records import DiskHealth, DiskIdentity, NvmeHealth
from tests.diagnostics.regen_smart_expected import SMART_CORPUS
from tests.diagnostics.test_disk_grading import attr

EXPORTER = SMART_CORPUS / "smartctl_exporter"


def corpus_disk(relative: str) -> DiskHealth:
    path = EXPORTER / relative
    return parse_smartctl_json(json.loads(path.read_text(encoding="utf-8")), path.name)


def ssd_with(*attributes: object, model: str = "TEST SSD", hours: int = 20_000) -> DiskHealth:
    return DiskHealth(
        "smartctl-json",
        DiskIdentity(model=model, serial="S", interface="sat", device_type="ssd", rotation_rpm=0),
        smart_passed=True,
        power_on_hours=hours,
        attributes=(attr(9, "Power_On_Hours", hours), *attributes),  # type: ignore[arg-type]
    )


def codes(disk: DiskHealth) -> list[str]:
    return [f.code for f in assess_disk(disk).findings]


def test_every_rating_has_a_source_and_a_plausible_tbw() -> None:
    assert len(policy.ENDURANCE_RATINGS) >= 10
    models = [r.model.lower() for r in policy.ENDURANCE_RATINGS]
    assert len(set(models)) == len(models)
    for rating in policy.ENDURANCE_RATINGS:
        assert rating.source.strip() and 10 <= rating.tbw <= 50_000, rating


@pytest.mark.parametrize(
    ("relative", "tbw", "at_least_tb"),
    [
        ("nvme-null-INTEL_SSDPEDMD016T4-nvme0.json", 8760.0, 16_000),
        ("nvme-null-INTEL_SSDPEDMD800G4-nvme0.json", 4380.0, 7_000),
        ("nvme-null-INTEL_SSDPE2KX020T7-nvme6.json", 1890.0, 2_500),
    ],
)
def test_real_datacentre_drives_written_past_their_rating(relative: str, tbw: float, at_least_tb: float) -> None:
    disk = corpus_disk(relative)
    rating = endurance_rating(disk)
    assert rating is not None and rating.tbw == tbw
    written = host_writes_tb(disk)
    assert written is not None and written > at_least_tb
    assessment = assess_disk(disk)
    (finding,) = [f for f in assessment.findings if f.code == "ssd.writes_beyond_rating"]
    assert finding.evidence["threshold"] == tbw
    assert rating.source in finding.source
    # Under twice the rating: worn (C), not very worn; the wear indicator still sets the life left.
    assert assessment.grade is Grade.C
    assert assessment.remaining_life is not None
    assert assessment.remaining_life.basis == "nvme.percentage_used"


def test_writes_beyond_twice_the_rating_are_very_worn() -> None:
    # A CT500MX500SSD1 (rated 180 TB) with 400 TB of 512-byte LBAs written.
    lbas = int(400e12 / 512)
    disk = ssd_with(attr(246, "Total_LBAs_Written", lbas), model="CT500MX500SSD1")
    assessment = assess_disk(disk)
    assert "ssd.writes_beyond_rating" in codes(disk)
    assert (assessment.health, assessment.grade) == (Health.WORN, Grade.D)


def test_writes_within_the_rating_say_nothing_and_unknown_models_are_not_judged() -> None:
    lbas = int(150e12 / 512)
    assert "ssd.writes_beyond_rating" not in codes(
        ssd_with(attr(246, "Total_LBAs_Written", lbas), model="CT500MX500SSD1")
    )
    huge = int(5000e12 / 512)
    assert "ssd.writes_beyond_rating" not in codes(ssd_with(attr(241, "Total_LBAs_Written", huge), model="NO SUCH SSD"))


def test_host_write_units() -> None:
    assert host_writes_tb(ssd_with(attr(241, "Host_Writes_32MiB", 1_000_000))) == pytest.approx(33.554, abs=0.01)
    assert host_writes_tb(ssd_with(attr(241, "Lifetime_Writes_GiB", 1000))) == pytest.approx(1.0737, abs=0.001)
    # Past 32 bits (about 2 TB of LBAs): still a count, not a packed value.
    assert host_writes_tb(ssd_with(attr(241, "Total_LBAs_Written", 64_777_770_148))) == pytest.approx(33.17, abs=0.01)
    nvme = DiskHealth(
        "smartctl-json", DiskIdentity(model="X", device_type="nvme"), nvme=NvmeHealth(data_units_written=2_000_000)
    )
    assert host_writes_tb(nvme) == pytest.approx(1.024)


@pytest.mark.parametrize("floor", [0, 1])
def test_wear_indicator_at_its_floor_is_failing(floor: int) -> None:
    disk = ssd_with(attr(177, "Wear_Leveling_Count", 3000, value=floor, thresh=0))
    assessment = assess_disk(disk)
    assert "ssd.wear_at_floor" in codes(disk)
    assert "ssd.wear" not in codes(disk)
    assert (assessment.health, assessment.grade) == (Health.FAILING, Grade.F)


def test_wear_just_above_the_floor_is_very_worn_not_failing() -> None:
    disk = ssd_with(attr(177, "Wear_Leveling_Count", 3000, value=2, thresh=0))
    assessment = assess_disk(disk)
    assert codes(disk) == ["ssd.wear"]
    assert (assessment.health, assessment.grade) == (Health.WORN, Grade.D)


def test_life_left_follows_the_rate_of_wear_not_only_its_level() -> None:
    # Same level (40 % used), different pace: 40 % in 10 000 h leaves 15 000 h; in 40 000 h, 60 000 h.
    fast = assess_disk(ssd_with(attr(177, "Wear_Leveling_Count", 0, value=60), hours=10_000)).remaining_life
    slow = assess_disk(ssd_with(attr(177, "Wear_Leveling_Count", 0, value=60), hours=40_000)).remaining_life
    assert fast is not None and slow is not None
    assert fast.percent == slow.percent == 60.0
    assert fast.years == pytest.approx(15_000 / policy.HOURS_PER_YEAR, abs=0.05)
    assert slow.years == pytest.approx(60_000 / policy.HOURS_PER_YEAR, abs=0.05)
    assert "% per 1000 h" in fast.detail


def test_rated_writes_give_the_life_left_when_there_is_no_wear_indicator() -> None:
    lbas = int(90e12 / 512)  # half of the 180 TB rating in 20 000 h
    life = assess_disk(ssd_with(attr(246, "Total_LBAs_Written", lbas), model="CT500MX500SSD1")).remaining_life
    assert life is not None
    assert life.basis == "ssd.host_writes_vs_rated"
    assert life.percent == pytest.approx(50.0, abs=0.1)
    assert life.years == pytest.approx(20_000 / policy.HOURS_PER_YEAR, abs=0.05)

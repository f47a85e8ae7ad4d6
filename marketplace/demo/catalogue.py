"""The demo cluster: organisations, people and devices, each device graded from REAL reports
(smartctl and battery outputs collected from public sources, shipped in ``reports/`` beside this
module with a MANIFEST naming each file's source).

Paths are relative to that folder (the same layout as the test corpus). Makes and models are chosen to match the reports
(a laptop's battery report names the laptop it came from).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    kind: str
    siret_base: str  # 13 digits; the Luhn check digit is computed
    postcode: str
    city: str


@dataclass(frozen=True)
class DemoDevice:
    org: str
    kind: str
    make: str
    model: str
    reports: tuple[str, ...] = ()
    specs: dict[str, Any] = field(default_factory=dict)
    cosmetic_grade: str = "good"
    #: "sale:<euros>", "loan", "donation" or "" (stays in inventory)
    offer: str = ""


ORGS = (
    DemoOrg("univ", "Université Lumière Demo", "university", "1969100050001", "69007", "Lyon"),
    DemoOrg("metro", "Métropole de Lyon (démo)", "public_body", "2006900020001", "69003", "Lyon"),
    DemoOrg("refurb", "Atelier Réemploi Rhône", "refurbisher", "8123456780001", "69100", "Villeurbanne"),
    DemoOrg("acme", "Acme Logiciels SAS", "company", "5123456780001", "69002", "Lyon"),
    DemoOrg("boulon", "Boulon & Fils Industrie", "company", "4123456780001", "42000", "Saint-Étienne"),
    DemoOrg("asso", "Emmaüs Connect Demo", "nonprofit", "7123456780001", "69008", "Lyon"),
)

PEOPLE = (
    # (org key, role, display name)
    ("univ", "admin", "Claire Martin"),
    ("univ", "lister", "Hugo Bernard"),
    ("metro", "admin", "Nadia Rousseau"),
    ("refurb", "admin", "Yann Lefèvre"),
    ("refurb", "technician", "Inès Moreau"),
    ("acme", "admin", "Paul Girard"),
    ("boulon", "admin", "Sophie Lambert"),
    ("asso", "admin", "Karim Haddad"),
)

W = "windows_batteryreport/"
S = "smartctl_exporter/"
SC = "scrutiny/"
G = "gsmartcontrol/"


def laptop(org: str, make: str, model: str, disk: str, battery: str, ram: int, storage: int, cpu: str,
           year: int, **kw: Any) -> DemoDevice:  # fmt: skip
    specs = {"cpu": cpu, "ram_gb": ram, "storage_gb": storage, "year": year}
    return DemoDevice(org, "laptop", make, model, ("smart/" + disk, "battery/" + battery), specs, **kw)


DEVICES = (
    laptop(
        "univ",
        "HP",
        "EliteBook 850 G5",
        S + "KXG60ZNV512G_TOSHIBA_8.json",
        W + "hp_elitebook_850_g5.html",
        16,
        512,
        "Intel Core i5-8350U",
        2018,
        offer="sale:320",
        cosmetic_grade="excellent",
    ),
    laptop(
        "univ",
        "Dell",
        "Latitude E5570",
        SC + "smart-ata-full.json",
        W + "dell_latitude_e5570.html",
        8,
        500,
        "Intel Core i5-6300U",
        2016,
        offer="loan",
    ),
    laptop(
        "univ",
        "Lenovo",
        "IdeaPad 3 15 (82TT)",
        S + "nvme-null-CT250P2SSD8-nvme0.json",
        W + "lenovo_82tt.html",
        8,
        250,
        "AMD Ryzen 5 5625U",
        2022,
        offer="sale:390",
        cosmetic_grade="premium",
    ),
    laptop(
        "metro",
        "Lenovo",
        "IdeaPad Slim 5 (83DV)",
        S + "SAMSUNG_MZVL21T0HCLR-00B00_23.json",
        W + "lenovo_83dv.html",
        16,
        1000,
        "Intel Core Ultra 5 125H",
        2024,
        offer="sale:610",
        cosmetic_grade="premium",
    ),
    laptop(
        "metro",
        "HP",
        "255 G7",
        SC + "smart-ata2.json",
        W + "hp_255_g7.html",
        8,
        128,
        "AMD Ryzen 3 3200U",
        2019,
        offer="donation",
    ),
    laptop(
        "metro",
        "ASUS",
        "Vivobook 15 K5504VA",
        SC + "smart-nvme.json",
        W + "asus_vivobook_k5504va.html",
        16,
        1000,
        "Intel Core i5-13500H",
        2023,
        offer="sale:480",
    ),
    laptop(
        "acme",
        "Xiaomi",
        "Mi Notebook Pro (TM1701)",
        SC + "smart-nvme-failed.json",
        W + "xiaomi_timi_tm1701.html",
        8,
        500,
        "Intel Core i5-8250U",
        2017,
        offer="sale:150",
        cosmetic_grade="fair",
    ),
    laptop(
        "acme",
        "Dell",
        "Inspiron 15 3565",
        SC + "smart-ata-failed-scrutiny.json",
        W + "dell_inspiron_15-3565.html",
        4,
        250,
        "AMD A6-9220",
        2017,
    ),
    laptop(
        "acme",
        "MSI",
        "GF63 Thin 10SCS",
        G + "ST910021AS.txt.health_failed.txt",
        W + "msi_gf63_thin_10scs.html",
        16,
        100,
        "Intel Core i7-10750H",
        2020,
        offer="donation",
    ),
    laptop(
        "boulon",
        "Acer",
        "Nitro 5 AN515-55",
        G + "Hitachi_HTS721080G9SA00.txt.funkybytes.txt",
        W + "acer_nitro_an515-55.html",
        16,
        80,
        "Intel Core i5-10300H",
        2020,
        offer="sale:260",
    ),
    laptop(
        "boulon",
        "HP",
        "Pavilion Gaming 15-dk0xxx",
        S + "nvme-null-INTEL_MEMPEK1W032GA-nvme0.json",
        W + "hp_pavilion_gaming_15-dk0xxx.html",
        8,
        32,
        "Intel Core i5-9300H",
        2019,
        offer="loan",
    ),
    laptop(
        "boulon",
        "ASUS",
        "ROG Strix G513RC",
        G + "TOSHIBA-MK6021GAS.txt",
        W + "asus_rog_strix_g513rc.html",
        16,
        60,
        "AMD Ryzen 7 6800H",
        2022,
        offer="sale:540",
    ),
    laptop(
        "refurb",
        "Dell",
        "Inspiron 5515",
        G + "WDC_WD3200BEVT-22ZCT0.txt",
        W + "dell_inspiron_5515.xml",
        8,
        320,
        "AMD Ryzen 5 5500U",
        2021,
        offer="sale:350",
        cosmetic_grade="excellent",
    ),
    laptop(
        "refurb",
        "Dell",
        "XPS 15 9560",
        G + "FUJITSU_MHW2080BH_PL.txt",
        "linux_upower/glpi_infos_2_dell_jhxpy53_fr.txt",
        16,
        80,
        "Intel Core i7-7700HQ",
        2017,
        offer="sale:420",
    ),
    laptop(
        "refurb",
        "Dell",
        "Latitude 7490",
        S + "SAMSUNG_MZ7WD240HAFV-00003_21.json",
        "linux_upower/jc_upower-i-utc_dell_7xfjja2.txt",
        8,
        240,
        "Intel Core i5-8350U",
        2018,
        offer="loan",
    ),
    DemoDevice(
        "refurb",
        "laptop",
        "Apple",
        "MacBook Pro 13 (2015)",
        ("battery/macos_system_profiler/glpi_10.11_SPPowerDataType.txt",),
        {"cpu": "Intel Core i5-5257U", "ram_gb": 8, "storage_gb": 256, "year": 2015},
        offer="sale:290",
    ),
    DemoDevice(
        "univ",
        "desktop",
        "Dell",
        "OptiPlex 7010",
        ("smart/" + S + "ST3500418AS_11.json",),
        {"cpu": "Intel Core i5-3470", "ram_gb": 8, "storage_gb": 500, "year": 2012},
        offer="donation",
    ),
    DemoDevice(
        "univ",
        "desktop",
        "HP",
        "EliteDesk 800 G1",
        ("smart/" + S + "ST3500418AS_12.json",),
        {"cpu": "Intel Core i5-4570", "ram_gb": 8, "storage_gb": 500, "year": 2013},
        offer="sale:90",
    ),
    DemoDevice(
        "metro",
        "desktop",
        "Lenovo",
        "ThinkCentre M93p",
        ("smart/" + G + "WDC_WD5002ABYS-01B1B0.txt",),
        {"cpu": "Intel Core i5-4570", "ram_gb": 8, "storage_gb": 500, "year": 2013},
        offer="sale:80",
    ),
    DemoDevice(
        "acme",
        "desktop",
        "HP",
        "Z240 Workstation",
        ("smart/" + SC + "smart-ata.json",),
        {"cpu": "Intel Xeon E3-1245 v5", "ram_gb": 32, "storage_gb": 14000, "year": 2016},
        offer="sale:380",
    ),
    DemoDevice(
        "acme",
        "desktop",
        "Dell",
        "Precision T3600",
        ("smart/" + S + "Hitachi_HUA722020ALA330_29.json",),
        {"cpu": "Intel Xeon E5-1620", "ram_gb": 16, "storage_gb": 2000, "year": 2012},
    ),
    DemoDevice(
        "univ",
        "server",
        "Dell",
        "PowerEdge R730",
        ("smart/" + SC + "smart-scsi.json", "smart/" + SC + "smart-scsi2.json"),
        {"cpu": "2x Intel Xeon E5-2630 v3", "ram_gb": 128, "storage_gb": 5200, "year": 2015},
        offer="sale:900",
    ),
    DemoDevice(
        "refurb",
        "server",
        "HPE",
        "ProLiant DL380 Gen10",
        ("smart/" + S + "INTEL_SSDPE2KX080T8_1.json", "smart/" + S + "SAMSUNG_MZQLB1T9HAJR-00007_19.json"),
        {"cpu": "2x Intel Xeon Silver 4110", "ram_gb": 256, "storage_gb": 2720, "year": 2018},
        offer="sale:1800",
    ),
    DemoDevice(
        "boulon",
        "server",
        "Supermicro",
        "SuperServer 5019S",
        ("smart/" + S + "HGST_HUS724020ALE640_28.json", "smart/" + S + "WDC_WD20EFRX-68EUZN0_18.json"),
        {"cpu": "Intel Xeon E3-1230 v6", "ram_gb": 32, "storage_gb": 4000, "year": 2017},
        offer="loan",
    ),
    DemoDevice(
        "univ",
        "screen",
        "Dell",
        "P2419H",
        (),
        {"size_in": 24, "resolution": "1920x1080", "year": 2019},
        offer="donation",
        cosmetic_grade="excellent",
    ),
    DemoDevice(
        "metro",
        "screen",
        "EIZO",
        "FlexScan EV2456",
        (),
        {"size_in": 24.1, "resolution": "1920x1200", "year": 2017},
        offer="sale:70",
    ),
    DemoDevice(
        "acme",
        "screen",
        "HP",
        "E24 G4",
        (),
        {"size_in": 23.8, "resolution": "1920x1080", "year": 2021},
        offer="sale:85",
    ),
    DemoDevice(
        "asso",
        "phone",
        "Fairphone",
        "Fairphone 4",
        (),
        {"storage_gb": 128, "ram_gb": 6, "year": 2021},
        offer="sale:220",
    ),
    DemoDevice("metro", "tablet", "Apple", "iPad (9th generation)", (), {"storage_gb": 64, "year": 2021}, offer="loan"),
    DemoDevice(
        "acme",
        "phone",
        "Samsung",
        "Galaxy A52",
        (),
        {"storage_gb": 128, "ram_gb": 6, "year": 2021},
        offer="donation",
        cosmetic_grade="fair",
    ),
)

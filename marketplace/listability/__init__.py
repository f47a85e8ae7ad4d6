"""Whether a device may be on offer, and the catalogue following its device.

Below every domain's use cases: it reads and writes models only, so the services that change a
device (devices, reports, erasures, orders, loans, imports) call it, and none of them imports
another one's service to keep the catalogue right.
"""

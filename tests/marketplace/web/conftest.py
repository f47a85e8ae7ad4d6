"""The pages reuse the catalogue's fixtures: two organisations and devices in a listable state."""

from tests.marketplace.listings.conftest import make_device, world

__all__ = ["make_device", "world"]

"""RECALL_PLANT_COUNTRY: the country a consignee is in unless told, checked at startup."""

import pytest

from recall.errors import ConfigurationError
from recall.settings import load_settings


@pytest.fixture
def environment(monkeypatch):
    """A clean RECALL_* environment in development mode (no secret key needed)."""
    import os

    for name in list(os.environ):
        if name.startswith("RECALL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RECALL_MODE", "development")
    return monkeypatch


def test_the_plant_is_in_indonesia_unless_told(environment):
    settings = load_settings()
    settings.check()
    assert settings.plant_country == "ID"


def test_the_plant_country_is_read_in_any_case(environment):
    environment.setenv("RECALL_PLANT_COUNTRY", " us ")
    settings = load_settings()
    settings.check()
    assert settings.plant_country == "US"


@pytest.mark.parametrize("value", ["XX", "USA", "Indonesia", "EU", "1", ""])
def test_a_plant_country_that_is_not_iso_alpha_2_stops_the_process(environment, value):
    environment.setenv("RECALL_PLANT_COUNTRY", value)
    with pytest.raises(ConfigurationError, match="RECALL_PLANT_COUNTRY"):
        load_settings().check()

"""Fixtures of the visualisation tests."""

import pytest
from viz_helpers import make_composite


@pytest.fixture(scope="module")
def composite():
    return make_composite()

"""The pytest plugin (entry point `pytest11`): a user's own suite gets a running simulator as fixtures.

One simulator per session, emptied before each test that asks for it through the control API, as a
user's CI would drive `tiktok-sim serve`. Inert unless a test uses a fixture: pytest builds fixtures
only on request, and the simulator is imported only then, so every pytest run of a machine with the
package installed does not pay for Flask and WsgiDAV. Every name starts with `tiktok_sim` so it cannot
shadow a fixture of the suite it is loaded into.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulator.conformance.session import SignedClient, SimSession
    from simulator.conformance.testkit import Faults, Journal, TikTokSim


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tiktok-sim", "TikTok Shop simulator fixtures (tiktok-sfcc-sim)")
    group.addoption("--tiktok-sim-tls", action="store_true",
                    help="serve the simulator over https with its own CA (tiktok_sim.ca_path)")
    group.addoption("--tiktok-sim-data-dir", type=Path, default=None, metavar="DIR",
                    help="keep the simulator's data (SQLite, WebDAV, credentials) in DIR, not in a temp dir")


def pytest_configure(config: pytest.Config) -> None:
    """A data dir that cannot be one stops the run before any test, naming the option."""
    data_dir = config.getoption("tiktok_sim_data_dir")
    if data_dir is not None and data_dir.exists() and not data_dir.is_dir():
        raise pytest.UsageError(f"--tiktok-sim-data-dir {data_dir}: exists and is not a folder")


@pytest.fixture(scope="session")
def tiktok_sim_session(pytestconfig: pytest.Config) -> Iterator[SimSession]:
    """The session's one simulator, started on first use; not emptied between tests (use `tiktok_sim`)."""
    from simulator.conformance.session import SimSession

    data_dir = pytestconfig.getoption("tiktok_sim_data_dir")
    session = SimSession(tls=pytestconfig.getoption("tiktok_sim_tls"), data_dir=data_dir)
    try:
        session.start()
    except (OSError, ValueError) as error:  # unwritable, a broken credentials.json, a bad certificate
        session.stop()
        message = f"the TikTok Shop simulator did not start in {session.server.data_dir}: {error}"
        raise pytest.fail.Exception(message, pytrace=False) from None
    yield session
    session.stop()


@pytest.fixture(scope="session")
def _tiktok_sim_partner(tiktok_sim_session: SimSession) -> SignedClient:
    """Authorized once: a reset keeps tenants and tokens, so the token stays good for the session."""
    return tiktok_sim_session.signed_client()


@pytest.fixture
def tiktok_sim(tiktok_sim_session: SimSession, _tiktok_sim_partner: SignedClient) -> TikTokSim:
    """The simulator, emptied for this test: shop, jobs, review modes, faults, journal and WebDAV tree."""
    from simulator.conformance.testkit import TikTokSim

    tiktok_sim_session.reset()
    return TikTokSim(tiktok_sim_session, _tiktok_sim_partner)


@pytest.fixture
def tiktok_sim_partner(tiktok_sim: TikTokSim) -> SignedClient:
    """Signed Partner API calls (app key, secret, token, shop cipher) as the default tenant's shop."""
    return tiktok_sim.partner


@pytest.fixture
def tiktok_sim_journal(tiktok_sim: TikTokSim) -> Journal:
    """Every request the simulator served or sent during this test (`GET /_sim/journal`)."""
    return tiktok_sim.journal


@pytest.fixture
def tiktok_sim_faults(tiktok_sim: TikTokSim) -> Faults:
    """Arm, list and clear faults (`/_sim/faults`); the reset before each test disarmed them all."""
    return tiktok_sim.faults

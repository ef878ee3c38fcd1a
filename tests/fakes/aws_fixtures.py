"""pytest fixtures for the AWS test double; load with ``pytest_plugins = ["tests.fakes.aws_fixtures"]``.

* ``aws_server`` (session): the in-process ``ThreadedMotoServer`` on 127.0.0.1, random port; its
  ``env``/``app_access_key_id`` stay the same for the whole session, so an app process started from a
  module- or session-scoped fixture keeps working across tests (each test still needs ``aws``, which resets
  moto and recreates the app user with those credentials).
* ``aws`` (function): an :class:`~tests.fakes.aws.AwsDouble` on a freshly reset server, extensions installed,
  app IAM user created, its credentials and ``AWS_ENDPOINT_URL`` in ``os.environ``, IAM enforcement on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from tests.fakes.aws import AwsDouble
from tests.fakes.aws import MotoServerHandle


@pytest.fixture(scope="session")
def aws_server() -> Iterator[MotoServerHandle]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServerHandle.for_url(f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def aws(aws_server: MotoServerHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsDouble]:
    double = AwsDouble.start(aws_server, monkeypatch)
    try:
        yield double
    finally:
        double.stop()

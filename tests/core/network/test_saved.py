"""The Network Lab in session files: its section round-trips, files without it still open, and
a malformed section is refused whole with a line naming the Network Lab."""

from __future__ import annotations

import json

import pytest

from playground.core.files.session_file import (
    read_session_file,
    session_document,
    write_session_file,
)
from playground.core.network.config import NetConfig
from playground.core.network.datasets import DataSettings
from playground.core.network.session import NetworkSession


def trained() -> NetworkSession:
    s = NetworkSession(DataSettings(kind="Spiral", n_points=60, noise=5, seed=9),
                       NetConfig(layers=(3,), epochs=4, regularization="L2"), speed=None)
    s.start()
    assert s.wait(30)
    return s


def test_the_network_section_round_trips(tmp_path):
    s = trained()
    path = tmp_path / "s.gradplay.json"
    write_session_file(path, session_document(["a = torch.ones(2)"], None, lab="network",
                                              network=s))
    state = read_session_file(path)
    assert state.lab == "network"
    n = state.network
    assert n.config == s.config and n.data_settings == s.data_settings
    assert [r.test_loss for r in n.current.records] == [r.test_loss for r in s.current.records]
    assert n.current.end.status == "completed"


def test_a_file_without_the_section_opens_without_a_network(tmp_path):
    path = tmp_path / "old.gradplay.json"
    write_session_file(path, session_document(["a = torch.ones(2)"], None))
    assert read_session_file(path).network is None


@pytest.mark.parametrize("breakage", [
    lambda d: d["network"]["config"].update(layers=[4, 99]),
    lambda d: d["network"]["data"].update(kind="Moons"),
    lambda d: d["network"]["current"]["records"].append([1, "x"]),
    lambda d: d["network"].update(version=7),
    lambda d: d.update(network=[1, 2]),
])
def test_a_malformed_section_is_refused_naming_the_network_lab(tmp_path, breakage):
    doc = session_document([], None, network=trained())
    breakage(doc)
    path = tmp_path / "bad.gradplay.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ValueError, match="Network Lab is malformed"):
        read_session_file(path)

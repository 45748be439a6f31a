"""The Network Lab's Qt-free model: data sets, the network, its training loop and session."""

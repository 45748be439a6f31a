"""Gradient Playground: learn PyTorch autograd by clicking, with real torch underneath."""

__version__ = "0.1.0"

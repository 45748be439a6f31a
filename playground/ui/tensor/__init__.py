"""The Tensor Lab's views: a thin Qt layer over `playground.core.workspace.Workspace`."""

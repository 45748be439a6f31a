"""The Tensor Lab's views: a thin Qt layer over `playground.core.tensorlab.workspace.Workspace`."""

"""The Training Lab's views: controls and plots over the core's training model."""

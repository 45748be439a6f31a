"""The Lessons panel: guided, checkable steps over the Tensor and Training Labs."""
